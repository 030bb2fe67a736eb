// Retrying a table load that failed at start because the DB could not be reached: a module
// that caches a table (permissions, domain, dispatcher) starts with an empty table, arms a
// LoadRetry in init() and ticks it from a process of its own (runLoaderProcess() as the body
// of spec.process(), enabled only when the start found the DB down), never from the timer
// process, whose tm timers must not wait for a DB connect.
// tick() runs the attempt only when it is due: the first `first_ms` after arm(), then after
// delays doubling up to `max_ms`, until one attempt reports success; then the retry is
// disarmed for good (later loads are the MI reload's). Pure scheduling: no I/O, no clock
// reads (the caller passes monotonicMs()), so a unit test drives it with made-up times.
//
// Process-private: armed in the master before fork, it is inherited by every process but only
// the process that runs the timer ticks it. The attempt should first check whether another
// process (an MI reload) loaded the table meanwhile and then report success without loading.
#pragma once

#include <cstdint>
#include <functional>

namespace sipline::db {

class LoadRetry {
 public:
  static constexpr std::int64_t kFirstMs = 1000;
  static constexpr std::int64_t kMaxMs = 30000;

  // first_ms >= 1, max_ms >= first_ms (smaller values are raised to them).
  explicit LoadRetry(std::int64_t first_ms = kFirstMs, std::int64_t max_ms = kMaxMs);

  // Arms the retry: the first attempt is due at now_ms + first_ms.
  void arm(std::int64_t now_ms);
  void disarm() { armed_ = false; }
  bool armed() const { return armed_; }

  // When armed and due, runs attempt() (true: loaded, the retry ends; false: the next one is
  // due after twice the last delay, at most max_ms). Returns whether attempt() ran.
  bool tick(std::int64_t now_ms, const std::function<bool()>& attempt);

  std::int64_t dueMs() const { return due_ms_; }        // the next attempt (when armed)
  std::int64_t delayMs() const { return delay_ms_; }    // the wait before it
  std::uint64_t attempts() const { return attempts_; }  // attempts run since arm()

 private:
  std::int64_t first_ms_;
  std::int64_t max_ms_;
  bool armed_ = false;
  std::int64_t due_ms_ = 0;
  std::int64_t delay_ms_ = 0;
  std::uint64_t attempts_ = 0;
};

// The body of a module's loader process: ticks `retry` (armed in the master before fork) until
// an attempt succeeds, then idles until the stop (a module process must not return before
// it). Sleeps in ppoll with the child wait mask, at most 200 ms at a time: a stop is seen at
// once, or right after an attempt in progress. Returns 0.
int runLoaderProcess(LoadRetry& retry, const std::function<bool()>& attempt);

}  // namespace sipline::db
