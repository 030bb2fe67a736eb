#include "core/db/load_retry.h"

#include <time.h>

#include <algorithm>

#include "core/base/clock.h"
#include "core/proc/supervisor.h"

namespace sipline::db {

LoadRetry::LoadRetry(std::int64_t first_ms, std::int64_t max_ms)
    : first_ms_(std::max<std::int64_t>(first_ms, 1)), max_ms_(std::max(max_ms, first_ms_)) {}

void LoadRetry::arm(std::int64_t now_ms) {
  armed_ = true;
  attempts_ = 0;
  delay_ms_ = first_ms_;
  due_ms_ = now_ms + delay_ms_;
}

bool LoadRetry::tick(std::int64_t now_ms, const std::function<bool()>& attempt) {
  if (!armed_ || now_ms < due_ms_) return false;
  ++attempts_;
  if (attempt()) {
    armed_ = false;
    return true;
  }
  // From this tick, not from the due time: a late tick must not make the next one due at once.
  delay_ms_ = std::min(delay_ms_ * 2, max_ms_);
  due_ms_ = now_ms + delay_ms_;
  return true;
}

int runLoaderProcess(LoadRetry& retry, const std::function<bool()>& attempt) {
  while (!signals::stopRequested()) {
    if (!retry.armed()) {
      signals::napMs(1000);  // loaded: nothing left but the stop
      continue;
    }
    retry.tick(monotonicMs(), attempt);
    if (retry.armed())
      signals::napMs(std::clamp<std::int64_t>(retry.dueMs() - monotonicMs(), 1, 200));
  }
  return 0;
}

}  // namespace sipline::db
