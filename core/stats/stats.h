// Named statistics shared by every process. Counters are declared (by core and by modules in
// describe()) before the segment exists; materialize() then places one lock-free atomic per
// counter in shm, so any process increments them and the MI process reads them. A computed
// statistic (e.g. shm usage) is a function evaluated by the reader instead.
// Names are "group:name" (e.g. "core:rcv_requests", "sl:sent_replies"). A statistic may also
// belong to a labelled family (StatLabels): "core:rcv_requests_invite" is the member
// method="INVITE" of the family "core:rcv_requests_method". The MI keeps the plain names; the
// Prometheus exposition (prometheus.h) shows a family as one metric with labels.
// StatCounter objects live in process-private memory (module members) and point into the
// segment, which is mapped at the same address in every child.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "core/shm/segment.h"

namespace sipline {

// A counter handle. inc() before materialize() is a no-op (nothing counts before fork).
class StatCounter {
 public:
  void inc(std::uint64_t n = 1) {
    if (slot_ != nullptr) slot_->fetch_add(n, std::memory_order_relaxed);
  }
  void dec(std::uint64_t n = 1) {
    if (slot_ != nullptr) slot_->fetch_sub(n, std::memory_order_relaxed);
  }
  void set(std::uint64_t v) {
    if (slot_ != nullptr) slot_->store(v, std::memory_order_relaxed);
  }
  std::uint64_t get() const {
    return slot_ != nullptr ? slot_->load(std::memory_order_relaxed) : 0;
  }
  void bindForTest(std::atomic<std::uint64_t>* slot) { slot_ = slot; }

 private:
  friend class StatsRegistry;
  std::atomic<std::uint64_t>* slot_ = nullptr;
};

enum class StatKind : std::uint8_t { kCounter, kGauge };

// Membership of a labelled family. The family name follows the rules of a statistic's name
// and lives in the statistic's group; label names are [a-zA-Z_][a-zA-Z0-9_]* (not "__..."),
// values are free text. Every member of a family has the same kind and the same label
// names in the same order, and no two members have the same values. Empty = no family.
struct StatLabels {
  std::string family;
  std::vector<std::pair<std::string, std::string>> pairs;
  bool empty() const { return family.empty(); }
};

class StatsRegistry {
 public:
  // Declares "group:name", optionally as a member of a labelled family. kAlreadyExists for a
  // duplicate name, a duplicate member of a family, or a name that the Prometheus exposition
  // would show like an existing one ("a_b:c" and "a:b_c", a counter "x" and a gauge
  // "x_total"); kInvalidArgument for a bad name, family or label, or a member that does not
  // fit its family (kind, label names) or that takes a name the exposition reserves for
  // itself (the group "process", see isReservedMetricStem()).
  Status declare(const std::string& group, const std::string& name, StatCounter* counter,
                 StatKind kind = StatKind::kCounter, std::string help = "", StatLabels labels = {});
  // A value computed when read (gauges such as shm usage).
  Status declareComputed(const std::string& group, const std::string& name,
                         std::function<std::uint64_t()> fn, std::string help = "",
                         StatLabels labels = {});
  // Master, after the segment exists: allocates every declared counter in shm.
  Status materialize(shm::Segment& segment);

  struct Entry {
    std::string name;  // "group:name"
    std::uint64_t value;
    StatKind kind;
    std::string help;
    StatLabels labels;  // family within the group (empty when not labelled) and label pairs
  };
  // Matches "all", an exact name, a group prefix "group:", or a name without its group
  // ("rcv_requests": that name in every group, as OpenSIPS names statistics). Sorted by
  // declaration order.
  std::vector<Entry> read(const std::string& selector) const;
  // Resets counters (not gauges or computed values) matching the selector; returns how many.
  std::size_t reset(const std::string& selector);
  bool exists(const std::string& selector) const;

 private:
  struct Declared {
    std::string name;
    StatCounter* counter = nullptr;
    std::function<std::uint64_t()> compute;
    StatKind kind = StatKind::kCounter;
    std::string help;
    StatLabels labels;
    std::string export_stem;  // the Prometheus name without "_total"
    std::atomic<std::uint64_t>* slot = nullptr;
  };
  static bool matches(const std::string& selector, const std::string& name);
  Status checkFamily(const std::string& group, const std::string& name, StatKind kind,
                     const StatLabels& labels) const;
  std::vector<Declared> declared_;
};

// The process-global registry (core and modules declare into it).
StatsRegistry& stats();

}  // namespace sipline
