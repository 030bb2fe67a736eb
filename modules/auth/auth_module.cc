// auth: digest authentication (RFC 7616, RFC 8760) without a credential store. Offers the
// "auth" service (api.h) that back-ends such as auth_db build on, the challenges
// (www_challenge, proxy_challenge), consume_credentials and the store-less
// pv_www_authorize/pv_proxy_authorize. Glue only: parameters, statistics, binding; nonces in
// nonce.cc, nonce-counts in nonce_table.cc, the checks in auth_service.cc.
#include <string>

#include "core/module/module.h"
#include "modules/auth/auth_commands.h"
#include "modules/auth/auth_service.h"

namespace sipline {
namespace {

class AuthModule : public Module {
 public:
  void describe(ModuleSpec& spec) override {
    spec.summary("digest authentication: challenges, responses and nonces (RFC 7616, RFC 8760)");
    spec.description(
        "Checks that a request comes from a subscriber who knows the password, with HTTP "
        "Digest and the MD5, SHA-256 and SHA-512-256 algorithms. It sends the 401 and 407 "
        "challenges, checks the answers in constant time and keeps the nonce-counts in shared "
        "memory, so a replayed or expired nonce is caught whichever worker receives it.\n\n"
        "The module keeps no passwords. A back-end hands it the stored secret through the "
        "auth service: auth_db reads it from the PostgreSQL subscriber table, and "
        "pv_www_authorize() / pv_proxy_authorize() here take it from an AVP the script fills "
        "(tests, small fixed setups).");
    spec.param("secret", &secret_,
               "key of the nonce signatures (HMAC-SHA256); \"\" (default): 32 random bytes "
               "drawn at start, shared by all processes");
    spec.param("nonce_expire", &service_.config.nonce_expire, IntRange{1, 3600},
               "seconds a nonce is good for; a later use gets stale=true");
    spec.param("nonce_slots", &nonce_slots_,
               IntRange{auth::NonceTable::kMinSlots, auth::NonceTable::kMaxSlots},
               "nonce-count slots in shared memory (8 bytes each); at least challenges per "
               "second times nonce_expire");
    spec.param("algorithms", &options_.algorithms,
               "digest algorithms a challenge offers when it names none, in that order "
               "(MD5, SHA-256, SHA-512-256); an answer must use one its own challenge offered "
               "(signed into the nonce)");
    spec.param("realm_prefix", &service_.config.realm_prefix,
               "prefix stripped from a realm taken from the To/From host (\"sip.\")");
    spec.param("password_avp", &options_.password_avp,
               "AVP holding the password (or HA1) for pv_www_authorize/pv_proxy_authorize");
    spec.param("pv_password_is_ha1", &options_.password_is_ha1,
               "the password_avp holds the HA1 of the algorithm used, not the password");

    spec.command(
        "www_challenge",
        {ArgSpec::str("realm"), ArgSpec::str("qop").opt(), ArgSpec::str("algorithms").opt()},
        kRequestRoute,
        [this](const ScriptArgs& a, BindContext& bc) {
          return auth::bindChallenge(service_, options_, false, a, bc);
        },
        "www_challenge(realm[, qop[, algorithms]]): answers 401 with a WWW-Authenticate per "
        "algorithm; 1 sent, -1 not");
    spec.command(
        "proxy_challenge",
        {ArgSpec::str("realm"), ArgSpec::str("qop").opt(), ArgSpec::str("algorithms").opt()},
        kRequestRoute,
        [this](const ScriptArgs& a, BindContext& bc) {
          return auth::bindChallenge(service_, options_, true, a, bc);
        },
        "proxy_challenge(realm[, qop[, algorithms]]): answers 407 with a Proxy-Authenticate "
        "per algorithm; 1 sent, -1 not");
    spec.command("consume_credentials", {}, kRequestRoute, auth::bindConsumeCredentials,
                 "consume_credentials(): removes the credentials that authorized the request; "
                 "-1 when none did");
    spec.command(
        "pv_www_authorize", {ArgSpec::str("realm")}, kRequestRoute,
        [this](const ScriptArgs& a, BindContext& bc) {
          return auth::bindPvAuthorize(service_, options_, false, a, bc);
        },
        "pv_www_authorize(realm): checks Authorization against the password in password_avp; "
        "1 ok, -1 no password, -2 wrong, -3 stale nonce, -4 no credentials, -5 error, "
        "-6 nonce reused");
    spec.command(
        "pv_proxy_authorize", {ArgSpec::str("realm")}, kRequestRoute,
        [this](const ScriptArgs& a, BindContext& bc) {
          return auth::bindPvAuthorize(service_, options_, true, a, bc);
        },
        "pv_proxy_authorize(realm): as pv_www_authorize with Proxy-Authorization");

    auth::AuthStats& s = service_.stats;
    spec.stat("challenges", &s.challenges, "401/407 challenges sent");
    spec.stat("authorized", &s.authorized, "requests whose digest and nonce were right");
    spec.stat("invalid_password", &s.invalid_password, "responses that did not match");
    spec.stat("stale_nonce", &s.stale, "right responses with an expired or unknown nonce");
    spec.stat("nonce_reused", &s.reused, "right responses replaying a nonce-count");
    spec.stat("malformed_credentials", &s.malformed, "credentials answered 400");
    spec.stat("nonce_slots", &s.nonce_slots, "the nonce_slots parameter", StatKind::kGauge);

    spec.provide<auth::Api>("auth", &service_);
  }

  Status init(InitContext& ctx) override {
    Result<auth::AlgorithmList> list = auth::parseAlgorithmList(options_.algorithms);
    if (!list.isOk()) return list.status().withPrefix("auth: parameter algorithms");
    service_.accept(list.value());
    return service_.init(ctx.segment(), secret_, nonce_slots_);
  }

 private:
  auth::AuthService service_;
  auth::CommandOptions options_;
  std::string secret_;
  std::int64_t nonce_slots_ = 262144;
};

}  // namespace
}  // namespace sipline

SIPLINE_MODULE("auth", sipline::AuthModule)
