// rtpproxy: media relaying through rtpproxy-protocol relays (rtpproxy_offer, rtpproxy_answer,
// rtpproxy_unforce, rtpproxy_use_set). Glue only; the work is in rtpproxy.cc, protocol.cc and
// service.cc.
#include "core/module/module.h"
#include "core/sip/msg_context.h"
#include "modules/rtpproxy/service.h"

namespace sipline {
namespace {

constexpr std::uint32_t kMsgRoutes = kRequestRoute | kOnReplyRoute | kFailureRoute | kBranchRoute;

class RtpproxyModule : public Module {
 public:
  void describe(ModuleSpec& spec) override {
    spec.summary("media relaying through rtpproxy-protocol relays (rtpproxy, rtpengine)");
    spec.description(
        "Puts the media of a call through a relay that speaks the rtpproxy control protocol "
        "(rtpproxy, or rtpengine's --listen-udp), as OpenSIPS's rtpproxy module does: "
        "rtpproxy_offer() on the SDP offer and rtpproxy_answer() on the answer ask the relay "
        "for a port per media stream (commands U and L over UDP) and rewrite the SDP's c=, "
        "m= and a=rtcp lines to the relay, IPv4 and IPv6. rtpproxy_unforce() ends the session "
        "(D); an offered INVITE whose transaction fails (>= 300, CANCEL included) ends it too, "
        "and with the dialog module loaded so does the end of the call.\n\n"
        "Relays come in sets with weights (rtpproxy_sock); a call always reaches the same "
        "relay of its set, a relay that does not answer is disabled for rtpproxy_disable_tout "
        "seconds and the call fails over to another, and a health check brings relays back "
        "when they answer V again. Needs tm for the teardown of failed calls; the dialog "
        "module is optional.");
    spec.dependsOn("tm", Dependency::kOptional);
    spec.dependsOn("dialog", Dependency::kOptional);
    rtpproxy::Config& c = service_.config();
    spec.param("rtpproxy_sock", &c.sock,
               "the relays: \"udp:127.0.0.1:22222\", several with weights \"udp:A=2 udp:B\", or "
               "numbered sets \"1 == udp:A udp:B; 2 == udp:C\"");
    spec.param("rtpproxy_tout_ms", &c.tout_ms, IntRange{10, 60000},
               "ms to wait for a relay's reply per attempt");
    spec.param("rtpproxy_retr", &c.retr, IntRange{0, 10},
               "retransmissions to a relay before it counts as down");
    spec.param("rtpproxy_disable_tout", &c.disable_tout, IntRange{1, 86400},
               "s a relay that did not answer stays disabled");
    spec.param("health_check_interval", &c.health_interval, IntRange{0, 3600},
               "s between probes (V) of disabled relays; 0 none (they come back after "
               "rtpproxy_disable_tout)");

    spec.command(
        "rtpproxy_offer", {ArgSpec::str("flags").opt(), ArgSpec::str("ip").opt()}, kMsgRoutes,
        [this](const ScriptArgs& a, BindContext& bc) { return bindManage(a, bc, true); },
        "rtpproxy_offer([flags[, ip]]): relays every stream of the SDP offer (U) and rewrites "
        "it; flags a (asymmetric), i/e (direction), 6 (IPv6), f (force), r (trust the SDP "
        "address), o (rewrite o=), c (remove ICE lines); ip replaces the relay's address in "
        "the SDP; -2 when the SDP is proxied already, -3 without SDP");
    spec.command(
        "rtpproxy_answer", {ArgSpec::str("flags").opt(), ArgSpec::str("ip").opt()}, kMsgRoutes,
        [this](const ScriptArgs& a, BindContext& bc) { return bindManage(a, bc, false); },
        "rtpproxy_answer([flags[, ip]]): as rtpproxy_offer for the SDP answer (L)");
    spec.command(
        "rtpproxy_unforce", {}, kMsgRoutes,
        [this](const ScriptArgs&, BindContext& bc) -> Result<BoundCallPtr> {
          Status st = configured(bc);
          if (!st.isOk()) return st;
          return makeCall([this](MsgContext& ctx) { return Verdict::of(service_.unforce(ctx)); });
        },
        "rtpproxy_unforce(): ends the call's relay session (D)");
    spec.command(
        "unforce_rtp_proxy", {}, kMsgRoutes,
        [this](const ScriptArgs&, BindContext& bc) -> Result<BoundCallPtr> {
          Status st = configured(bc);
          if (!st.isOk()) return st;
          return makeCall([this](MsgContext& ctx) { return Verdict::of(service_.unforce(ctx)); });
        },
        "unforce_rtp_proxy(): rtpproxy_unforce() under its OpenSIPS 1.x name (the seed book's)");
    spec.command(
        "rtpproxy_use_set", {ArgSpec::integer("set")}, kMsgRoutes,
        [this](const ScriptArgs& a, BindContext& bc) { return bindUseSet(a, bc); },
        "rtpproxy_use_set(set): the following rtpproxy commands of this message use that set");

    spec.mi("rtpproxy_show", {}, "every relay with its set, weight and state",
            [this](const MiParams&) { return service_.miShow(); });
    spec.mi("rtpproxy_enable",
            {MiParamSpec::str("url", "the relay as rtpproxy_show lists it"),
             MiParamSpec::boolean("enable", "false disables the relay until enabled again")},
            "disables a relay by hand, or enables it again", [this](const MiParams& p) {
              return service_.miEnable(p.str("url"), p.boolean("enable", true));
            });

    rtpproxy::Counters& k = service_.counters();
    spec.stat("offers", &k.offers, "offers relayed (rtpproxy_offer)");
    spec.stat("answers", &k.answers, "answers relayed (rtpproxy_answer)");
    spec.stat("deletes", &k.deletes, "sessions deleted (unforce, failed calls, ended dialogs)");
    spec.stat("errors", &k.errors,
              "commands that failed: no relay answered, an error reply, a bad message");
    spec.stat("failovers", &k.failovers, "relays that did not answer and were left for another");

    spec.process(
        "rtpproxy-health", [this] { return service_.runHealthCheck(); },
        [this] { return service_.healthCheckEnabled(); });
  }

