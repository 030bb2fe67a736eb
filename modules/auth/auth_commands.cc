#include "modules/auth/auth_commands.h"

#include "core/base/log.h"
#include "core/script/pvar.h"
#include "core/script/script.h"
#include "core/sip/msg_context.h"
#include "modules/auth/credential_text.h"

namespace sipline::auth {
namespace {

Result<AlgorithmList> boundAlgorithms(AuthService& service, const CommandOptions& options,
                                      const ScriptArgs& args, BindContext& bc) {
  bool given = args.size() > 2;
  if (given && (args[2].kind != ScriptArg::Kind::kString || !args[2].isConstant())) {
    return bc.error(args[2], Status::invalidArgument("the algorithms must be a constant list"));
  }
  Result<AlgorithmList> list = parseAlgorithmList(given ? args[2].text : options.algorithms);
  if (!list.isOk()) {
    if (given) return bc.error(args[2], list.status());
    return bc.error("module parameter algorithms: " + list.status().message());
  }
  service.accept(list.value());
  return list;
}

Result<QopOffer> boundQop(const ScriptArgs& args, BindContext& bc) {
  if (args.size() < 2) {
    QopOffer q;
    q.auth = true;
    return q;
  }
  const ScriptArg& a = args[1];
  if (a.kind == ScriptArg::Kind::kPvar || (a.kind == ScriptArg::Kind::kString && !a.isConstant())) {
    return bc.error(a, Status::invalidArgument("the qop must be a constant"));
  }
  std::string text = a.kind == ScriptArg::Kind::kInt ? std::to_string(a.int_value) : a.text;
  Result<QopOffer> q = parseQopOffer(text);
  if (!q.isOk()) return bc.error(a, q.status());
  return q;
}

}  // namespace

std::string avpName(const std::string& param) {
  const std::string prefix = "$avp(";
  if (param.size() > prefix.size() + 1 && param.compare(0, prefix.size(), prefix) == 0 &&
      param.back() == ')') {
    return param.substr(prefix.size(), param.size() - prefix.size() - 1);
  }
  return param;
}

Result<BoundCallPtr> bindChallenge(AuthService& service, const CommandOptions& options, bool proxy,
                                   const ScriptArgs& args, BindContext& bc) {
  Result<StrArg> realm = bc.strArg(args[0]);
  if (!realm.isOk()) return realm.status();
  Result<QopOffer> qop = boundQop(args, bc);
  if (!qop.isOk()) return qop.status();
  Result<AlgorithmList> algorithms = boundAlgorithms(service, options, args, bc);
  if (!algorithms.isOk()) return algorithms.status();
  return makeCall([&service, proxy, realm = std::move(realm.value()), qop = qop.value(),
                   algorithms = std::move(algorithms.value()),
                   site = ScriptErrorSite(bc.pos(), proxy ? "proxy_challenge" : "www_challenge")](
                      MsgContext& ctx) {
    std::string scratch;
    std::string why;
    if (!service.challenge(ctx, proxy, realm.eval(ctx, scratch), qop, algorithms, why)) {
      site.report(ctx, "%s", why.c_str());
      return Verdict::fail();
    }
    return Verdict::ok();
  });
}

Result<BoundCallPtr> bindConsumeCredentials(const ScriptArgs&, BindContext&) {
  return makeCall([](MsgContext& ctx) {
    if (ctx.auth.credentials == nullptr) return Verdict::fail();
    ctx.msg().removeHeader(*ctx.auth.credentials);
    ctx.auth.credentials = nullptr;  // removed once; a second call has nothing to remove
    return Verdict::ok();
  });
}

Result<BoundCallPtr> bindPvAuthorize(AuthService& service, const CommandOptions& options,
                                     bool proxy, const ScriptArgs& args, BindContext& bc) {
  Result<StrArg> realm = bc.strArg(args[0]);
  if (!realm.isOk()) return realm.status();
  if (options.password_avp.empty()) {
    return bc.error("module parameter password_avp is empty: name the AVP with the password");
  }
  Result<AlgorithmList> defaults = parseAlgorithmList(options.algorithms);
  if (!defaults.isOk())
    return bc.error("module parameter algorithms: " + defaults.status().message());
  service.accept(defaults.value());
  return makeCall([&service, proxy, realm = std::move(realm.value()),
                   avp = avpName(options.password_avp), is_ha1 = options.password_is_ha1,
                   au = script::resolvePvar("au").value(),
                   ar = script::resolvePvar("ar").value()](MsgContext& ctx) {
    std::string scratch;
    Credentials c;
    HeaderType type = proxy ? HeaderType::kProxyAuthorization : HeaderType::kAuthorization;
    int rc = service.preAuth(ctx, realm.eval(ctx, scratch), type, c);
    if (rc != kAuthorized || c.header == nullptr) return Verdict::of(rc);  // ACK/CANCEL: 1
    // The script found the password by $au/$ar: they must name the credentials checked here.
    // A first header for another realm and user would make them name that user, and another
    // user's password would then authorize these credentials.
    if (au.get(ctx).toString() != c.user || ar.get(ctx).toString() != c.realm) {
      SL_NOTICE("auth: credentials of %s@%s come after others ($au %s): refused",
                printableForLog(c.user).c_str(), printableForLog(c.realm).c_str(),
                printableForLog(au.get(ctx).toString()).c_str());
      return Verdict::of(kInvalidPassword);
    }
    const script::Value* secret = ctx.avps.get(avp);
    if (secret == nullptr || secret->isNull()) return Verdict::of(kUserUnknown);
    std::string text = secret->toString();
    std::string ha1 =
        is_ha1 ? std::move(text) : crypto::digestHa1(c.algorithm, c.username, c.realm, text);
    return Verdict::of(service.postAuth(ctx, c, ha1));
  });
}

}  // namespace sipline::auth
