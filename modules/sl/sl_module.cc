// sl: stateless replies from the routing script. Glue only: the reply itself is built and
// sent by core/sip/reply (RFC 3261 §8.2.6 with the received/rport of §18.2.1 / RFC 3581).
#include <string>

#include "core/module/module.h"
#include "core/sip/msg_context.h"
#include "core/sip/reply.h"

namespace sipline {
namespace {

class SlModule : public Module {
 public:
  void describe(ModuleSpec& spec) override {
    spec.summary("stateless replies (RFC 3261 §8.2.6)");
    spec.description(
        "Answers a request without a transaction. The reply copies the Vias (the top one with "
        "received and rport), From, Call-ID and CSeq, and To with a tag that is the same for "
        "every retransmission of the request. It goes back to the request's source, at the "
        "rport port when the client asked for it. ACKs are never answered. For replies that "
        "must survive retransmissions of the request use t_reply() of the tm module.");
    spec.command(
        "sl_send_reply", {ArgSpec::integer("code"), ArgSpec::str("reason")},
        kRequestRoute | kFailureRoute | kErrorRoute,
        [this](const ScriptArgs& args, BindContext& bc) { return bindSendReply(args, bc); },
        "sl_send_reply(code, reason): answers the request statelessly");
    spec.command(
        "sl_reply_error", {}, kRequestRoute | kFailureRoute | kErrorRoute,
        [this](const ScriptArgs&, BindContext&) -> Result<BoundCallPtr> {
          return makeCall([this](MsgContext& ctx) { return replyError(ctx); });
        },
        "sl_reply_error(): answers with the error of the last failed relay (forward(), "
        "t_relay()), else 500");
    spec.stat("sent_replies", &sent_, "replies sent statelessly");
    spec.stat("sent_err_replies", &sent_err_, "error replies sent by sl_reply_error()");
    spec.stat("failures", &failures_, "replies that could not be sent");
    // Exposed to Prometheus as one family, sipline_sl_sent_replies_class_total{class="2xx"}.
    for (int i = 0; i < 6; ++i) {
      std::string cls = std::to_string(i + 1) + "xx";
      spec.stat(cls + "_replies", &by_class_[i], "replies sent, by class", StatKind::kCounter,
                StatLabels{"sent_replies_class", {{"class", cls}}});
    }
  }

 private:
  Result<BoundCallPtr> bindSendReply(const ScriptArgs& args, BindContext& bc) {
    Result<IntArg> code = bc.intArg(args[0]);
    if (!code.isOk()) return code.status();
    if (code.value().isConstant() &&
        (code.value().constant() < 100 || code.value().constant() > 699)) {
      return bc.error(args[0], Status::invalidArgument("reply code must be 100..699, got " +
                                                       std::to_string(code.value().constant())));
    }
    Result<StrArg> reason = bc.strArg(args[1]);
    if (!reason.isOk()) return reason.status();
    return makeCall([this, code = std::move(code.value()), reason = std::move(reason.value())](
                        MsgContext& ctx) { return send(ctx, code, reason); });
  }

  Verdict replyError(MsgContext& ctx) {
    SipMessage& msg = ctx.msg();
    if (!msg.isRequest() || msg.method() == Method::kAck) return Verdict::fail();
    // Already answered (save() replied 423, t_relay() sent 483): one reply per request.
    if (ctx.replied) return Verdict::ok();
    int code = ctx.relay_error_code != 0 ? ctx.relay_error_code : 500;
    std::string reason =
        ctx.relay_error_code != 0 ? ctx.relay_error_reason : std::string("Server Internal Error");
    if (sendStatelessReply(ctx, code, reason) != SendResult::kOk) {
      failures_.inc();
      return Verdict::fail();
    }
    ctx.replied = true;
    countSent(code, true);
    return Verdict::ok();
  }

  Verdict send(MsgContext& ctx, const IntArg& code_arg, const StrArg& reason_arg) {
    SipMessage& msg = ctx.msg();
    if (!msg.isRequest() || msg.method() == Method::kAck) return Verdict::fail();
    std::int64_t code = 0;
    if (!code_arg.eval(ctx, code) || code < 100 || code > 699) {
      failures_.inc();
      return Verdict::fail(-2);
    }
    std::string scratch;
    std::string_view reason = reason_arg.eval(ctx, scratch);
    if (sendStatelessReply(ctx, static_cast<int>(code), reason) != SendResult::kOk) {
      failures_.inc();
      return Verdict::fail();
    }
    ctx.replied = true;
    countSent(static_cast<int>(code), false);
    return Verdict::ok();
  }

  // Counted after the send, never taken back: a counter that went down would read as a
  // reset to Prometheus. A client may see its reply a moment before the count moves.
  void countSent(int code, bool error_reply) {
    sent_.inc();
    if (error_reply) sent_err_.inc();
    by_class_[code / 100 - 1].inc();
  }

  StatCounter sent_, failures_, sent_err_;
  StatCounter by_class_[6];
};

}  // namespace
}  // namespace sipline

SIPLINE_MODULE("sl", sipline::SlModule)
