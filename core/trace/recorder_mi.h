// MI "flight_recorder": the messages the flight recorder holds, for one Call-ID or all of
// them, oldest first (`siplinectl trace` renders them as a ladder or a pcap file). A message
// that is not UTF-8 also comes as message_b64 (base64 of its bytes).
#pragma once

#include "core/base/status.h"
#include "core/mi/json.h"
#include "core/mi/mi_registry.h"
#include "core/trace/flight_recorder.h"

namespace sipline::trace {

std::vector<MiParamSpec> flightRecorderMiParams();
// Against `recorder` (the server's when nullptr is not passed explicitly by tests).
Result<Json> flightRecorderMi(const MiParams& params, const FlightRecorder* recorder,
                              std::int64_t now_us);

}  // namespace sipline::trace
