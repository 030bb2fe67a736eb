// Statistics of the MI HTTP endpoint (group "mi"), declared by the master before the segment
// exists (like the core group) and counted by the MI process only. Handles live in
// process-private memory and point into shm once materialized; before that they count nothing.
#pragma once

#include "core/base/status.h"
#include "core/stats/stats.h"

namespace sipline {

struct MiStats {
  StatCounter http_requests;       // every request that reached the router (any path/method)
  StatCounter http_errors;         // answered 4xx/5xx by the router, auth failures excluded
  StatCounter http_auth_failures;  // answered 401: missing, malformed or wrong credentials
};

MiStats& miStats();
// Declares mi:http_requests, mi:http_errors and mi:http_auth_failures.
Status declareMiStats(StatsRegistry& registry);

}  // namespace sipline
