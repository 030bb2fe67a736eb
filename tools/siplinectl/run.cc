#include "tools/siplinectl/run.h"

#include <exception>
#include <optional>

#include "core/base/log.h"
#include "tools/siplinectl/cli.h"
#include "tools/siplinectl/db_check.h"
#include "tools/siplinectl/db_init.h"
#include "tools/siplinectl/db_target.h"
#include "tools/siplinectl/embedded_schema.h"
#include "tools/siplinectl/mgmt_output.h"
#include "tools/siplinectl/mgmt_run.h"
#include "tools/siplinectl/mi_target.h"
#include "tools/siplinectl/output.h"
#include "tools/siplinectl/provision_run.h"
#include "tools/siplinectl/run_util.h"
#include "tools/siplinectl/service_input.h"
#include "tools/siplinectl/services_run.h"
#include "tools/siplinectl/trace_view.h"

namespace sipline::ctl {

namespace {

int exitCodeFor(const Status& st) {
  switch (st.code()) {
    case Code::kUnavailable:
      return kExitUnreachable;
    case Code::kAlreadyExists:
      return kExitSchemaExists;
    default:
      return kExitFailure;
  }
}

void setUpLogging(const Invocation& inv) {
  // The driver's own log lines repeat what the returned Status says; -v shows them.
  const LogLevel level = inv.verbosity >= 2   ? LogLevel::kDbg
                         : inv.verbosity == 1 ? LogLevel::kInfo
                                              : LogLevel::kCrit;
  logInit(LogTarget::kStderr, level);
  logSetRole("siplinectl");
}

// Resolves the database and connects. 0 with `conn` and `info` set, else the exit code of the
// failure, which is reported already.
int connectDb(const Invocation& inv, RunContext& ctx, std::unique_ptr<db::Connection>& conn,
              TargetInfo& info) {
  Result<DbTarget> target = resolveDbTarget(inv, ctx.env_db_url);
  if (!target.isOk()) return fail(ctx, inv, kExitFailure, target.status().message());
  for (const std::string& w : target.value().warnings)
    ctx.err << "siplinectl: warning: " << w << "\n";
  Result<db::DbUrl> url = db::parseDbUrl(target.value().url);
  if (!url.isOk()) {
    return fail(ctx, inv, kExitFailure,
                url.status().message() + " (from " + target.value().source + ")");
  }
  info = TargetInfo{url.value().text, target.value().source, target.value().warnings};
  if (!ctx.open) return fail(ctx, inv, kExitFailure, "no database driver in this build");
  Result<std::unique_ptr<db::Connection>> opened = ctx.open(target.value().url, ctlDbOptions());
  if (!opened.isOk()) return fail(ctx, inv, kExitFailure, opened.status().message());
  conn = std::move(opened).value();
  // Any failure to connect (refused, timeout, authentication, no such database) is exit 3.
  Status connected = conn->ensureConnected();
  if (!connected.isOk()) {
    return fail(ctx, inv, kExitUnreachable, aboutTarget("cannot connect to", info, connected));
  }
  return kExitOk;
}

int runDbCommand(const Invocation& inv, const std::vector<TableDef>& schema, db::Connection& c,
                 const TargetInfo& info, RunContext& ctx) {
  if (inv.command == Command::kDbInit) {
    Result<InitReport> report = initSchema(c, schema);
    if (!report.isOk()) {
      const int code = exitCodeFor(report.status());
      return fail(ctx, inv, code,
                  code == kExitUnreachable
                      ? aboutTarget("lost the connection to", info, report.status()) +
                            " (nothing was created)"
                      : oneLine(report.status().message()));
    }
    if (inv.json) {
      ctx.out << initJson(report.value(), schema, info).dump(2) << "\n";
    } else {
      printInitText(report.value(), schema, info, ctx.out);
    }
    return kExitOk;
  }
  Result<CheckReport> report = checkSchema(c, schema);
  if (!report.isOk()) {
    const int code = exitCodeFor(report.status());
    return fail(ctx, inv, code,
                code == kExitUnreachable
                    ? aboutTarget("lost the connection to", info, report.status())
                    : oneLine(report.status().message()));
  }
  if (inv.json) {
    ctx.out << checkJson(report.value(), info).dump(2) << "\n";
  } else {
    printCheckText(report.value(), info, ctx.out);
  }
  return report.value().ok() ? kExitOk : kExitSchemaMismatch;
}

}  // namespace

db::Options ctlDbOptions() {
  db::Options o;
  o.connect_timeout_ms = 5000;
  o.query_timeout_ms = 30000;  // DDL on a busy server may wait for locks
  return o;
}

namespace {

int runCtlUnguarded(const std::vector<std::string>& args, RunContext& ctx) {
  Result<Invocation> parsed = parseArgs(args);
  if (!parsed.isOk()) {
    ctx.err << "siplinectl: " << parsed.status().message() << "\n" << usageFor(args);
    return kExitUsage;
  }
  Invocation& inv = parsed.value();
  if (!inv.settings_given && ctx.default_settings_file != nullptr) {
    inv.settings_file = ctx.default_settings_file;
  }
  if (ctx.init_logging) setUpLogging(inv);
  if (inv.command == Command::kHelp) {
    ctx.out << (inv.help_topic.empty() ? mainHelp() : groupHelp(inv.help_topic));
    return kExitOk;
  }
  if (isManagementCommand(inv.command) && !(inv.command == Command::kTrace && inv.trace_db)) {
    return runManagement(inv, ctx);
  }
  Result<std::vector<TableDef>> schema = shippedSchema();
  if (!schema.isOk()) {
    return fail(ctx, inv, kExitFailure, "the built-in schema: " + schema.status().message());
  }
  if (inv.command == Command::kVersion) {
    std::string note;
    const Json server = inv.ask_server ? askServerVersion(inv, ctx, note) : Json(nullptr);
    if (inv.json) {
      Json j = versionJson(schema.value());
      if (inv.ask_server) j["server"] = server;
      if (inv.ask_server && server.is_null()) j["server_note"] = note;
      ctx.out << j.dump(2) << "\n";
    } else {
      printVersionText(schema.value(), ctx.out);
      if (!server.is_null()) {
        ctx.out << "server: " << serverVersionText(server) << "\n";
      } else if (inv.ask_server) {
        ctx.out << "server: no answer (" << note << ")\n";
      }
    }
    return kExitOk;
  }
  // The subscriber and domain commands check their operands and get the password before
  // touching the database, so a typo costs no connection and changes nothing.
  std::optional<ProvisionInput> input;
  if (isProvisionCommand(inv.command)) {
    Result<ProvisionInput> prepared = prepareProvision(inv, ctx);
    if (!prepared.isOk()) {
      const bool usage = prepared.status().code() == Code::kInvalidArgument;
      return fail(ctx, inv, usage ? kExitUsage : kExitFailure, prepared.status().message());
    }
    input = std::move(prepared).value();
  }
  // The gateway and service commands likewise; reload, status and set-state need no database.
  std::optional<ServiceInput> service;
  if (isServiceCommand(inv.command)) {
    Result<ServiceInput> prepared = prepareService(inv);
    if (!prepared.isOk()) return fail(ctx, inv, kExitUsage, prepared.status().message());
    if (isServiceMiCommand(inv.command)) return runServiceMi(inv, prepared.value(), ctx);
    service = std::move(prepared).value();
  }
  // --reload names the server's MI: a bad or missing one is found before the change, which
  // would otherwise be committed only to fail its reload (exit 12 is for a server that
  // cannot be reached or refuses).
  if (inv.reload) {
    Result<MiTarget> mi = resolveMiTarget(inv, ctx.env_mi_url, ctx.env_mi_password);
    if (!mi.isOk()) {
      const bool usage = mi.status().code() == Code::kInvalidArgument;
      return fail(ctx, inv, usage ? kExitUsage : kExitFailure,
                  "--reload: " + mi.status().message() + " (nothing was changed)");
    }
  }
  std::unique_ptr<db::Connection> conn;
  TargetInfo info;
  const int connected = connectDb(inv, ctx, conn, info);
  if (connected != kExitOk) return connected;
  if (input) return runProvision(inv, *input, *conn, info, ctx);
  if (service) return runService(inv, *service, *conn, info, ctx);
  if (inv.command == Command::kTrace) {  // --db: table sip_trace
    Result<std::vector<trace::Record>> records =
        recordsFromDb(*conn, inv.operands[0], inv.trace_table);
    if (!records.isOk()) {
      return fail(ctx, inv, exitCodeFor(records.status()),
                  aboutTarget("reading " + inv.trace_table + " from", info, records.status()));
    }
    return outputTrace(
        inv, ctx, records.value(),
        "table " + inv.trace_table + " has no message of Call-ID " + inv.operands[0]);
  }
  return runDbCommand(inv, schema.value(), *conn, info, ctx);
}

}  // namespace

int runCtl(const std::vector<std::string>& args, RunContext& ctx) {
  // The last line of defence: what a server, a database or a file sends must never abort
  // siplinectl (nlohmann throws on a type it did not expect). The code reads answers with
  // checked access; a miss is a clean failure here, not exit 134.
  try {
    return runCtlUnguarded(args, ctx);
  } catch (const std::exception& e) {
    ctx.err << "siplinectl: internal error: " << e.what() << "\n";
  } catch (...) {
    ctx.err << "siplinectl: internal error: an unknown exception\n";
  }
  return kExitFailure;
}

}  // namespace sipline::ctl
