// The management commands (ps, uptime, stats, shm, ul ..., online, reload, log-level, tm stats,
// mi): find the MI (mi_target.h), connect through RunContext::mi_connect, make the JSON-RPC
// call, print text (mgmt_output.h) or the result with --json, and map the outcome to an exit
// code of cli.h:
//   cannot connect, no answer, a broken answer       3  kExitUnreachable
//   HTTP 401/403, no permission on the socket         11 kExitAccessDenied
//   the server's "not found" (AOR, contact, statistic) 7 kExitNotFound
//   any other JSON-RPC error (unknown method, bad params, a refused script)  10 kExitRefused
//   a bad --url, --url with --mi-socket, bad mi args   2  kExitUsage
//   no MI known (settings without mi.socket or mi.http) 1  kExitFailure
//   an answer larger than kMaxMiResponse              1  kExitFailure
#pragma once

#include "core/mi/json.h"
#include "tools/siplinectl/cli.h"
#include "tools/siplinectl/run.h"

namespace sipline::ctl {

int runManagement(const Invocation& inv, RunContext& ctx);

// `siplinectl version`: the server's version object, or null with `note` saying why not.
// Never fails the command (siplinectl's own version is the point).
Json askServerVersion(const Invocation& inv, RunContext& ctx, std::string& note);

// One MI call for the gateway and service commands (services_run.h): the MI found and
// connected as for the management commands. Prints nothing: on failure `exit_code` and
// `message` are what a management command would report (the table above).
struct MiOutcome {
  Json result;
  int exit_code = kExitOk;
  std::string message;
};
MiOutcome callServer(const Invocation& inv, RunContext& ctx, const std::string& method,
                     const Json& params);

}  // namespace sipline::ctl
