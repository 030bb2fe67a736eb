#include "core/mi/mi_stats.h"

namespace sipline {

MiStats& miStats() {
  static MiStats s;
  return s;
}

Status declareMiStats(StatsRegistry& registry) {
  MiStats& s = miStats();
  const struct {
    const char* name;
    StatCounter* counter;
    const char* help;
  } kMi[] = {
      {"http_requests", &s.http_requests, "requests received on the MI HTTP endpoint"},
      {"http_errors", &s.http_errors,
       "MI HTTP requests answered 4xx/5xx (authentication failures not included)"},
      {"http_auth_failures", &s.http_auth_failures,
       "MI HTTP requests refused with 401 (missing or wrong credentials)"},
  };
  for (const auto& c : kMi) {
    Status st = registry.declare("mi", c.name, c.counter, StatKind::kCounter, c.help);
    if (!st.isOk()) return st;
  }
  return Status::ok();
}

}  // namespace sipline
