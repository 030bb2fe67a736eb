// When every branch has ended without a 2xx (RFC 3261 §16.7 steps 6-7): the best reply is
// chosen, the failure_route armed by t_on_failure() runs (it may relay again: serial forking,
// voicemail on busy, the next gateway) and, unless it relayed or replied, the best reply goes
// upstream: a 503 as 500 (also the one generated here for a transport error), 401/407 with the
// challenges of every branch, a timeout as 408 (487 when the caller canceled).
#include <algorithm>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/script/script.h"
#include "core/server/script_reload.h"
#include "core/sip/reason_phrase.h"
#include "core/transport/listener.h"
#include "core/transport/send.h"
#include "modules/tm/engine.h"
#include "modules/tm/reply.h"
#include "modules/tm/tsx_util.h"

namespace sipline::tm {
void Engine::finalizeLocked(Transaction& t) {
  if (t.status >= 200 || t.final_pending) return;
  t.final_pending = true;
  std::vector<BranchOutcome> outcomes;
  for (int i = 0; i < t.nbranches; ++i) {
    const ClientBranch* b = t.branches[i].get();
    outcomes.push_back(b != nullptr ? BranchOutcome{b->code, b->local_reply} : BranchOutcome{});
  }
  int best = pickBestBranch(outcomes);
  if (!t.on_failure.empty() && !t.in_failure && !t.local) {
    // The failure_route judges the round that just failed (the branches from round_start), as
    // OpenSIPS does: a gateway's 503 after a call forwarded on busy is a 503, not the 486.
    const std::size_t from = std::min<std::size_t>(t.round_start, outcomes.size());
    std::vector<BranchOutcome> round(outcomes.begin() + static_cast<std::ptrdiff_t>(from),
                                     outcomes.end());
    int round_best = pickBestBranch(round);
    int round_code = round_best >= 0 ? round[static_cast<std::size_t>(round_best)].code : 500;
    bool round_local = round_best < 0 || round[static_cast<std::size_t>(round_best)].local;
    if (t.canceled && round_local) round_code = 487;
    int before = t.nbranches;
    runFailureRouteLocked(t, round_code, round_local);
    if (t.status >= 200 || (t.nbranches > before && anyPendingLocked(t))) {
      t.final_pending = false;  // answered there, or new branches run
      return;
    }
    // New branches may all have failed at once: choose again among every branch.
    if (t.nbranches > before) {
      outcomes.clear();
      for (int i = 0; i < t.nbranches; ++i) {
        const ClientBranch* b = t.branches[i].get();
        outcomes.push_back(b != nullptr ? BranchOutcome{b->code, b->local_reply} : BranchOutcome{});
      }
      best = pickBestBranch(outcomes);
    }
  }
  t.final_pending = false;
  if (t.local) {
    int local_code = best >= 0 ? outcomes[static_cast<std::size_t>(best)].code : 500;
    completeLocalLocked(t, local_code, reasonPhrase(local_code), "", true);
    return;
  }
  relayBestLocked(t, best);
}

bool Engine::runFailureRouteLocked(Transaction& t, int code, bool local) {
  ScriptReloader* reloader = scriptReloader();
  const Script* script = reloader != nullptr ? reloader->current() : nullptr;
  std::string name(view(t.on_failure));
  t.on_failure.clear();  // one shot: the failure_route arms itself again if it relays
  if (script == nullptr) return false;
  std::string text(view(t.request));
  SipMessage req;
  if (req.parse(text) != ParseError::kOk) return false;
  ReceiveInfo rcv{
      listenerAt(t.in_listener), t.src.unpack(),
      listenerAt(t.in_listener) != nullptr ? listenerAt(t.in_listener)->proto : Proto::kUdp};
  MsgContext fctx(req, rcv, kFailureRoute);
  fctx.transaction = &t;
  fctx.flags = t.msg_flags;
  fctx.maxfwd_processed = true;
  fctx.tm.reply_code = code;
  fctx.tm.reply_local = local;
  // The reply and branch routes stay armed for what it relays, unless it arms others;
  // only the failure_route is one shot.
  fctx.tm.on_reply = std::string(view(t.on_reply));
  fctx.tm.on_branch = std::string(view(t.on_branch));
  fctx.avps.deserialize(view(t.avps));
  fctx.tm.fr_timeout_ms = t.fr_ms;
  fctx.tm.fr_inv_timeout_ms = t.fr_inv_ms;
  fctx.record_route.wanted = t.record_route;
  fctx.record_route.params = std::string(view(t.rr_params));
  fctx.record_route.preset = std::string(view(t.rr_preset));
  fctx.reply_headers = std::string(view(t.reply_headers));
  t.in_failure = true;
  int rc = 1;
  std::uint8_t round_end = t.nbranches;
  script->runNamed(kFailureRoute, name, fctx, &rc);
  t.in_failure = false;
  t.round_start = round_end;  // what it relayed is the next round
  return true;
}

std::vector<BranchReply> Engine::failedBranchReplies(MsgContext& ctx) {
  std::vector<BranchReply> out;
  Transaction* t = current(ctx);
  if (t == nullptr || ctx.routeType() != kFailureRoute) return out;
  TxnLock lock(*this, *t);
  for (int i = t->round_start; i < t->nbranches; ++i) {
    const ClientBranch* b = t->branches[i].get();
    if (b == nullptr || b->local_reply || b->reply.empty()) continue;
    out.push_back(BranchReply{b->code, std::string(view(b->reply))});
  }
  return out;
}

void Engine::relayBestLocked(Transaction& t, int best) {
  const ClientBranch* b = best >= 0 ? t.branches[best].get() : nullptr;
  std::string text(view(t.request));
  SipMessage req;
  bool have_req = req.parse(text) == ParseError::kOk;
  if (b == nullptr || b->local_reply || b->reply.empty()) {
    int code = b != nullptr ? b->code : 500;
    if (code == 503) code = 500;  // §16.7 step 6, as for a 503 received (below)
    if (t.canceled) code = 487;
    if (have_req) {
      sendLocalReplyLocked(t, req, code, reasonPhrase(code));
    } else {
      t.sstate = ServerState::kTerminated;
      armServerLocked(t);
    }
    return;
  }
  std::string reply_text(view(b->reply));
  SipMessage reply;
  if (reply.parse(reply_text) != ParseError::kOk || !reply.removeTopVia()) {
    if (have_req) sendLocalReplyLocked(t, req, 500, reasonPhrase(500));
    return;
  }
  int code = reply.statusCode();
  if (code == 503) {
    // §16.7 step 6: a 503 would tell the caller that this proxy is unavailable.
    std::size_t offset = 0;
    if (reply.offsetOf(reply.firstLine(), offset)) {
      reply.edits().replace(offset, reply.firstLine().size(), "SIP/2.0 500 Server Internal Error");
      code = 500;
    }
  }
  if (isChallenge(code)) {
    // §16.7 step 7: every challenge of every 401/407 branch goes up in the one reply.
    for (int i = 0; i < t.nbranches; ++i) {
      const ClientBranch* other = t.branches[i].get();
      if (i == best || other == nullptr || !isChallenge(other->code) || other->reply.empty()) {
        continue;
      }
      std::string other_text(view(other->reply));
      SipMessage o;
      if (o.parse(other_text) != ParseError::kOk) continue;
      for (const HeaderField& h : o.headers()) {
        if (h.type == HeaderType::kWwwAuthenticate || h.type == HeaderType::kProxyAuthenticate) {
          std::string line(h.raw);
          if (line.empty() || line.back() != '\n') line += "\r\n";
          reply.appendHeader(std::move(line));
        }
      }
    }
  }
  const Listener* l = listenerAt(t.in_listener);
  if (l != nullptr && l->proto != Proto::kUdp) reply.ensureContentLength();
  std::string wire;
  if (!reply.build(wire)) {
    if (have_req) sendLocalReplyLocked(t, req, 500, reasonPhrase(500));
    return;
  }
  notifyWatchersLocked(t, code, wire, false);
  if (l != nullptr &&
      sendReplyTo(*l, t.reply_dst.unpack(), t.reply_fallback.unpack(), wire) == SendResult::kOk) {
    stats_.relayed_replies.inc();
  }
  noteReplySentLocked(t, code, wire, false);
}

}  // namespace sipline::tm
