// domain: the SIP domains this server serves, from the domain table. Glue only: parameters,
// statistics, the MI commands, the "domain" service and the binding of is_from_local(),
// is_uri_host_local() and is_domain_local(); the table and its shm snapshot are in
// domain_table.h, the checks in domain_checks.h.
#include <string>

#include "core/module/module.h"
#include "core/sip/msg_context.h"
#include "modules/domain/api.h"
#include "modules/domain/domain_checks.h"
#include "modules/domain/domain_table.h"

namespace sipline {
namespace {

constexpr std::uint32_t kMsgRoutes = kRequestRoute | kFailureRoute | kBranchRoute | kOnReplyRoute;

class DomainModule : public Module {
 public:
  void describe(ModuleSpec& spec) override {
    spec.summary("the SIP domains this server serves, from the domain table");
    spec.description(
        "Loads the domain table (the one `siplinectl domain` maintains) at start into shared "
        "memory and answers is_from_local(), is_uri_host_local() and is_domain_local() from "
        "it, case-insensitively, without a DB query per request. domain_reload reads the "
        "table again and replaces the whole list at once; when the DB fails, the previous "
        "list stays.\n\n"
        "These checks know only the table. The core's `$ru == myself` compares with the "
        "server's own addresses and aliases (host and port); a script that accepts both "
        "writes `if ($rd == myself || is_uri_host_local())`. A DB that cannot be reached at "
        "start does not stop the server: the list starts empty and is loaded in the "
        "background (a loader process, 1 s doubling to 30 s) once the DB is back; a wrong table "
        "version or column refuses the start. Needs a DB driver (db_postgres) for db_url. "
        "Other modules may use the \"domain\" service (isLocal()).");
    domain::Config& c = service_.config();
    spec.param("db_url", &c.db_url, "postgres://user:pass@host:port/db of the domain table");
    spec.param("domain_table", &c.domain_table, "table of the domains");
    spec.param("domain_col", &c.domain_col, "column of the domain name");
    spec.param("db_connect_timeout", &c.db_connect_timeout_ms, IntRange{50, 60000},
               "ms a DB connection attempt may take");
    spec.param("db_query_timeout", &c.db_query_timeout_ms, IntRange{50, 60000},
               "ms the query reading the table may take");

    spec.command(
        "is_from_local", {}, kMsgRoutes,
        [this](const ScriptArgs&, BindContext&) -> Result<BoundCallPtr> {
          return makeCall(
              [this](MsgContext& ctx) { return Verdict::of(domain::isFromLocal(service_, ctx)); });
        },
        "is_from_local(): true when the From URI's host is in the domain table; -1 no, "
        "-2 no usable From URI");
    spec.command(
        "is_uri_host_local", {}, kRequestRoute | kFailureRoute | kBranchRoute,
        [this](const ScriptArgs&, BindContext&) -> Result<BoundCallPtr> {
          return makeCall([this](MsgContext& ctx) {
            return Verdict::of(domain::isUriHostLocal(service_, ctx));
          });
        },
        "is_uri_host_local(): true when the request-URI's host is in the domain table; -1 no, "
        "-2 no host");
    spec.command(
        "is_domain_local", {ArgSpec::str("domain")}, kAnyRoute,
        [this](const ScriptArgs& a, BindContext& bc) -> Result<BoundCallPtr> {
          // A constant that is no host name or address could never match: a typo.
          if (a[0].isConstant() && !domain::normalizeDomain(a[0].text)) {
            return bc.error(a[0], Status::invalidArgument(
                                      "\"" + a[0].text +
                                      "\" is not a domain name or address (use a string or a "
                                      "variable such as \"$fd\")"));
          }
          Result<StrArg> d = bc.strArg(a[0]);
          if (!d.isOk()) return bc.error(a[0], d.status());
          return makeCall([this, d = std::move(d.value())](MsgContext& ctx) {
            std::string scratch;
            return Verdict::of(domain::isDomainLocal(service_, d.eval(ctx, scratch)));
          });
        },
        "is_domain_local(domain): true when the domain (a string or a variable such as $fd) "
        "is in the domain table; -1 no, -2 empty");

    spec.stat("domains", &service_.counters().domains, "domains in the loaded table",
              StatKind::kGauge);
    spec.stat("reloads", &service_.counters().reloads,
              "successful loads after the start (domain_reload, or the background load after a "
              "DB outage at start)");
    spec.stat("reload_errors", &service_.counters().reload_errors,
              "loads that failed and kept the previous table (domain_reload, the DB down at "
              "start and each background try after it)");

    spec.mi("domain_reload", {}, "reads the domain table again; on failure the previous stays",
            [this](const MiParams&) -> Result<Json> {
              Result<std::size_t> n = service_.reload();
              if (!n.isOk()) return n.status();
              Json out = Json::object();
              out["domains"] = n.value();
              return out;
            });
    spec.mi("domain_dump", {}, "the domains loaded now", [this](const MiParams&) -> Result<Json> {
      Json out = Json::object();
      std::vector<std::string> names = service_.names();
      out["count"] = names.size();
      out["domains"] = names;
      return out;
    });
    // Forked only when the start found the DB down: loads the table once it is back.
    spec.process(
        "domain-loader", [this] { return service_.runLoader(); },
        [this] { return service_.loadPending(); });
    spec.provide<domain::Api>("domain", &service_);
  }

  Status init(InitContext& ctx) override { return service_.init(ctx.segment().manager()); }

 private:
  domain::Service service_;
};

}  // namespace
}  // namespace sipline

SIPLINE_MODULE("domain", sipline::DomainModule)
