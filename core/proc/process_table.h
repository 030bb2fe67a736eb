// The table of server processes in shm: role, index, pid and start time of every child, and
// how many messages each worker handled (the MI `ps` reads it). The master fills a slot
// before fork and stores the child's pid after it (the child stores the same pid as it
// starts); slots are fixed, so no lock is needed (each field has one writer, or writers of
// the same value; the MI's log-level change is a single atomic store).
// Log levels: each process logs at its slot's log_level (setMySlot() binds core/base/log to
// it); a process that takes a slot starts at the table's default, the level last set for all
// processes (initially the settings' log_level).
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "core/base/log.h"
#include "core/base/status.h"
#include "core/proc/process_info.h"
#include "core/shm/segment.h"

namespace sipline {

struct ProcessSlot {
  std::atomic<std::int32_t> pid{0};
  ProcessRole role = ProcessRole::kMaster;
  std::int32_t index = 0;
  std::int64_t started = 0;  // unix time
  char name[32] = {};        // ProcessInfo::name (module processes), NUL-terminated
  std::atomic<std::uint64_t> handled{0};
  std::atomic<std::uint64_t> script_generation{0};  // routing script the process runs
  // Load: busy_us is the time the process spent working (not waiting in its event loop or
  // receive call), cumulative; the timer process samples it every second into the busy
  // share of the last second and its 1- and 10-minute moving averages, in 1/10000 (10000 =
  // always busy). The MI `ps` and /metrics show them.
  std::atomic<std::uint64_t> busy_us{0};
  std::atomic<std::uint32_t> load_recent{0}, load_1m{0}, load_10m{0};
  // The process's log level (LogLevel as int); the MI `log_level` writes it, the process
  // reads it on every log call.
  std::atomic<std::int32_t> log_level{0};
  // Bytes the process has allocated from its private heap (malloc), published by the workers
  // a few times a second (0: not published). The MI `ps` shows it.
  std::atomic<std::uint64_t> heap_bytes{0};
  static_assert(std::atomic<std::int32_t>::is_always_lock_free);
  static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
};

class ProcessTable {
 public:
  static constexpr int kMaxProcesses = 1024;
  // Master: constructs the table in the segment.
  static Result<ProcessTable*> create(shm::Segment& segment);
  // Master before fork; returns the slot number or -1 when full.
  int add(const ProcessInfo& info, std::int64_t now);
  ProcessSlot& slot(int n) { return slots_[n]; }
  int count() const { return count_.load(std::memory_order_acquire); }
  // The level a process starts at (see the header comment).
  LogLevel defaultLogLevel() const {
    return static_cast<LogLevel>(default_log_level_.load(std::memory_order_relaxed));
  }
  void setDefaultLogLevel(LogLevel level) {
    default_log_level_.store(static_cast<std::int32_t>(level), std::memory_order_relaxed);
  }

 private:
  std::atomic<int> count_{0};
  std::atomic<std::int32_t> default_log_level_{static_cast<std::int32_t>(LogLevel::kNotice)};
  ProcessSlot slots_[kMaxProcesses];
};

// This process's table and slot (set after fork). setMySlot() also starts the slot at the
// table's default log level and makes this process log at the slot's level from then on
// (nullptr: back to the process-private level).
ProcessTable* processTable();
void setProcessTable(ProcessTable* t);
ProcessSlot* mySlot();
void setMySlot(ProcessSlot* s);

}  // namespace sipline
