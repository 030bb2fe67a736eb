// The core's own statistics (group "core"), declared by the master before the segment exists
// and counted by every worker.
#pragma once

#include "core/base/status.h"
#include "core/stats/stats.h"

namespace sipline {

struct CoreStats {
  StatCounter rcv_requests;          // requests received and parsed
  StatCounter rcv_replies;           // replies received and parsed
  StatCounter fwd_requests;          // requests relayed statelessly
  StatCounter fwd_replies;           // replies relayed statelessly
  StatCounter drop_requests;         // requests dropped (script drop, unroutable, send failure)
  StatCounter drop_replies;          // replies dropped (not for us, script drop, send failure)
  StatCounter err_requests;          // requests that did not parse (answered 400 where possible)
  StatCounter err_replies;           // replies that did not parse (dropped)
  StatCounter parse_errors;          // every datagram that did not parse
  StatCounter bad_replies_sent;      // 400s sent for unparseable requests
  StatCounter too_many_hops;         // 483s sent by forward() for Max-Forwards 0
  StatCounter absorbed_acks;         // ACKs of stateless negative replies, ended here
  StatCounter script_reloads;        // routing script reloads that took effect
  StatCounter script_reload_errors;  // reloads refused (the old script stayed)
};

CoreStats& coreStats();
// Declares the core group and the shmem gauges.
Status declareCoreStats(StatsRegistry& registry);

}  // namespace sipline
