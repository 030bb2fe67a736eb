// Text ladder (sequence) diagram of traced messages, for `siplinectl trace` and the MI: one
// column per endpoint (ip:port, or a caller-given name such as "sipline" for the server's own
// sockets) in order of first appearance, one line per message with an arrow from the sender's
// column to the receiver's, labelled with the method ("INVITE") or the status ("180 Ringing"),
// and the time since the first message ("+0.250s"). ASCII only, deterministic, every line at
// most kLadderTimeWidth + (columns + 1) * column_width characters plus a short note
// ("tcp", "tls", "retransmission"); trailing spaces are trimmed. Pure function; no I/O.
//
//                  10.0.0.1:5060          sipline
//                        |                   |
//  +0.000s               |------INVITE------>|
//  +0.012s               |<----100 Trying----|
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/trace/trace_record.h"

namespace sipline::trace {

inline constexpr int kLadderTimeWidth = 12;

struct LadderOptions {
  // Column names by endpoint, keyed by SockAddr::toString() ("10.0.0.1:5060",
  // "[2001:db8::1]:5060"); endpoints not listed are shown as that text.
  std::map<std::string, std::string> names;
  // Distance between two columns; clamped to [12, 40]. Longer names keep their tail behind a
  // '~', longer labels are cut.
  int column_width = 20;
};

// The diagram of `records`, in the given order (the caller sorts by time if it wants to).
// Times are relative to the first record. Empty input gives an empty string. A message to its
// own sender's address is drawn as a short loop ("|<- OPTIONS"). A message repeated with the
// same bytes, source and destination is noted as a retransmission.
std::string renderLadder(const std::vector<Record>& records, const LadderOptions& opts);

// The arrow label of one message: the method of a request, "code reason" of a reply,
// "keepalive" for a message of only CR/LF, "?" for anything else. Printable ASCII only (other
// bytes become '?'), at most 64 characters. Reads the first line only.
std::string ladderLabel(std::string_view message);

}  // namespace sipline::trace
