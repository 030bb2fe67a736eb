// group: membership of subscribers in the groups of the grp table ("local", "ld", "int") for
// routing decisions. Glue only: parameters, statistics and the binding of db_is_user_in() and
// its alias is_user_in(); the query is in group.h.
#include <memory>
#include <string>

#include "core/base/log.h"
#include "core/base/strings.h"
#include "core/module/module.h"
#include "core/parser/uri.h"
#include "core/sip/msg_context.h"
#include "modules/group/group.h"

namespace sipline {
namespace {

constexpr std::uint32_t kGroupRoutes = kRequestRoute | kFailureRoute | kBranchRoute;

// Return codes (OpenSIPS: true for a member).
constexpr int kMember = 1;
constexpr int kNotMember = -1;  // also: no user to look up (no credentials, URI without user)
constexpr int kDbError = -2;

// Where the user comes from: a URI (constant or variable) or the digest credentials.
struct Who {
  bool credentials = false;
  StrArg uri;
  script::PvarRef au;  // $au, $ar for credentials
  script::PvarRef ar;
};

// user and host of a SIP URI; false for a URI that does not parse or has no user.
bool userOfUri(std::string_view text, std::string& user, std::string& host) {
  SipUri u;
  if (parseUri(trim(text), u) != ParseError::kOk || u.scheme == SipUri::Scheme::kTel ||
      u.user.empty()) {
    return false;
  }
  user = unescapeUri(u.user);
  host = std::string(u.hostNoBrackets());
  return true;
}

class GroupModule : public Module {
 public:
  void describe(ModuleSpec& spec) override {
    spec.summary("group membership of subscribers from the PostgreSQL grp table");
    spec.description(
        "db_is_user_in(uri, group) asks the grp table (scripts/sql/grp.sql) whether the user "
        "of a URI ($fu, $ru, $tu or any variable holding a SIP URI), or the user of the digest "
        "credentials (\"Credentials\"), is a member of a group, typically to decide who may "
        "dial which number prefixes. Every call is one statement bounded by "
        "db_query_timeout, so a change in the table counts at once.\n\n"
        "When the DB fails the call returns -2 (not a member would be -1), counts db_errors "
        "and logs the outage once, then once a minute. Needs a DB driver (db_postgres) for "
        "db_url; the start is refused when the table is missing or of another version.");
    group::Config& c = service_.config();
    spec.param("db_url", &c.db_url, "postgres://user:pass@host:port/db of the grp table");
    spec.param("table", &c.table, "table of the group memberships");
    spec.param("user_column", &c.user_column, "column of the user name");
    spec.param("domain_column", &c.domain_column, "column of the domain (with use_domain)");
    spec.param("group_column", &c.group_column, "column of the group name");
    spec.param("use_domain", &c.use_domain,
               "match user and domain; false: the user name alone (domain column ignored)");
    spec.param("db_connect_timeout", &c.db_connect_timeout_ms, IntRange{50, 60000},
               "ms a DB connection attempt may take");
    spec.param("db_query_timeout", &c.db_query_timeout_ms, IntRange{50, 60000},
               "ms a membership query may take (a reconnect first adds up to "
               "db_connect_timeout)");
    for (const char* name : {"db_is_user_in", "is_user_in"}) {
      spec.command(
          name, {ArgSpec::str("uri"), ArgSpec::str("group")}, kGroupRoutes,
          [this](const ScriptArgs& a, BindContext& bc) { return bindIsUserIn(a, bc); },
          std::string(name) +
              "(uri, group): true when the user of uri ($fu, $ru, $tu, a variable, or "
              "\"Credentials\" for the digest user and realm) is in group; -1 not a member (or "
              "no user to look up), -2 the DB failed");
    }
    group::Counters& n = service_.counters();
    spec.stat("queries", &n.queries, "membership statements sent to the DB");
    spec.stat("members", &n.members, "checks that found the user in the group");
    spec.stat("db_errors", &n.db_errors, "checks that failed because of the DB (returned -2)");
  }

  Status init(InitContext& /*ctx*/) override { return service_.init(); }
  Status childInit(const ProcessInfo& /*proc*/) override { return service_.childInit(); }

 private:
  Result<Who> bindWho(const ScriptArg& a, BindContext& bc) {
    Who who;
    std::string text = a.text;
    if (a.kind == ScriptArg::Kind::kString && a.isConstant()) {
      // OpenSIPS 1.x names of the URIs; "Credentials": the digest user.
      if (iequals(text, "Credentials")) {
        who.credentials = true;
        who.au = script::resolvePvar("au").value();
        who.ar = script::resolvePvar("ar").value();
        return who;
      }
      std::string_view pv = iequals(text, "Request-URI") ? "ru"
                            : iequals(text, "To")        ? "tu"
                            : iequals(text, "From")      ? "fu"
                                                         : "";
      if (!pv.empty()) {
        ScriptArg mapped = a;
        mapped.kind = ScriptArg::Kind::kPvar;
        mapped.text.assign(pv.data(), pv.size());
        Result<StrArg> s = bc.strArg(mapped);
        if (!s.isOk()) return s.status();
        who.uri = std::move(s.value());
        return who;
      }
      std::string user;
      std::string host;
      if (!userOfUri(text, user, host)) {
        return bc.error(a, Status::invalidArgument(
                               "expected $fu, $ru, $tu, a variable, \"Credentials\" or a SIP URI "
                               "with a user, got \"" +
                               text + "\""));
      }
    }
    Result<StrArg> s = bc.strArg(a);
    if (!s.isOk()) return bc.error(a, s.status());
    who.uri = std::move(s.value());
    return who;
  }

  Result<BoundCallPtr> bindIsUserIn(const ScriptArgs& a, BindContext& bc) {
    Result<Who> who = bindWho(a[0], bc);
    if (!who.isOk()) return who.status();
    Result<StrArg> grp = bc.strArg(a[1]);
    if (!grp.isOk()) return bc.error(a[1], grp.status());
    if (grp.value().isConstant() && grp.value().constant().empty()) {
      return bc.error(a[1], Status::invalidArgument("the group must not be empty"));
    }
    return makeCall(
        [this, who = std::move(who.value()), grp = std::move(grp.value())](MsgContext& ctx) {
          std::string user;
          std::string domain;
          if (who.credentials) {
            script::Value u = who.au.get(ctx);
            script::Value r = who.ar.get(ctx);
            if (u.isNull() || u.toString().empty()) return Verdict::of(kNotMember);
            user = u.toString();
            domain = r.isNull() ? "" : r.toString();
          } else {
            std::string scratch;
            std::string_view text = who.uri.eval(ctx, scratch);
            if (!userOfUri(text, user, domain)) {
              SL_DBG("group: db_is_user_in: no user in \"%.*s\"", SL_SV(text));
              return Verdict::of(kNotMember);
            }
          }
          std::string scratch;
          std::string_view g = grp.eval(ctx, scratch);
          if (g.empty()) return Verdict::of(kNotMember);
          switch (service_.isUserIn(user, domain, g)) {
            case group::Membership::kMember:
              return Verdict::of(kMember);
            case group::Membership::kNotMember:
              return Verdict::of(kNotMember);
            case group::Membership::kError:
              break;
          }
          return Verdict::of(kDbError);
        });
  }

  group::Service service_;
};

}  // namespace
}  // namespace sipline

SIPLINE_MODULE("group", sipline::GroupModule)
