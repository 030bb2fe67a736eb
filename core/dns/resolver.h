// The process-wide next-hop resolver that the relays use: stateless forward() takes the
// first usable target; tm's t_relay() walks the list, failing over to the next target on a
// timeout or a 503 and blacklisting the one that failed (RFC 3263 §4.3).
// Start-up (master): declareStats() before the segment's statistics are materialized, then
// setUp() once the segment exists and before fork: it keeps the DNS settings and builds the
// shared cache and blacklist. Each process opens its own c-ares channel on first use.
// Before setUp() (unit tests, `sipline --simulate`) names are refused without any DNS
// traffic; numeric addresses always work. Blocking, bounded by dns_timeout (see rfc3263.h
// for the procedure); not thread-safe (one resolution at a time per process).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/config/settings.h"
#include "core/dns/blacklist.h"
#include "core/dns/dns_cache.h"
#include "core/dns/next_hop.h"
#include "core/dns/sip_target.h"
#include "core/shm/segment.h"

namespace sipline::dns {

// Master, after the segment exists and before fork. segment may be null (no cache, no
// blacklist). Errors: kNoMemory when the tables do not fit.
Status setUp(const Settings& settings, shm::Segment* segment);

// RFC 3263 §4: the ordered targets for a URI's host (a name or a numeric address, IPv6 in
// brackets or not), port (0 = none written), transport (nullopt = none written) and scheme
// (secure = sips). Blacklisted targets come last. Errors: kInvalidArgument (bad name),
// kUnsupported (no transport the relays have), kNotFound (no such name, no records),
// kUnavailable (DNS timeout or failure), kFailedPrecondition (names before setUp()).
Result<std::vector<SipTarget>> resolveTargets(std::string_view host, std::uint16_t port,
                                              std::optional<Proto> transport, bool secure);
// The same for a parsed destination (port and transport count only when written).
Result<std::vector<SipTarget>> resolveTargets(const NextHop& hop);

// Puts target on the shared blacklist for `seconds` (0 = dns_blacklist_time) with a short
// reason for the logs ("timeout", "503"). No-op when the blacklist is off.
void blacklist(const SipTarget& target, std::uint32_t seconds, std::string_view reason);
bool isBlacklisted(const SipTarget& target);
// Takes target off the blacklist (it answered again). False if it was not listed.
bool unblacklist(const SipTarget& target);

// The shared tables (nullptr before setUp() or when disabled), for statistics and MI.
DnsCache* sharedCache();
Blacklist* sharedBlacklist();

// Forgets setUp() (unit tests).
void resetForTest();

}  // namespace sipline::dns
