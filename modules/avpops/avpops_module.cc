// avpops: per-subscriber settings kept as AVPs in a usr_preferences table (call forwarding,
// voicemail, anything a script wants to remember per user). Glue only: parameters, statistics
// and the binding of avp_db_load(), avp_db_store(), avp_db_delete() and avp_db_query(); the
// argument syntax is in avp_spec.h and query_template.h, the DB work in avp_db.h.
//
// avp_pushto(), avp_check() and is_avp_set() are here for OpenSIPS 1.6 scripts (the work is
// in avp_ops.h);
// avp_delete() and the other AVP operations are not: the script language does the same with
// assignments and conditions (README.md lists the equivalents).
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/base/log.h"
#include "core/module/module.h"
#include "core/script/script.h"
#include "core/sip/msg_context.h"
#include "modules/avpops/avp_db.h"
#include "modules/avpops/avp_ops.h"
#include "modules/avpops/avp_spec.h"
#include "modules/avpops/query_template.h"

namespace sipline {
namespace {

constexpr std::uint32_t kMsgRoutes = kRequestRoute | kFailureRoute | kBranchRoute | kOnReplyRoute;
// Not startup_route: it runs in the master, which has no DB connection (children open their
// own after the fork, and none may inherit one).
constexpr std::uint32_t kQueryRoutes = kAnyRoute & ~kStartupRoute;

// Return codes shared by the commands.
constexpr int kNothing = -1;    // nothing found / nothing to store / nothing deleted
constexpr int kBadSource = -2;  // the source has no usable value in this message
constexpr int kDbError = -3;    // the DB failed (logged, counted)

// A bound source: a pseudo-variable (or constant) and the part of it that keys the rows.
struct BoundSource {
  script::PvarRef ref;
  bool is_constant = false;
  std::string constant;
  avpops::KeyPart part = avpops::KeyPart::kUuid;
  std::string text;  // as written, for logs
};

std::string argText(const ScriptArg& a) {
  return a.kind == ScriptArg::Kind::kPvar ? "$" + a.text : a.text;
}

class AvpopsModule : public Module {
 public:
  void describe(ModuleSpec& spec) override {
    spec.summary("AVPs from and to a usr_preferences table, and parameterised DB queries");
    spec.description(
        "Loads per-subscriber attributes (call forwarding targets, voicemail settings, ...) "
        "from a usr_preferences table into AVPs with avp_db_load(), stores and deletes them "
        "with avp_db_store() and avp_db_delete(), and runs the script's own statements with "
        "avp_db_query(), whose pseudo-variables are sent as bound parameters, never pasted "
        "into the SQL.\n\n"
        "Rows are keyed by a source, as in OpenSIPS: the URI of \"$ru\", \"$fu\", \"$tu\" "
        "or \"$ou\" gives username and, with use_domain, domain; any other pseudo-variable "
        "(\"$avp(uuid)\") or a constant is a uuid; \"/username\", \"/domain\", \"/uri\" or "
        "\"/uuid\" after it says which key to use. Every call is "
        "one statement bounded by db_query_timeout; when the DB fails the commands return -3 "
        "(never \"nothing found\"), count it in db_errors and log the outage. Needs a DB "
        "driver (db_postgres) for db_url.");
    avpops::Config& c = service_.config();
    spec.param("db_url", &c.db_url, "postgres://user:pass@host:port/db of the AVP table");
    spec.param("avp_table", &c.avp_table, "default table of avp_db_load/store/delete");
    spec.param("uuid_column", &c.uuid_column, "column of the uuid key");
    spec.param("username_column", &c.username_column, "column of the user name");
    spec.param("domain_column", &c.domain_column, "column of the domain");
    spec.param("attribute_column", &c.attribute_column, "column of the attribute (AVP) name");
    spec.param("type_column", &c.type_column, "column of the value type (2: integer, 0: string)");
    spec.param("value_column", &c.value_column, "column of the value");
    spec.param("use_domain", &c.use_domain,
               "key rows of a URI source by username and domain (false: by username only)");
    spec.param("db_connect_timeout", &c.db_connect_timeout_ms, IntRange{50, 60000},
               "ms a DB connection attempt may take");
    spec.param("db_query_timeout", &c.db_query_timeout_ms, IntRange{50, 60000},
               "ms a statement may take; a request never waits longer for the DB");

    spec.command(
        "avp_db_load", {ArgSpec::str("source"), ArgSpec::str("name"), ArgSpec::str("table").opt()},
        kMsgRoutes, [this](const ScriptArgs& a, BindContext& bc) { return bindLoad(a, bc); },
        "avp_db_load(source, name[, table]): loads the values of attribute name "
        "(\"$avp(callfwd)\"; \"$avp(*)\": every attribute, each into the AVP of its name) of "
        "the source's subscriber; 1 loaded, -1 none, -2 the source has no usable value, -3 DB "
        "error");
    spec.command(
        "avp_db_store", {ArgSpec::str("source"), ArgSpec::str("name"), ArgSpec::str("table").opt()},
        kMsgRoutes, [this](const ScriptArgs& a, BindContext& bc) { return bindStore(a, bc); },
        "avp_db_store(source, name[, table]): inserts every value of $avp(name) as a row of the "
        "source's subscriber (integers with type 1); 1 stored, -1 the AVP has no value, -2 bad "
        "source, -3 DB error");
    spec.command(
        "avp_db_delete",
        {ArgSpec::str("source"), ArgSpec::str("name"), ArgSpec::str("table").opt()}, kMsgRoutes,
        [this](const ScriptArgs& a, BindContext& bc) { return bindDelete(a, bc); },
        "avp_db_delete(source, name[, table]): deletes the rows of attribute name (\"$avp(*)\": "
        "all) of the source's subscriber; 1 deleted, -1 none, -2 bad source, -3 DB error");
    spec.command(
        "avp_db_query", {ArgSpec::str("query"), ArgSpec::str("dest").opt()}, kQueryRoutes,
        [this](const ScriptArgs& a, BindContext& bc) { return bindQuery(a, bc); },
        "avp_db_query(query[, \"$avp(a);$avp(b)\"]): runs the statement with its "
        "pseudo-variables as bound parameters; column i of each row goes to the i-th AVP "
        "(first row on top); 1 rows (or done, without dest), -1 no row, -3 DB error");

    spec.command(
        "avp_pushto", {ArgSpec::str("destination"), ArgSpec::str("name")},
        kRequestRoute | kFailureRoute | kBranchRoute,
        [](const ScriptArgs& a, BindContext& bc) { return bindPushTo(a, bc); },
        "avp_pushto(\"$ru\"|\"$ru/username\"|\"$ru/domain\"|\"$du\"|\"$br\", \"$avp(name)\"): "
        "writes the newest value of the AVP there (\"$avp(name)[*]\" with $br: a branch per "
        "value); 1 done, -1 the AVP has no value or the value is no URI");
    spec.command(
        "avp_check", {ArgSpec::str("name"), ArgSpec::str("op_value")}, kMsgRoutes,
        [](const ScriptArgs& a, BindContext& bc) { return bindCheck(a, bc); },
        "avp_check(\"$avp(name)\", \"op/value[/flags]\"): compares the newest value (flag g: "
        "any value) of the AVP with value (a constant, i:int, s:text or a pseudo-variable); op "
        "is eq ne lt le gt ge re fm and or xor, flag i ignores case; 1 passes, -1 not");

    spec.command(
        "is_avp_set", {ArgSpec::str("name")}, kMsgRoutes,
        [](const ScriptArgs& a, BindContext& bc) -> Result<BoundCallPtr> {
          if (a[0].kind == ScriptArg::Kind::kInt) {
            return bc.error(a[0], Status::invalidArgument("expected \"$avp(name)\""));
          }
          Result<avpops::IsSetSpec> spec = avpops::parseIsSet(argText(a[0]));
          if (!spec.isOk()) return bc.error(a[0], spec.status());
          return makeCall([spec = std::move(spec.value())](MsgContext& ctx) {
            return avpops::isAvpSet(ctx, spec) ? Verdict::ok() : Verdict::fail();
          });
        },
        "is_avp_set(\"$avp(name)[/s|/n|/e]\"): true when the AVP has a value (a string, an "
        "integer, an empty string)");

    avpops::Counters& n = service_.counters();
    spec.stat("db_queries", &n.db_queries, "statements sent to the DB");
    spec.stat("db_errors", &n.db_errors, "statements that failed (DB down, timeout, SQL error)");
    spec.stat("loaded_values", &n.loaded_values, "AVP values loaded from the DB");
    spec.stat("bad_rows", &n.bad_rows, "rows skipped (NULL cells, bad integer, bad name)");
  }

