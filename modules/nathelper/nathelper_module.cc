// nathelper: nat_uac_test, fix_nated_contact, fix_nated_register, add_rcv_param and
// fix_nated_sdp for the routing script, and the NAT keepalive pinger. Glue only; the work is
// in detect.cc, fix.cc, flags.cc and natping.cc.
#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/module/module.h"
#include "core/sip/msg_context.h"
#include "modules/nathelper/nathelper.h"
#include "modules/nathelper/natping.h"

namespace sipline {
namespace {

using nathelper::NatPingConfig;
using nathelper::NatPingCounters;

// Not local_route: a message we generate has no source address.
constexpr std::uint32_t kMsgRoutes = kRequestRoute | kOnReplyRoute | kFailureRoute | kBranchRoute;

nathelper::Source sourceOf(MsgContext& ctx) { return {ctx.rcv().src, ctx.rcv().proto}; }

constexpr const char* kBadUriParams =
    "the URI parameters must be ';name[=value]...' without spaces, '<', '>', ',', '\"' or '?'";

constexpr const char* kBadSdpFields =
    "the SDP fields must be lines '<letter>=<value>' (CRLF between them)";

// fix_nated_contact()'s uri_params with its leading ';' (added when missing).
std::string uriParams(std::string_view text) {
  if (text.empty() || text.front() == ';') return std::string(text);
  return ";" + std::string(text);
}

// A flags argument is a constant (number or names), checked here so a typo stops the start.
Result<std::uint32_t> bindFlags(const ScriptArg& arg, BindContext& bc, bool sdp) {
  if (arg.kind == ScriptArg::Kind::kPvar || !arg.isConstant()) {
    return bc.error(arg, Status::invalidArgument("the flags must be a constant"));
  }
  Result<std::uint32_t> flags =
      sdp ? nathelper::parseSdpFixFlags(arg.text) : nathelper::parseNatTestFlags(arg.text);
  if (!flags.isOk()) return bc.error(arg, flags.status());
  return flags;
}

class NathelperModule : public Module {
 public:
  void describe(ModuleSpec& spec) override {
    spec.summary("NAT traversal helpers: detect clients behind NAT and fix their addresses");
    spec.description(
        "Finds out whether a client sits behind a NAT by comparing the addresses it wrote in "
        "Contact, Via and SDP with private ranges and with the address the message came "
        "from (nat_uac_test), and rewrites them to that address: the Contact URI "
        "(fix_nated_contact), the binding a REGISTER creates (fix_nated_register, used with "
        "the registrar's save()), a received parameter on every Contact (add_rcv_param) and "
        "the SDP connection and origin addresses (fix_nated_sdp). Flags are numbers as in "
        "OpenSIPS or names, checked when the script loads.\n\n"
        "Keepalives: with natping_interval set, the timer pings every registered contact "
        "marked as NATed (nat_bflag set before save(), or a received address), spread over "
        "the interval: a CRLFCRLF datagram, or a SIP request (sipping_method, through tm) for "
        "contacts with sipping_bflag. A contact that leaves max_pings_lost SIP pings in a row "
        "unanswered is removed. Media relaying is the rtpengine and rtpproxy modules' job.");
    spec.dependsOn("usrloc", Dependency::kOptional);
    spec.dependsOn("tm", Dependency::kOptional);
    NatPingConfig& p = pinger_.config();
    spec.param("natping_interval", &p.interval_s, IntRange{0, 3600},
               "seconds between two pings of a contact; 0 (default): no pings");
    spec.param("ping_nated_only", &p.nated_only,
               "ping only contacts marked as NATed (default true); false: every UDP contact");
    spec.param("nat_bflag", &p.nat_bflag, IntRange{-1, 31},
               "branch flag the script sets before save() for a NATed contact; -1 (default): "
               "usrloc's nat_bflag, else a contact with a received address counts as NATed");
    spec.param("sipping_bflag", &p.sipping_bflag, IntRange{-1, 31},
               "branch flag of contacts pinged with a SIP request instead of CRLFCRLF; -1 "
               "(default): none (needs tm)");
    spec.param("sipping_method", &p.sipping_method, "method of SIP pings (default OPTIONS)");
    spec.param("sipping_from", &p.sipping_from,
               "From URI of SIP pings (default sip:sipline@<socket address>)");
    spec.param("max_pings_lost", &p.max_pings_lost, IntRange{0, 255},
               "SIP pings unanswered in a row that remove a contact (default 3); 0: never");
    spec.param("natping_tcp", &p.tcp,
               "also send CRLFCRLF pings to TCP and TLS contacts, on the connection they "
               "registered over, never a new one (default false: a connection has its own "
               "keepalives)");
    NatPingCounters& k = pinger_.counters();
    spec.stat("natping_crlf_sent", &k.crlf_sent, "CRLFCRLF keepalives sent");
    spec.stat("natping_sip_sent", &k.sip_sent, "SIP keepalive requests sent");
    spec.stat("natping_answered", &k.answered, "SIP keepalives answered");
    spec.stat("natping_removed", &k.removed, "contacts removed for unanswered SIP keepalives");
    spec.stat("natping_send_errors", &k.send_errors, "keepalives that could not be sent");
    spec.stat("natping_no_connection", &k.no_connection,
              "keepalives not sent to a TCP/TLS contact whose connection is gone");
    spec.timer("nathelper-natping", 200, [this] { pinger_.tick(monotonicMs()); });
    spec.command(
        "nat_uac_test", {ArgSpec::str("flags")}, kMsgRoutes,
        [](const ScriptArgs& a, BindContext& bc) -> Result<BoundCallPtr> {
          Result<std::uint32_t> flags = bindFlags(a[0], bc, false);
          if (!flags.isOk()) return flags.status();
          return makeCall([flags = flags.value()](MsgContext& ctx) {
            return nathelper::natUacTest(ctx.msg(), sourceOf(ctx), flags) ? Verdict::ok()
                                                                          : Verdict::fail();
          });
        },
        "nat_uac_test(flags): true when any selected test finds NAT; flags 1 private-contact, "
        "2 via-differs, 4 private-via, 8 private-sdp, 16 via-port-differs, 32 "
        "contact-differs (IP), 64 contact-port-differs, as a sum (OpenSIPS's values) or names "
        "joined by '|'");
    spec.command(
        "fix_nated_contact", {ArgSpec::str("uri_params").opt()}, kMsgRoutes,
        [](const ScriptArgs& a, BindContext& bc) -> Result<BoundCallPtr> {
          StrArg params;
          if (!a.empty()) {
            Result<StrArg> p = bc.strArg(a[0]);
            if (!p.isOk()) return p.status();
            params = std::move(p).value();
            if (params.isConstant() && !nathelper::validUriParams(uriParams(params.constant()))) {
              return bc.error(a[0], Status::invalidArgument(kBadUriParams));
            }
          }
          return makeCall([params = std::move(params)](MsgContext& ctx) {
            std::string scratch;
            std::string p = uriParams(params.eval(ctx, scratch));
            if (!nathelper::validUriParams(p)) {
              SL_ERR_RATELIMITED("fix_nated_contact(): '%s': %s", p.c_str(), kBadUriParams);
              return Verdict::fail();
            }
            return nathelper::fixNatedContact(ctx.msg(), sourceOf(ctx), p) ? Verdict::ok()
                                                                           : Verdict::fail();
          });
        },
        "fix_nated_contact([uri_params]): every Contact URI's host:port becomes the source "
        "address; uri_params (\";name=value\", variables allowed) are added after it");
    spec.command(
        "fix_nated_register", {}, kRequestRoute,
        [](const ScriptArgs&, BindContext&) -> Result<BoundCallPtr> {
          return makeCall([](MsgContext& ctx) {
            if (!ctx.msg().isRequest() || ctx.msg().method() != Method::kRegister) {
              return Verdict::fail();
            }
            ctx.force_received = true;
            return Verdict::ok();
          });
        },
        "fix_nated_register(): save() keeps the source address as every Contact's received "
        "address, whatever the registrar's store_received");
    spec.command(
        "add_rcv_param", {ArgSpec::integer("flag").opt()}, kMsgRoutes,
        [](const ScriptArgs& a, BindContext& bc) -> Result<BoundCallPtr> {
          bool uri_param = false;
          if (!a.empty()) {
            if (a[0].kind == ScriptArg::Kind::kPvar || !a[0].isConstant()) {
              return bc.error(a[0], Status::invalidArgument("the flag must be 0 or 1"));
            }
            Result<IntArg> flag = bc.intArg(a[0]);
            if (!flag.isOk()) return flag.status();
            std::int64_t v = flag.value().constant();
            if (v != 0 && v != 1) {
              return bc.error(a[0], Status::invalidArgument("the flag must be 0 or 1"));
            }
            uri_param = v == 1;
          }
          return makeCall([uri_param](MsgContext& ctx) {
            int n = nathelper::addRcvParam(ctx.msg(), sourceOf(ctx), uri_param);
            return n > 0 ? Verdict::of(n) : Verdict::fail();
          });
        },
        "add_rcv_param([flag]): adds received=\"sip:<source>\" to every Contact; flag 1 puts "
        "it in the Contact URI instead");
    spec.command(
        "fix_nated_sdp",
        {ArgSpec::str("flags"), ArgSpec::str("ip_address").opt(), ArgSpec::str("sdp_fields").opt()},
        kMsgRoutes,
        [](const ScriptArgs& a, BindContext& bc) -> Result<BoundCallPtr> {
          Result<std::uint32_t> flags = bindFlags(a[0], bc, true);
          if (!flags.isOk()) return flags.status();
          StrArg ip, fields;
          if (a.size() > 1) {
            Result<StrArg> p = bc.strArg(a[1]);
            if (!p.isOk()) return p.status();
            ip = std::move(p).value();
            SockAddr addr;
            if (ip.isConstant() && !ip.constant().empty() &&
                !nathelper::parseSdpIp(ip.constant(), addr)) {
              return bc.error(
                  a[1], Status::invalidArgument("'" + ip.constant() + "' is not an IP address"));
            }
          }
          if (a.size() > 2) {
            Result<StrArg> f = bc.strArg(a[2]);
            if (!f.isOk()) return f.status();
            fields = std::move(f).value();
            std::vector<std::string> lines;
            if (fields.isConstant() && !nathelper::sdpFieldLines(fields.constant(), lines)) {
              return bc.error(a[2], Status::invalidArgument(kBadSdpFields));
            }
          }
          return makeCall([flags = flags.value(), ip = std::move(ip),
                           fields = std::move(fields)](MsgContext& ctx) {
            std::string scratch, fields_scratch;
            std::string_view addr = ip.eval(ctx, scratch);
            std::string_view extra = fields.eval(ctx, fields_scratch);
            SockAddr parsed;
            if (!addr.empty() && !nathelper::parseSdpIp(addr, parsed)) {
              SL_ERR_RATELIMITED("fix_nated_sdp(): '%.*s' is not an IP address", SL_SV(addr));
              return Verdict::fail();
            }
            std::vector<std::string> lines;
            if (!extra.empty() && !nathelper::sdpFieldLines(extra, lines)) {
              SL_ERR_RATELIMITED("fix_nated_sdp(): '%.*s': %s", SL_SV(extra), kBadSdpFields);
              return Verdict::fail();
            }
            return nathelper::fixNatedSdp(ctx.msg(), sourceOf(ctx), flags, addr, extra)
                       ? Verdict::ok()
                       : Verdict::fail();
          });
        },
        "fix_nated_sdp(flags[, ip_address[, sdp_fields]]): rewrites the SDP to the source "
        "address (or ip_address, variables allowed; \"\": the source); flags 1 "
        "add-dir-active (a=direction:active), 2 rewrite-c (every c= address), 8 rewrite-o (the "
        "o= address), 16 rewrite-null (null addresses too), as a sum or names joined by '|'; "
        "sdp_fields: lines (\"a=x-attr\", CRLF between them) appended to the SDP");
  }

  Status init(InitContext& ctx) override {
    if (!pinger_.enabled()) return Status::ok();
    Result<usrloc::Api*> ul = ctx.require<usrloc::Api>("usrloc", "nathelper's natping_interval");
    if (!ul.isOk()) return ul.status();
    tm::Api* tm = nullptr;
    if (pinger_.config().sipping_bflag >= 0) {
      Result<tm::Api*> t = ctx.require<tm::Api>("tm", "nathelper's sipping_bflag");
      if (!t.isOk()) return t.status();
      tm = t.value();
    }
    Status st = pinger_.init(ul.value(), tm);
    if (!st.isOk()) return Status::invalidArgument("nathelper: " + st.message());
    if (ul.value()->pingBuckets() == 0) {
      SL_WARN("nathelper: usrloc keeps no table in shared memory (db-only mode): no keepalives");
    }
    return Status::ok();
  }

 private:
  nathelper::NatPinger pinger_;
};

}  // namespace
}  // namespace sipline

SIPLINE_MODULE("nathelper", sipline::NathelperModule)
