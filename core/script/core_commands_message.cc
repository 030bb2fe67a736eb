// xlog, is_method, has_totag and forward: the core commands that read the message, log, and
// relay it statelessly.
#include <vector>

#include "core/base/log.h"
#include "core/base/strings.h"
#include "core/script/core_commands.h"
#include "core/script/format.h"
#include "core/script/script.h"
#include "core/sip/forward.h"
#include "core/sip/msg_context.h"

namespace sipline {
namespace {

bool xlogLevel(std::string_view text, LogLevel& out) {
  static const struct {
    const char* name;
    LogLevel level;
  } kLevels[] = {{"L_ALERT", LogLevel::kAlert},   {"L_CRIT", LogLevel::kCrit},
                 {"L_ERR", LogLevel::kErr},       {"L_WARN", LogLevel::kWarn},
                 {"L_NOTICE", LogLevel::kNotice}, {"L_INFO", LogLevel::kInfo},
                 {"L_DBG", LogLevel::kDbg}};
  for (const auto& l : kLevels) {
    if (iequals(text, l.name)) {
      out = l.level;
      return true;
    }
  }
  return parseLogLevel(text, out);
}

Result<BoundCallPtr> bindXlog(const ScriptArgs& args, BindContext& bc) {
  LogLevel level = LogLevel::kErr;  // OpenSIPS: xlog(fmt) logs at L_ERR
  const ScriptArg& fmt_arg = args.size() == 2 ? args[1] : args[0];
  if (args.size() == 2) {
    if (!args[0].isConstant() || !xlogLevel(args[0].text, level)) {
      return bc.error(
          args[0], Status::invalidArgument("level must be one of L_ALERT, L_CRIT, L_ERR, L_WARN, "
                                           "L_NOTICE, L_INFO, L_DBG; got \"" +
                                           args[0].text + "\""));
    }
  }
  Result<StrArg> fmt = bc.strArg(fmt_arg);
  if (!fmt.isOk()) return fmt.status();
  return makeCall([level, fmt = std::move(fmt.value())](MsgContext& ctx) {
    if (static_cast<int>(level) > static_cast<int>(logLevel())) return Verdict::ok();
    std::string scratch;
    std::string_view text = fmt.eval(ctx, scratch);
    while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    logWrite(level, "%.*s", SL_SV(text));
    return Verdict::ok();
  });
}

Result<BoundCallPtr> bindIsMethod(const ScriptArgs& args, BindContext& bc) {
  if (!args[0].isConstant()) {
    return bc.error(args[0], Status::invalidArgument("the method list must be a constant"));
  }
  std::uint32_t mask = 0;
  std::vector<std::string> others;
  std::string_view list = args[0].text;
  while (!list.empty()) {
    std::size_t bar = list.find('|');
    std::string_view m = trim(list.substr(0, bar));
    list = bar == std::string_view::npos ? std::string_view() : list.substr(bar + 1);
    if (m.empty()) {
      return bc.error(args[0],
                      Status::invalidArgument("empty method name in \"" + args[0].text + "\""));
    }
    Method method = methodFromName(m);
    if (method == Method::kOther) {
      others.emplace_back(m);
    } else {
      mask |= 1u << static_cast<unsigned>(method);
    }
  }
  return makeCall([mask, others = std::move(others)](MsgContext& ctx) {
    SipMessage& msg = ctx.msg();
    Method m = msg.method();
    if (m != Method::kOther)
      return (mask & (1u << static_cast<unsigned>(m))) ? Verdict::ok() : Verdict::fail();
    std::string_view text =
        msg.isRequest() ? msg.methodText() : (msg.cseq() ? msg.cseq()->method_text : "");
    for (const std::string& o : others) {
      if (text == o) return Verdict::ok();
    }
    return Verdict::fail();
  });
}

// What sl_reply_error() answers after a failed forward(), with OpenSIPS's codes.
Verdict forwardVerdict(MsgContext& ctx, ForwardResult r) {
  switch (r) {
    case ForwardResult::kOk:
      return Verdict::ok();
    case ForwardResult::kUnroutable:
      ctx.noteRelayError(478, "Unresolvable destination");
      break;
    case ForwardResult::kSendFailed:
      ctx.noteRelayError(477, "Unfortunately error on sending to next hop occurred");
      break;
    case ForwardResult::kBadMessage:
      ctx.noteRelayError(400, "Bad Request");
      break;
    case ForwardResult::kTooManyHops:
      ctx.noteRelayError(483, "Too Many Hops");
      break;
  }
  return Verdict::fail();
}

Result<BoundCallPtr> bindForward(const ScriptArgs& args, BindContext& bc) {
  if (args.empty()) {
    return makeCall([](MsgContext& ctx) {
      ForwardResult r = ctx.msg().isRequest() ? forwardRequest(ctx, nullptr) : forwardReply(ctx);
      return forwardVerdict(ctx, r);
    });
  }
  Result<StrArg> dest = bc.strArg(args[0]);
  if (!dest.isOk()) return dest.status();
  if (dest.value().isConstant()) {
    Result<NextHop> hop = parseNextHop(dest.value().constant());
    if (!hop.isOk()) return bc.error(args[0], hop.status());
    return makeCall([hop = std::move(hop.value())](MsgContext& ctx) {
      if (!ctx.msg().isRequest()) return Verdict::fail();
      return forwardVerdict(ctx, forwardRequest(ctx, &hop));
    });
  }
  return makeCall([dest = std::move(dest.value()),
                   site = ScriptErrorSite(bc.pos(), "forward")](MsgContext& ctx) {
    if (!ctx.msg().isRequest()) return Verdict::fail();
    std::string scratch;
    Result<NextHop> hop = parseNextHop(dest.eval(ctx, scratch));
    if (!hop.isOk()) {
      site.report(ctx, "bad destination: %s", hop.status().message().c_str());
      ctx.noteRelayError(478, "Unresolvable destination");
      return Verdict::fail();
    }
    return forwardVerdict(ctx, forwardRequest(ctx, &hop.value()));
  });
}

Result<BoundCallPtr> bindHasTotag(const ScriptArgs&, BindContext&) {
  return makeCall([](MsgContext& ctx) {
    const NameAddr* to = ctx.msg().to();
    return to != nullptr && !to->tag.empty() ? Verdict::ok() : Verdict::fail();
  });
}

}  // namespace

void addMessageCommands(std::vector<CommandSpec>& specs) {
  specs.push_back({"xlog",
                   {ArgSpec::str("level_or_format"), ArgSpec::str("format").opt()},
                   kAnyRoute,
                   bindXlog,
                   "xlog([level,] format): logs the format with pseudo-variables expanded",
                   "core"});
  specs.push_back({"is_method",
                   {ArgSpec::str("methods")},
                   kCoreMsgRoutes,
                   bindIsMethod,
                   "is_method(\"INVITE|REGISTER\"): true when the method is one of the list",
                   "core"});
  specs.push_back({"forward",
                   {ArgSpec::str("destination").opt()},
                   kRequestRoute | kOnReplyRoute,
                   bindForward,
                   "forward([\"udp:host:port\"]): relays statelessly (requests to the "
                   "destination, $du or the request-URI; replies by their Via)",
                   "core"});
  specs.push_back({"has_totag",
                   {},
                   kCoreMsgRoutes,
                   bindHasTotag,
                   "has_totag(): true when the To header has a tag (an in-dialog request)",
                   "core"});
}

}  // namespace sipline
