// auth_db: digest credentials from the PostgreSQL subscriber table. Glue only: parameters,
// statistics, the MI command and the binding of www_authorize(), proxy_authorize(),
// db_is_to_authorized(), db_is_from_authorized() and db_does_uri_exist(); the work is in
// auth_db.h (rows, cache, DB), authorize.h and uri_checks.h. The digest itself is the auth
// module's service ("auth", modules/auth/api.h).
#include <memory>
#include <optional>
#include <string>

#include "core/module/module.h"
#include "core/sip/msg_context.h"
#include "core/sip/reply.h"
#include "modules/auth/api.h"
#include "modules/auth_db/auth_db.h"
#include "modules/auth_db/auth_db_mi.h"
#include "modules/auth_db/authorize.h"
#include "modules/auth_db/uri_checks.h"

namespace sipline {
namespace {

constexpr std::uint32_t kCheckRoutes = kRequestRoute | kFailureRoute | kBranchRoute;

class AuthDbModule : public Module {
 public:
  void describe(ModuleSpec& spec) override {
    spec.summary("digest credentials from the PostgreSQL subscriber table");
    spec.description(
        "Provides www_authorize() and proxy_authorize(): it reads the subscriber's HA1 for "
        "the algorithm the phone chose (or computes it from the plain-text password with "
        "calculate_ha1) and lets the auth module check the response and the nonce. After a "
        "success the columns of load_credentials become AVPs. The identity checks compare the "
        "authenticated user with the To or From URI.\n\n"
        "Rows are cached in shared memory (cache_size, cache_ttl). When the database fails or "
        "is too slow, the check fails closed and, by default, the request is answered 500. "
        "Needs the auth module, and a DB driver (db_postgres) for db_url.");
    spec.dependsOn("auth");
    auth_db::Config& c = service_.config();
    spec.param("db_url", &c.db_url, "postgres://user:pass@host:port/db of the subscriber table");
    spec.param("user_column", &c.user_column, "column of the user name");
    spec.param("domain_column", &c.domain_column, "column of the domain (realm)");
    spec.param("password_column", &c.password_column,
               "column of the plain-text password, read only with calculate_ha1");
    spec.param("hash_column", &c.hash_column, "column of the MD5 HA1");
    spec.param("hash_column_sha256", &c.hash_column_sha256, "column of the SHA-256 HA1");
    spec.param("hash_column_sha512t256", &c.hash_column_sha512t256,
               "column of the SHA-512-256 HA1");
    spec.param("calculate_ha1", &c.calculate_ha1,
               "compute the HA1 from the plain-text password column instead of reading it");
    spec.param("use_domain", &c.use_domain,
               "look subscribers up by user and realm (domain); false: by user in any domain");
    spec.param("load_credentials", &c.load_credentials,
               "columns loaded into AVPs after success: \"col;$avp(name)=col;...\"");
    spec.param("skip_version_check", &c.skip_version_check,
               "check only the columns of the table, not its row in table version");
    spec.param("cache_size", &c.cache_size, IntRange{0, 1 << 24},
               "subscriber rows kept in shared memory (0: no cache)");
    spec.param("cache_ttl", &c.cache_ttl_s, IntRange{1, 86400},
               "seconds a cached row is used before the DB is asked again");
    spec.param("negative_cache_ttl", &c.negative_cache_ttl_s, IntRange{0, 3600},
               "seconds a \"no such subscriber\" is cached (at most cache_ttl; 0: never)");
    spec.param("db_connect_timeout", &c.db_connect_timeout_ms, IntRange{50, 60000},
               "ms a DB connection attempt may take (never more than db_query_timeout)");
    spec.param("db_query_timeout", &c.db_query_timeout_ms, IntRange{50, 60000},
               "ms a DB statement may take; a request never waits longer for the DB");
    spec.param("db_error_reply", &c.db_error_reply, IntRange{0, 599},
               "reply sent when the DB fails during www/proxy_authorize (500 or 503); 0: none, "
               "the script answers");

    spec.command(
        "www_authorize", {ArgSpec::str("realm"), ArgSpec::str("table")}, kRequestRoute,
        [this](const ScriptArgs& a, BindContext& bc) {
          return bindAuthorize(a, bc, HeaderType::kAuthorization);
        },
        "www_authorize(realm, table): checks the Authorization credentials against the "
        "subscriber table; 1 ok, -1 unknown user, -2 wrong password, -3 stale nonce, "
        "-4 no credentials, -5 error (answered), -6 nonce reused");
    spec.command(
        "proxy_authorize", {ArgSpec::str("realm"), ArgSpec::str("table")}, kRequestRoute,
        [this](const ScriptArgs& a, BindContext& bc) {
          return bindAuthorize(a, bc, HeaderType::kProxyAuthorization);
        },
        "proxy_authorize(realm, table): as www_authorize with Proxy-Authorization");
    // Request route only: they read the credentials www/proxy_authorize() left in this
    // request's context, which failure and branch routes (a fresh context) never have.
    for (const char* name : {"db_is_to_authorized", "db_check_to"}) {
      spec.command(
          name, {}, kRequestRoute,
          [this](const ScriptArgs&, BindContext& bc) { return bindIsAuthorized(bc, true); },
          std::string(name) +
              "(): true when the authenticated user (and realm) is the To URI's user@host");
    }
    for (const char* name : {"db_is_from_authorized", "db_check_from"}) {
      spec.command(
          name, {}, kRequestRoute,
          [this](const ScriptArgs&, BindContext& bc) { return bindIsAuthorized(bc, false); },
          std::string(name) +
              "(): true when the authenticated user (and realm) is the From URI's user@host");
    }
    spec.command(
        "db_does_uri_exist", {ArgSpec::str("uri").opt(), ArgSpec::str("table").opt()}, kCheckRoutes,
        [this](const ScriptArgs& a, BindContext& bc) { return bindExists(a, bc); },
        "db_does_uri_exist([uri[, table]]): true when the URI's user@domain (default: the "
        "request-URI) is a subscriber of table (default subscriber); -1 no, -2 error");

    auth_db::Counters& n = service_.counters();
    spec.stat("cache_hits", &n.cache.hits, "lookups answered by the cache");
    spec.stat("cache_misses", &n.cache.misses, "lookups the cache could not answer");
    spec.stat("cache_entries", &n.cache.entries, "subscriber rows in the cache", StatKind::kGauge);
    spec.stat("cache_evictions", &n.cache.evictions, "cached rows replaced to make room");
    spec.stat("cache_no_memory", &n.cache.no_memory,
              "rows not cached because shared memory was full");
    spec.stat("db_lookups", &n.db_lookups, "statements sent to the DB");
    spec.stat("db_errors", &n.db_errors, "statements that failed (authentication failed closed)");

    spec.mi("auth_db_cache_flush",
            {MiParamSpec::str("aor", "user@domain; without it the whole cache").opt()},
            "removes cached subscriber rows now (after a password change or removal)",
            [this](const MiParams& p) { return auth_db::miCacheFlush(service_, p); });
  }

