// rtpengine: media relaying through rtpengine's ng control protocol (rtpengine_offer,
// rtpengine_answer, rtpengine_delete, rtpengine_manage, rtpengine_use_set). Glue only; the
// work is in service.cc, ng.cc and bencode.cc.
#include "core/base/log.h"
#include "core/module/module.h"
#include "core/sip/msg_context.h"
#include "modules/rtpengine/service.h"

namespace sipline {
namespace {

constexpr std::uint32_t kMsgRoutes = kRequestRoute | kOnReplyRoute | kFailureRoute | kBranchRoute;

enum class Cmd : std::uint8_t { kOffer, kAnswer, kDelete, kManage };

class RtpengineModule : public Module {
 public:
  void describe(ModuleSpec& spec) override {
    spec.summary("media relaying through rtpengine (ng control protocol)");
    spec.description(
        "Puts the media of a call through rtpengine, as Kamailio's and OpenSIPS's rtpengine "
        "modules do: rtpengine_offer() on the SDP offer and rtpengine_answer() on the answer "
        "send the SDP to the relay with the Call-ID, tags, Via branch and the call site's "
        "flags (rtpengine's own flag words, see the flags below) as a bencoded ng command "
        "over UDP, and put the SDP the relay returns in the message. rtpengine_delete() ends "
        "the session; rtpengine_manage() does whichever of the three the message needs. An "
        "offered INVITE whose transaction fails (>= 300, CANCEL included) is deleted "
        "automatically (with tm loaded), and with the dialog module loaded so is a call that "
        "ends by BYE, timeout or management.\n\n"
        "Relays come in sets with weights (rtpengine_sock); a relay that does not answer is "
        "disabled for rtpengine_disable_tout seconds and the call fails over to another, and "
        "a health check process brings relays back when they answer an ng ping. A call "
        "stays on the relay that took its offer (remembered in shared memory for "
        "rtpengine_sticky_ttl seconds after its last command), even once the relay it "
        "failed over from is back.");
    spec.dependsOn("tm", Dependency::kOptional);
    spec.dependsOn("dialog", Dependency::kOptional);
    rtpengine::Config& c = service_.config();
    spec.param("rtpengine_sock", &c.sock,
               "the relays' ng sockets: \"udp:127.0.0.1:2223\", several with weights "
               "\"udp:A=2 udp:B\", or numbered sets \"1 == udp:A udp:B; 2 == udp:C\"");
    spec.param("rtpengine_tout_ms", &c.tout_ms, IntRange{10, 60000},
               "ms to wait for a relay's reply per attempt");
    spec.param("rtpengine_retr", &c.retr, IntRange{0, 10},
               "retransmissions to a relay before it counts as down");
    spec.param("rtpengine_disable_tout", &c.disable_tout, IntRange{1, 86400},
               "s a relay that did not answer stays disabled");
    spec.param("health_check_interval", &c.health_check_interval, IntRange{0, 3600},
               "s between probes (ng ping) of disabled relays; 0 none (they come back after "
               "rtpengine_disable_tout)");
    spec.param("rtpengine_sticky_ttl", &c.sticky_ttl, IntRange{60, 7 * 86400},
               "s a call's relay is remembered after its last command (answer, delete and "
               "teardown go there); a call older than that falls back to the weighted choice, "
               "its teardown to every relay of the set");

    const char* flags_help =
        " flags: rtpengine's flag words separated by spaces: plain words go to the ng "
        "\"flags\" list (trust-address, symmetric, ...), replace-X to \"replace\", "
        "direction=X, internal and external to \"direction\", RTP/AVP and the like to "
        "\"transport-protocol\", rtcp-mux-X, SDES-X, OSRTP-X, codec-strip-X, "
        "codec-offer-X, codec-transcode-X, codec-mask-X, transcode-X to their lists, "
        "via-branch=1|2|auto picks the Via, any other key=value (ICE=remove, "
        "address-family=IP6, media-address=...) is sent as it is";
    spec.command(
        "rtpengine_offer", {ArgSpec::str("flags").opt()}, kMsgRoutes,
        [this](const ScriptArgs& a, BindContext& bc) { return bind(a, bc, Cmd::kOffer); },
        std::string("rtpengine_offer([flags]): sends the SDP offer to the relay and puts the "
                    "relay's SDP in the message; false when no relay answered, on an error "
                    "reply or without SDP;") +
            flags_help);
    spec.command(
        "rtpengine_answer", {ArgSpec::str("flags").opt()}, kMsgRoutes,
        [this](const ScriptArgs& a, BindContext& bc) { return bind(a, bc, Cmd::kAnswer); },
        "rtpengine_answer([flags]): as rtpengine_offer for the SDP answer");
    spec.command(
        "rtpengine_delete", {ArgSpec::str("flags").opt()}, kMsgRoutes,
        [this](const ScriptArgs& a, BindContext& bc) { return bind(a, bc, Cmd::kDelete); },
        "rtpengine_delete([flags]): ends the call's relay session");
    spec.command(
        "rtpengine_manage", {ArgSpec::str("flags").opt()}, kMsgRoutes,
        [this](const ScriptArgs& a, BindContext& bc) { return bind(a, bc, Cmd::kManage); },
        "rtpengine_manage([flags]): offer for an INVITE or UPDATE with SDP, answer for a "
        "reply with SDP (offer when the INVITE had none) and for an ACK or PRACK with SDP, "
        "delete for BYE, CANCEL and a negative final reply to an INVITE; true when nothing "
        "was needed");
    spec.command(
        "rtpengine_use_set", {ArgSpec::integer("set")}, kMsgRoutes,
        [this](const ScriptArgs& a, BindContext& bc) { return bindUseSet(a, bc); },
        "rtpengine_use_set(set): the following rtpengine commands of this message use that "
        "set");

    spec.mi("rtpengine_show", {}, "every relay with its set, weight and state",
            [this](const MiParams&) -> Result<Json> { return service_.miShow(); });
    spec.mi("rtpengine_enable",
            {MiParamSpec::str("url", "the relay as rtpengine_show lists it"),
             MiParamSpec::boolean("enable", "false disables the relay until enabled again")},
            "disables a relay by hand, or enables it again", [this](const MiParams& p) {
              return service_.miEnable(p.str("url"), p.boolean("enable", true));
            });

    rtpengine::Counters& k = service_.counters();
    spec.stat("offers", &k.offers, "offers the relay took");
    spec.stat("answers", &k.answers, "answers the relay took");
    spec.stat("deletes", &k.deletes, "sessions deleted (delete, manage, failed or ended calls)");
    spec.stat("errors", &k.errors,
              "commands that failed: no relay answered, an error reply, a bad message");
    spec.stat("failovers", &k.failovers, "relays that did not answer and were left for another");

    spec.process(
        "rtpengine-health", [this] { return service_.runHealthCheck(); },
        [this] { return service_.healthCheckEnabled(); });
  }

