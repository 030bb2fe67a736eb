#include "core/proc/process_table.h"

namespace sipline {
namespace {
ProcessTable* g_table = nullptr;
ProcessSlot* g_slot = nullptr;
}  // namespace

const char* processRoleName(ProcessRole role) {
  switch (role) {
    case ProcessRole::kMaster:
      return "master";
    case ProcessRole::kUdpWorker:
      return "udp-worker";
    case ProcessRole::kTcpWorker:
      return "tcp-worker";
    case ProcessRole::kTimer:
      return "timer";
    case ProcessRole::kMi:
      return "mi";
    case ProcessRole::kModule:
      return "module";
  }
  return "?";
}

std::string ProcessInfo::label() const {
  if (role == ProcessRole::kModule && !name.empty()) return name;
  if (role == ProcessRole::kMaster || role == ProcessRole::kTimer || role == ProcessRole::kMi) {
    return processRoleName(role);
  }
  return std::string(processRoleName(role)) + "#" + std::to_string(index + 1);
}

Result<ProcessTable*> ProcessTable::create(shm::Segment& segment) {
  Result<ProcessTable*> t = segment.construct<ProcessTable>("core.processes");
  // The master has applied the settings' log_level by now: that is where every process starts.
  if (t.isOk()) t.value()->setDefaultLogLevel(logLevel());
  return t;
}

int ProcessTable::add(const ProcessInfo& info, std::int64_t now) {
  int n = count_.load(std::memory_order_relaxed);
  if (n >= kMaxProcesses) return -1;
  slots_[n].role = info.role;
  slots_[n].index = info.index;
  slots_[n].started = now;
  info.name.copy(slots_[n].name, sizeof(slots_[n].name) - 1);
  slots_[n].log_level.store(default_log_level_.load(std::memory_order_relaxed),
                            std::memory_order_relaxed);
  count_.store(n + 1, std::memory_order_release);
  return n;
}

ProcessTable* processTable() { return g_table; }
void setProcessTable(ProcessTable* t) { g_table = t; }
ProcessSlot* mySlot() { return g_slot; }
void setMySlot(ProcessSlot* s) {
  g_slot = s;
  if (s == nullptr) {
    logBindLevel(nullptr);
    return;
  }
  LogLevel start = g_table != nullptr ? g_table->defaultLogLevel() : logLevel();
  s->log_level.store(static_cast<std::int32_t>(start), std::memory_order_relaxed);
  logBindLevel(&s->log_level);
}

}  // namespace sipline
