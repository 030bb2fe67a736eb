// The loops of the non-master processes: UDP workers (receive and process datagrams on one
// listener), the timer process (runs module timers at their intervals). Each returns the
// process's exit code when the stop signal arrives.
#pragma once

#include <vector>

#include "core/module/module.h"
#include "core/sip/receive.h"
#include "core/transport/listener.h"

namespace sipline {

int runUdpWorker(const Listener& listener, MessageProcessor& processor);
int runTimerProcess(const std::vector<TimerSpec>& timers);

}  // namespace sipline
