// uac_redirect: follows 3xx replies from failure_route. Glue only: parameters, statistics and
// the binding of get_redirects(), set_accept_filter() and set_deny_filter(); the Contact
// gathering and filtering is redirect.h, the 3xx replies of the failed round come from tm
// (tm::Api::failedBranchReplies).
//
// The filters a failure_route adds with set_*_filter() belong to that run of the route: they
// are kept per process with the identity of the run (transaction, message context, and a hash
// of the failed round's replies, which differ from one run to the next of a transaction: their
// branches differ), used up by the run's get_redirects() and forgotten when another run asks.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/base/log.h"
#include "core/module/module.h"
#include "core/sip/msg_context.h"
#include "modules/tm/api.h"
#include "modules/uac_redirect/redirect.h"

namespace sipline {
namespace {

constexpr int kNoTargets = -1;  // no 3xx, or every Contact filtered out
constexpr int kNoTm = -2;       // not in a transaction's failure_route
constexpr int kNoRuri = -3;     // the best Contact could not become the request-URI

struct FilterFlags {
  bool reset_default = false;  // drop the module parameters' filters (of that kind)
  bool reset_added = false;    // drop the filters added earlier in this run (of that kind)
};

Result<FilterFlags> parseFlags(std::string_view text) {
  FilterFlags f;
  if (text.empty()) return f;
  if (text == "reset_all") {
    f.reset_default = f.reset_added = true;
  } else if (text == "reset_default") {
    f.reset_default = true;
  } else if (text == "reset_added") {
    f.reset_added = true;
  } else {
    return Status::invalidArgument(
        "flags must be \"\", \"reset_default\", \"reset_added\" or "
        "\"reset_all\", got \"" +
        std::string(text) + "\"");
  }
  return f;
}

class UacRedirectModule : public Module {
 public:
  void describe(ModuleSpec& spec) override {
    spec.summary("follows 3xx redirects from failure_route");
    spec.description(
        "get_redirects() in a failure_route takes the Contacts of every 3xx reply of the relay "
        "round that just failed, filters them with regular expressions, orders them by q and "
        "makes them the destination set: the best one becomes the request-URI, the others "
        "branches (as append_branch), so that the t_relay() that follows calls them.\n\n"
        "A Contact is taken when it matches an accept filter, dropped when it matches a deny "
        "filter, and otherwise default_filter decides. The module parameters give filters for "
        "every call; set_accept_filter() and set_deny_filter() add filters for the current "
        "failure_route run. Needs the tm module.");
    spec.dependsOn("tm");
    spec.param("default_filter", &default_filter_, OneOf{{"accept", "deny"}},
               "what happens to a Contact that matches no filter: accept or deny");
    spec.param("accept_filter", &accept_param_,
               "regex of Contact URIs always taken (case-insensitive, POSIX extended)");
    spec.param("deny_filter", &deny_param_,
               "regex of Contact URIs dropped unless an accept filter takes them");
    spec.command(
        "get_redirects", {ArgSpec::str("max"), ArgSpec::str("reason").opt()}, kFailureRoute,
        [this](const ScriptArgs& a, BindContext& bc) { return bindGet(a, bc); },
        "get_redirects(max[, reason]): the Contacts of the 3xx replies become the request-URI "
        "and branches, by q; max \"N\" or \"N:M\" (N in all, M per reply, 0: no limit); the "
        "number added, -1 none, -2 no transaction, -3 the best Contact could not become the "
        "request-URI");
    spec.command(
        "set_accept_filter", {ArgSpec::str("regex"), ArgSpec::str("flags").opt()}, kFailureRoute,
        [this](const ScriptArgs& a, BindContext& bc) { return bindSet(a, bc, true); },
        "set_accept_filter(regex[, flags]): Contacts matching regex are taken (this failure_route "
        "run); flags reset_default, reset_added or reset_all drop earlier accept filters");
    spec.command(
        "set_deny_filter", {ArgSpec::str("regex"), ArgSpec::str("flags").opt()}, kFailureRoute,
        [this](const ScriptArgs& a, BindContext& bc) { return bindSet(a, bc, false); },
        "set_deny_filter(regex[, flags]): Contacts matching regex are dropped (this failure_route "
        "run) unless accepted; flags as set_accept_filter");
    spec.stat("redirects", &stats_.redirects, "get_redirects() calls that added destinations");
    spec.stat("contacts_added", &stats_.added, "Contacts made destinations");
    spec.stat("contacts_filtered", &stats_.filtered,
              "Contacts skipped: filtered, not sip:/sips:, or expires=0");
    spec.stat("bad_replies", &stats_.bad, "3xx replies whose Contacts did not parse");
  }

