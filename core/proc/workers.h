// The loops of the non-master processes: UDP workers (receive and process datagrams on one
// listener), the timer process (runs module timers at their intervals and samples every
// process's load once a second). Both add the time they work to their slot's busy_us
// (core/proc/process_load.h). Each returns the process's exit code when the stop signal
// arrives.
#pragma once

#include <functional>
#include <vector>

#include "core/module/module.h"
#include "core/sip/receive.h"
#include "core/transport/listener.h"

namespace sipline {

// `before_message` runs before each message (it switches to a reloaded script).
int runUdpWorker(const Listener& listener, MessageProcessor& processor,
                 const std::function<void()>& before_message);
int runTimerProcess(const std::vector<TimerSpec>& timers);

}  // namespace sipline
