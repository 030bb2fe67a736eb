// The part of start-up that only reads and checks: the core's and the modules' script
// commands, MI commands, statistics and services, then the routing script compiled with every
// call site bound. Nothing is bound, no shared memory exists and nothing forks, so `sipline
// -c`, the route simulator (`--simulate`) and the server itself start the same way. Master
// only; the LoadedConfig lives as long as the process (the script's calls point into modules).
#pragma once

#include "core/base/status.h"
#include "core/config/settings.h"
#include "core/mi/mi_registry.h"
#include "core/module/loader.h"
#include "core/module/module.h"
#include "core/script/command_registry.h"
#include "core/script/script.h"

namespace sipline {

struct LoadedConfig {
  CommandRegistry commands;
  MiRegistry mi;
  Services services;
  ModuleSet modules;
  ScriptPtr script;
};

// Registers the core's commands, MI commands and statistics (into stats()), loads the modules
// of `settings` (with their parameters) and declares its sockets: everything the routing
// script may name. Errors carry FILE:LINE. Once per process (stats() is global).
Status loadModules(const Settings& settings, LoadedConfig& out);

// loadModules(), then the routing script compiled. Errors carry FILE:LINE (settings, module) or
// FILE:LINE:COL (script); script warnings are logged. Once per process (stats() is global).
Status loadModulesAndScript(const Settings& settings, LoadedConfig& out);

}  // namespace sipline
