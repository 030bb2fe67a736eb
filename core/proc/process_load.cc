#include "core/proc/process_load.h"

#include <algorithm>
#include <cmath>

namespace sipline {
namespace {

double towards(double avg, double sample, double interval_s, double time_constant_s) {
  double weight = 1.0 - std::exp(-interval_s / time_constant_s);
  return avg + (sample - avg) * weight;
}

}  // namespace

LoadAverages nextLoad(const LoadAverages& prev, std::uint64_t busy_us, std::uint64_t interval_us) {
  if (interval_us == 0) return prev;
  double share =
      std::clamp(static_cast<double>(busy_us) / static_cast<double>(interval_us), 0.0, 1.0);
  double interval_s = static_cast<double>(interval_us) / 1e6;
  LoadAverages next;
  next.recent = share;
  next.avg_1m = towards(prev.avg_1m, share, interval_s, kLoad1mSeconds);
  next.avg_10m = towards(prev.avg_10m, share, interval_s, kLoad10mSeconds);
  return next;
}

std::uint32_t toLoadUnits(double fraction) {
  if (!(fraction > 0)) return 0;  // also NaN
  if (fraction >= 1) return kLoadFull;
  return static_cast<std::uint32_t>(std::lround(fraction * kLoadFull));
}

void LoadSampler::sample(ProcessTable& table, std::uint64_t now_us) {
  int n = table.count();
  if (tracked_.size() < static_cast<std::size_t>(n)) tracked_.resize(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    ProcessSlot& slot = table.slot(i);
    Tracked& t = tracked_[static_cast<std::size_t>(i)];
    std::int32_t pid = slot.pid.load(std::memory_order_relaxed);
    std::uint64_t busy = slot.busy_us.load(std::memory_order_relaxed);
    if (pid == 0) continue;
    if (pid != t.pid) {
      t = Tracked{pid, busy, now_us, LoadAverages{}};
      continue;
    }
    // busy_us only grows; a smaller value means the counter was reset: start again from it.
    std::uint64_t busy_delta = busy >= t.busy_us ? busy - t.busy_us : 0;
    t.load = nextLoad(t.load, busy_delta, now_us - t.at_us);
    t.busy_us = busy;
    t.at_us = now_us;
    slot.load_recent.store(toLoadUnits(t.load.recent), std::memory_order_relaxed);
    slot.load_1m.store(toLoadUnits(t.load.avg_1m), std::memory_order_relaxed);
    slot.load_10m.store(toLoadUnits(t.load.avg_10m), std::memory_order_relaxed);
  }
}

}  // namespace sipline
