// Who a process is: its role and index among processes of that role. Given to childInit()
// and shown in logs ("udp-worker#1") and in the MI `ps`.
#pragma once

#include <cstdint>
#include <string>

namespace sipline {

enum class ProcessRole : std::uint8_t { kMaster, kUdpWorker, kTcpWorker, kTimer, kMi, kModule };
const char* processRoleName(ProcessRole role);  // "master", "udp-worker", ...

struct ProcessInfo {
  ProcessRole role = ProcessRole::kMaster;
  int index = 0;              // 0-based among processes of this role
  std::string name;           // kModule: the module's name for it ("usrloc-flusher")
  std::string label() const;  // "udp-worker#1" (1-based for people), "master", "timer"
};

}  // namespace sipline
