#include "core/transport/listener.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/base/log.h"
#include "core/base/strings.h"

namespace sipline {
namespace {

constexpr int kListenBacklog = 1024;  // the kernel caps it at somaxconn

// Large buffers absorb bursts; the kernel caps them at rmem_max unless we are root.
void growBuffer(int fd, int opt, int force_opt, int bytes) {
  if (setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof(bytes)) != 0) {
    setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof(bytes));
  }
}

// Every address of this host's interfaces (for `myself` on wildcard sockets).
std::vector<SockAddr> interfaceAddresses() {
  std::vector<SockAddr> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr) continue;
    int family = i->ifa_addr->sa_family;
    if (family != AF_INET && family != AF_INET6) continue;
    SockAddr a;
    a.len = family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    std::memcpy(&a.ss, i->ifa_addr, a.len);
    out.push_back(a);
  }
  freeifaddrs(list);
  return out;
}

std::string_view stripBrackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

Status bindDatagram(Listener& l) {
  l.fd = ::socket(l.addr.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (l.fd < 0) return Status::ioError("socket " + l.text + ": " + std::strerror(errno));
  // No SO_REUSEADDR: on UDP it would let a second server bind the same port silently.
  int one = 1;
  if (l.addr.isV6()) setsockopt(l.fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  growBuffer(l.fd, SO_RCVBUF, SO_RCVBUFFORCE, 8 << 20);
  growBuffer(l.fd, SO_SNDBUF, SO_SNDBUFFORCE, 4 << 20);
  if (::bind(l.fd, l.addr.sa(), l.addr.len) != 0) {
    int err = errno;
    ::close(l.fd);
    l.fd = -1;
    return Status::ioError("cannot bind socket " + l.text + ": " + std::strerror(err));
  }
  return Status::ok();
}

// TCP and TLS: a non-blocking listening socket the TCP workers share.
Status bindStream(Listener& l) {
  l.fd = ::socket(l.addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (l.fd < 0) return Status::ioError("socket " + l.text + ": " + std::strerror(errno));
  int one = 1;
  // SO_REUSEADDR on TCP only skips TIME_WAIT after a restart; a port in use still fails.
  setsockopt(l.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (l.addr.isV6()) setsockopt(l.fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (::bind(l.fd, l.addr.sa(), l.addr.len) != 0 || ::listen(l.fd, kListenBacklog) != 0) {
    int err = errno;
    ::close(l.fd);
    l.fd = -1;
    return Status::ioError("cannot bind socket " + l.text + ": " + std::strerror(err));
  }
  return Status::ok();
}

}  // namespace

Status Listeners::bindAll(const std::vector<SocketSpec>& specs) { return addAll(specs, true); }

Status Listeners::addUnbound(const std::vector<SocketSpec>& specs) { return addAll(specs, false); }

Status Listeners::addAll(const std::vector<SocketSpec>& specs, bool bind) {
  for (const SocketSpec& spec : specs) {
    Listener l;
    l.proto = spec.proto;
    l.text = spec.text;
    l.ip = spec.address;
    l.port = spec.port;
    l.index = static_cast<int>(listeners_.size());
    if (!SockAddr::fromNumeric(spec.address, spec.port, l.addr)) {
      return Status::invalidArgument("socket " + spec.text + ": bad address");
    }
    if (l.addr.isAny() && spec.advertised_host.empty()) {
      // Via and Record-Route need a real address; the kernel's choice per packet is unknown.
      return Status::invalidArgument("socket " + spec.text +
                                     ": a wildcard address needs an address to advertise, e.g. \"" +
                                     spec.text + " as 192.0.2.10\"");
    }
    if (bind) {
      Status st = l.proto == Proto::kUdp ? bindDatagram(l) : bindStream(l);
      if (!st.isOk()) return st;
    }
    if (!spec.advertised_host.empty()) {
      SockAddr adv;
      bool v6 = SockAddr::fromNumeric(spec.advertised_host, 0, adv) && adv.isV6();
      l.via_host = v6 ? "[" + spec.advertised_host + "]" : spec.advertised_host;
      l.via_port = spec.advertised_port != 0 ? spec.advertised_port : l.port;
    } else {
      l.via_host = l.addr.ipForUri();
      l.via_port = l.port;
    }
    SockAddr::fromNumeric(l.via_host, l.via_port, l.via_addr);
    if (l.addr.isAny() && local_addrs_.empty()) local_addrs_ = interfaceAddresses();
    listeners_.push_back(std::move(l));
  }
  return Status::ok();
}

void Listeners::setAliases(const std::vector<std::string>& aliases) {
  aliases_.clear();
  for (const std::string& a : aliases) {
    std::string_view text = a;
    std::size_t colon = text.rfind(':');
    std::int64_t port = 0;
    if (colon != std::string_view::npos && text.find(']', colon) == std::string_view::npos &&
        parseInt(text.substr(colon + 1), port) && port > 0 && port < 65536) {
      aliases_.push_back(
          {toLower(stripBrackets(text.substr(0, colon))), static_cast<std::uint16_t>(port)});
    } else {
      aliases_.push_back({toLower(stripBrackets(text)), 0});
    }
  }
}

void Listeners::closeAll() {
  for (Listener& l : listeners_) {
    if (l.fd >= 0) ::close(l.fd);
    l.fd = -1;
  }
}

const Listener* Listeners::forDestination(const SockAddr& dst, Proto proto,
                                          const Listener* preferred) const {
  if (preferred != nullptr && preferred->proto == proto &&
      preferred->addr.family() == dst.family()) {
    return preferred;
  }
  // Same transport, then an address the same as the preferred socket's (another port of the
  // same interface), then any of the family.
  const Listener* any = nullptr;
  for (const Listener& l : listeners_) {
    if (l.proto != proto || l.addr.family() != dst.family()) continue;
    if (preferred != nullptr && l.addr.sameIp(preferred->addr)) return &l;
    if (any == nullptr) any = &l;
  }
  return any;
}

bool Listeners::has(Proto proto) const {
  for (const Listener& l : listeners_) {
    if (l.proto == proto) return true;
  }
  return false;
}

bool Listeners::isMyself(std::string_view host, std::uint16_t port) const {
  std::string_view bare = stripBrackets(host);
  SockAddr parsed;
  bool numeric = SockAddr::fromNumeric(bare, 0, parsed);
  for (const Listener& l : listeners_) {
    bool host_ok = iequals(stripBrackets(l.via_host), bare);
    if (!host_ok && numeric) {
      host_ok = parsed.sameIp(l.addr) || parsed.sameIp(l.via_addr);
      for (std::size_t k = 0; !host_ok && l.addr.isAny() && k < local_addrs_.size(); ++k) {
        host_ok = parsed.sameIp(local_addrs_[k]);
      }
    }
    if (host_ok && (port == 0 || port == l.port || port == l.via_port)) return true;
  }
  for (const Alias& a : aliases_) {
    if (iequals(a.host, bare) && (port == 0 || a.port == 0 || a.port == port)) return true;
  }
  return false;
}

Listeners& listeners() {
  static Listeners set;
  return set;
}

void Listeners::declare(const std::vector<SocketSpec>& specs) {
  declared_.clear();
  for (const SocketSpec& s : specs) declared_.push_back(s.text);
}

std::vector<std::string> Listeners::socketTexts() const {
  if (listeners_.empty()) return declared_;
  std::vector<std::string> out;
  for (const Listener& l : listeners_) out.push_back(l.text);
  return out;
}

}  // namespace sipline