  Status init(InitContext& ctx) override {
    Result<tm::Api*> tm = ctx.require<tm::Api>("tm", "rtpengine");
    Result<dialog::Api*> dlg = ctx.require<dialog::Api>("dialog", "rtpengine");
    Status st = service_.init(ctx.segment(), tm.isOk() ? tm.value() : nullptr,
                              dlg.isOk() ? dlg.value() : nullptr);
    if (!st.isOk()) return st;
    // Computed when read: a relay's disable time running out shows at once.
    return stats().declareComputed(
        "rtpengine", "relays_down",
        [this] { return static_cast<std::uint64_t>(service_.relaysDown()); },
        "relays disabled now (by failure or by hand)");
  }

 private:
  Result<BoundCallPtr> bind(const ScriptArgs& a, BindContext& bc, Cmd cmd) {
    // The sockets are known here (params come first), so a bad one stops the start.
    Status st = service_.configure();
    if (!st.isOk()) return bc.error(st.message());
    rtpengine::NgFlags flags;
    StrArg dynamic;
    bool is_dynamic = false;
    if (!a.empty()) {
      if (a[0].isConstant() && a[0].kind != ScriptArg::Kind::kPvar) {
        Result<rtpengine::NgFlags> f = rtpengine::parseNgFlags(a[0].text);
        if (!f.isOk()) return bc.error(a[0], f.status());
        flags = std::move(f).value();
      } else {
        Result<StrArg> s = bc.strArg(a[0]);
        if (!s.isOk()) return s.status();
        dynamic = s.value();
        is_dynamic = true;
      }
    }
    return makeCall([this, flags, dynamic, is_dynamic, cmd](MsgContext& ctx) {
      if (!is_dynamic) return Verdict::of(run(cmd, ctx, flags) ? 1 : -1);
      // Flags with pseudo-variables are split per message.
      std::string scratch;
      Result<rtpengine::NgFlags> f = rtpengine::parseNgFlags(dynamic.eval(ctx, scratch));
      if (!f.isOk()) {
        SL_ERR_RATELIMITED("rtpengine: %s", f.status().message().c_str());
        service_.counters().errors.inc();
        return Verdict::fail();
      }
      return Verdict::of(run(cmd, ctx, f.value()) ? 1 : -1);
    });
  }

  bool run(Cmd cmd, MsgContext& ctx, const rtpengine::NgFlags& flags) {
    switch (cmd) {
      case Cmd::kOffer:
        return service_.run(rtpengine::Op::kOffer, ctx, flags);
      case Cmd::kAnswer:
        return service_.run(rtpengine::Op::kAnswer, ctx, flags);
      case Cmd::kDelete:
        return service_.run(rtpengine::Op::kDelete, ctx, flags);
      case Cmd::kManage:
        return service_.manage(ctx, flags);
    }
    return false;
  }

  Result<BoundCallPtr> bindUseSet(const ScriptArgs& a, BindContext& bc) {
    Status st = service_.configure();
    if (!st.isOk()) return bc.error(st.message());
    Result<IntArg> n = bc.intArg(a[0]);
    if (!n.isOk()) return n.status();
    IntArg set = n.value();
    if (set.isConstant() &&
        (set.constant() < 0 || !service_.sets().hasSet(static_cast<unsigned>(set.constant())))) {
      return bc.error(a[0], Status::invalidArgument("no set " + std::to_string(set.constant()) +
                                                    " in rtpengine_sock"));
    }
    return makeCall([this, set](MsgContext& ctx) {
      std::int64_t v = 0;
      if (!set.eval(ctx, v) || v < 0 || v > 0xffff) return Verdict::fail();
      Status s = service_.useSet(ctx, static_cast<unsigned>(v));
      if (!s.isOk()) {
        SL_ERR_RATELIMITED("%s", s.message().c_str());
        return Verdict::fail();
      }
      return Verdict::ok();
    });
  }

  rtpengine::Service service_;
};

}  // namespace
}  // namespace sipline

SIPLINE_MODULE("rtpengine", sipline::RtpengineModule)