  Status init(InitContext& ctx) override { return service_.init(ctx.segment().manager()); }

  Status childInit(const ProcessInfo& proc) override { return service_.childInit(proc); }

 private:
  Result<auth_db::Table*> bindTable(const ScriptArg& arg, BindContext& bc) {
    if (arg.kind != ScriptArg::Kind::kString || !arg.isConstant() || arg.text.empty()) {
      return bc.error(arg, Status::invalidArgument("the table must be a constant name"));
    }
    Result<auth_db::Table*> t = service_.table(arg.text);
    if (!t.isOk()) return bc.error(arg, t.status());
    return t;
  }

  Result<BoundCallPtr> bindAuthorize(const ScriptArgs& a, BindContext& bc, HeaderType type) {
    Result<StrArg> realm = bc.strArg(a[0]);
    if (!realm.isOk()) return bc.error(a[0], realm.status());
    Result<auth_db::Table*> table = bindTable(a[1], bc);
    if (!table.isOk()) return table.status();
    if (bc.services() == nullptr) return bc.error("auth_db needs the auth module");
    Result<auth::Api*> api = bc.services()->require<auth::Api>("auth", "auth_db");
    if (!api.isOk()) return bc.error(api.status().message());
    return makeCall([this, realm = std::move(realm.value()), table = table.value(),
                     api = api.value(), type](MsgContext& ctx) {
      std::string scratch;
      return Verdict::of(auth_db::authorize(service_, *api, ctx, realm.eval(ctx, scratch), *table,
                                            type,
                                            [](MsgContext& c, int code, std::string_view reason) {
                                              return sendReply(c, code, reason);
                                            }));
    });
  }

  Result<BoundCallPtr> bindIsAuthorized(BindContext& bc, bool to) {
    if (bc.services() == nullptr) return bc.error("auth_db needs the auth module");
    Result<auth::Api*> api = bc.services()->require<auth::Api>("auth", "auth_db");
    if (!api.isOk()) return bc.error(api.status().message());
    return makeCall([this, api = api.value(), to](MsgContext& ctx) {
      const NameAddr* na = to ? ctx.msg().to() : ctx.msg().from();
      return Verdict::of(
          auth_db::isUriAuthorized(ctx, na, service_.config().use_domain, api->realmPrefix()));
    });
  }

  Result<BoundCallPtr> bindExists(const ScriptArgs& a, BindContext& bc) {
    std::optional<StrArg> uri;
    if (!a.empty() && !(a[0].isConstant() && a[0].text.empty())) {
      Result<StrArg> u = bc.strArg(a[0]);
      if (!u.isOk()) return bc.error(a[0], u.status());
      uri = std::move(u.value());
    }
    Result<auth_db::Table*> table =
        a.size() > 1 ? bindTable(a[1], bc) : service_.table("subscriber");
    if (!table.isOk()) return table.status();
    return makeCall([this, uri = std::move(uri), table = table.value()](MsgContext& ctx) {
      std::string scratch;
      std::optional<std::string_view> text;
      if (uri.has_value()) text = uri->eval(ctx, scratch);
      return Verdict::of(auth_db::doesUriExist(service_, *table, ctx, text));
    });
  }

  auth_db::Service service_;
};

}  // namespace
}  // namespace sipline

SIPLINE_MODULE("auth_db", sipline::AuthDbModule)
