// The core's management commands: version, uptime, ps, get_statistics, reset_statistics,
// shm, reload_routes, routes_status, log_level. Registered by the master; served by the MI process.
#pragma once

#include "core/base/status.h"
#include "core/mi/mi_registry.h"

namespace sipline {

Status registerCoreMiCommands(MiRegistry& registry);

}  // namespace sipline
