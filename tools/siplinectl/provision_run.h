// The subscriber and domain commands from a parsed Invocation to an exit code: checking the
// operands and getting the password (before any database work), running the command over a
// connected db::Connection, printing text or one JSON object, the cache flush after passwd and
// rm, and the exit codes of cli.h (6 exists, 7 not found, 8 unknown domain, 9 domain in use).
#pragma once

#include <string>

#include "core/base/status.h"
#include "core/db/db.h"
#include "tools/siplinectl/cli.h"
#include "tools/siplinectl/identity.h"
#include "tools/siplinectl/output.h"
#include "tools/siplinectl/run.h"

namespace sipline::ctl {

bool isProvisionCommand(Command c);

// What the command works on, checked.
struct ProvisionInput {
  Aor aor;               // the subscriber commands but list
  std::string domain;    // domain add/rm, subscriber list DOMAIN ("" = all); lower case
  std::string password;  // add, passwd
  bool password_generated = false;
};

// invalidArgument (exit 2) for a bad operand, e-mail or --stdin input; internal (exit 1) when
// no password can be generated.
Result<ProvisionInput> prepareProvision(const Invocation& inv, RunContext& ctx);

int runProvision(const Invocation& inv, const ProvisionInput& input, db::Connection& conn,
                 const TargetInfo& info, RunContext& ctx);

// Shared with the gateway and service commands (services_run.h):
// {"command", "ok": true, "database": {"url", "source"}}.
Json okJson(const Invocation& inv, const TargetInfo& info);
// Reports a failed database operation of a provisioning command and returns its exit code:
// kUnavailable 3, kAlreadyExists 6, kNotFound 7, a refusal (db_errors.h) 8 for subscriber
// add, 9 for domain rm, else 1; the server's DETAIL is never shown.
int failWith(RunContext& ctx, const Invocation& inv, const TargetInfo& info, const Status& st);
// "first N WHAT shown; there are more (--limit ...)" for a cut list.
std::string moreText(std::size_t shown, const char* what, int limit);

}  // namespace sipline::ctl
