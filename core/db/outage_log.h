// When to log a DB outage seen by a module that queries the DB per request (auth_db, alias_db,
// group, avpops): a flood of failing requests must not flood the log. The first failure of an
// outage is logged, then a reminder at most once every kReminderMs while it lasts (carrying
// how many statements failed since the previous line), then the recovery once.
// OutageLog only decides; the module writes the lines in its own words and counts its own
// statistics. Pure bookkeeping: no I/O, no clock reads (the caller passes the time), so a unit
// test drives it with a fake clock.
//
// Process-private: every process announces the outages it sees itself (reset() in childInit).
#pragma once

#include <cstdint>

namespace sipline::db {

class OutageLog {
 public:
  static constexpr std::int64_t kReminderMs = 60000;

  enum class Line : std::uint8_t {
    kNone,      // stay quiet
    kStarted,   // the first failure of an outage
    kReminder,  // the outage goes on: failedSinceLine() statements failed since the last line
  };

  // A statement failed at now_ms: the line to log, if any.
  Line failed(std::int64_t now_ms);
  // A statement succeeded: true once when it ends an outage (log the recovery).
  bool succeeded();
  // Forgets the outage (a new process has seen none) without logging; lines() keeps counting.
  void reset() { down_ = false; }

  bool down() const { return down_; }
  // For a kReminder: the failures it reports (the one that triggered it included).
  std::uint64_t failedSinceLine() const { return reported_; }
  // kStarted and kReminder lines decided so far (the recovery lines are not counted).
  std::uint64_t lines() const { return lines_; }

 private:
  bool down_ = false;
  std::int64_t last_line_ms_ = 0;
  std::uint64_t failed_since_line_ = 0;  // failures after the last line, not yet reported
  std::uint64_t reported_ = 0;
  std::uint64_t lines_ = 0;
};

}  // namespace sipline::db
