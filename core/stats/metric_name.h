// How a statistic is named in the Prometheus exposition: "sipline_<group>_<name>", sanitized
// to [a-zA-Z_:][a-zA-Z0-9_:]* (statistic names are already [a-z0-9_], so sanitizing only
// guards against a future change), counters with the suffix "_total". Shared by the registry
// (which refuses two statistics that would be exposed under one name) and the renderer.
// Pure functions of their arguments.
#pragma once

#include <string>
#include <string_view>

namespace sipline {

// Any character outside [a-zA-Z0-9_:] becomes '_'; a leading digit gets a '_' prefix.
std::string sanitizeMetricName(std::string_view name);

// "sipline_<group>_<name>" without a trailing "_total": two statistics with the same stem
// would collide ("x" counter -> x_total, "x_total" gauge -> x_total).
std::string metricStem(std::string_view group, std::string_view name);

// The exposed name: the stem plus "_total" for a counter; a gauge keeps its full name.
std::string metricName(std::string_view group, std::string_view name, bool counter);

// The stems the renderer uses itself (sipline_process_*, sipline_start_time_seconds,
// sipline_build_info): no statistic may take them.
bool isReservedMetricStem(std::string_view stem);

}  // namespace sipline