  Status init(InitContext& /*ctx*/) override { return prepare(); }

 private:
  struct Stats {
    StatCounter redirects;
    StatCounter added;
    StatCounter filtered;
    StatCounter bad;
  };

  // This failure_route run's own filters.
  struct RunFilters {
    const void* transaction = nullptr;
    const MsgContext* ctx = nullptr;
    std::size_t round = 0;  // roundKey() of the run
    FilterFlags accept_flags;
    FilterFlags deny_flags;
    std::vector<uac_redirect::RegexPtr> accept;
    std::vector<uac_redirect::RegexPtr> deny;
  };

  // The module parameters' filters, compiled once (first bind or init).
  Status prepare() {
    if (prepared_) return Status::ok();
    if (!accept_param_.empty()) {
      Result<uac_redirect::RegexPtr> re = uac_redirect::compileFilter(accept_param_);
      if (!re.isOk()) return re.status().withPrefix("uac_redirect: accept_filter");
      param_accept_ = re.value();
    }
    if (!deny_param_.empty()) {
      Result<uac_redirect::RegexPtr> re = uac_redirect::compileFilter(deny_param_);
      if (!re.isOk()) return re.status().withPrefix("uac_redirect: deny_filter");
      param_deny_ = re.value();
    }
    prepared_ = true;
    return Status::ok();
  }

  // Identifies the failure_route run: its context, the Call-ID and the replies of the round
  // it judges (the ctx of a later run of the same transaction may sit at the same address).
  static std::size_t roundKey(MsgContext& ctx, const std::vector<tm::BranchReply>& replies) {
    std::string all(ctx.msg().callId());
    for (const tm::BranchReply& r : replies) {
      all += '\n' + std::to_string(r.code) + '\n';
      all += r.message;
    }
    return std::hash<std::string>{}(all);
  }

  bool isCurrentRun(MsgContext& ctx, std::size_t round) const {
    return run_.ctx == &ctx && run_.transaction == ctx.transaction && run_.round == round;
  }

  RunFilters& runOf(MsgContext& ctx, tm::Api& api) {
    std::size_t round = roundKey(ctx, api.failedBranchReplies(ctx));
    if (!isCurrentRun(ctx, round)) {
      run_ = RunFilters{};
      run_.ctx = &ctx;
      run_.transaction = ctx.transaction;
      run_.round = round;
    }
    return run_;
  }

  uac_redirect::Filters filtersFor(MsgContext& ctx, std::size_t round) const {
    uac_redirect::Filters f;
    f.default_accept = default_filter_ != "deny";
    bool current = isCurrentRun(ctx, round);
    if (param_accept_ != nullptr && !(current && run_.accept_flags.reset_default)) {
      f.accept.push_back(param_accept_);
    }
    if (param_deny_ != nullptr && !(current && run_.deny_flags.reset_default)) {
      f.deny.push_back(param_deny_);
    }
    if (current) {
      f.accept.insert(f.accept.end(), run_.accept.begin(), run_.accept.end());
      f.deny.insert(f.deny.end(), run_.deny.begin(), run_.deny.end());
    }
    return f;
  }

  Result<BoundCallPtr> bindGet(const ScriptArgs& a, BindContext& bc) {
    Status st = prepare();
    if (!st.isOk()) return bc.error(st.message());
    if (!a[0].isConstant()) {
      return bc.error(a[0], Status::invalidArgument("max must be a constant"));
    }
    std::string max_text =
        a[0].kind == ScriptArg::Kind::kInt ? std::to_string(a[0].int_value) : a[0].text;
    Result<uac_redirect::Limits> limits = uac_redirect::parseLimits(max_text);
    if (!limits.isOk()) return bc.error(a[0], limits.status());
    std::string reason;
    if (a.size() > 1) {
      if (a[1].kind != ScriptArg::Kind::kString || !a[1].isConstant() || a[1].text.empty()) {
        return bc.error(a[1], Status::invalidArgument("reason must be a non-empty constant"));
      }
      reason = a[1].text;
    }
    if (bc.services() == nullptr) return bc.error("uac_redirect needs the tm module");
    Result<tm::Api*> api = bc.services()->require<tm::Api>("tm", "uac_redirect");
    if (!api.isOk()) return bc.error(api.status().message());
    return makeCall([this, limits = limits.value(), reason, api = api.value()](MsgContext& ctx) {
      return Verdict::of(getRedirects(ctx, *api, limits, reason));
    });
  }

