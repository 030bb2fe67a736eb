// alias_db: aliases of subscribers (phone numbers, short names) from a PostgreSQL table.
// Glue only: parameters, statistics and the binding of alias_db_lookup() and alias_db_find();
// the DB side is alias_db.h, the URI work alias_lookup.h.
#include <memory>
#include <string>

#include "core/module/module.h"
#include "core/script/pvar.h"
#include "core/sip/msg_context.h"
#include "modules/alias_db/alias_db.h"
#include "modules/alias_db/alias_lookup.h"

namespace sipline {
namespace {

using script::PvarRef;
using script::Value;

constexpr std::uint32_t kRuriRoutes = kRequestRoute | kFailureRoute | kBranchRoute;

class AliasDbModule : public Module {
 public:
  void describe(ModuleSpec& spec) override {
    spec.summary("aliases of subscribers (numbers, short names) from a database table");
    spec.description(
        "alias_db_lookup(table) looks the request-URI's user@host up as an alias "
        "(alias_username@alias_domain) and rewrites the request-URI to the subscriber's "
        "username@domain; with flag \"r\" it goes the other way, from the subscriber to its "
        "alias. alias_db_find() does the same from one variable to another. The table has "
        "the shape of scripts/sql/dbaliases.sql (`siplinectl alias` maintains it).\n\n"
        "Every call is one query bounded by db_query_timeout; there is no cache. When the DB "
        "fails the calls return -2 (logged once per outage, counted in db_errors) and the "
        "script decides what to answer. The tables a script names are checked (version 1 "
        "and columns) at start. Needs a DB driver (db_postgres) for db_url.");
    alias_db::Config& c = service_.config();
    spec.param("db_url", &c.db_url, "postgres://user:pass@host:port/db of the alias tables");
    spec.param("use_domain", &c.use_domain,
               "match the domain as well as the user (false: the user in any domain, as "
               "flag \"d\")");
    spec.param("domain_prefix", &c.domain_prefix,
               "prefix stripped from the host before the lookup (\"sip.\")");
    spec.param("user_column", &c.user_column, "column of the subscriber's user name");
    spec.param("domain_column", &c.domain_column, "column of the subscriber's domain");
    spec.param("alias_user_column", &c.alias_user_column, "column of the alias user name");
    spec.param("alias_domain_column", &c.alias_domain_column, "column of the alias domain");
    spec.param("append_branches", &c.append_branches,
               "alias_db_lookup(): every further match becomes a branch (forking)");
    spec.param("db_connect_timeout", &c.db_connect_timeout_ms, IntRange{50, 60000},
               "ms a DB connection attempt may take");
    spec.param("db_query_timeout", &c.db_query_timeout_ms, IntRange{50, 60000},
               "ms a lookup may take; a request never waits longer for the DB");

    spec.command(
        "alias_db_lookup", {ArgSpec::str("table"), ArgSpec::str("flags").opt()}, kRuriRoutes,
        [this](const ScriptArgs& a, BindContext& bc) { return bindLookup(a, bc); },
        "alias_db_lookup(table[, flags]): rewrites the request-URI from an alias to its "
        "subscriber (flag r: the reverse; d: ignore the domain); 1 found, -1 not found, "
        "-2 DB error, -3 no user@host in the request-URI");
    spec.command(
        "alias_db_find",
        {ArgSpec::str("table"), ArgSpec::str("input"), ArgSpec::str("output"),
         ArgSpec::str("flags").opt()},
        kAnyRoute, [this](const ScriptArgs& a, BindContext& bc) { return bindFind(a, bc); },
        "alias_db_find(table, input, output[, flags]): looks the URI in input up as "
        "alias_db_lookup() does and stores the result URI in the variable output; 1 found, "
        "-1 not found, -2 DB error, -3 input is not a URI with user@host");

    alias_db::Counters& n = service_.counters();
    spec.stat("lookups", &n.lookups, "queries sent to the DB");
    spec.stat("not_found", &n.not_found, "queries that found no alias (or subscriber)");
    spec.stat("db_errors", &n.db_errors, "queries that failed (DB down, timeout)");
  }

