#include "core/dns/resolver.h"

#include <memory>
#include <optional>

#include "core/base/log.h"
#include "core/dns/ares_client.h"
#include "core/dns/dns_stats.h"
#include "core/dns/rfc3263.h"

namespace sipline::dns {
namespace {

struct Global {
  bool set_up = false;
  ResolverConfig config;
  AresOptions ares;
  std::uint32_t blacklist_seconds = 0;
  std::optional<DnsCache> cache;
  std::optional<Blacklist> blacklist;
  std::unique_ptr<AresClient> client;  // created on first use, in the process that uses it
  std::unique_ptr<Rfc3263Resolver> resolver;
};

Global& global() {
  static Global g;
  return g;
}

Rfc3263Resolver& processResolver() {
  Global& g = global();
  if (g.resolver == nullptr) {
    g.client = std::make_unique<AresClient>(g.ares);
    g.resolver = std::make_unique<Rfc3263Resolver>(
        g.config, *g.client, g.cache ? &*g.cache : nullptr, g.blacklist ? &*g.blacklist : nullptr);
  }
  return *g.resolver;
}

}  // namespace

Status setUp(const Settings& settings, shm::Segment* segment) {
  Global& g = global();
  const DnsSettings& dns = settings.dns;
  g.config = ResolverConfig{};
  g.config.timeout_ms = dns.timeout_ms;
  g.config.try_naptr = dns.try_naptr;
  g.config.try_ipv6 = dns.try_ipv6;
  g.config.min_ttl = static_cast<std::uint32_t>(dns.cache_min_ttl);
  g.config.max_ttl = static_cast<std::uint32_t>(dns.cache_max_ttl);
  g.config.negative_ttl = static_cast<std::uint32_t>(dns.cache_negative_ttl);
  // The relays can send on the transports of the listeners.
  g.config.transports = TransportSet{false, false, false};
  for (const SocketSpec& s : settings.sockets) {
    g.config.transports.udp |= s.proto == Proto::kUdp;
    g.config.transports.tcp |= s.proto == Proto::kTcp;
    g.config.transports.tls |= s.proto == Proto::kTls;
  }
  g.ares = AresOptions{dns.servers, dns.timeout_ms, dns.retries};
  g.blacklist_seconds = static_cast<std::uint32_t>(dns.blacklist_time);
  g.resolver.reset();
  g.client.reset();
  g.cache.reset();
  g.blacklist.reset();
  if (segment != nullptr && dns.cache_kb > 0) {
    Result<DnsCache> cache = DnsCache::create(*segment, dns.cache_kb * 1024);
    if (!cache.isOk()) return cache.status().withPrefix("dns cache");
    g.cache = cache.value();
  }
  if (segment != nullptr && dns.blacklist_time > 0) {
    Result<Blacklist> list =
        Blacklist::create(*segment, static_cast<std::uint32_t>(dns.blacklist_size));
    if (!list.isOk()) return list.status().withPrefix("dns blacklist");
    g.blacklist = list.value();
  }
  g.set_up = true;
  return Status::ok();
}

Result<std::vector<SipTarget>> resolveTargets(std::string_view host, std::uint16_t port,
                                              std::optional<Proto> transport, bool secure) {
  Global& g = global();
  if (!g.set_up) {
    // Numeric addresses need no DNS (UDP only, as the relays before setUp()).
    if (auto numeric = resolveNumeric(host, port, transport, secure, TransportSet{})) {
      return std::move(*numeric);
    }
    return Status::failedPrecondition("DNS resolution is not set up in this process");
  }
  return processResolver().resolve(host, port, transport, secure);
}

Result<std::vector<SipTarget>> resolveTargets(const NextHop& hop) {
  return resolveTargets(hop.host, hop.port_set ? hop.port : 0,
                        hop.proto_set ? std::optional<Proto>(hop.proto) : std::nullopt, hop.secure);
}

void blacklist(const SipTarget& target, std::uint32_t seconds, std::string_view reason) {
  Global& g = global();
  if (!g.blacklist) return;
  if (seconds == 0) seconds = g.blacklist_seconds;
  g.blacklist->add(target.proto, target.addr, monotonicMs() + std::int64_t{seconds} * 1000, reason);
  dnsStats().blacklisted.inc();
  SL_INFO("dns: %s:%s (%s) blacklisted for %u s: %.*s", protoName(target.proto),
          target.addr.toString().c_str(), target.host.c_str(), seconds, SL_SV(reason));
}

bool isBlacklisted(const SipTarget& target) {
  Global& g = global();
  return g.blacklist && g.blacklist->contains(target.proto, target.addr, monotonicMs());
}

bool unblacklist(const SipTarget& target) {
  Global& g = global();
  return g.blacklist && g.blacklist->remove(target.proto, target.addr);
}

DnsCache* sharedCache() {
  Global& g = global();
  return g.cache ? &*g.cache : nullptr;
}

Blacklist* sharedBlacklist() {
  Global& g = global();
  return g.blacklist ? &*g.blacklist : nullptr;
}

void resetForTest() {
  Global& g = global();
  g.resolver.reset();
  g.client.reset();
  g.cache.reset();
  g.blacklist.reset();
  g.set_up = false;
}

}  // namespace sipline::dns
