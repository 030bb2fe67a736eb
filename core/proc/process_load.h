// Process load: how much of its time each server process spends working rather than waiting
// for input. A process measures its own work (BusyScope around a batch of messages, a round of
// timers, an MI request) and adds it to its slot's busy_us; once a second the timer process
// turns every slot's busy time into the busy share of the last interval and its moving
// averages over about 1 and 10 minutes (LoadSampler), published in the slot in 1/10000.
//
// The arithmetic is a pure function (nextLoad) so tests feed it samples; LoadSampler keeps
// its averages in process-private doubles (a 1/10000 integer would stall: 1/600 of a small
// difference rounds to 0) and only publishes rounded values. Process-private, not for shm.
#pragma once

#include <time.h>

#include <cstdint>
#include <vector>

#include "core/proc/process_table.h"

namespace sipline {

inline constexpr std::uint32_t kLoadFull = 10000;  // 100 % in the slot's 1/10000 units
inline constexpr double kLoad1mSeconds = 60.0;
inline constexpr double kLoad10mSeconds = 600.0;

// Microseconds on CLOCK_MONOTONIC (a vDSO call; the coarse clock ticks too slowly for the
// tens of microseconds a message takes).
inline std::uint64_t busyClockUs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000u +
         static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
}

// Adds the time from its construction to its destruction to this process's busy_us (nothing
// when the process has no slot: tools, tests).
class BusyScope {
 public:
  BusyScope() : slot_(mySlot()), start_(slot_ != nullptr ? busyClockUs() : 0) {}
  ~BusyScope() {
    if (slot_ != nullptr) {
      slot_->busy_us.fetch_add(busyClockUs() - start_, std::memory_order_relaxed);
    }
  }
  BusyScope(const BusyScope&) = delete;
  BusyScope& operator=(const BusyScope&) = delete;

 private:
  ProcessSlot* slot_;
  std::uint64_t start_;
};

// One process's load, as fractions of the time (0 .. 1).
struct LoadAverages {
  double recent = 0;  // the last interval
  double avg_1m = 0;
  double avg_10m = 0;
};

// The averages after an interval of `interval_us` of which `busy_us` were busy: recent is the
// busy share (clamped to 0 .. 1: busy time of a batch that straddles a sample lands in one
// interval), the averages move towards it by 1 - e^(-interval / time constant), which keeps
// them right when a sample comes late. interval_us == 0 changes nothing.
LoadAverages nextLoad(const LoadAverages& prev, std::uint64_t busy_us, std::uint64_t interval_us);

// A fraction as the slot's 1/10000, rounded and clamped to 0 .. kLoadFull.
std::uint32_t toLoadUnits(double fraction);

// The timer process's once-a-second pass over the table.
class LoadSampler {
 public:
  // Updates load_recent, load_1m and load_10m of every slot with a pid. A slot seen for the
  // first time or with a new pid (a new process) starts from its current busy_us, so its
  // first interval counts only what happens after that.
  void sample(ProcessTable& table, std::uint64_t now_us);

 private:
  struct Tracked {
    std::int32_t pid = 0;
    std::uint64_t busy_us = 0;
    std::uint64_t at_us = 0;
    LoadAverages load;
  };
  std::vector<Tracked> tracked_;
};

}  // namespace sipline
