// The Prometheus text exposition format (version 0.0.4) of every statistic and of the process
// table, served at /metrics on the MI HTTP endpoint. Names are "sipline_<group>_<name>"
// (metric_name.h), counters end in "_total"; the members of a labelled family (StatLabels)
// are one metric with labels; per-process metrics carry role, index and pid labels (and name
// for module processes). Every family has one # HELP and one # TYPE line, families appear in
// declaration order, then the process families; no series appears twice.
// Reads the registry and the shm table without locks (relaxed atomic loads), so it may run in
// any process; the values of one scrape are not a consistent snapshot.
#pragma once

#include <string>
#include <string_view>

#include "core/proc/process_table.h"
#include "core/stats/stats.h"

namespace sipline {

// The Content-Type of the exposition.
inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

// `processes` may be null (no per-process metrics then). Slots without a pid are skipped.
std::string renderPrometheus(const StatsRegistry& stats, ProcessTable* processes);

// Escaping of the exposition format: a # HELP text escapes backslash and newline, a label
// value also the double quote.
std::string escapePrometheusHelp(std::string_view text);
std::string escapePrometheusLabelValue(std::string_view text);

}  // namespace sipline
