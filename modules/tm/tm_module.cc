// tm: transaction-stateful proxying. Glue only: parameters, script commands, statistics, the
// MI command and the timer; the engine (engine.h) does the work.
#include <memory>
#include <string>

#include "core/base/clock.h"
#include "core/base/regex.h"
#include "core/base/strings.h"
#include "core/module/module.h"
#include "core/sip/msg_context.h"
#include "core/sip/transaction_layer.h"
#include "core/transport/stream_send.h"
#include "modules/tm/engine.h"
#include "modules/tm/mi_uac.h"
#include "modules/tm/serial.h"

namespace sipline {
namespace {

tm::Engine* g_engine = nullptr;  // for the transport's failure reports (plain function)

constexpr std::uint32_t kRequestOrFailure = kRequestRoute | kFailureRoute;

class TmModule : public Module {
 public:
  void describe(ModuleSpec& spec) override {
    spec.summary("transaction-stateful proxying (RFC 3261 §16, §17)");
    spec.description(
        "A request relayed with t_relay() gets a server transaction, and every destination it "
        "is sent to a client branch, all in one table in shared memory, so replies, "
        "retransmissions and CANCELs are matched whichever worker receives them. The module "
        "retransmits over UDP, absorbs retransmitted requests, sends 100 Trying for INVITEs, "
        "times branches out with 408, relays provisional and 2xx replies at once and picks "
        "the best final reply when every branch has ended (RFC 3261 §16.7).\n\n"
        "Failure, reply and branch routes armed with t_on_failure(), t_on_reply() and "
        "t_on_branch() let the script act on the outcome: serial forking by q with "
        "t_load_contacts() and t_next_contacts(), or failover to another gateway. It offers "
        "the tm service to other modules, and the MI command t_uac sends a request from the "
        "server itself.");
    spec.param("fr_timeout", &fr_timeout_s_, IntRange{1, 3600},
               "seconds a branch waits for a final reply (INVITE: for any reply) before 408");
    spec.param("fr_inv_timeout", &fr_inv_timeout_s_, IntRange{1, 86400},
               "seconds an INVITE branch that got a provisional reply waits for the final one");
    spec.param("wt_timer", &wt_timer_ms_, IntRange{10, 120000},
               "ms a completed transaction stays to absorb retransmissions (timers D and J)");
    spec.param("t1_timer", &t1_ms_, IntRange{10, 60000}, "RFC 3261 T1 in ms (RTT estimate)");
    spec.param("t2_timer", &t2_ms_, IntRange{10, 60000},
               "RFC 3261 T2 in ms (longest retransmission interval)");
    spec.param("t4_timer", &t4_ms_, IntRange{10, 60000},
               "RFC 3261 T4 in ms (how long the network holds a message; timers I and K)");
    spec.param("max_inv_lifetime", &max_inv_s_, IntRange{1, 86400},
               "seconds after which an INVITE transaction without a final reply gets 408");
    spec.param("max_noninv_lifetime", &max_noninv_s_, IntRange{1, 3600},
               "seconds after which a non-INVITE transaction without a final reply gets 408");
    spec.param("hash_size", &hash_size_, IntRange{16, 1 << 20},
               "buckets of the transaction table (a power of two)");
    spec.param("auto_100trying", &auto_100_, "send 100 Trying for every INVITE made stateful");

    spec.command(
        "t_relay", {ArgSpec::str("flags").opt()}, kRequestOrFailure,
        [this](const ScriptArgs& a, BindContext& bc) { return bindRelay(a, bc); },
        "t_relay([flags]): relays statefully to $du/$ru and every appended branch; "
        "relays a CANCEL to the pending branches of its INVITE");
    spec.command(
        "t_newtran", {}, kRequestRoute,
        [this](const ScriptArgs&, BindContext&) -> Result<BoundCallPtr> {
          return makeCall(
              [this](MsgContext& ctx) { return Verdict::of(engine_.newTransaction(ctx)); });
        },
        "t_newtran(): makes the request stateful (absorbs its retransmissions)");
    spec.command(
        "t_reply", {ArgSpec::integer("code"), ArgSpec::str("reason")}, kRequestOrFailure,
        [this](const ScriptArgs& a, BindContext& bc) { return bindReply(a, bc); },
        "t_reply(code, reason): answers through the transaction (created if needed)");
    spec.command(
        "t_on_failure", {ArgSpec::str("route")}, kRequestOrFailure,
        [](const ScriptArgs& a, BindContext& bc) {
          return bindArm(a, bc, kFailureRoute, &TransactionHints::on_failure);
        },
        "t_on_failure(name): runs failure_route[name] when every branch failed");
    spec.command(
        "t_on_reply", {ArgSpec::str("route")}, kRequestOrFailure | kBranchRoute,
        [](const ScriptArgs& a, BindContext& bc) {
          return bindArm(a, bc, kOnReplyRoute, &TransactionHints::on_reply);
        },
        "t_on_reply(name): runs onreply_route[name] for the replies of the transaction");
    spec.command(
        "t_on_branch", {ArgSpec::str("route")}, kRequestOrFailure,
        [](const ScriptArgs& a, BindContext& bc) {
          return bindArm(a, bc, kBranchRoute, &TransactionHints::on_branch);
        },
        "t_on_branch(name): runs branch_route[name] for every branch t_relay() sends");
    spec.command(
        "t_check_trans", {}, kRequestRoute | kOnReplyRoute | kFailureRoute,
        [this](const ScriptArgs&, BindContext&) -> Result<BoundCallPtr> {
          return makeCall([this](MsgContext& ctx) {
            if (!ctx.msg().isRequest()) return Verdict::ok();
            return Verdict::of(engine_.checkTransaction(ctx));
          });
        },
        "t_check_trans(): true when the request belongs to a transaction (a CANCEL to "
        "its INVITE); a retransmission is answered and the script stops");
    spec.command(
        "t_was_cancelled", {}, kFailureRoute | kOnReplyRoute | kBranchRoute,
        [this](const ScriptArgs&, BindContext&) -> Result<BoundCallPtr> {
          return makeCall([this](MsgContext& ctx) {
            return engine_.wasCanceled(ctx) ? Verdict::ok() : Verdict::fail();
          });
        },
        "t_was_cancelled(): true when the caller canceled the INVITE");
    spec.command(
        "t_check_status", {ArgSpec::str("regex")}, kFailureRoute | kOnReplyRoute,
        [](const ScriptArgs& a, BindContext& bc) { return bindCheckStatus(a, bc); },
        "t_check_status(regex): matches the reply code (failure_route: the winning one)");
    spec.command(
        "t_set_fr", {ArgSpec::integer("fr_inv_ms"), ArgSpec::integer("fr_ms").opt()},
        kRequestOrFailure, [](const ScriptArgs& a, BindContext& bc) { return bindSetFr(a, bc); },
        "t_set_fr(fr_inv_ms[, fr_ms]): timeouts for this transaction (0 keeps one)");
    spec.command(
        "t_local_replied", {ArgSpec::str("which")}, kFailureRoute | kOnReplyRoute,
        [this](const ScriptArgs& a, BindContext& bc) { return bindLocalReplied(a, bc); },
        "t_local_replied(\"all\"|\"last\"): the failure was generated here (timeout, "
        "transport error)");

    spec.command(
        "t_load_contacts", {}, kRequestOrFailure,
        [](const ScriptArgs&, BindContext&) -> Result<BoundCallPtr> {
          return makeCall([](MsgContext& ctx) {
            tm::loadContacts(ctx);
            return Verdict::ok();
          });
        },
        "t_load_contacts(): orders $ru and the appended branches by q for serial "
        "forking (nothing to do when all have the same q)");
    spec.command(
        "t_next_contacts", {}, kRequestOrFailure,
        [](const ScriptArgs&, BindContext&) -> Result<BoundCallPtr> {
          return makeCall([](MsgContext& ctx) {
            return tm::nextContacts(ctx) ? Verdict::ok() : Verdict::fail();
          });
        },
        "t_next_contacts(): the next q group becomes $ru and branches; false when "
        "none is left");
    spec.stat("inuse_transactions", &engine_.stats().inuse, "transactions in the table",
              StatKind::kGauge);
    spec.stat("uas_transactions", &engine_.stats().uas, "server transactions created");
    spec.stat("uac_transactions", &engine_.stats().uac, "client branches sent");
    spec.stat("local_transactions", &engine_.stats().local_uac,
              "requests this server originated (UAC API)");
    spec.stat("received_replies", &engine_.stats().received_replies,
              "replies matched to a transaction");
    spec.stat("relayed_replies", &engine_.stats().relayed_replies, "replies relayed upstream");
    spec.stat("local_replies", &engine_.stats().local_replies, "replies generated by tm");
    spec.stat("retransmissions", &engine_.stats().retransmissions,
              "requests and replies retransmitted (timers A, E, G)");
    spec.stat("absorbed_retransmissions", &engine_.stats().absorbed,
              "retransmitted requests answered from their transaction");
    spec.stat("timeouts", &engine_.stats().timeouts, "branches without a final reply in time");
    spec.stat("canceled_transactions", &engine_.stats().canceled, "INVITEs canceled");
    spec.stat("no_memory", &engine_.stats().no_memory,
              "transactions refused (500) because shared memory was full");
    spec.stat("dns_failovers", &engine_.stats().failovers,
              "branches moved to the next RFC 3263 target");
    const char* finals[] = {"1xx_transactions", "2xx_transactions", "3xx_transactions",
                            "4xx_transactions", "5xx_transactions", "6xx_transactions"};
    for (int i = 1; i < 6; ++i) {
      spec.stat(finals[i], &engine_.stats().final_by_class[i], "finals sent upstream, by class",
                StatKind::kCounter,
                StatLabels{"transactions_class", {{"class", std::to_string(i + 1) + "xx"}}});
    }
    spec.mi("t_stats", {}, "transaction counts: in use, created, replies",
            [this](const MiParams&) -> Result<Json> {
              tm::TmStats& s = engine_.stats();
              Json out = Json::object();
              out["inuse"] = s.inuse.get();
              out["uas"] = s.uas.get();
              out["uac"] = s.uac.get();
              out["relayed_replies"] = s.relayed_replies.get();
              out["local_replies"] = s.local_replies.get();
              out["retransmissions"] = s.retransmissions.get();
              out["timeouts"] = s.timeouts.get();
              out["no_memory"] = s.no_memory.get();
              return out;
            });
    spec.mi("t_uac",
            {MiParamSpec::str("method", "request method, e.g. OPTIONS"),
             MiParamSpec::str("ruri", "request-URI"),
             MiParamSpec::str("dst", "next hop (URI or host:port); default: the request-URI").opt(),
             MiParamSpec::str("headers", "extra header lines, each ending in CRLF").opt(),
             MiParamSpec::str("body", "message body").opt(),
             MiParamSpec::str("content_type", "type of the body").opt()},
            "sends a request from the server (through local_route) and returns its final reply",
            [this](const MiParams& p) { return miUac(p); });
    spec.provide<tm::Api>("tm", &engine_);
    spec.timer("transactions", 10, [this] { engine_.onTimer(monotonicMs()); });
  }

