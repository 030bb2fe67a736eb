// The master's process supervision (nginx-style plain loop): forks children with a role,
// then waits in sigsuspend for signals whose handlers only set flags. SIGTERM/SIGINT stop
// every child gracefully (SIGTERM, then SIGKILL after a grace period); a child that exits
// on its own is logged with its role and status and the whole server shuts down, since a
// child dying while it held a shm lock cannot be recovered.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/proc/process_info.h"

namespace sipline {

// Signal plumbing shared by all processes.
namespace signals {
// Master: installs flag-setting handlers for TERM/INT/HUP/CHLD and blocks them.
void installMaster();
// Child: TERM sets the stop flag; INT and HUP are ignored (the master owns them).
// TERM stays blocked except inside waitable() calls (ppoll/sigsuspend with childMask()).
void installChild();
// Child with its own event loop (MI): lets TERM through at any time; the loop polls the flag.
void unblockStop();
bool stopRequested();
void requestStop();
// The mask to pass to ppoll()/sigsuspend() in children: everything but TERM unblocked.
const sigset_t* childWaitMask();
// Child: sleeps ms (< 0 counts as 0), waking early when the stop is asked (TERM is let
// through only while it sleeps).
void napMs(std::int64_t ms);
}  // namespace signals

class Supervisor {
 public:
  // Forks a child that runs body() and exits with its return value. -1 on fork failure.
  // stops_last: stopAll() asks it to stop only after every other child has exited.
  pid_t spawn(const ProcessInfo& info, const std::function<int()>& body, bool stops_last = false);
  // Master loop until a stop signal or an unexpected child exit. Returns the exit code.
  int run();
  // Stops every child (TERM, grace period, KILL) and reaps them: first all but the stops_last
  // ones, then those (with last_grace_ms: they may be draining to a slow disk or DB).
  void stopAll(int grace_ms = 3000, int last_grace_ms = 15000);
  int childCount() const { return static_cast<int>(children_.size()); }
  // What run() does on SIGHUP (reload the routing script).
  void onHangup(std::function<void()> fn) { on_hangup_ = std::move(fn); }

 private:
  struct Child {
    pid_t pid;
    ProcessInfo info;
    bool stops_last = false;
  };
  // TERM to the children of one phase, then KILL those left after grace_ms.
  void stopPhase(bool last, int grace_ms);
  // Reaps exited children; true if one exited while we were not stopping.
  bool reap(bool stopping);
  std::vector<Child> children_;
  std::function<void()> on_hangup_;
};

}  // namespace sipline
