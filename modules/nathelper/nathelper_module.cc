// nathelper: nat_uac_test, fix_nated_contact, fix_nated_register, add_rcv_param and
// fix_nated_sdp for the routing script. Glue only; the work is in detect.cc, fix.cc and
// flags.cc.
#include "core/module/module.h"
#include "core/sip/msg_context.h"
#include "modules/nathelper/nathelper.h"

namespace sipline {
namespace {

// Not local_route: a message we generate has no source address.
constexpr std::uint32_t kMsgRoutes = kRequestRoute | kOnReplyRoute | kFailureRoute | kBranchRoute;

nathelper::Source sourceOf(MsgContext& ctx) { return {ctx.rcv().src, ctx.rcv().proto}; }

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
        "Keepalive pinging of registered clients and media relaying (rtpengine) are not part "
        "of this module yet.");
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
        "contact-differs, 64 cgnat (100.64.0.0/10 counts as private), as a sum or names "
        "joined by '|'");
    spec.command(
        "fix_nated_contact", {}, kMsgRoutes,
        [](const ScriptArgs&, BindContext&) -> Result<BoundCallPtr> {
          return makeCall([](MsgContext& ctx) {
            return nathelper::fixNatedContact(ctx.msg(), sourceOf(ctx)) ? Verdict::ok()
                                                                        : Verdict::fail();
          });
        },
        "fix_nated_contact(): the first Contact URI's host:port becomes the source address");
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
        "fix_nated_sdp", {ArgSpec::str("flags")}, kMsgRoutes,
        [](const ScriptArgs& a, BindContext& bc) -> Result<BoundCallPtr> {
          Result<std::uint32_t> flags = bindFlags(a[0], bc, true);
          if (!flags.isOk()) return flags.status();
          return makeCall([flags = flags.value()](MsgContext& ctx) {
            return nathelper::fixNatedSdp(ctx.msg(), sourceOf(ctx), flags) ? Verdict::ok()
                                                                           : Verdict::fail();
          });
        },
        "fix_nated_sdp(flags): rewrites the SDP to the source address; flags 1 "
        "add-dir-active (a=direction:active), 2 rewrite-c (every c= address), 8 rewrite-o "
        "(the o= address), as a sum or names joined by '|'");
  }
};

}  // namespace
}  // namespace sipline

SIPLINE_MODULE("nathelper", sipline::NathelperModule)
