// dispatcher: load balancing and failover over destination sets (gateways, media servers).
// Glue only: parameters, statistics, MI, the probe timer and the binding of ds_select_dst(),
// ds_select_domain(), ds_next_dst(), ds_next_domain(), ds_mark_dst(), ds_is_in_list() and
// ds_is_from_list(); the work is in dispatcher.h (sets, state, probing), ds_algo.h and
// ds_script.h.
#include <map>
#include <optional>
#include <random>
#include <string>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/config/settings.h"
#include "core/module/module.h"
#include "core/script/format.h"
#include "core/sip/msg_context.h"
#include "modules/dispatcher/dispatcher.h"
#include "modules/dispatcher/ds_mi.h"
#include "modules/dispatcher/ds_script.h"

namespace sipline {
namespace {

using dispatcher::Alg;
using dispatcher::Destination;
using dispatcher::DsState;

constexpr std::uint32_t kSelectRoutes = kRequestRoute | kFailureRoute | kBranchRoute;
constexpr std::uint32_t kMsgRoutes = kRequestRoute | kOnReplyRoute | kFailureRoute | kBranchRoute;

std::uint64_t randomKey() {
  static std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

class DispatcherModule : public Module {
 public:
  void describe(ModuleSpec& spec) override {
    spec.summary("load balancing and failover over destination sets, with OPTIONS probing");
    spec.description(
        "Destination sets (PSTN gateways, media servers, other proxies) come from the "
        "dispatcher table (db_url) or from a file (list_file), one source or the other. "
        "ds_select_dst() picks a destination of a set by one of ten algorithms (hashes of "
        "Call-ID, From, To, request-URI, the authorization user or a pseudo-variable, round "
        "robin, random, first by priority, weight) and keeps the other usable destinations "
        "for ds_next_dst() in failure_route. Only active destinations are chosen.\n\n"
        "The state of every destination (active, inactive, probing) is shared by all "
        "processes. With ds_ping_interval set the timer process probes destinations with "
        "OPTIONS through tm: a probing destination that answers becomes active, an active "
        "one that fails ds_probing_threshold requests in a row (probes with "
        "ds_probing_mode 1, or ds_mark_dst() after a failed relay) becomes probing. "
        "ds_reload (MI) reads the source again and keeps the state of the destinations that "
        "stay; when it fails the old sets stay. When the DB cannot be reached at start the "
        "server starts with no sets and a loader process retries until the DB is back. Needs tm "
        "for probing and a DB driver "
        "(db_postgres) for db_url.");
    spec.dependsOn("tm", Dependency::kOptional);
    dispatcher::Config& c = service_.config();
    spec.param("db_url", &c.db_url, "postgres://user:pass@host:port/db of the dispatcher table");
    spec.param("table_name", &c.table_name, "table of the destinations (default dispatcher)");
    spec.param("list_file", &c.list_file,
               "file of destinations instead of the DB: \"setid uri [flags [priority [attrs "
               "[weight]]]]\" per line (relative: to the settings file's directory)");
    spec.param("attrs_avp", &c.attrs_avp,
               "$avp(name) that receives the attrs of the chosen destination");
    spec.param("hash_pvar", &c.hash_pvar,
               "text with pseudo-variables hashed by algorithm 7, e.g. \"$fU\"");
    spec.param("ds_ping_interval", &c.ping_interval_s, IntRange{0, 86400},
               "seconds between probe rounds; 0 (default): no probing");
    spec.param("ds_probing_threshold", &c.probing_threshold, IntRange{1, 1000},
               "failed requests in a row that set an active destination probing (default 1)");
    spec.param("ds_ping_method", &c.ping_method, "method of the probes (default OPTIONS)");
    spec.param("ds_ping_from", &c.ping_from,
               "From URI of the probes (default sip:sipline@<socket address>)");
    spec.param("ds_probing_mode", &c.probing_mode, IntRange{0, 1},
               "0 (default): probe only destinations in probing state; 1: probe every "
               "destination that is not inactive");
    spec.param("options_reply_codes", &c.options_reply_codes,
               "reply codes besides 2xx that count as alive, comma separated (\"501,403\")");
    spec.param("db_connect_timeout", &c.db_connect_timeout_ms, IntRange{50, 60000},
               "ms a DB connection attempt may take");
    spec.param("db_query_timeout", &c.db_query_timeout_ms, IntRange{50, 60000},
               "ms a DB statement may take");

    spec.command(
        "ds_select_dst",
        {ArgSpec::integer("set"), ArgSpec::integer("alg"), ArgSpec::integer("max_results").opt()},
        kSelectRoutes,
        [this](const ScriptArgs& a, BindContext& bc) { return bindSelect(a, bc, false); },
        "ds_select_dst(set, alg[, max_results]): sets $du to a destination of set chosen by "
        "alg (0 Call-ID, 1 From, 2 To, 3 R-URI, 4 round robin, 5 auth user, 6 random, 7 "
        "hash_pvar, 8 priority, 9 weight) and keeps the others for ds_next_dst(); false when "
        "the set is unknown or none is active");
    spec.command(
        "ds_select_domain",
        {ArgSpec::integer("set"), ArgSpec::integer("alg"), ArgSpec::integer("max_results").opt()},
        kSelectRoutes,
        [this](const ScriptArgs& a, BindContext& bc) { return bindSelect(a, bc, true); },
        "ds_select_domain(set, alg[, max_results]): as ds_select_dst() but rewrites the "
        "request-URI's host:port");
    spec.command(
        "ds_next_dst", {}, kRequestRoute | kFailureRoute,
        [this](const ScriptArgs&, BindContext&) { return bindNext(false); },
        "ds_next_dst(): the next candidate of the last selection into $du; false when none is "
        "left");
    spec.command(
        "ds_next_domain", {}, kRequestRoute | kFailureRoute,
        [this](const ScriptArgs&, BindContext&) { return bindNext(true); },
        "ds_next_domain(): the next candidate into the request-URI's host:port");
    spec.command(
        "ds_mark_dst", {ArgSpec::str("state").opt()}, kMsgRoutes,
        [this](const ScriptArgs& a, BindContext& bc) { return bindMark(a, bc); },
        "ds_mark_dst([state]): marks the destination in use: \"i\" inactive, \"a\" active, "
        "\"p\" one more failure (probing at ds_probing_threshold); default \"p\" with probing "
        "on, else \"i\"");
    spec.command(
        "ds_is_in_list",
        {ArgSpec::str("ip"), ArgSpec::integer("port"), ArgSpec::integer("set").opt()}, kMsgRoutes,
        [this](const ScriptArgs& a, BindContext& bc) { return bindInList(a, bc); },
        "ds_is_in_list(ip, port[, set]): true when ip:port (port 0: any) is a destination "
        "(of set)");
    spec.command(
        "ds_is_from_list", {ArgSpec::integer("set").opt()}, kMsgRoutes,
        [this](const ScriptArgs& a, BindContext& bc) { return bindFromList(a, bc); },
        "ds_is_from_list([set]): true when the message's source address and port are a "
        "destination (of set)");

    dispatcher::Counters& n = service_.counters();
    spec.stat("ds_selects", &n.selects, "selections that chose a destination");
    spec.stat("ds_failovers", &n.failovers, "ds_next_dst/ds_next_domain that chose a destination");
    spec.stat("ds_probes_sent", &n.probes_sent, "probes sent");
    spec.stat("ds_probes_failed", &n.probes_failed, "probes not answered with an alive code");
    spec.stat("ds_state_changes", &n.state_changes, "destination state changes");
    spec.stat("ds_reloads", &n.reloads, "successful reloads");
    spec.stat("ds_reload_errors", &n.reload_errors, "reloads that failed (old sets kept)");
    spec.stat("ds_active", &n.active, "destinations active", StatKind::kGauge);
    spec.stat("ds_probing", &n.probing, "destinations probing", StatKind::kGauge);
    spec.stat("ds_inactive", &n.inactive, "destinations inactive", StatKind::kGauge);

    spec.mi("ds_list", {}, "the sets, their destinations and states",
            [this](const MiParams&) { return dispatcher::miList(service_); });
    spec.mi("ds_reload", {},
            "reads the sets again (keeping the state of destinations that stay); on error the "
            "old sets stay",
            [this](const MiParams&) { return dispatcher::miReload(service_); });
    spec.mi("ds_set_state",
            {MiParamSpec::str("state", "a (active), i (inactive) or p (probing)"),
             MiParamSpec::integer("set", "set id"), MiParamSpec::str("destination", "its URI")},
            "sets the state of a destination",
            [this](const MiParams& p) { return dispatcher::miSetState(service_, p); });
    spec.timer("dispatcher-probe", 200, [this] { service_.tick(monotonicMs()); });
    // Only after a start without the DB: its retries may wait for a DB connect timeout,
    // which must not delay the timer process (tm's timers) or a worker.
    spec.process(
        "dispatcher-loader", [this] { return service_.runLoader(); },
        [this] { return service_.loadPending(); });
  }

  Status init(InitContext& ctx) override {
    Result<std::string> avp = dispatcher::avpNameOf(service_.config().attrs_avp);
    if (!avp.isOk()) return avp.status().withPrefix("dispatcher: attrs_avp");
    attrs_avp_ = avp.value();
    Status st = compileHashPvar();
    if (!st.isOk()) return st;
    // A relative list_file is relative to the settings file, as every path of the settings
    // (the server's working directory is "/" under systemd).
    std::string& list_file = service_.config().list_file;
    if (!list_file.empty() && list_file.front() != '/' && !ctx.settings().dir.empty()) {
      list_file = ctx.settings().dir + "/" + list_file;
    }
    tm::Api* tm = nullptr;
    if (service_.config().ping_interval_s > 0) {
      Result<tm::Api*> t = ctx.require<tm::Api>("tm", "dispatcher's ds_ping_interval");
      if (!t.isOk()) return t.status();
      tm = t.value();
    }
    st = service_.init(ctx.segment().manager(), tm);
    if (!st.isOk()) return st;
    // A set the script names that the source lacks is not an error (a reload may add it),
    // but most likely a typo.
    for (const auto& [setid, where] : script_sets_) {
      if (service_.loadPending()) break;  // no sets at all until the DB is back
      if (service_.list().find(setid) == nullptr) {
        SL_WARN("dispatcher: %s names set %lld, which has no destination", where.c_str(),
                static_cast<long long>(setid));
      }
    }
    return Status::ok();
  }

 private:
  Status compileHashPvar() {
    if (hash_pvar_ != nullptr || service_.config().hash_pvar.empty()) return Status::ok();
    Result<FormatPtr> f = Format::compile(service_.config().hash_pvar);
    if (!f.isOk()) return f.status().withPrefix("dispatcher: hash_pvar");
    hash_pvar_ = f.value();
    return Status::ok();
  }

  Result<BoundCallPtr> bindSelect(const ScriptArgs& a, BindContext& bc, bool domain) {
    Result<IntArg> set = bc.intArg(a[0]);
    if (!set.isOk()) return set.status();
    if (set.value().isConstant() && set.value().constant() < 0) {
      return bc.error(a[0], Status::invalidArgument("the set must be a number >= 0"));
    }
    if (set.value().isConstant()) script_sets_.emplace(set.value().constant(), a[0].pos.toString());
    Result<IntArg> alg = bc.intArg(a[1]);
    if (!alg.isOk()) return alg.status();
    if (alg.value().isConstant()) {
      std::int64_t v = alg.value().constant();
      if (v < 0 || v >= dispatcher::kAlgCount) {
        return bc.error(a[1], Status::invalidArgument("the algorithm must be 0..9"));
      }
      if (v == static_cast<std::int64_t>(Alg::kHashPvar) && service_.config().hash_pvar.empty()) {
        return bc.error(a[1], Status::invalidArgument("algorithm 7 needs the hash_pvar parameter"));
      }
    }
    Status st = compileHashPvar();
    if (!st.isOk()) return bc.error(st.message());
    IntArg max(0);
    if (a.size() > 2) {
      Result<IntArg> m = bc.intArg(a[2]);
      if (!m.isOk()) return m.status();
      if (m.value().isConstant() && m.value().constant() < 0) {
        return bc.error(a[2], Status::invalidArgument("max_results must be >= 0"));
      }
      max = m.value();
    }
    return makeCall([this, set = set.value(), alg = alg.value(), max, domain](MsgContext& ctx) {
      std::int64_t s = 0, g = 0, m = 0;
      if (!set.eval(ctx, s) || !alg.eval(ctx, g) || !max.eval(ctx, m) || s < 0 || g < 0 ||
          g >= dispatcher::kAlgCount || m < 0) {
        SL_ERR_RATELIMITED(
            "dispatcher: ds_select: bad set, algorithm or max_results (Call-ID %.*s)",
            SL_SV(ctx.msg().callId()));
        return Verdict::fail();
      }
      Alg algo = static_cast<Alg>(g);
      if (algo == Alg::kHashPvar && hash_pvar_ == nullptr) {
        SL_ERR_RATELIMITED("dispatcher: ds_select: algorithm 7 needs hash_pvar (Call-ID %.*s)",
                           SL_SV(ctx.msg().callId()));
        return Verdict::fail();
      }
      std::uint64_t key = 0;
      if (dispatcher::isHashAlg(algo)) {
        std::optional<std::string> text = dispatcher::hashText(ctx, algo, hash_pvar_.get());
        if (text.has_value()) {
          key = dispatcher::hashKey(*text);
        } else {
          algo = Alg::kRoundRobin;  // alg 5 without credentials, as OpenSIPS
        }
      } else if (algo == Alg::kRandom || algo == Alg::kWeight) {
        key = randomKey();
      }
      Result<std::vector<Destination>> c =
          service_.select(s, algo, key, static_cast<std::size_t>(m));
      if (!c.isOk()) {
        SL_ERR_RATELIMITED("dispatcher: ds_select: %s (Call-ID %.*s)", c.status().message().c_str(),
                           SL_SV(ctx.msg().callId()));
        return Verdict::fail();
      }
      std::vector<Destination>& list = c.value();
      if (list.empty()) return Verdict::fail();
      Status used = dispatcher::useDestination(ctx, list.front(), domain, attrs_avp_);
      if (!used.isOk()) {
        SL_ERR_RATELIMITED("dispatcher: cannot use %s: %s", list.front().uri.c_str(),
                           used.message().c_str());
        return Verdict::fail();
      }
      list.erase(list.begin());
      dispatcher::keepCandidates(ctx, list);
      return Verdict::ok();
    });
  }

  Result<BoundCallPtr> bindNext(bool domain) {
    return makeCall([this, domain](MsgContext& ctx) {
      // Bounded: every pass takes one candidate off.
      while (auto next = dispatcher::takeCandidate(ctx)) {
        const Destination* d = service_.find(next->first, next->second);
        Destination gone;
        if (d == nullptr) {
          // Removed by a reload since the selection: still a valid address.
          gone.setid = next->first;
          gone.uri = next->second;
          if (!dispatcher::checkDestination(gone).isOk()) continue;
          d = &gone;
        }
        if (!dispatcher::useDestination(ctx, *d, domain, attrs_avp_).isOk()) continue;
        service_.counters().failovers.inc();
        return Verdict::ok();
      }
      return Verdict::fail();
    });
  }

  Result<BoundCallPtr> bindMark(const ScriptArgs& a, BindContext& bc) {
    std::optional<DsState> state;
    if (!a.empty()) {
      if (!a[0].isConstant()) {
        return bc.error(a[0], Status::invalidArgument("the state must be a constant"));
      }
      Result<DsState> s = dispatcher::parseState(a[0].text);
      if (!s.isOk()) return bc.error(a[0], s.status());
      state = s.value();
    }
    return makeCall([this, state](MsgContext& ctx) {
      auto cur = dispatcher::currentDestination(ctx);
      if (!cur.has_value()) return Verdict::fail();
      DsState want = state.value_or(service_.config().ping_interval_s > 0 ? DsState::kProbing
                                                                          : DsState::kInactive);
      Status st = want == DsState::kProbing
                      ? service_.noteFailure(cur->first, cur->second, "ds_mark_dst")
                      : service_.setState(cur->first, cur->second, want, "ds_mark_dst");
      if (!st.isOk()) {
        SL_DBG("dispatcher: ds_mark_dst: %s", st.message().c_str());
        return Verdict::fail();
      }
      return Verdict::ok();
    });
  }

  Result<std::optional<IntArg>> bindSet(const ScriptArgs& a, std::size_t i, BindContext& bc) {
    if (a.size() <= i) return std::optional<IntArg>();
    Result<IntArg> s = bc.intArg(a[i]);
    if (!s.isOk()) return s.status();
    if (s.value().isConstant() && s.value().constant() < 0) {
      return bc.error(a[i], Status::invalidArgument("the set must be a number >= 0"));
    }
    return std::optional<IntArg>(s.value());
  }

  Result<BoundCallPtr> bindInList(const ScriptArgs& a, BindContext& bc) {
    Result<StrArg> ip = bc.strArg(a[0]);
    if (!ip.isOk()) return ip.status();
    Result<IntArg> port = bc.intArg(a[1]);
    if (!port.isOk()) return port.status();
    Result<std::optional<IntArg>> set = bindSet(a, 2, bc);
    if (!set.isOk()) return set.status();
    return makeCall(
        [this, ip = ip.value(), port = port.value(), set = set.value()](MsgContext& ctx) {
          std::string scratch;
          std::int64_t p = 0;
          if (!port.eval(ctx, p) || p < 0 || p > 65535) return Verdict::fail();
          SockAddr addr;
          if (!SockAddr::fromNumeric(ip.eval(ctx, scratch), static_cast<std::uint16_t>(p), addr)) {
            return Verdict::fail();
          }
          std::optional<std::int64_t> s;
          if (set.has_value()) {
            std::int64_t v = 0;
            if (!set->eval(ctx, v)) return Verdict::fail();
            s = v;
          }
          return service_.isInList(addr, p == 0, s) ? Verdict::ok() : Verdict::fail();
        });
  }

  Result<BoundCallPtr> bindFromList(const ScriptArgs& a, BindContext& bc) {
    Result<std::optional<IntArg>> set = bindSet(a, 0, bc);
    if (!set.isOk()) return set.status();
    return makeCall([this, set = set.value()](MsgContext& ctx) {
      std::optional<std::int64_t> s;
      if (set.has_value()) {
        std::int64_t v = 0;
        if (!set->eval(ctx, v)) return Verdict::fail();
        s = v;
      }
      return service_.isInList(ctx.rcv().src, false, s) ? Verdict::ok() : Verdict::fail();
    });
  }

  dispatcher::Service service_;
  std::string attrs_avp_;
  FormatPtr hash_pvar_;
  std::map<std::int64_t, std::string> script_sets_;  // constant sets of ds_select_*: where
};

}  // namespace
}  // namespace sipline

SIPLINE_MODULE("dispatcher", sipline::DispatcherModule)
