// The core's own statistics (group "core"), declared by the master before the segment exists
// and counted by every worker. Received requests are also counted by method (family
// "rcv_requests_method", label method) and received replies by class (family
// "rcv_replies_class", label class); both are arrays indexed on the hot path.
#pragma once

#include <cstddef>

#include "core/base/status.h"
#include "core/parser/method.h"
#include "core/stats/stats.h"

namespace sipline {

// One counter per Method value (kOther = 0 counts every unknown method).
inline constexpr std::size_t kMethodStats = static_cast<std::size_t>(Method::kPublish) + 1;

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
  StatCounter rcv_requests_by_method[kMethodStats];  // indexed by Method
  StatCounter rcv_replies_by_class[6];               // [0] = 1xx ... [5] = 6xx

  // Counts a received, well-formed request / reply (next to rcv_requests / rcv_replies).
  void countRequest(Method method) {
    auto i = static_cast<std::size_t>(method);
    rcv_requests_by_method[i < kMethodStats ? i : 0].inc();
  }
  void countReply(int status_code) {
    int cls = status_code / 100;
    if (cls >= 1 && cls <= 6) rcv_replies_by_class[cls - 1].inc();
  }
};

CoreStats& coreStats();
// Declares the core group and the shmem gauges.
Status declareCoreStats(StatsRegistry& registry);

}  // namespace sipline