  Status init(InitContext& /*ctx*/) override { return service_.init(); }
  Status childInit(const ProcessInfo& /*proc*/) override { return service_.childInit(); }

 private:
  Result<BoundSource> bindSource(const ScriptArg& a, BindContext& bc) {
    BoundSource s;
    s.text = argText(a);
    Result<avpops::SourceSpec> spec = avpops::parseSource(s.text);
    if (!spec.isOk()) return bc.error(a, spec.status());
    s.part = spec.value().part;
    if (spec.value().pvar.empty()) {
      s.is_constant = true;
      s.constant = spec.value().constant;
      return s;
    }
    Result<script::PvarRef> ref = script::resolvePvar(spec.value().pvar);
    if (!ref.isOk()) return bc.error(a, ref.status());
    s.ref = std::move(ref.value());
    return s;
  }

  Result<std::string> bindTable(const ScriptArgs& a, BindContext& bc) {
    Status st = service_.checkUrl();
    if (!st.isOk()) return bc.error(st.message());
    std::string name;
    if (a.size() > 2) {
      if (a[2].kind != ScriptArg::Kind::kString || !a[2].isConstant()) {
        return bc.error(a[2], Status::invalidArgument("the table must be a constant name"));
      }
      name = a[2].text;
    }
    Result<std::string> t = service_.table(name);
    if (!t.isOk()) return bc.error(a.size() > 2 ? a[2] : a[0], t.status());
    return t;
  }

