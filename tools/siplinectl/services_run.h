// The gateway and service commands (dispatcher, address, group, alias, callfwd) from a
// checked ServiceInput (service_input.h) to an exit code: the table changes over a connected
// db::Connection, the MI calls (ds_reload, ds_list, ds_set_state, address_reload, and the
// --reload after a change of table dispatcher or address), text tables or one JSON object.
// Exit codes (cli.h): 6 exists already, 7 not found (also: no such subscriber for group/alias
// add and callfwd set without --force), 3 the database or the server cannot be reached, 12
// --reload failed after the change was committed (the change stays); the MI-only commands
// exit as the management commands do (mgmt_run.h).
#pragma once

#include "core/db/db.h"
#include "tools/siplinectl/cli.h"
#include "tools/siplinectl/output.h"
#include "tools/siplinectl/run.h"
#include "tools/siplinectl/service_input.h"

namespace sipline::ctl {

// The MI method of a module's reload after a change of `c` (dispatcher, address or domain
// add/rm): ds_reload, address_reload, domain_reload.
const char* reloadMethodFor(Command c);

// After a committed change of a table a module caches: with --reload the module's reload over
// the MI (on failure a warning on stderr and exit 12; the change stays), else, with
// `with_hint`, a line saying how to reload. Adds {"reload": {"method", "done", "hint" |
// "error"}} to `j` (not for no --reload and no hint) and prints it with --json.
int reloadAfterChange(const Invocation& inv, RunContext& ctx, Json& j, bool with_hint);

// dispatcher reload/status/set-state, address reload: no database.
int runServiceMi(const Invocation& inv, const ServiceInput& input, RunContext& ctx);

// Every other service command.
int runService(const Invocation& inv, const ServiceInput& input, db::Connection& conn,
               const TargetInfo& info, RunContext& ctx);

}  // namespace sipline::ctl
