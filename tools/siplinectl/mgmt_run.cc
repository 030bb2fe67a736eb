#include "tools/siplinectl/mgmt_run.h"

#include "tools/siplinectl/mgmt_output.h"
#include "tools/siplinectl/mi_args.h"
#include "tools/siplinectl/mi_target.h"
#include "tools/siplinectl/run_util.h"
#include "tools/siplinectl/trace_view.h"

namespace sipline::ctl {

namespace {

// How long a call may take, by method: reload_routes waits up to 10 s for the master's check,
// ul_flush for the database, t_uac for the final reply (the server gives up after tm's
// fr_inv_timeout + 1 s, 121 s by default). Everything else: kMiTimeout.
std::chrono::milliseconds timeoutFor(const std::string& method) {
  if (method == "reload_routes" || method == "ul_flush") return std::chrono::seconds(20);
  if (method == "t_uac") return std::chrono::seconds(130);
  // A module's reload reads its whole table from the database.
  if (method == "ds_reload" || method == "address_reload" || method == "domain_reload") {
    return std::chrono::seconds(20);
  }
  return kMiTimeout;
}

struct Call {
  std::string method;
  Json params;  // null = none
};

Json statisticsParam(const std::vector<std::string>& names) {
  Json params = Json::object();
  if (!names.empty()) params["statistics"] = names;
  return params;
}

Result<Call> callFor(const Invocation& inv) {
  const std::vector<std::string>& ops = inv.operands;
  Json p = Json::object();
  switch (inv.command) {
    case Command::kPs:
      return Call{"ps", nullptr};
    case Command::kUptime:
      return Call{"uptime", nullptr};
    case Command::kStats:
      return Call{"get_statistics", statisticsParam(ops)};
    case Command::kStatsReset:
      return Call{"reset_statistics", statisticsParam(ops)};
    case Command::kShm:
      return Call{"shm", nullptr};
    case Command::kUlShow:
      p["table"] = inv.ul_table;
      if (ops.empty()) return Call{"ul_dump", p};
      p["aor"] = ops[0];
      return Call{"ul_show_contact", p};
    case Command::kOnline:
      p["table"] = inv.ul_table;
      return Call{"ul_dump", p};
    case Command::kUlRm:
      p["table"] = inv.ul_table;
      p["aor"] = ops[0];
      if (ops.size() == 1) return Call{"ul_rm", p};
      p["contact"] = ops[1];
      return Call{"ul_rm_contact", p};
    case Command::kUlAdd:
      p["table"] = inv.ul_table;
      p["aor"] = ops[0];
      p["contact"] = ops[1];
      p["expires"] = inv.expires;
      if (!inv.q.empty()) p["q"] = inv.q;
      if (inv.flags >= 0) p["flags"] = inv.flags;
      return Call{"ul_add", p};
    case Command::kUlFlush:
      return Call{"ul_flush", nullptr};
    case Command::kReload:
      return Call{"reload_routes", nullptr};
    case Command::kLogLevel:
      if (!ops.empty()) p["level"] = ops[0];
      if (inv.pid != 0) p["pid"] = inv.pid;
      return Call{"log_level", p};
    case Command::kTmStats:
      return Call{"t_stats", nullptr};
    case Command::kTrace:
      p["call_id"] = ops[0];
      p["max"] = 100000;
      return Call{"flight_recorder", p};
    case Command::kMi: {
      // Checked here, before any I/O; typed by the method's params once connected (miCall).
      Result<Json> params = miParamsFromArgs(std::vector<std::string>(ops.begin() + 1, ops.end()));
      if (!params.isOk()) return params.status();
      return Call{ops[0], params.value()};
    }
    default:
      break;
  }
  return Status::internal(std::string("no MI call for ") + commandName(inv.command));
}

// The exit code and message of a failed call or connect.
int exitFor(const Status& st) {
  switch (st.code()) {
    case Code::kUnavailable:
      return kExitUnreachable;
    case kMiAnswerTooLarge:
      return kExitFailure;
    case kMiAccessDenied:
      return kExitAccessDenied;
    case Code::kNotFound:
      return kExitNotFound;
    case Code::kUnsupported:
    case Code::kInvalidArgument:
    case Code::kFailedPrecondition:
      return kExitRefused;
    default:
      return kExitFailure;
  }
}

std::string messageFor(const Status& st, const Invocation& inv, const Call& call,
                       const MiTarget& target) {
  switch (st.code()) {
    case Code::kUnavailable:
      return st.message() + (target.http ? "" : " (is the server running?)");
    case kMiAccessDenied:
      return target.http ? st.message()
                         : st.message() +
                               " (the socket's owner, group and mi.socket_mode "
                               "decide who may use it; try as that user or root)";
    case Code::kUnsupported: {
      // The dedicated commands call a module's method: its absence means the module is not
      // loaded, which says more to an operator than "method not found".
      const char* module = call.method.rfind("ul_", 0) == 0   ? "usrloc"
                           : call.method.rfind("t_", 0) == 0  ? "tm"
                           : call.method.rfind("ds_", 0) == 0 ? "dispatcher"
                           : call.method == "address_reload"  ? "permissions"
                           : call.method == "domain_reload"   ? "domain"
                                                              : nullptr;
      if (module != nullptr && inv.command != Command::kMi) {
        return "the server does not load the " + std::string(module) + " module (it has no " +
               call.method + " command)";
      }
      return "the server refused " + call.method + ": " + st.message() +
             ("; 'siplinectl mi which' lists its commands");
    }
    case Code::kInvalidArgument:
      return "the server refused the params of " + call.method + ": " + st.message();
    case Code::kFailedPrecondition:
      return call.method == "reload_routes"
                 ? "the server refused the script, the running one stays: " + st.message()
                 : call.method + " failed: " + st.message();
    default:
      return st.message();
  }
}

// `trace CALL-ID`: the recorder's messages of the call (trace_view.h prints them).
int printTrace(const Invocation& inv, RunContext& ctx, const Json& result) {
  Result<std::vector<trace::Record>> records = recordsFromRecorder(result);
  if (!records.isOk()) return fail(ctx, inv, kExitFailure, records.status().message());
  return outputTrace(inv, ctx, records.value(),
                     "the flight recorder holds no message of Call-ID " + inv.operands[0] +
                         " (it keeps the last " + std::to_string(result.value("minutes", 0)) +
                         " minutes; --db reads table sip_trace)");
}

// Connects to the MI of `inv`; on failure reports it and returns its exit code.
int connectMi(const Invocation& inv, RunContext& ctx, MiTarget& target,
              std::unique_ptr<MiClient>& client) {
  Result<MiTarget> resolved = resolveMiTarget(inv, ctx.env_mi_url, ctx.env_mi_password);
  if (!resolved.isOk()) {
    const bool usage = resolved.status().code() == Code::kInvalidArgument;
    return fail(ctx, inv, usage ? kExitUsage : kExitFailure, resolved.status().message());
  }
  target = resolved.value();
  if (!ctx.mi_connect) return fail(ctx, inv, kExitFailure, "this siplinectl cannot reach the MI");
  Result<std::unique_ptr<MiClient>> connected = ctx.mi_connect(target.connect);
  if (!connected.isOk()) {
    const Status& st = connected.status();
    if (st.code() == Code::kInvalidArgument) return fail(ctx, inv, kExitUsage, st.message());
    return fail(ctx, inv, exitFor(st), messageFor(st, inv, Call{"", nullptr}, target));
  }
  client = std::move(connected).value();
  return kExitOk;
}

// The params of `mi METHOD ARG...` typed by what the server's help says of METHOD (mi_args.h);
// without help (an older server, an unknown method) by the rule for unknown params.
Json typedMiParams(const Invocation& inv, MiClient& client) {
  const std::vector<std::string> args(inv.operands.begin() + 1, inv.operands.end());
  Result<Json> help = client.call("help", Json{{"command", inv.operands[0]}});
  const MiParamTypes types = help.isOk() ? miParamTypesFromHelp(help.value()) : MiParamTypes{};
  Result<Json> params = miParamsFromArgs(args, types);
  return params.isOk() ? params.value() : Json(nullptr);  // checked untyped already: ok
}

void printText(const Invocation& inv, const Json& result, std::ostream& out) {
  const std::vector<std::string>& ops = inv.operands;
  switch (inv.command) {
    case Command::kPs:
      printPs(result, out);
      return;
    case Command::kUptime:
      printUptime(result, out);
      return;
    case Command::kStats:
    case Command::kTmStats:
      printNameValues(result, out);
      return;
    case Command::kStatsReset:
      out << "reset " << cellText(field(result, "reset")) << " counters\n";
      return;
    case Command::kShm:
      printShm(result, out);
      return;
    case Command::kUlShow:
      printContacts(result, out);
      return;
    case Command::kOnline:
      if (result.is_array()) {
        for (const Json& aor : result) out << cellText(aor) << "\n";
      }
      return;
    case Command::kUlRm:
      out << "removed " << (ops.size() == 2 ? "contact " + ops[1] + " of " : "") << ops[0];
      if (ops.size() == 1) out << " (" << cellText(field(result, "removed")) << " contacts)";
      out << "\n";
      return;
    case Command::kUlAdd:
      // The AOR as the server keyed it (without the domain when usrloc's use_domain is off).
      out << "added " << ops[1] << " to "
          << (field(result, "aor").is_string() ? field(result, "aor").get<std::string>() : ops[0])
          << ", expires in " << durationText(inv.expires) << "\n";
      return;
    case Command::kUlFlush:
      out << "written " << cellText(field(result, "written")) << ", pending "
          << cellText(field(result, "pending")) << " (mode " << cellText(field(result, "mode"))
          << ")\n";
      return;
    case Command::kReload:
      // The server's text already says it ("routing script PATH reloaded: generation N").
      if (const Json& text = field(result, "result");
          text.is_string() && !text.get<std::string>().empty()) {
        out << text.get<std::string>() << "\n";
      } else {
        out << "reloaded: generation " << cellText(field(result, "generation")) << "\n";
      }
      return;
    case Command::kLogLevel:
      printLogLevels(result, out);
      return;
    default:
      out << result.dump(2) << "\n";  // mi: always JSON
  }
}

}  // namespace

int runManagement(const Invocation& inv, RunContext& ctx) {
  Result<Call> call = callFor(inv);
  if (!call.isOk()) {
    const bool usage = call.status().code() == Code::kInvalidArgument;
    return fail(ctx, inv, usage ? kExitUsage : kExitFailure, call.status().message());
  }
  MiTarget target;
  std::unique_ptr<MiClient> client;
  const int connected = connectMi(inv, ctx, target, client);
  if (connected != kExitOk) return connected;
  if (inv.command == Command::kMi && !call.value().params.is_null()) {
    call.value().params = typedMiParams(inv, *client);
  }
  client->setTimeout(timeoutFor(call.value().method));
  Result<Json> answer = client->call(call.value().method, call.value().params);
  if (!answer.isOk()) {
    return fail(ctx, inv, exitFor(answer.status()),
                messageFor(answer.status(), inv, call.value(), target));
  }
  Json result = std::move(answer).value();
  if (inv.command == Command::kTrace) return printTrace(inv, ctx, result);
  if (inv.command == Command::kOnline) {
    Json aors = onlineAors(result);
    if (inv.json) {
      Json j = Json::object();
      j["table"] = inv.ul_table;
      j["aors"] = std::move(aors);
      ctx.out << j.dump(2) << "\n";
    } else {
      printText(inv, aors, ctx.out);
    }
    return kExitOk;
  }
  if (inv.json) {
    ctx.out << result.dump(2) << "\n";
  } else {
    printText(inv, result, ctx.out);
  }
  return kExitOk;
}

MiOutcome callServer(const Invocation& inv, RunContext& ctx, const std::string& method,
                     const Json& params) {
  MiOutcome out;
  Result<MiTarget> target = resolveMiTarget(inv, ctx.env_mi_url, ctx.env_mi_password);
  if (!target.isOk()) {
    out.exit_code = target.status().code() == Code::kInvalidArgument ? kExitUsage : kExitFailure;
    out.message = target.status().message();
    return out;
  }
  if (!ctx.mi_connect) {
    out.exit_code = kExitFailure;
    out.message = "this siplinectl cannot reach the MI";
    return out;
  }
  const Call call{method, params};
  Result<std::unique_ptr<MiClient>> client = ctx.mi_connect(target.value().connect);
  if (!client.isOk()) {
    const Status& st = client.status();
    out.exit_code = st.code() == Code::kInvalidArgument ? kExitUsage : exitFor(st);
    out.message = messageFor(st, inv, Call{"", nullptr}, target.value());
    return out;
  }
  client.value()->setTimeout(timeoutFor(method));
  Result<Json> answer = client.value()->call(method, params);
  if (!answer.isOk()) {
    out.exit_code = exitFor(answer.status());
    out.message = messageFor(answer.status(), inv, call, target.value());
    return out;
  }
  out.result = std::move(answer).value();
  return out;
}

Json askServerVersion(const Invocation& inv, RunContext& ctx, std::string& note) {
  Result<MiTarget> target = resolveMiTarget(inv, ctx.env_mi_url, ctx.env_mi_password);
  if (!target.isOk()) {
    note = target.status().message();
    return nullptr;
  }
  if (!ctx.mi_connect) {
    note = "this siplinectl cannot reach the MI";
    return nullptr;
  }
  Result<std::unique_ptr<MiClient>> client = ctx.mi_connect(target.value().connect);
  if (!client.isOk()) {
    note = client.status().message();
    return nullptr;
  }
  Result<Json> answer = client.value()->call("version", nullptr);
  if (!answer.isOk()) {
    note = answer.status().message();
    return nullptr;
  }
  return answer.value();
}

}  // namespace sipline::ctl
