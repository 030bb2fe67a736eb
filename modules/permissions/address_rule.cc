#include "modules/permissions/address_rule.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "core/base/log.h"
#include "core/base/strings.h"
#include "core/transport/sock_addr.h"

namespace sipline::permissions {
namespace {

// clang-format off
struct ProtoEntry { const char* name; std::uint8_t bits; };
constexpr ProtoEntry kProtos[] = {
    {"any", kProtoAny}, {"udp", kProtoUdp}, {"tcp", kProtoTcp},
    {"tls", kProtoTls}, {"ws", kProtoWs},   {"wss", kProtoWss},
};
// clang-format on

void clearHostBits(IpBytes& ip, int mask) {
  int total = ip.bits();
  for (int bit = mask; bit < total; ++bit) {
    ip.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
  }
}

}  // namespace

bool parseProto(std::string_view text, std::uint8_t& out) {
  for (const ProtoEntry& p : kProtos) {
    if (iequals(text, p.name)) {
      out = p.bits;
      return true;
    }
  }
  return false;
}

const char* protoName(std::uint8_t bits) {
  for (const ProtoEntry& p : kProtos) {
    if (p.bits == bits) return p.name;
  }
  return "?";
}

int IpBytes::bits() const { return family == AF_INET6 ? 128 : 32; }

namespace {

// ::ffff:a.b.c.d is the IPv4 address a.b.c.d (a dual-stack socket reports them so).
void unmapV4(IpBytes& ip) {
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (ip.family == AF_INET6 && std::memcmp(ip.bytes, kMapped, sizeof kMapped) == 0) {
    std::memmove(ip.bytes, ip.bytes + 12, 4);
    std::memset(ip.bytes + 4, 0, 12);
    ip.family = AF_INET;
  }
}

}  // namespace

bool ipOfSockaddr(const sockaddr* sa, IpBytes& out) {
  out = IpBytes{};
  if (sa->sa_family == AF_INET) {
    out.family = AF_INET;
    std::memcpy(out.bytes, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, 4);
    return true;
  }
  if (sa->sa_family != AF_INET6) return false;
  out.family = AF_INET6;
  std::memcpy(out.bytes, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, 16);
  unmapV4(out);
  return true;
}

bool parseIp(std::string_view text, IpBytes& out, bool* mapped) {
  if (mapped != nullptr) *mapped = false;
  SockAddr sa;  // core's numeric parser (brackets allowed around IPv6)
  if (!SockAddr::fromNumeric(text, 0, sa)) {
    out = IpBytes{};
    return false;
  }
  ipOfSockaddr(sa.sa(), out);
  if (mapped != nullptr) *mapped = sa.isV6() && out.family == AF_INET;
  return true;
}

std::string ipText(const IpBytes& ip) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(ip.family == AF_INET6 ? AF_INET6 : AF_INET, ip.bytes, buf, sizeof buf) == nullptr) {
    return "?";
  }
  return buf;
}

bool inPrefix(const IpBytes& ip, const IpBytes& net, int mask) {
  if (ip.family != net.family) return false;
  int full = mask / 8;
  if (std::memcmp(ip.bytes, net.bytes, static_cast<std::size_t>(full)) != 0) return false;
  int rest = mask % 8;
  if (rest == 0) return true;
  std::uint8_t m = static_cast<std::uint8_t>(0xff00u >> rest);
  return (ip.bytes[full] & m) == (net.bytes[full] & m);
}

Result<AddressRule> makeRule(const AddressRow& row) {
  AddressRule r;
  r.id = row.id;
  r.row = row;
  if (row.grp < 0 || row.grp > UINT32_MAX) {
    return Status::invalidArgument("grp " + std::to_string(row.grp) + " is not a group number");
  }
  r.grp = static_cast<std::uint32_t>(row.grp);
  bool mapped = false;
  if (!parseIp(row.ip, r.net, &mapped)) {
    return Status::invalidArgument("ip \"" + row.ip + "\" is not an IPv4 or IPv6 address");
  }
  std::int64_t mask = row.mask;
  // ::ffff:a.b.c.d matches as IPv4, so an IPv6 prefix length written with it (96..128) is
  // turned into the IPv4 one; 0..32 already is one (the schema's default 32: one host).
  if (mapped && mask >= 96 && mask <= 128) mask -= 96;
  if (mask < 0 || mask > r.net.bits()) {
    return Status::invalidArgument(
        "mask " + std::to_string(row.mask) + " is not within " +
        (mapped ? std::string("0..32 or 96..128") : "0.." + std::to_string(r.net.bits())) +
        " for " + row.ip);
  }
  r.mask = static_cast<int>(mask);
  clearHostBits(r.net, r.mask);
  if (row.port < 0 || row.port > 65535) {
    return Status::invalidArgument("port " + std::to_string(row.port) + " is not within 0..65535");
  }
  r.port = static_cast<std::uint16_t>(row.port);
  if (!parseProto(row.proto, r.proto)) {
    return Status::invalidArgument("proto \"" + row.proto +
                                   "\" is none of any, udp, tcp, tls, ws, wss");
  }
  r.pattern = row.pattern;
  if (!row.pattern.empty()) {
    auto re = std::make_shared<Regex>();
    Status st = re->compile(row.pattern);
    if (!st.isOk()) {
      return Status::invalidArgument("pattern \"" + row.pattern + "\": " + st.message());
    }
    r.regex = std::move(re);
  }
  r.context_info = row.context_info;
  return r;
}

std::shared_ptr<const AddressSet> AddressSet::build(const std::vector<AddressRow>& rows,
                                                    std::uint64_t* skipped) {
  auto set = std::make_shared<AddressSet>();
  set->rules_.reserve(rows.size());
  for (const AddressRow& row : rows) {
    Result<AddressRule> r = makeRule(row);
    if (!r.isOk()) {
      SL_ERR("permissions: address row id %lld skipped: %s", static_cast<long long>(row.id),
             r.status().message().c_str());
      if (skipped != nullptr) ++*skipped;
      continue;
    }
    set->rules_.push_back(std::move(r.value()));
  }
  std::stable_sort(set->rules_.begin(), set->rules_.end(),
                   [](const AddressRule& a, const AddressRule& b) {
                     if (a.mask != b.mask) return a.mask > b.mask;
                     return a.id < b.id;
                   });
  return set;
}

const AddressRule* AddressSet::find(const AddressQuery& q) const {
  for (const AddressRule& r : rules_) {
    if (q.grp != 0 && r.grp != q.grp) continue;
    if (q.port != 0 && r.port != 0 && r.port != q.port) continue;
    if ((r.proto & q.proto) == 0) continue;
    if (!inPrefix(q.ip, r.net, r.mask)) continue;
    if (r.regex != nullptr && !r.regex->matches(q.text)) continue;
    return &r;
  }
  return nullptr;
}

}  // namespace sipline::permissions
