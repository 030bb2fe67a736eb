// The dispatcher's management commands (ds_list, ds_reload, ds_set_state), transport-free:
// they take the checked parameters and return JSON or an error.
#pragma once

#include "core/mi/mi_registry.h"
#include "modules/dispatcher/dispatcher.h"

namespace sipline::dispatcher {

Result<Json> miList(Service& service);
Result<Json> miReload(Service& service);
// params: state ("a"/"i"/"p"), set (integer), destination (URI).
Result<Json> miSetState(Service& service, const MiParams& params);

}  // namespace sipline::dispatcher
