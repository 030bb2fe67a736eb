#include "core/dns/dns_stats.h"

#include "core/dns/resolver.h"

namespace sipline::dns {

DnsStats& dnsStats() {
  static DnsStats s;
  return s;
}

Status declareStats(StatsRegistry& r) {
  DnsStats& s = dnsStats();
  const struct {
    const char* name;
    StatCounter* counter;
    const char* help;
  } kCounters[] = {
      {"queries", &s.queries, "DNS queries sent"},
      {"cache_hits", &s.cache_hits, "DNS answers taken from the shared cache"},
      {"failures", &s.failures, "next-hop resolutions that found no target"},
      {"timeouts", &s.timeouts, "next-hop resolutions cut short by dns_timeout"},
      {"blacklisted", &s.blacklisted, "destinations put on the DNS blacklist"},
      {"blacklist_skips", &s.blacklist_skips, "targets tried last because blacklisted"},
      {"cache_full", &s.cache_full, "DNS answers not cached for lack of room"},
  };
  for (const auto& c : kCounters) {
    Status st = r.declare("dns", c.name, c.counter, StatKind::kCounter, c.help);
    if (!st.isOk()) return st;
  }
  Status st = r.declareComputed(
      "dns", "cache_entries",
      [] {
        DnsCache* c = sharedCache();
        return c != nullptr ? std::uint64_t{c->entries()} : 0;
      },
      "entries in the shared DNS cache");
  if (!st.isOk()) return st;
  return r.declareComputed(
      "dns", "cache_bytes",
      [] {
        DnsCache* c = sharedCache();
        return c != nullptr ? c->usedBytes() : 0;
      },
      "bytes used by the shared DNS cache");
}

}  // namespace sipline::dns
