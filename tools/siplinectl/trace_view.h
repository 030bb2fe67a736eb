// `siplinectl trace CALL-ID`: the messages of one call, as the server's flight recorder
// (management command flight_recorder) returns them, turned into trace::Records and shown as
// a text ladder diagram or written as a pcap file (core/trace/ladder.h, pcap.h).
#pragma once

#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/mi/json.h"
#include "core/trace/trace_record.h"

namespace sipline::ctl {

// The records of a flight_recorder answer ({"messages": [{time_us, proto, direction, src, dst,
// message}, ...]}), in its order. kInvalidArgument naming the first entry that is malformed.
Result<std::vector<trace::Record>> recordsFromRecorder(const Json& answer);

// The ladder of `records`, the server's own addresses (every address that sent a message
// marked outgoing) named "sipline". "" when there are none.
std::string ladderText(const std::vector<trace::Record>& records);

}  // namespace sipline::ctl
