#include "core/db/outage_log.h"

namespace sipline::db {

OutageLog::Line OutageLog::failed(std::int64_t now_ms) {
  if (!down_) {
    down_ = true;
    failed_since_line_ = 0;
    last_line_ms_ = now_ms;
    ++lines_;
    return Line::kStarted;
  }
  ++failed_since_line_;
  if (now_ms - last_line_ms_ < kReminderMs) return Line::kNone;
  reported_ = failed_since_line_;
  failed_since_line_ = 0;
  last_line_ms_ = now_ms;
  ++lines_;
  return Line::kReminder;
}

bool OutageLog::succeeded() {
  if (!down_) return false;
  down_ = false;
  return true;
}

}  // namespace sipline::db
