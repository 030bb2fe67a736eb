// The routes that run without a received message: startup_route (once, in the master, after
// the modules are initialised and before any worker starts, so what it sets up is inherited
// by every process) and timer_route[name, seconds] (in the timer process, every `seconds`).
// They run on a placeholder request, as in OpenSIPS: pseudo-variables of the message read
// that request, and nothing the route does to it is sent anywhere.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/module/module.h"

namespace sipline {

class Script;
class ScriptReloader;

// Runs startup_route if the script has one. Returns its return code (1 when there is none).
int runStartupRoute(const Script& script);

// A timer that runs the timer routes of the reloader's current script when they are due. A
// reload that adds, removes or re-times timer routes takes effect at the next tick.
TimerSpec scriptTimerRoutes(ScriptReloader& reloader);

}  // namespace sipline
