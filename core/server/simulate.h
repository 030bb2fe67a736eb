// The route simulator: `sipline --simulate MSG.sip [--source ip:port] [--route NAME] [-f cfg]`.
// Loads the settings, the modules (parameters, init and child init; a shared-memory segment is
// created for them, no socket is bound and nothing forks) and the routing script, then feeds
// the message in the file through the same receive path a UDP worker runs, with every send
// captured instead of sent (core/transport/send). It prints the path through the script (a
// TracePrinter), the outcome ("reply 404 Not Found", "relay to udp:192.0.2.20:5060", "drop",
// "no decision") and each message exactly as it would leave.
//
// Output on stdout, in this order (the test harness, test/lib/simulate.py, parses it):
//   simulate: <first line> (Call-ID x) from ADDR on SOCKET
//   note: ...                               (message file conversions; may be absent)
//   path:                                   (then the trace, indented)
//   outcome: <decision>[, then <decision>]...
//   note: ...                               (why there was no decision; may be absent)
//   message N of M: SOCKET -> PROTO:ADDR, B bytes
//   <exactly B bytes as sent, then a newline>
// Logs (including run-time script errors) go to stderr. Master-only, once per process.
#pragma once

#include <string>

namespace sipline {

struct SimulateOptions {
  std::string config = "/etc/sipline/sipline.cfg";  // -f
  std::string message_file;                         // --simulate MSG.sip
  std::string source;  // --source ip[:port]; "" = the top Via's sent-by when it is an address
  std::string route;   // --route NAME: route[NAME] (a request) or onreply_route[NAME] (a reply)
};

// Exit status: 0 when the simulation ran (whatever its outcome), 1 when the settings, a module
// or the script does not load (the error names FILE:LINE or FILE:LINE:COL), 2 for bad input
// on the command line (unreadable or unparsable message, bad --source, unknown --route).
int runSimulation(const SimulateOptions& options);

}  // namespace sipline
