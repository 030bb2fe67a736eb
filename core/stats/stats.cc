#include "core/stats/stats.h"

#include <cctype>

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

}  // namespace

Status StatsRegistry::declare(const std::string& group, const std::string& name,
                              StatCounter* counter, StatKind kind, std::string help) {
  if (!validPart(group) || !validPart(name)) {
    return Status::invalidArgument("bad statistic name '" + group + ":" + name +
                                   "' (lowercase letters, digits and _)");
  }
  std::string full = group + ":" + name;
  for (const Declared& d : declared_) {
    if (d.name == full) return Status::alreadyExists("statistic " + full + " declared twice");
  }
  Declared d;
  d.name = std::move(full);
  d.counter = counter;
  d.kind = kind;
  d.help = std::move(help);
  declared_.push_back(std::move(d));
  return Status::ok();
}

Status StatsRegistry::declareComputed(const std::string& group, const std::string& name,
                                      std::function<std::uint64_t()> fn, std::string help) {
  Status st = declare(group, name, nullptr, StatKind::kGauge, std::move(help));
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
  return !selector.empty() && selector.back() == ':' &&
         name.compare(0, selector.size(), selector) == 0;
}

std::vector<StatsRegistry::Entry> StatsRegistry::read(const std::string& selector) const {
  std::vector<Entry> out;
  for (const Declared& d : declared_) {
    if (!matches(selector, d.name)) continue;
    std::uint64_t v =
        d.compute ? d.compute() : (d.slot != nullptr ? d.slot->load(std::memory_order_relaxed) : 0);
    out.push_back(Entry{d.name, v, d.kind});
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