  Status init(InitContext& ctx) override {
    Result<tm::Api*> tm = ctx.require<tm::Api>("tm", "rtpproxy");
    Result<dialog::Api*> dlg = ctx.require<dialog::Api>("dialog", "rtpproxy");
    return service_.init(&ctx.segment(), tm.isOk() ? tm.value() : nullptr,
                         dlg.isOk() ? dlg.value() : nullptr);
  }

 private:
  // The sockets are known at bind time (params come first): a bad one stops the start, also
  // under `sipline -c`.
  Status configured(BindContext& bc) {
    if (service_.sets().configured()) return Status::ok();
    Status st = service_.configure();
    return st.isOk() ? st : bc.error(st.message());
  }

  Result<BoundCallPtr> bindManage(const ScriptArgs& a, BindContext& bc, bool offer) {
    Status st = configured(bc);
    if (!st.isOk()) return st;
    rtpproxy::Flags flags;
    if (!a.empty()) {
      if (a[0].kind == ScriptArg::Kind::kPvar || !a[0].isConstant()) {
        return bc.error(a[0], Status::invalidArgument("the flags must be a constant"));
      }
      Result<rtpproxy::Flags> f = rtpproxy::parseFlags(a[0].text);
      if (!f.isOk()) return bc.error(a[0], f.status());
      flags = f.value();
    }
    StrArg ip;
    if (a.size() > 1) {
      Result<StrArg> s = bc.strArg(a[1]);
      if (!s.isOk()) return s.status();
      ip = s.value();
    }
    return makeCall([this, flags, ip, offer](MsgContext& ctx) {
      std::string scratch;
      std::string_view address = ip.eval(ctx, scratch);
      return Verdict::of(service_.manage(ctx, flags, address, offer));
    });
  }

  Result<BoundCallPtr> bindUseSet(const ScriptArgs& a, BindContext& bc) {
    Status st = configured(bc);
    if (!st.isOk()) return st;
    Result<IntArg> n = bc.intArg(a[0]);
    if (!n.isOk()) return n.status();
    IntArg set = n.value();
    if (set.isConstant() &&
        (set.constant() < 0 || !service_.sets().hasSet(static_cast<unsigned>(set.constant())))) {
      return bc.error(a[0], Status::invalidArgument("no set " + std::to_string(set.constant()) +
                                                    " in rtpproxy_sock"));
    }
    return makeCall([this, set](MsgContext& ctx) {
      std::int64_t v = 0;
      if (!set.eval(ctx, v) || v < 0 || v > 0xffff) return Verdict::fail();
      return service_.useSet(ctx, static_cast<unsigned>(v)) ? Verdict::ok() : Verdict::fail();
    });
  }

  rtpproxy::Service service_;
};

}  // namespace
}  // namespace sipline

SIPLINE_MODULE("rtpproxy", sipline::RtpproxyModule)