  Status init(InitContext& ctx) override {
    if ((hash_size_ & (hash_size_ - 1)) != 0) {
      return Status::invalidArgument("tm: hash_size must be a power of two, got " +
                                     std::to_string(hash_size_));
    }
    if (t2_ms_ < t1_ms_) {
      return Status::invalidArgument("tm: t2_timer (" + std::to_string(t2_ms_) +
                                     " ms) must not be below t1_timer (" + std::to_string(t1_ms_) +
                                     " ms)");
    }
    tm::TmConfig cfg;
    cfg.t1_ms = t1_ms_;
    cfg.t2_ms = t2_ms_;
    cfg.t4_ms = t4_ms_;
    cfg.fr_ms = fr_timeout_s_ * 1000;
    cfg.fr_inv_ms = fr_inv_timeout_s_ * 1000;
    cfg.wait_ms = wt_timer_ms_;
    cfg.max_inv_lifetime_ms = max_inv_s_ * 1000;
    cfg.max_noninv_lifetime_ms = max_noninv_s_ * 1000;
    cfg.hash_size = static_cast<std::uint32_t>(hash_size_);
    cfg.auto_100 = auto_100_;
    Status st = engine_.init(ctx.segment(), cfg);
    g_engine = &engine_;
    addStreamFailureHandler([](Proto, const SockAddr& peer, std::string_view unsent) {
      if (g_engine != nullptr) g_engine->onStreamFailure(peer, unsent);
    });
    if (!st.isOk()) return st;
    st = mi_uac_.init(ctx.segment(), engine_);
    if (!st.isOk()) return st;
    setTransactionLayer(&engine_);
    return Status::ok();
  }

