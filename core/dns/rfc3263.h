// The RFC 3263 §4 client procedure, from a URI's host, port, transport and scheme to an
// ordered list of targets (transport + address + port):
//   numeric host              -> that address (port given, else 5060 / 5061 for TLS);
//   name with a port          -> A (and AAAA) records at that port;
//   name with transport=      -> SRV of that transport, else A/AAAA at its default port;
//   name alone                -> NAPTR (SIP+D2U, SIP+D2T, SIPS+D2T: only transports in
//                                `transports`, only SIPS+D2T for sips), then SRV of each chosen
//                                record; without usable NAPTR records the SRV names of every
//                                usable transport (UDP first); without SRV records A/AAAA at
//                                the default port of the first transport.
// SRV records are ordered by priority and weight (RFC 2782); each SRV target gives as many
// targets as it has addresses (A first, then AAAA). Blacklisted targets go last.
// Every lookup goes through the shared cache when there is one, and the whole resolution is
// bounded by `timeout_ms`: what was found by then is returned, else a timeout error.
// Blocking; private memory; one instance per process (see resolver.h for the process-wide
// one). Clock and random source are injected for tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/dns/blacklist.h"
#include "core/dns/dns_cache.h"
#include "core/dns/dns_client.h"
#include "core/dns/sip_target.h"
#include "core/dns/srv_order.h"

namespace sipline::dns {

struct ResolverConfig {
  std::int64_t timeout_ms = 1000;  // whole resolution
  bool try_naptr = true;
  bool try_ipv6 = false;
  std::uint32_t min_ttl = 5;        // cached answers live at least this long ...
  std::uint32_t max_ttl = 3600;     // ... and at most this long
  std::uint32_t negative_ttl = 30;  // NXDOMAIN / no records; 0 = not cached
  TransportSet transports;          // what the relays can send on (UDP only today)
};

// The numeric-host case of §4, which needs no DNS: nullopt when host is not an IPv4/IPv6
// address (brackets allowed), else that address at port (0 = the transport's default) or the
// error resolve() would give.
std::optional<Result<std::vector<SipTarget>>> resolveNumeric(std::string_view host,
                                                             std::uint16_t port,
                                                             std::optional<Proto> transport,
                                                             bool secure, TransportSet usable);

// At most this many targets come out of one resolution.
inline constexpr std::size_t kMaxTargets = 32;

class Rfc3263Resolver {
 public:
  // cache and blacklist may be null (no caching / no blacklist).
  Rfc3263Resolver(ResolverConfig config, DnsClient& client, DnsCache* cache, Blacklist* blacklist,
                  NowMs now = monotonicMs, RandomUpTo random = defaultRandomUpTo);

  // port 0 = none written; transport nullopt = none written; secure = sips: URI.
  // Errors: kInvalidArgument (bad host name, sips with transport=udp), kUnsupported (only
  // transports the relays lack), kNotFound (no such name / no records), kUnavailable (DNS
  // timeout or server failure). Never returns an empty list.
  Result<std::vector<SipTarget>> resolve(std::string_view host, std::uint16_t port,
                                         std::optional<Proto> transport, bool secure);

  const ResolverConfig& config() const { return config_; }

 private:
  struct Trace;
  struct HostPlan {
    Proto proto;
    std::string name;
    std::uint16_t port;
  };
  // Answers from the cache, the rest from the client in one batch (then cached).
  std::vector<DnsAnswer> lookup(const std::vector<DnsQuestion>& questions, std::int64_t deadline,
                                Trace& trace);
  // A (and AAAA) of every plan's name, appended to out in plan order.
  void addAddresses(const std::vector<HostPlan>& plans, std::int64_t deadline, Trace& trace,
                    std::vector<SipTarget>& out);
  // SRV plans for the chosen (transport, SRV name) pairs; sets any_srv if records existed.
  std::vector<HostPlan> srvPlans(const std::vector<NaptrChoice>& choices, std::int64_t deadline,
                                 Trace& trace, bool& any_srv);
  std::vector<NaptrChoice> naptrChoices(const std::string& name, bool secure, std::int64_t deadline,
                                        Trace& trace);
  void blacklistedLast(std::vector<SipTarget>& targets);

  ResolverConfig config_;
  DnsClient& client_;
  DnsCache* cache_;
  Blacklist* blacklist_;
  NowMs now_;
  RandomUpTo random_;
};

}  // namespace sipline::dns