  Result<std::string> bindName(const ScriptArg& a, BindContext& bc, bool allow_all) {
    Result<std::string> name = avpops::parseAvpName(argText(a), allow_all);
    if (!name.isOk()) return bc.error(a, name.status());
    return name;
  }

  // The key of the source in this message; nullopt (logged at debug level) when it has none.
  std::optional<avpops::RowKey> keyOf(const BoundSource& s, MsgContext& ctx) {
    std::string value = s.is_constant ? s.constant : [&] {
      script::Value v = s.ref.get(ctx);
      return v.isNull() ? std::string() : v.toString();
    }();
    Result<avpops::RowKey> key = avpops::keyOf(value, s.part, service_.config().use_domain);
    if (!key.isOk()) {
      SL_DBG("avpops: source %s: %s", s.text.c_str(), key.status().message().c_str());
      return std::nullopt;
    }
    return std::move(key.value());
  }

  static Verdict verdictOf(int n) {
    if (n == avpops::kError) return Verdict::fail(kDbError);
    return n > 0 ? Verdict::ok() : Verdict::fail(kNothing);
  }

  Result<BoundCallPtr> bindLoad(const ScriptArgs& a, BindContext& bc) {
    Result<BoundSource> src = bindSource(a[0], bc);
    if (!src.isOk()) return src.status();
    Result<std::string> name = bindName(a[1], bc, true);
    if (!name.isOk()) return name.status();
    Result<std::string> table = bindTable(a, bc);
    if (!table.isOk()) return table.status();
    std::optional<std::string> attr;
    if (name.value() != "*") attr = name.value();
    return makeCall([this, src = std::move(src.value()), attr, name = name.value(),
                     table = table.value()](MsgContext& ctx) {
      std::optional<avpops::RowKey> key = keyOf(src, ctx);
      if (!key.has_value()) return Verdict::fail(kBadSource);
      return verdictOf(service_.load(table, *key, attr, name, ctx.avps));
    });
  }

  Result<BoundCallPtr> bindStore(const ScriptArgs& a, BindContext& bc) {
    Result<BoundSource> src = bindSource(a[0], bc);
    if (!src.isOk()) return src.status();
    Result<std::string> name = bindName(a[1], bc, false);
    if (!name.isOk()) return name.status();
    Result<std::string> table = bindTable(a, bc);
    if (!table.isOk()) return table.status();
    return makeCall([this, src = std::move(src.value()), name = name.value(),
                     table = table.value()](MsgContext& ctx) {
      std::vector<script::Value> values;
      // Oldest first, so a later load gives them back in the order they were added.
      ctx.avps.forEach(name, [&](const script::Value& v) { values.push_back(v.ownedCopy()); });
      if (values.empty()) return Verdict::fail(kNothing);
      std::reverse(values.begin(), values.end());
      std::optional<avpops::RowKey> key = keyOf(src, ctx);
      if (!key.has_value()) return Verdict::fail(kBadSource);
      return verdictOf(service_.store(table, *key, name, values));
    });
  }

  Result<BoundCallPtr> bindDelete(const ScriptArgs& a, BindContext& bc) {
    Result<BoundSource> src = bindSource(a[0], bc);
    if (!src.isOk()) return src.status();
    Result<std::string> name = bindName(a[1], bc, true);
    if (!name.isOk()) return name.status();
    Result<std::string> table = bindTable(a, bc);
    if (!table.isOk()) return table.status();
    std::optional<std::string> attr;
    if (name.value() != "*") attr = name.value();
    return makeCall(
        [this, src = std::move(src.value()), attr, table = table.value()](MsgContext& ctx) {
          std::optional<avpops::RowKey> key = keyOf(src, ctx);
          if (!key.has_value()) return Verdict::fail(kBadSource);
          return verdictOf(service_.remove(table, *key, attr));
        });
  }

