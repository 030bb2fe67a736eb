#include "core/proc/process_log_level.h"

#include <string>

namespace sipline {

std::vector<int> liveProcessSlots(ProcessTable& table) {
  std::vector<int> out;
  for (int i = 0; i < table.count(); ++i) {
    if (table.slot(i).pid.load(std::memory_order_relaxed) != 0) out.push_back(i);
  }
  return out;
}

std::vector<int> setEveryLogLevel(ProcessTable& table, LogLevel level) {
  // The default first: a process that takes its slot meanwhile starts at the new level.
  table.setDefaultLogLevel(level);
  std::vector<int> slots = liveProcessSlots(table);
  for (int n : slots) {
    table.slot(n).log_level.store(static_cast<std::int32_t>(level), std::memory_order_relaxed);
  }
  return slots;
}

Result<int> setProcessLogLevel(ProcessTable& table, std::int32_t pid, LogLevel level) {
  if (pid > 0) {
    for (int n : liveProcessSlots(table)) {
      ProcessSlot& slot = table.slot(n);
      if (slot.pid.load(std::memory_order_relaxed) != pid) continue;
      slot.log_level.store(static_cast<std::int32_t>(level), std::memory_order_relaxed);
      return n;
    }
  }
  return Status::notFound("no server process with pid " + std::to_string(pid));
}

LogLevel slotLogLevel(const ProcessSlot& slot) {
  return static_cast<LogLevel>(slot.log_level.load(std::memory_order_relaxed));
}

}  // namespace sipline
