#include "core/stats/stats.h"

#include <cctype>

#include "core/stats/metric_name.h"

namespace sipline {
namespace {

bool validPart(const std::string& s) {
  if (s.empty() || s.size() > 48) return false;
  for (char c : s) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '_')) {
      return false;
    }
  }
  return true;
}

// Prometheus label names: [a-zA-Z_][a-zA-Z0-9_]*; "__" starts the reserved ones.
bool validLabelName(const std::string& s) {
  if (s.empty() || s.size() > 48 || s.compare(0, 2, "__") == 0) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (!(std::isalpha(c) || c == '_' || (i > 0 && std::isdigit(c)))) return false;
  }
  return true;
}

std::string groupOf(const std::string& full_name) {
  return full_name.substr(0, full_name.find(':'));
}

bool sameLabelNames(const StatLabels& a, const StatLabels& b) {
  if (a.pairs.size() != b.pairs.size()) return false;
  for (std::size_t i = 0; i < a.pairs.size(); ++i) {
    if (a.pairs[i].first != b.pairs[i].first) return false;
  }
  return true;
}

bool sameLabelValues(const StatLabels& a, const StatLabels& b) {
  for (std::size_t i = 0; i < a.pairs.size(); ++i) {
    if (a.pairs[i].second != b.pairs[i].second) return false;
  }
  return true;
}

}  // namespace

Status StatsRegistry::checkFamily(const std::string& group, const std::string& name, StatKind kind,
                                  const StatLabels& labels) const {
  const std::string full = group + ":" + name;
  if (!validPart(labels.family)) {
    return Status::invalidArgument("statistic " + full + ": bad family name '" + labels.family +
                                   "' (lowercase letters, digits and _)");
  }
  if (labels.pairs.empty()) {
    return Status::invalidArgument("statistic " + full + ": family " + labels.family +
                                   " without labels");
  }
  for (std::size_t i = 0; i < labels.pairs.size(); ++i) {
    const std::string& label = labels.pairs[i].first;
    if (!validLabelName(label)) {
      return Status::invalidArgument("statistic " + full + ": bad label name '" + label + "'");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (labels.pairs[j].first == label) {
        return Status::invalidArgument("statistic " + full + ": label " + label + " twice");
      }
    }
  }
  for (const Declared& d : declared_) {
    if (d.labels.family != labels.family || groupOf(d.name) != group) continue;
    if (d.kind != kind || !sameLabelNames(d.labels, labels)) {
      return Status::invalidArgument("statistic " + full + " does not fit family " + group + ":" +
                                     labels.family + " of " + d.name +
                                     " (kind or label names differ)");
    }
    if (sameLabelValues(d.labels, labels)) {
      return Status::alreadyExists("statistics " + d.name + " and " + full +
                                   " have the same labels in family " + labels.family);
    }
  }
  return Status::ok();
}

Status StatsRegistry::declare(const std::string& group, const std::string& name,
                              StatCounter* counter, StatKind kind, std::string help,
                              StatLabels labels) {
  if (!validPart(group) || !validPart(name)) {
    return Status::invalidArgument("bad statistic name '" + group + ":" + name +
                                   "' (lowercase letters, digits and _)");
  }
  std::string full = group + ":" + name;
  if (!labels.empty()) {
    Status st = checkFamily(group, name, kind, labels);
    if (!st.isOk()) return st;
  }
  std::string stem = metricStem(group, labels.empty() ? name : labels.family);
  if (isReservedMetricStem(stem)) {
    return Status::invalidArgument("statistic " + full + ": " + stem +
                                   " is reserved for the server's own metrics");
  }
  for (const Declared& d : declared_) {
    if (d.name == full) return Status::alreadyExists("statistic " + full + " declared twice");
    bool same_family =
        !labels.empty() && d.labels.family == labels.family && groupOf(d.name) == group;
    if (d.export_stem == stem && !same_family) {
      return Status::alreadyExists("statistics " + d.name + " and " + full +
                                   " would both be exposed as " + stem + " (rename one)");
    }
  }
  Declared d;
  d.name = std::move(full);
  d.counter = counter;
  d.kind = kind;
  d.help = std::move(help);
  d.labels = std::move(labels);
  d.export_stem = std::move(stem);
  declared_.push_back(std::move(d));
  return Status::ok();
}

Status StatsRegistry::declareComputed(const std::string& group, const std::string& name,
                                      std::function<std::uint64_t()> fn, std::string help,
                                      StatLabels labels) {
  Status st = declare(group, name, nullptr, StatKind::kGauge, std::move(help), std::move(labels));
  if (!st.isOk()) return st;
  declared_.back().compute = std::move(fn);
  return Status::ok();
}

Status StatsRegistry::materialize(shm::Segment& segment) {
  using Slot = std::atomic<std::uint64_t>;
  static_assert(Slot::is_always_lock_free);
  std::size_t n = 0;
  for (const Declared& d : declared_) n += d.compute ? 0 : 1;
  if (n == 0) return Status::ok();
  Slot* slots = nullptr;
  Status st = shm::guardAlloc(
      "statistics", [&] { slots = segment.manager()->construct<Slot>("core.stats")[n](0); });
  if (!st.isOk()) return st;
  std::size_t i = 0;
  for (Declared& d : declared_) {
    if (d.compute) continue;
    d.slot = &slots[i++];
    if (d.counter != nullptr) d.counter->slot_ = d.slot;
  }
  return Status::ok();
}

bool StatsRegistry::matches(const std::string& selector, const std::string& name) {
  if (selector == "all" || selector == name) return true;
  if (selector.empty()) return false;
  if (selector.back() == ':') return name.compare(0, selector.size(), selector) == 0;
  // A bare name ("rcv_requests", as OpenSIPS's get_statistics takes it): that name in any group.
  return selector.find(':') == std::string::npos && name.size() > selector.size() &&
         name[name.size() - selector.size() - 1] == ':' &&
         name.compare(name.size() - selector.size(), selector.size(), selector) == 0;
}

std::vector<StatsRegistry::Entry> StatsRegistry::read(const std::string& selector) const {
  std::vector<Entry> out;
  for (const Declared& d : declared_) {
    if (!matches(selector, d.name)) continue;
    std::uint64_t v =
        d.compute ? d.compute() : (d.slot != nullptr ? d.slot->load(std::memory_order_relaxed) : 0);
    out.push_back(Entry{d.name, v, d.kind, d.help, d.labels});
  }
  return out;
}

std::size_t StatsRegistry::reset(const std::string& selector) {
  std::size_t n = 0;
  for (Declared& d : declared_) {
    if (d.compute || d.slot == nullptr || d.kind != StatKind::kCounter) continue;
    if (!matches(selector, d.name)) continue;
    d.slot->store(0, std::memory_order_relaxed);
    ++n;
  }
  return n;
}

bool StatsRegistry::exists(const std::string& selector) const {
  for (const Declared& d : declared_) {
    if (matches(selector, d.name)) return true;
  }
  return false;
}

StatsRegistry& stats() {
  static StatsRegistry registry;
  return registry;
}

}  // namespace sipline
