#include "core/stats/prometheus.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <deque>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/stats/metric_name.h"

namespace sipline {
namespace {

using LabelPairs = std::vector<std::pair<std::string, std::string>>;

// One metric family of the exposition and its samples, in the order they were added.
struct Family {
  std::string name;
  const char* type;
  std::string help;
  std::vector<std::string> samples;  // whole lines without the trailing newline
};

// Families in first-appearance order; a family is looked up by its exposed name. A deque, so
// the references family() returns stay valid while more families are added. A family without
// samples is left out.
class Exposition {
 public:
  Family& family(const std::string& name, const char* type, const std::string& help) {
    auto [it, added] = index_.try_emplace(name, families_.size());
    if (added) families_.push_back(Family{name, type, help, {}});
    return families_[it->second];
  }
  std::string text() const {
    std::string out;
    for (const Family& f : families_) {
      if (f.samples.empty()) continue;
      out += "# HELP " + f.name + " " + escapePrometheusHelp(f.help) + "\n";
      out += "# TYPE " + f.name + " " + f.type + "\n";
      for (const std::string& s : f.samples) out += s + "\n";
    }
    return out;
  }

 private:
  std::deque<Family> families_;
  std::unordered_map<std::string, std::size_t> index_;
};

std::string labelText(const LabelPairs& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ",";
    out += labels[i].first + "=\"" + escapePrometheusLabelValue(labels[i].second) + "\"";
  }
  return out + "}";
}

std::string sample(const std::string& name, const LabelPairs& labels, const std::string& value) {
  return name + labelText(labels) + " " + value;
}

std::string integer(std::uint64_t v) { return std::to_string(v); }

// Fixed-point text of value / scale ("1.250000"): exact for the microsecond and 1/10000
// fixed-point values of the process table, and free of exponent notation.
std::string fixedPoint(std::uint64_t value, std::uint64_t scale, int digits) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%" PRIu64 ".%0*" PRIu64, value / scale, digits, value % scale);
  return buf;
}

void addStatistics(Exposition& out, const StatsRegistry& stats) {
  for (const StatsRegistry::Entry& e : stats.read("all")) {
    std::size_t colon = e.name.find(':');
    std::string group = e.name.substr(0, colon);
    std::string own = e.name.substr(colon + 1);
    bool counter = e.kind == StatKind::kCounter;
    const std::string& base = e.labels.empty() ? own : e.labels.family;
    std::string help = !e.help.empty() ? e.help : "sipline statistic " + group + ":" + base;
    Family& f = out.family(metricName(group, base, counter), counter ? "counter" : "gauge", help);
    f.samples.push_back(sample(f.name, e.labels.pairs, integer(e.value)));
  }
}

LabelPairs processLabels(const ProcessSlot& slot, std::int32_t pid) {
  LabelPairs labels{{"role", processRoleName(slot.role)},
                    {"index", std::to_string(slot.index)},
                    {"pid", std::to_string(pid)}};
  // A module process is told apart by its name ("usrloc-flusher"); an empty label is the
  // same as none to Prometheus, so the others go without.
  std::string name(slot.name, strnlen(slot.name, sizeof(slot.name)));
  if (!name.empty()) labels.emplace_back("name", std::move(name));
  return labels;
}

void addProcesses(Exposition& out, ProcessTable& table) {
  constexpr std::uint64_t kLoadScale = 10000;  // ProcessSlot::load_* are in 1/10000
  Family& handled =
      out.family("sipline_process_handled_total", "counter", "SIP messages the process handled");
  Family& busy = out.family("sipline_process_busy_seconds_total", "counter",
                            "time the process spent working (not waiting for input)");
  Family& load =
      out.family("sipline_process_load", "gauge",
                 "share of time the process was busy (0..1): last second, 1- and 10-minute "
                 "moving averages");
  Family& started = out.family("sipline_process_start_time_seconds", "gauge",
                               "when the process started, seconds since the epoch");
  const std::pair<const char*, const std::atomic<std::uint32_t> ProcessSlot::*> kWindows[] = {
      {"recent", &ProcessSlot::load_recent},
      {"1m", &ProcessSlot::load_1m},
      {"10m", &ProcessSlot::load_10m}};
  for (int i = 0; i < table.count(); ++i) {
    const ProcessSlot& slot = table.slot(i);
    std::int32_t pid = slot.pid.load(std::memory_order_relaxed);
    if (pid <= 0) continue;  // forked but not started yet (or an empty slot)
    LabelPairs labels = processLabels(slot, pid);
    handled.samples.push_back(
        sample(handled.name, labels, integer(slot.handled.load(std::memory_order_relaxed))));
    busy.samples.push_back(sample(
        busy.name, labels, fixedPoint(slot.busy_us.load(std::memory_order_relaxed), 1000000, 6)));
    for (const auto& [window, field] : kWindows) {
      LabelPairs with_window = labels;
      with_window.emplace_back("window", window);
      std::uint64_t v = (slot.*field).load(std::memory_order_relaxed);
      load.samples.push_back(sample(load.name, with_window,
                                    fixedPoint(v < kLoadScale ? v : kLoadScale, kLoadScale, 4)));
    }
    started.samples.push_back(sample(started.name, labels, std::to_string(slot.started)));
  }
}

// The running version, and the start time of the master (its slot; none without a table).
void addServerInfo(Exposition& out, ProcessTable* table) {
  Family& info =
      out.family("sipline_build_info", "gauge", "the version of the running server (always 1)");
  info.samples.push_back(sample(info.name, {{"version", SIPLINE_VERSION}}, "1"));
  if (table == nullptr) return;
  for (int i = 0; i < table->count(); ++i) {
    const ProcessSlot& slot = table->slot(i);
    if (slot.role != ProcessRole::kMaster) continue;
    Family& f = out.family("sipline_start_time_seconds", "gauge",
                           "when the server started, seconds since the epoch");
    f.samples.push_back(sample(f.name, {}, std::to_string(slot.started)));
    return;
  }
}

// The text format's escapes: backslash and newline; in label values also the double quote.
std::string escapeText(std::string_view text, bool quotes) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string escapePrometheusHelp(std::string_view text) { return escapeText(text, false); }

std::string escapePrometheusLabelValue(std::string_view text) { return escapeText(text, true); }

std::string renderPrometheus(const StatsRegistry& stats, ProcessTable* processes) {
  Exposition out;
  addServerInfo(out, processes);
  addStatistics(out, stats);
  if (processes != nullptr) addProcesses(out, *processes);
  return out.text();
}

}  // namespace sipline
