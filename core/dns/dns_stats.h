// Statistics of the resolver (group "dns"), declared by the master before the segment exists
// and counted by every process that resolves. The cache gauges are computed when read.
#pragma once

#include "core/base/status.h"
#include "core/stats/stats.h"

namespace sipline::dns {

struct DnsStats {
  StatCounter queries;          // DNS queries sent (cache misses)
  StatCounter cache_hits;       // answers taken from the shared cache
  StatCounter failures;         // resolutions that found no target (no such name, no
                                // records, server errors), timeouts excepted
  StatCounter timeouts;         // resolutions cut short by dns_timeout
  StatCounter blacklisted;      // destinations put on the blacklist
  StatCounter blacklist_skips;  // targets moved behind others because blacklisted
  StatCounter cache_full;       // answers not cached for lack of room
};

DnsStats& dnsStats();
// Declares the "dns" group in `registry` (before materialize()).
Status declareStats(StatsRegistry& registry);

}  // namespace sipline::dns
