// Pieces of runCtl() shared by the db commands (run.cc) and the subscriber and domain commands
// (provision_run.cc): failing in text and --json, and messages about the database.
#pragma once

#include <string>

#include "core/base/status.h"
#include "tools/siplinectl/cli.h"
#include "tools/siplinectl/output.h"
#include "tools/siplinectl/run.h"

namespace sipline::ctl {

// Prints "siplinectl: <command>: message" on stderr (and errorJson() on stdout with --json);
// returns `code`.
int fail(RunContext& ctx, const Invocation& inv, int code, const std::string& message);

// libpq's messages span lines ("...refused\n\tIs the server running..."): one line each.
std::string oneLine(const std::string& text);

// "<what> URL: <message>", unless the driver's message names the URL already.
std::string aboutTarget(const std::string& what, const TargetInfo& info, const Status& st);

}  // namespace sipline::ctl
