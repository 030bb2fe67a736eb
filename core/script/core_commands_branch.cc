// The destination set: append_branch() adds branches after branch 0 (the request-URI), and
// isdsturiset()/resetdsturi() test and clear $du. Stateless forward() relays branch 0 only;
// the branches are for tm (t_relay forks to them).
#include <string>
#include <vector>

#include "core/base/log.h"
#include "core/parser/header_values.h"
#include "core/parser/uri.h"
#include "core/script/core_commands.h"
#include "core/script/script.h"
#include "core/sip/msg_context.h"

namespace sipline {
namespace {

Status checkUri(std::string_view uri) {
  SipUri parsed;
  if (parseUri(uri, parsed) != ParseError::kOk) {
    return Status::invalidArgument("not a valid SIP URI: \"" + std::string(uri) + "\"");
  }
  return Status::ok();
}

Status parseQ(std::string_view text, int& out) {
  std::uint16_t q = 0;
  if (!parseQValue(text, q)) {
    return Status::invalidArgument(
        "q must be a value from 0 to 1 with at most 3 decimals "
        "(e.g. \"0.5\"), got \"" +
        std::string(text) + "\"");
  }
  out = q;
  return Status::ok();
}

// OpenSIPS semantics: without a URI, branch 0 (request-URI, $du, its flags and forced socket)
// moves into the new branch and branch 0 starts clean except for its URI; with a URI, the new
// branch takes that URI and copies $du, the flags and the socket of branch 0.
Verdict appendBranch(MsgContext& ctx, const ScriptErrorSite& site, std::string uri, int q,
                     bool move_branch0) {
  Branch b;
  b.uri = std::move(uri);
  b.q = q;
  b.dst_uri = ctx.dst_uri;
  b.bflags = ctx.bflags;
  b.send_socket = ctx.send_socket;
  Status st = ctx.appendBranch(std::move(b));
  if (!st.isOk()) {
    site.report(ctx, "%s", st.message().c_str());
    return Verdict::fail();
  }
  if (move_branch0) {
    ctx.dst_uri.clear();
    ctx.bflags = 0;
    ctx.send_socket = nullptr;
  }
  return Verdict::ok();
}

Result<BoundCallPtr> bindAppendBranch(const ScriptArgs& args, BindContext& bc) {
  ScriptErrorSite site(bc.pos(), "append_branch");
  if (args.empty()) {
    return makeCall([site](MsgContext& ctx) {
      if (!ctx.msg().isRequest()) return Verdict::fail();
      return appendBranch(ctx, site, std::string(ctx.ruri()), -1, true);
    });
  }
  Result<StrArg> uri = bc.strArg(args[0]);
  if (!uri.isOk()) return uri.status();
  if (uri.value().isConstant()) {
    Status st = checkUri(uri.value().constant());
    if (!st.isOk()) return bc.error(args[0], st);
  }
  StrArg q_arg;
  int q_const = -1;
  if (args.size() > 1) {
    Result<StrArg> q = bc.strArg(args[1]);
    if (!q.isOk()) return q.status();
    q_arg = std::move(q.value());
    if (q_arg.isConstant()) {
      Status st = parseQ(q_arg.constant(), q_const);
      if (!st.isOk()) return bc.error(args[1], st);
    }
  }
  bool q_dynamic = args.size() > 1 && !q_arg.isConstant();
  return makeCall([site, uri = std::move(uri.value()), q_arg = std::move(q_arg), q_const,
                   q_dynamic](MsgContext& ctx) {
    std::string scratch;
    std::string text(uri.eval(ctx, scratch));
    Status st = checkUri(text);
    int q = q_const;
    if (st.isOk() && q_dynamic) st = parseQ(q_arg.eval(ctx, scratch), q);
    if (!st.isOk()) {
      site.report(ctx, "%s", st.message().c_str());
      return Verdict::fail();
    }
    return appendBranch(ctx, site, std::move(text), q, false);
  });
}

}  // namespace

void addBranchCommands(std::vector<CommandSpec>& specs) {
  specs.push_back({"append_branch",
                   {ArgSpec::str("uri").opt(), ArgSpec::str("q").opt()},
                   kRequestRoute | kFailureRoute,
                   bindAppendBranch,
                   "append_branch([uri[, q]]): adds a branch: the current request-URI and $du "
                   "(which branch 0 then gives up), or the URI given, with an optional q (\"0.5\")",
                   "core"});
  specs.push_back({"isdsturiset",
                   {},
                   kCoreDestRoutes,
                   [](const ScriptArgs&, BindContext&) -> Result<BoundCallPtr> {
                     return makeCall([](MsgContext& ctx) {
                       return ctx.dst_uri.empty() ? Verdict::fail() : Verdict::ok();
                     });
                   },
                   "isdsturiset(): true when $du (the next hop) is set",
                   "core"});
  specs.push_back({"resetdsturi",
                   {},
                   kCoreDestRoutes,
                   [](const ScriptArgs&, BindContext&) -> Result<BoundCallPtr> {
                     return makeCall([](MsgContext& ctx) {
                       ctx.dst_uri.clear();
                       return Verdict::ok();
                     });
                   },
                   "resetdsturi(): clears $du, so the request-URI decides the next hop again",
                   "core"});
}

}  // namespace sipline
