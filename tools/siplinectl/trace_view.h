// `siplinectl trace CALL-ID`: the messages of one call, as the server's flight recorder
// (management command flight_recorder) returns them, or (--db) as the siptrace module stored
// them in table sip_trace, turned into trace::Records and shown as a text ladder diagram,
// written as a pcap file (core/trace/ladder.h, pcap.h) or printed as JSON.
#pragma once

#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/db/db.h"
#include "core/mi/json.h"
#include "core/trace/trace_record.h"
#include "tools/siplinectl/cli.h"
#include "tools/siplinectl/run.h"

namespace sipline::ctl {

// The records of a flight_recorder answer ({"messages": [{time_us, proto, direction, src, dst,
// message[, message_b64]}, ...]}, message_b64 preferred), in its order. kInvalidArgument naming the
// first entry that is malformed.
Result<std::vector<trace::Record>> recordsFromRecorder(const Json& answer);

// The rows of `table` (siptrace's, default sip_trace; a plain name, checked by parseArgs) for
// Call-ID `call_id`, oldest first (at most 100000). kInvalidArgument naming the first row
// that cannot be read; the DB's status on a failure.
Result<std::vector<trace::Record>> recordsFromDb(db::Connection& conn, const std::string& call_id,
                                                 const std::string& table = "sip_trace");

// The ladder of `records`, the server's own addresses (every address that sent a message
// marked outgoing) named "sipline". "" when there are none.
std::string ladderText(const std::vector<trace::Record>& records);

// Prints `records` as inv asks (ladder; --pcap FILE; --json: a list of messages) and returns
// the exit code: kExitNotFound with `none_message` when there are none.
int outputTrace(const Invocation& inv, RunContext& ctx, const std::vector<trace::Record>& records,
                const std::string& none_message);

}  // namespace sipline::ctl