  int getRedirects(MsgContext& ctx, tm::Api& api, const uac_redirect::Limits& limits,
                   const std::string& reason) {
    if (ctx.transaction == nullptr) return kNoTm;
    std::vector<tm::BranchReply> replies = api.failedBranchReplies(ctx);
    std::vector<uac_redirect::ReplyText> texts;
    for (const tm::BranchReply& r : replies) texts.push_back({r.code, r.message});
    uac_redirect::GatherStats gs;
    uac_redirect::Filters filters = filtersFor(ctx, roundKey(ctx, replies));
    // Used up: a later failure_route run of the same transaction (its context may sit at the
    // same address) starts with the parameters' filters only.
    run_ = RunFilters{};
    std::vector<uac_redirect::Target> targets = uac_redirect::gather(texts, filters, limits, &gs);
    stats_.filtered.inc(static_cast<std::uint64_t>(gs.filtered));
    if (gs.unparsable > 0) {
      stats_.bad.inc(static_cast<std::uint64_t>(gs.unparsable));
      SL_ERR_RATELIMITED("uac_redirect: %d 3xx replies of Call-ID %.*s have unusable Contacts",
                         gs.unparsable, SL_SV(ctx.msg().callId()));
    }
    if (targets.empty()) {
      SL_DBG("uac_redirect: no redirect target for Call-ID %.*s (%d 3xx replies)",
             SL_SV(ctx.msg().callId()), gs.replies);
      return kNoTargets;
    }
    int added = 0;
    for (uac_redirect::Target& t : targets) {
      Status st;
      if (added == 0) {
        // The best target is the request-URI: t_relay() in failure_route always sends to it.
        st = ctx.setRuri(t.uri);
        if (st.isOk()) ctx.ruri_q = t.has_q ? t.q : -1;
      } else {
        Branch b;
        b.uri = std::move(t.uri);
        b.q = t.has_q ? t.q : -1;
        b.dst_uri = ctx.dst_uri;
        b.bflags = ctx.bflags;
        b.send_socket = ctx.send_socket;
        st = ctx.appendBranch(std::move(b));
      }
      if (!st.isOk()) {
        SL_ERR_RATELIMITED("uac_redirect: Call-ID %.*s: %s", SL_SV(ctx.msg().callId()),
                           st.message().c_str());
        if (added == 0) return kNoRuri;
        break;
      }
      ++added;
    }
    stats_.redirects.inc();
    stats_.added.inc(static_cast<std::uint64_t>(added));
    SL_DBG("uac_redirect: Call-ID %.*s redirected to %d targets%s%s", SL_SV(ctx.msg().callId()),
           added, reason.empty() ? "" : ", reason: ", reason.c_str());
    return added;
  }

  Result<BoundCallPtr> bindSet(const ScriptArgs& a, BindContext& bc, bool accept) {
    if (a[0].kind != ScriptArg::Kind::kString || !a[0].isConstant()) {
      return bc.error(a[0], Status::invalidArgument("the filter must be a constant regex"));
    }
    Result<uac_redirect::RegexPtr> re = uac_redirect::compileFilter(a[0].text);
    if (!re.isOk()) return bc.error(a[0], re.status());
    FilterFlags flags;
    if (a.size() > 1) {
      Result<FilterFlags> f = parseFlags(a[1].text);
      if (!f.isOk() || !a[1].isConstant()) {
        return bc.error(
            a[1], f.isOk() ? Status::invalidArgument("flags must be a constant") : f.status());
      }
      flags = f.value();
    }
    if (bc.services() == nullptr) return bc.error("uac_redirect needs the tm module");
    Result<tm::Api*> api = bc.services()->require<tm::Api>("tm", "uac_redirect");
    if (!api.isOk()) return bc.error(api.status().message());
    return makeCall([this, re = re.value(), flags, accept, api = api.value()](MsgContext& ctx) {
      RunFilters& run = runOf(ctx, *api);
      std::vector<uac_redirect::RegexPtr>& list = accept ? run.accept : run.deny;
      FilterFlags& kept = accept ? run.accept_flags : run.deny_flags;
      if (flags.reset_added) list.clear();
      kept.reset_default = kept.reset_default || flags.reset_default;
      list.push_back(re);
      return Verdict::ok();
    });
  }

  std::string default_filter_ = "accept";
  std::string accept_param_;
  std::string deny_param_;
  bool prepared_ = false;
  uac_redirect::RegexPtr param_accept_;
  uac_redirect::RegexPtr param_deny_;
  RunFilters run_;
  Stats stats_;
};

}  // namespace
}  // namespace sipline

SIPLINE_MODULE("uac_redirect", sipline::UacRedirectModule)
