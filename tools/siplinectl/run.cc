#include "tools/siplinectl/run.h"

#include "core/base/log.h"
#include "tools/siplinectl/cli.h"
#include "tools/siplinectl/db_check.h"
#include "tools/siplinectl/db_init.h"
#include "tools/siplinectl/db_target.h"
#include "tools/siplinectl/embedded_schema.h"
#include "tools/siplinectl/output.h"

namespace sipline::ctl {

namespace {

const char* commandName(Command c) {
  switch (c) {
    case Command::kDbInit:
      return "db init";
    case Command::kDbCheck:
      return "db check";
    case Command::kVersion:
      return "version";
    case Command::kHelp:
      break;
  }
  return "help";
}

// Prints an error the way --json asks for (a JSON object on stdout as well) and returns `code`.
int fail(RunContext& ctx, const Invocation& inv, int code, const std::string& message) {
  ctx.err << "siplinectl: " << commandName(inv.command) << ": " << message << "\n";
  if (inv.json) ctx.out << errorJson(commandName(inv.command), code, message).dump(2) << "\n";
  return code;
}

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

// libpq's messages span lines ("...refused\n\tIs the server running..."): one line each.
std::string oneLine(const std::string& text) {
  std::string out;
  for (char c : text) {
    const bool space = c == '\n' || c == '\t' || c == '\r' || c == ' ';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// "<what> URL: <message>", unless the driver's message names the URL already.
std::string aboutTarget(const std::string& what, const TargetInfo& info, const Status& st) {
  const std::string message = oneLine(st.message());
  if (message.find(info.url_text) != std::string::npos) return message;
  return what + " " + info.url_text + ": " + message;
}

void setUpLogging(const Invocation& inv) {
  // The driver's own log lines repeat what the returned Status says; -v shows them.
  const LogLevel level = inv.verbosity >= 2   ? LogLevel::kDbg
                         : inv.verbosity == 1 ? LogLevel::kInfo
                                              : LogLevel::kCrit;
  logInit(LogTarget::kStderr, level);
  logSetRole("siplinectl");
}

int runDbCommand(const Invocation& inv, const std::vector<TableDef>& schema, RunContext& ctx) {
  Result<DbTarget> target = resolveDbTarget(inv, ctx.env_db_url);
  if (!target.isOk()) return fail(ctx, inv, kExitFailure, target.status().message());
  for (const std::string& w : target.value().warnings)
    ctx.err << "siplinectl: warning: " << w << "\n";
  Result<db::DbUrl> url = db::parseDbUrl(target.value().url);
  if (!url.isOk()) {
    return fail(ctx, inv, kExitFailure,
                url.status().message() + " (from " + target.value().source + ")");
  }
  TargetInfo info{url.value().text, target.value().source, target.value().warnings};
  if (!ctx.open) return fail(ctx, inv, kExitFailure, "no database driver in this build");
  Result<std::unique_ptr<db::Connection>> conn = ctx.open(target.value().url, ctlDbOptions());
  if (!conn.isOk()) return fail(ctx, inv, kExitFailure, conn.status().message());
  db::Connection& c = *conn.value();
  // Any failure to connect (refused, timeout, authentication, no such database) is exit 3.
  Status connected = c.ensureConnected();
  if (!connected.isOk()) {
    return fail(ctx, inv, kExitUnreachable, aboutTarget("cannot connect to", info, connected));
  }
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

int runCtl(const std::vector<std::string>& args, RunContext& ctx) {
  Result<Invocation> parsed = parseArgs(args);
  if (!parsed.isOk()) {
    ctx.err << "siplinectl: " << parsed.status().message() << "\n" << usageFor(args);
    return kExitUsage;
  }
  const Invocation& inv = parsed.value();
  if (ctx.init_logging) setUpLogging(inv);
  if (inv.command == Command::kHelp) {
    ctx.out << (inv.help_topic.empty() ? mainHelp() : groupHelp(inv.help_topic));
    return kExitOk;
  }
  Result<std::vector<TableDef>> schema = shippedSchema();
  if (!schema.isOk()) {
    return fail(ctx, inv, kExitFailure, "the built-in schema: " + schema.status().message());
  }
  if (inv.command == Command::kVersion) {
    if (inv.json) {
      ctx.out << versionJson(schema.value()).dump(2) << "\n";
    } else {
      printVersionText(schema.value(), ctx.out);
    }
    return kExitOk;
  }
  return runDbCommand(inv, schema.value(), ctx);
}

}  // namespace sipline::ctl