  Result<BoundCallPtr> bindQuery(const ScriptArgs& a, BindContext& bc) {
    Status st = service_.checkUrl();
    if (!st.isOk()) return bc.error(st.message());
    if (a[0].kind != ScriptArg::Kind::kString) {
      return bc.error(
          a[0], Status::invalidArgument("the query must be a string literal (its pseudo-variables "
                                        "become bound parameters)"));
    }
    Result<avpops::QueryTemplate> tpl = avpops::parseQueryTemplate(a[0].text);
    if (!tpl.isOk()) return bc.error(a[0], tpl.status());
    std::vector<script::PvarRef> refs;
    for (const std::string& p : tpl.value().pvars) {
      Result<script::PvarRef> ref = script::resolvePvar(p);
      if (!ref.isOk()) return bc.error(a[0], ref.status().withPrefix("$" + p));
      refs.push_back(std::move(ref.value()));
    }
    std::vector<std::string> dest;
    if (a.size() > 1) {
      Result<std::vector<std::string>> list = avpops::parseAvpList(argText(a[1]));
      if (!list.isOk()) return bc.error(a[1], list.status());
      dest = std::move(list.value());
    }
    service_.useQueries();
    return makeCall([this, sql = tpl.value().sql, refs = std::move(refs),
                     dest = std::move(dest)](MsgContext& ctx) {
      std::vector<db::Param> params;
      params.reserve(refs.size());
      for (const script::PvarRef& r : refs) {
        script::Value v = r.get(ctx);
        if (v.isNull()) {
          params.emplace_back(std::monostate{});
        } else {
          params.emplace_back(v.toString());
        }
      }
      int n = service_.query(sql, params, dest, ctx.avps);
      if (n == avpops::kError) return Verdict::fail(kDbError);
      return dest.empty() || n > 0 ? Verdict::ok() : Verdict::fail(kNothing);
    });
  }

  static Result<BoundCallPtr> bindPushTo(const ScriptArgs& a, BindContext& bc) {
    for (const ScriptArg& arg : a) {
      if (arg.kind == ScriptArg::Kind::kInt) {
        return bc.error(arg, Status::invalidArgument("expected a pseudo-variable such as \"$ru\""));
      }
    }
    Result<avpops::PushSpec> spec = avpops::parsePush(argText(a[0]), argText(a[1]));
    if (!spec.isOk()) return bc.error(a[0], spec.status());
    return makeCall([spec = std::move(spec.value()),
                     site = ScriptErrorSite(bc.pos(), "avp_pushto")](MsgContext& ctx) {
      std::string error;
      int rc = avpops::pushTo(ctx, spec, &error);
      if (!error.empty()) site.report(ctx, "%s", error.c_str());
      return rc > 0 ? Verdict::ok() : Verdict::fail();
    });
  }

  static Result<BoundCallPtr> bindCheck(const ScriptArgs& a, BindContext& bc) {
    if (a[0].kind == ScriptArg::Kind::kInt) {
      return bc.error(a[0], Status::invalidArgument("expected \"$avp(name)\""));
    }
    if (a[1].kind != ScriptArg::Kind::kString) {
      return bc.error(a[1], Status::invalidArgument("expected a constant \"op/value[/flags]\""));
    }
    Result<avpops::CheckSpec> spec = avpops::parseCheck(argText(a[0]), a[1].text);
    if (!spec.isOk()) return bc.error(a[1], spec.status());
    std::optional<script::PvarRef> ref;
    if (!spec.value().pvar.empty()) {
      Result<script::PvarRef> r = script::resolvePvar(spec.value().pvar);
      if (!r.isOk()) return bc.error(a[1], r.status());
      ref = std::move(r.value());
    }
    return makeCall([spec = std::move(spec.value()), ref = std::move(ref)](MsgContext& ctx) {
      script::Value value = ref.has_value() ? ref->get(ctx).ownedCopy() : spec.constant;
      return avpops::checkAvp(ctx, spec, value) ? Verdict::ok() : Verdict::fail();
    });
  }

  avpops::Service service_;
};

}  // namespace
}  // namespace sipline

SIPLINE_MODULE("avpops", sipline::AvpopsModule)