  Status init(InitContext&) override { return service_.init(); }

  Status childInit(const ProcessInfo&) override { return service_.childInit(); }

 private:
  Result<alias_db::Table*> bindTable(const ScriptArg& arg, BindContext& bc) {
    if (arg.kind != ScriptArg::Kind::kString || !arg.isConstant() || arg.text.empty()) {
      return bc.error(arg, Status::invalidArgument("the table must be a constant name"));
    }
    Result<alias_db::Table*> t = service_.table(arg.text);
    if (!t.isOk()) return bc.error(arg, t.status());
    return t;
  }

  Result<alias_db::Flags> bindFlags(const ScriptArgs& a, std::size_t index, BindContext& bc) {
    if (a.size() <= index) return alias_db::Flags{};
    const ScriptArg& arg = a[index];
    if (arg.kind != ScriptArg::Kind::kString || !arg.isConstant()) {
      return bc.error(arg, Status::invalidArgument("the flags must be a constant string"));
    }
    Result<alias_db::Flags> f = alias_db::parseFlags(arg.text);
    if (!f.isOk()) return bc.error(arg, f.status());
    return f;
  }

  Result<BoundCallPtr> bindLookup(const ScriptArgs& a, BindContext& bc) {
    Result<alias_db::Table*> table = bindTable(a[0], bc);
    if (!table.isOk()) return table.status();
    Result<alias_db::Flags> flags = bindFlags(a, 1, bc);
    if (!flags.isOk()) return flags.status();
    return makeCall([this, table = table.value(), flags = flags.value()](MsgContext& ctx) {
      return Verdict::of(alias_db::lookupRuri(service_, *table, flags, ctx));
    });
  }

  Result<BoundCallPtr> bindFind(const ScriptArgs& a, BindContext& bc) {
    Result<alias_db::Table*> table = bindTable(a[0], bc);
    if (!table.isOk()) return table.status();
    Result<StrArg> input = bc.strArg(a[1]);
    if (!input.isOk()) return bc.error(a[1], input.status());
    // The output: $var(x) as written, or quoted ("$avp(x)") as OpenSIPS scripts write it.
    const ScriptArg& o = a[2];
    std::string_view name = o.text;
    if (o.kind == ScriptArg::Kind::kString && name.size() > 1 && name.front() == '$') {
      name.remove_prefix(1);
    } else if (o.kind != ScriptArg::Kind::kPvar) {
      return bc.error(o, Status::invalidArgument("expected a writable variable such as $var(n)"));
    }
    Result<PvarRef> ref = script::resolvePvar(name);
    if (!ref.isOk()) return bc.error(o, ref.status());
    if (ref.value().spec->set == nullptr) {
      return bc.error(o, Status::invalidArgument("$" + std::string(name) + " is read-only"));
    }
    Result<alias_db::Flags> flags = bindFlags(a, 3, bc);
    if (!flags.isOk()) return flags.status();
    return makeCall([this, table = table.value(), input = std::move(input.value()),
                     out = std::make_shared<PvarRef>(std::move(ref.value())),
                     flags = flags.value()](MsgContext& ctx) {
      std::string scratch;
      std::string result;
      int rc = alias_db::findUri(service_, *table, flags, input.eval(ctx, scratch), result);
      if (rc != alias_db::kFound) return Verdict::of(rc);
      Status st = out->spec->set(ctx, *out, Value::owned(std::move(result)));
      return st.isOk() ? Verdict::ok() : Verdict::fail(alias_db::kBadUri);
    });
  }

  alias_db::Service service_;
};

}  // namespace
}  // namespace sipline

SIPLINE_MODULE("alias_db", sipline::AliasDbModule)