  void destroy() noexcept override { setTransactionLayer(nullptr); }

 private:
  Result<BoundCallPtr> bindRelay(const ScriptArgs& args, BindContext& bc) {
    bool no_100 = false;
    bool no_auto_reply = false;
    if (!args.empty()) {
      if (!args[0].isConstant()) {
        return bc.error(args[0], Status::invalidArgument("flags must be a constant"));
      }
      std::string_view rest = args[0].text;
      while (!rest.empty()) {
        std::size_t sep = rest.find_first_of(",|");
        std::string_view f = trim(rest.substr(0, sep));
        rest = sep == std::string_view::npos ? std::string_view() : rest.substr(sep + 1);
        if (f == "no-100-trying") {
          no_100 = true;
        } else if (f == "no-auto-reply") {
          no_auto_reply = true;
        } else if (!f.empty()) {
          return bc.error(args[0],
                          Status::invalidArgument("unknown t_relay flag '" + std::string(f) +
                                                  "' (known: no-100-trying, no-auto-reply)"));
        }
      }
    }
    return makeCall([this, no_100, no_auto_reply](MsgContext& ctx) {
      if (no_100) ctx.tm.no_100 = true;
      if (no_auto_reply) ctx.tm.no_auto_reply = true;
      return Verdict::of(engine_.relay(ctx));
    });
  }

