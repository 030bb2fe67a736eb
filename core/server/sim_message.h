// The message file of the route simulator (sipline --simulate MSG.sip). Operators write these
// in an editor, so line ends are often bare LF: such a file is converted to what would arrive
// on the wire (every line end CRLF, trailing blank lines after the body dropped, a missing
// blank line after the headers added, Content-Length set to the converted body's length when
// the header is there). A file whose line ends are all CRLF is taken byte for byte, so exact
// (even malformed) messages can be tested too. Simulator-only; pure functions over text.
#pragma once

#include <string>
#include <vector>

#include "core/base/status.h"

namespace sipline {

struct SimMessage {
  std::string text;                // the datagram the simulator receives
  std::vector<std::string> notes;  // what was changed, for the operator ("line ends ...")
};

// Converts as described above; a CRLF-only text comes back unchanged with no notes.
SimMessage prepareSimMessage(std::string raw);

// Reads and prepares the file. Errors: unreadable, empty.
Result<SimMessage> readSimMessage(const std::string& path);

}  // namespace sipline
