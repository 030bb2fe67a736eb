// The table of server processes in shm: role, index, pid and start time of every child, and
// how many messages each worker handled (the MI `ps` reads it). The master fills a slot
// before fork and the child confirms its pid; slots are fixed, so no lock is needed (each
// slot has one writer).
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

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

 private:
  std::atomic<int> count_{0};
  ProcessSlot slots_[kMaxProcesses];
};

// This process's table and slot (set after fork).
ProcessTable* processTable();
void setProcessTable(ProcessTable* t);
ProcessSlot* mySlot();
void setMySlot(ProcessSlot* s);

}  // namespace sipline