  Result<BoundCallPtr> bindReply(const ScriptArgs& args, BindContext& bc) {
    Result<IntArg> code = bc.intArg(args[0]);
    if (!code.isOk()) return code.status();
    if (code.value().isConstant() &&
        (code.value().constant() < 100 || code.value().constant() > 699)) {
      return bc.error(args[0], Status::invalidArgument("reply code must be 100..699"));
    }
    Result<StrArg> reason = bc.strArg(args[1]);
    if (!reason.isOk()) return reason.status();
    return makeCall([this, code = code.value(), reason = reason.value()](MsgContext& ctx) {
      std::int64_t c = 0;
      if (!code.eval(ctx, c) || c < 100 || c > 699) return Verdict::fail(-2);
      std::string scratch;
      return Verdict::of(engine_.reply(ctx, static_cast<int>(c), reason.eval(ctx, scratch)));
    });
  }

  static Result<BoundCallPtr> bindArm(const ScriptArgs& args, BindContext& bc, RouteType type,
                                      std::string TransactionHints::*field) {
    Status st = bc.requireRoute(args[0], type);
    if (!st.isOk()) return st;
    std::string name = args[0].text;
    return makeCall([name, field](MsgContext& ctx) {
      ctx.tm.*field = name;
      return Verdict::ok();
    });
  }

  static Result<BoundCallPtr> bindCheckStatus(const ScriptArgs& args, BindContext& bc) {
    if (!args[0].isConstant()) {
      return bc.error(args[0], Status::invalidArgument("expects a constant regular expression"));
    }
    auto re = std::make_shared<Regex>();
    Status st = re->compile("^(" + args[0].text + ")$");
    if (!st.isOk()) return bc.error(args[0], st);
    return makeCall([re](MsgContext& ctx) {
      int code = ctx.tm.reply_code != 0 ? ctx.tm.reply_code
                                        : (ctx.msg().isReply() ? ctx.msg().statusCode() : 0);
      if (code == 0) return Verdict::fail();
      return re->matches(std::to_string(code)) ? Verdict::ok() : Verdict::fail();
    });
  }

  static Result<BoundCallPtr> bindSetFr(const ScriptArgs& args, BindContext& bc) {
    Result<IntArg> inv = bc.intArg(args[0]);
    if (!inv.isOk()) return inv.status();
    IntArg fr(std::int64_t{0});
    if (args.size() > 1) {
      Result<IntArg> r = bc.intArg(args[1]);
      if (!r.isOk()) return r.status();
      fr = r.value();
    }
    return makeCall([inv = inv.value(), fr](MsgContext& ctx) {
      std::int64_t a = 0, b = 0;
      if (!inv.eval(ctx, a) || !fr.eval(ctx, b) || a < 0 || b < 0) return Verdict::fail();
      if (a > 0) ctx.tm.fr_inv_timeout_ms = a;
      if (b > 0) ctx.tm.fr_timeout_ms = b;
      return Verdict::ok();
    });
  }

  Result<BoundCallPtr> bindLocalReplied(const ScriptArgs& args, BindContext& bc) {
    if (args[0].text != "all" && args[0].text != "last") {
      return bc.error(args[0], Status::invalidArgument("expects \"all\" or \"last\""));
    }
    bool all = args[0].text == "all";
    return makeCall([this, all](MsgContext& ctx) {
      return engine_.localReplied(ctx, all) ? Verdict::ok() : Verdict::fail();
    });
  }

  Result<Json> miUac(const MiParams& p) {
    tm::LocalRequest req;
    req.method = p.str("method");
    req.ruri = p.str("ruri");
    req.dst = p.str("dst");
    req.headers = p.str("headers");
    req.body = p.str("body");
    req.content_type = p.str("content_type");
    if (!req.headers.empty() && req.headers.back() != '\n') req.headers += "\r\n";
    Result<tm::LocalReply> r = mi_uac_.run(req, engine_.config().fr_inv_ms + 1000);
    if (!r.isOk()) return r.status();
    Json out = Json::object();
    out["code"] = r.value().code;
    out["reason"] = r.value().reason;
    return out;
  }

  std::int64_t fr_timeout_s_ = 5;
  std::int64_t fr_inv_timeout_s_ = 120;
  std::int64_t wt_timer_ms_ = 5000;
  std::int64_t t1_ms_ = 500;
  std::int64_t t2_ms_ = 4000;
  std::int64_t t4_ms_ = 5000;
  std::int64_t max_inv_s_ = 180;
  std::int64_t max_noninv_s_ = 32;
  std::int64_t hash_size_ = 4096;
  bool auto_100_ = true;
  tm::Engine engine_;
  tm::MiUac mi_uac_;
};

}  // namespace
}  // namespace sipline

SIPLINE_MODULE("tm", sipline::TmModule)
