// The JSON value type of the management interface: nlohmann::ordered_json, so objects keep the
// order a handler built them in (operators read "name" before "value"). Handlers return it and
// MiParams hands kAny params out as it. nlohmann reports errors with exceptions; code in core/mi
// parses with allow_exceptions=false and catches the rest inside the unit. Handlers may throw
// through it (handleJsonRpc catches everything), but should not rely on that.
// Process-private; never put a Json in shm.
#pragma once

#include <nlohmann/json.hpp>

namespace sipline {

using Json = nlohmann::ordered_json;

}  // namespace sipline
