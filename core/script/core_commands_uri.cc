// Request-URI rewriting: rewriteuri/seturi, rewriteuser/setuser, rewriteuserpass/setuserpass,
// rewritehost/sethost, rewritehostport/sethostport, rewriteport/setport, prefix, strip,
// strip_tail and revert_uri. The work is in core/sip/uri_rewrite (shared with $rU/$rd/$rp);
// here constant arguments are tried on a sample URI at load, so a value that can never
// produce a valid URI stops the start with its file:line:col.
#include <string>
#include <vector>

#include "core/base/log.h"
#include "core/script/core_commands.h"
#include "core/script/script.h"
#include "core/sip/msg_context.h"
#include "core/sip/uri_rewrite.h"

namespace sipline {
namespace {

// What load-time checks rewrite: a URI with every part that a rewrite may replace.
constexpr std::string_view kSampleUri = "sip:user@example.com:5060;transport=udp";

// A failed rewrite is logged at its call site (and shown in the simulator's trace).
Verdict report(MsgContext& ctx, const ScriptErrorSite& site, const Status& st) {
  if (st.isOk()) return Verdict::ok();
  site.report(ctx, "%s", st.message().c_str());
  return Verdict::fail();
}

Result<BoundCallPtr> bindRewrite(const ScriptArgs& args, BindContext& bc, UriPart part,
                                 const char* name) {
  Result<StrArg> value = bc.strArg(args[0]);
  if (!value.isOk()) return value.status();
  if (value.value().isConstant()) {
    Result<std::string> trial = rewriteUriPart(kSampleUri, part, value.value().constant());
    if (!trial.isOk()) return bc.error(args[0], trial.status());
  }
  return makeCall([value = std::move(value.value()), part,
                   site = ScriptErrorSite(bc.pos(), name)](MsgContext& ctx) {
    std::string scratch;
    return report(ctx, site, rewriteRuriPart(ctx, part, value.eval(ctx, scratch)));
  });
}

Result<BoundCallPtr> bindPrefix(const ScriptArgs& args, BindContext& bc) {
  Result<StrArg> prefix = bc.strArg(args[0]);
  if (!prefix.isOk()) return prefix.status();
  if (prefix.value().isConstant()) {
    if (prefix.value().constant().empty()) {
      return bc.error(args[0], Status::invalidArgument("the prefix is empty"));
    }
    Result<std::string> trial = prefixUriUser(kSampleUri, prefix.value().constant());
    if (!trial.isOk()) return bc.error(args[0], trial.status());
  }
  return makeCall([prefix = std::move(prefix.value()),
                   site = ScriptErrorSite(bc.pos(), "prefix")](MsgContext& ctx) {
    std::string scratch;
    return report(ctx, site, prefixRuriUser(ctx, prefix.eval(ctx, scratch)));
  });
}

Result<BoundCallPtr> bindStrip(const ScriptArgs& args, BindContext& bc, bool from_tail) {
  const char* name = from_tail ? "strip_tail" : "strip";
  Result<IntArg> n = bc.intArg(args[0]);
  if (!n.isOk()) return n.status();
  if (n.value().isConstant() && n.value().constant() < 0) {
    return bc.error(args[0], Status::invalidArgument("the number of characters must not be "
                                                     "negative"));
  }
  return makeCall([n = std::move(n.value()), from_tail,
                   site = ScriptErrorSite(bc.pos(), name)](MsgContext& ctx) {
    std::int64_t count = 0;
    if (!n.eval(ctx, count) || count < 0) {
      return report(ctx, site,
                    Status::invalidArgument("the number of characters is not a number >= 0"));
    }
    return report(ctx, site, stripRuriUser(ctx, static_cast<std::size_t>(count), from_tail));
  });
}

void addRewrite(std::vector<CommandSpec>& specs, const char* name, const char* alias, UriPart part,
                const char* arg, const std::string& help) {
  for (const char* n : {name, alias}) {
    specs.push_back(
        {n,
         {ArgSpec::str(arg)},
         kCoreDestRoutes,
         [part, n](const ScriptArgs& a, BindContext& bc) { return bindRewrite(a, bc, part, n); },
         std::string(n) + help,
         "core"});
  }
}

}  // namespace

void addUriCommands(std::vector<CommandSpec>& specs) {
  addRewrite(specs, "rewriteuri", "seturi", UriPart::kWhole, "uri",
             "(uri): replaces the request-URI (it must be a valid URI)");
  addRewrite(specs, "rewriteuser", "setuser", UriPart::kUser, "user",
             "(user): replaces the user part of the request-URI (\"\" removes it)");
  addRewrite(specs, "rewriteuserpass", "setuserpass", UriPart::kUserPass, "userinfo",
             "(\"user[:password]\"): replaces the user and password of the request-URI");
  addRewrite(specs, "rewritehost", "sethost", UriPart::kHost, "host",
             "(host): replaces the host of the request-URI (a maddr parameter is dropped)");
  addRewrite(specs, "rewritehostport", "sethostport", UriPart::kHostPort, "hostport",
             "(\"host[:port]\"): replaces host and port of the request-URI");
  addRewrite(specs, "rewriteport", "setport", UriPart::kPort, "port",
             "(port): replaces the port of the request-URI (\"\" removes it)");
  specs.push_back({"prefix",
                   {ArgSpec::str("prefix")},
                   kCoreDestRoutes,
                   bindPrefix,
                   "prefix(text): puts text in front of the user part of the request-URI",
                   "core"});
  specs.push_back({"strip",
                   {ArgSpec::integer("n")},
                   kCoreDestRoutes,
                   [](const ScriptArgs& a, BindContext& bc) { return bindStrip(a, bc, false); },
                   "strip(n): removes the first n characters of the request-URI's user part",
                   "core"});
  specs.push_back({"strip_tail",
                   {ArgSpec::integer("n")},
                   kCoreDestRoutes,
                   [](const ScriptArgs& a, BindContext& bc) { return bindStrip(a, bc, true); },
                   "strip_tail(n): removes the last n characters of the request-URI's user part",
                   "core"});
  specs.push_back({"revert_uri",
                   {},
                   kCoreDestRoutes,
                   [](const ScriptArgs&, BindContext&) -> Result<BoundCallPtr> {
                     return makeCall([](MsgContext& ctx) {
                       ctx.revertRuri();
                       return Verdict::ok();
                     });
                   },
                   "revert_uri(): restores the request-URI as it was received",
                   "core"});
}

}  // namespace sipline
