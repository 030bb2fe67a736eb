// The client side (RFC 3261 §17.1): one branch per destination, its retransmissions (timers
// A/E), its final-response timer (B/F as fr_timeout/fr_inv_timeout, OpenSIPS style), the
// replies it receives and what the proxy does with them (§16.7: provisional and 2xx relayed
// at once, other finals kept until every branch has ended), hop-by-hop ACKs and CANCELs.
#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/dns/resolver.h"
#include "core/parser/stream_framer.h"
#include "core/script/script.h"
#include "core/server/script_reload.h"
#include "core/transport/listener.h"
#include "core/transport/send.h"
#include "modules/tm/engine.h"
#include "modules/tm/local_requests.h"
#include "modules/tm/matching.h"
#include "modules/tm/tsx_util.h"

namespace sipline::tm {
namespace {

bool pending(const ClientBranch& b) {
  return b.state == ClientState::kCalling || b.state == ClientState::kProceeding;
}

}  // namespace

bool Engine::anyPendingLocked(const Transaction& t) const {
  for (int i = 0; i < t.nbranches; ++i) {
    const ClientBranch* b = t.branches[i].get();
    if (b != nullptr && pending(*b)) return true;
  }
  return false;
}

void Engine::armBranchLocked(ClientBranch& b) {
  std::int64_t next = 0;
  auto consider = [&next](std::int64_t at) {
    if (at != 0 && (next == 0 || at < next)) next = at;
  };
  if (pending(b)) {
    consider(b.retr_at);
    consider(b.fr_at);
  }
  if (b.state == ClientState::kCompleted) consider(b.wait_at);
  if (b.state == ClientState::kTerminated) next = monotonicMs();
  if (!b.cancel.empty() && !b.cancel_done) consider(b.cancel_retr_at);
  if (next != 0) {
    wheel_->arm(b.timer, next);
  } else {
    wheel_->disarm(b.timer);
  }
}

void Engine::sendRequestLocked(Transaction& t, ClientBranch& b) {
  std::int64_t now = monotonicMs();
  const Listener* l = listenerAt(b.listener);
  SendResult sr = l != nullptr ? sendTo(*l, b.dst.unpack(), view(b.request), view(b.tls_name))
                               : SendResult::kNoSocket;
  b.send_failed = sr != SendResult::kOk;
  if (b.send_failed) {
    SL_ERR_RATELIMITED("tm: cannot send to %s: %s", b.dst.unpack().toString().c_str(),
                       sendResultText(sr));
    // Ends on the next tick (not inside the relay that sends it): the next target, else a
    // 503 generated here.
    b.fr_at = now;
  } else {
    b.fr_at = now + t.fr_ms;
  }
  b.state = ClientState::kCalling;
  bool udp = l == nullptr || l->proto == Proto::kUdp;
  b.retr_interval = cfg_.t1_ms;
  b.retr_at = udp && sr == SendResult::kOk ? now + cfg_.t1_ms : 0;
  armBranchLocked(b);
}

void Engine::sendCancelLocked(Transaction& /*t*/, ClientBranch& b) {
  std::string req(view(b.request));
  SipMessage msg;
  if (msg.parse(req) != ParseError::kOk) return;
  std::string cancel = buildCancel(msg);
  if (cancel.empty()) return;
  Status st = shm::guardAlloc("CANCEL", [&] { b.cancel.assign(cancel.data(), cancel.size()); });
  if (!st.isOk()) {
    stats_.no_memory.inc();
    b.cancel_done = true;
  }
  const Listener* l = listenerAt(b.listener);
  if (l != nullptr) sendTo(*l, b.dst.unpack(), cancel, view(b.tls_name));
  std::int64_t now = monotonicMs();
  b.cancel_pending = false;
  // §9.1: the 487 should come; the branch gives up 64*T1 after its CANCEL at the latest.
  if (b.fr_at == 0 || b.fr_at > now + 64 * cfg_.t1_ms) b.fr_at = now + 64 * cfg_.t1_ms;
  b.cancel_retr_interval = cfg_.t1_ms;
  b.cancel_until = now + 64 * cfg_.t1_ms;
  // A stream does not retransmit (§17.1.2.2), but the wait is bounded all the same (timer F
  // of the CANCEL): the timer fires once at the bound, so the branch can end.
  bool udp = l == nullptr || l->proto == Proto::kUdp;
  b.cancel_retr_at = udp ? now + cfg_.t1_ms : b.cancel_until;
  armBranchLocked(b);
}

void Engine::cancelBranchesLocked(Transaction& t, int except) {
  if (t.method != Method::kInvite) return;
  for (int i = 0; i < t.nbranches; ++i) {
    ClientBranch* b = t.branches[i].get();
    if (i == except || b == nullptr || !pending(*b) || !b->cancel.empty()) continue;
    if (b->state == ClientState::kProceeding) {
      sendCancelLocked(t, *b);
    } else {
      b->cancel_pending = true;  // RFC 3261 §9.1: wait for a provisional first
    }
  }
}

void Engine::branchTimeoutLocked(Transaction& t, int index, std::int64_t now) {
  ClientBranch& b = *t.branches[index];
  bool send_failed = b.state == ClientState::kCalling && b.send_failed;
  if (b.state == ClientState::kCalling && canFailOverLocked(t, b)) {
    // RFC 3263 §4.3: no answer from this target; try the next one within the transaction.
    SL_NOTICE("tm: %s %s; trying the next target of branch %d", b.dst.unpack().toString().c_str(),
              send_failed ? "cannot be reached" : "does not answer", index);
    failoverLocked(t, b, send_failed ? "transport error" : "timeout");
    return;
  }
  if (send_failed) {
    // RFC 3261 §16.9: a transport error counts as a 503 on the branch. Nothing reached the
    // callee, so there is nothing to CANCEL.
    b.code = 503;
  } else {
    stats_.timeouts.inc();
    if (t.method == Method::kInvite && b.state == ClientState::kProceeding && b.cancel.empty()) {
      sendCancelLocked(t, b);  // §16.8: timer C fired on a ringing branch
    } else if (t.method == Method::kInvite && b.state == ClientState::kCalling) {
      b.cancel_pending = true;  // a provisional that still comes gets a CANCEL (§9.1)
    }
    b.code = 408;
  }
  b.local_reply = true;
  b.state = ClientState::kCompleted;
  b.retr_at = 0;
  b.wait_at = now + cfg_.wait_ms;  // absorbs a late 487 and ACKs it
  armBranchLocked(b);
  if (!anyPendingLocked(t)) finalizeLocked(t);
}

void Engine::sendAckLocked(ClientBranch& b, const SipMessage& reply) {
  std::string req(view(b.request));
  SipMessage rm;
  if (rm.parse(req) != ParseError::kOk) return;
  const Listener* l = listenerAt(b.listener);
  std::string ack = buildAck(rm, reply);
  if (l != nullptr && !ack.empty()) sendTo(*l, b.dst.unpack(), ack, view(b.tls_name));
}

bool Engine::canFailOverLocked(const Transaction& t, const ClientBranch& b) const {
  // Only while the call is wanted: not after a CANCEL, an answer elsewhere, or a CANCEL
  // already sent or due on this branch.
  return b.next_target < b.ntargets && !t.canceled && t.status < 200 && b.cancel.empty() &&
         !b.cancel_pending;
}

void Engine::failoverLocked(Transaction& t, ClientBranch& b, const char* why) {
  const Listener* l = listenerAt(b.listener);
  dns::SipTarget failed{l != nullptr ? l->proto : Proto::kUdp, b.dst.unpack(), b.dst.unpack().ip()};
  dns::blacklist(failed, 0, why);
  b.dst = b.targets[b.next_target++];
  stats_.failovers.inc();
  sendRequestLocked(t, b);
}

void Engine::branchTimerLocked(Transaction& t, int index, std::int64_t now) {
  ClientBranch& b = *t.branches[index];
  if (pending(b)) {
    if (b.retr_at != 0 && b.retr_at <= now) {
      const Listener* l = listenerAt(b.listener);
      if (l != nullptr) sendTo(*l, b.dst.unpack(), view(b.request), view(b.tls_name));
      stats_.retransmissions.inc();
      b.retr_interval = t.method == Method::kInvite ? 2 * b.retr_interval
                                                    : std::min(2 * b.retr_interval, cfg_.t2_ms);
      b.retr_at = now + b.retr_interval;
    }
    if (b.fr_at != 0 && b.fr_at <= now) {
      branchTimeoutLocked(t, index, now);
      return;
    }
  }
  if (!b.cancel.empty() && !b.cancel_done) {
    // It ends with its own reply, a final from downstream, or after 64*T1 (RFC 3261 §9.1);
    // a branch that timed out here keeps retransmitting it over UDP. On a stream the only
    // due time is the bound itself.
    if (now >= b.cancel_until || (!pending(b) && !b.local_reply)) {
      b.cancel_done = true;
    } else if (b.cancel_retr_at != 0 && b.cancel_retr_at <= now) {
      const Listener* l = listenerAt(b.listener);
      if (l != nullptr) sendTo(*l, b.dst.unpack(), view(b.cancel), view(b.tls_name));
      b.cancel_retr_interval = std::min(2 * b.cancel_retr_interval, cfg_.t2_ms);
      b.cancel_retr_at = now + b.cancel_retr_interval;
    }
  }
  if (b.state == ClientState::kCompleted && b.wait_at != 0 && b.wait_at <= now &&
      (b.cancel.empty() || b.cancel_done)) {
    b.state = ClientState::kTerminated;  // timers D / K
  }
  if (b.state == ClientState::kTerminated) {
    wheel_->disarm(b.timer);
    if (t.sstate == ServerState::kTerminated) armServerLocked(t);  // deletion check
    return;
  }
  armBranchLocked(b);
}

bool Engine::takeReply(MsgContext& ctx) {
  if (table_ == nullptr) return false;
  SipMessage& msg = ctx.msg();
  const Via* top = msg.topVia();
  BranchId id;
  if (top == nullptr || !parseBranchId(top->branch, id) || id.nonce != table_->nonce()) {
    return false;
  }
  Transaction* t = table_->findByLabel(id.bucket, id.label);
  if (t == nullptr) return false;
  stats_.received_replies.inc();
  {
    TxnLock lock(*this, *t);
    if (id.index < t->nbranches && t->branches[id.index]) {
      handleReplyLocked(*t, id.index, ctx);
    } else {
      SL_DBG("tm: reply for unknown branch %d of %x.%x; dropped", id.index, id.bucket, id.label);
    }
  }
  table_->unref(t);
  return true;  // ours: never relayed statelessly
}

void Engine::handleReplyLocked(Transaction& t, int index, MsgContext& ctx) {
  SipMessage& msg = ctx.msg();
  ClientBranch& b = *t.branches[index];
  int code = msg.statusCode();
  const CSeq* cseq = msg.cseq();
  if (cseq != nullptr && cseq->method == Method::kCancel && t.method == Method::kInvite) {
    b.cancel_done = true;  // the reply to our CANCEL ends its retransmissions
    armBranchLocked(b);
    return;
  }
  if (cseq == nullptr || cseq->method != t.method) return;
  std::int64_t now = monotonicMs();

  if (code >= 300 && (b.state == ClientState::kCompleted || b.state == ClientState::kTerminated)) {
    // A retransmitted final (or one after our timeout): ACK it again (§17.1.1.2), no relay.
    if (t.method == Method::kInvite) sendAckLocked(b, msg);
    return;
  }

  // onreply_route[name] of the branch (t_on_reply in its branch_route) or of the transaction,
  // after the main onreply_route.
  const shm::String& on_reply = b.on_reply.empty() ? t.on_reply : b.on_reply;
  if (!on_reply.empty()) {
    if (ScriptReloader* r = scriptReloader(); r != nullptr && r->current() != nullptr) {
      ctx.tm.branch_index = index;
      ctx.transaction = &t;  // t_was_cancelled(), t_check_status() (we hold its lock)
      // The request's message flags and the branch's flags, as OpenSIPS scripts expect
      // (isflagset(NAT) in a reply route). Changes stay with this reply.
      ctx.flags = t.msg_flags;
      ctx.bflags = b.bflags;
      int rc = 1;
      r->current()->runNamed(kOnReplyRoute, std::string(view(on_reply)), ctx, &rc);
      ctx.transaction = nullptr;
    }
  }

  if (t.local) {
    // Originated here: nothing goes upstream; the final ends the transaction.
    if (code < 200) {
      if (b.state == ClientState::kCalling) b.state = ClientState::kProceeding;
      if (t.method == Method::kInvite) {
        b.retr_at = 0;
        b.fr_at = now + t.fr_inv_ms;
      }
      armBranchLocked(b);
      return;
    }
    b.code = static_cast<std::int16_t>(code);
    b.retr_at = 0;
    b.state = code < 300 && t.method == Method::kInvite ? ClientState::kAccepted
                                                        : ClientState::kCompleted;
    b.wait_at = now + cfg_.t4_ms;
    if (t.method == Method::kInvite && code >= 300) {
      std::string req(view(b.request));
      SipMessage rm;
      if (rm.parse(req) == ParseError::kOk) {
        const Listener* l = listenerAt(b.listener);
        std::string ack = buildAck(rm, msg);
        if (l != nullptr && !ack.empty()) sendTo(*l, b.dst.unpack(), ack, view(b.tls_name));
      }
    }
    armBranchLocked(b);
    completeLocalLocked(t, code, msg.reason(), msg.buffer(), false);
    return;
  }

  bool repeat = false;  // a 2xx this branch relayed before: a retransmission
  auto relayUp = [&](bool store) {
    const Listener* l = listenerAt(t.in_listener);
    std::string wire;
    if (l != nullptr && l->proto != Proto::kUdp) msg.ensureContentLength();
    if (l == nullptr || !msg.removeTopVia() || !msg.build(wire)) {
      SL_ERR_RATELIMITED("tm: cannot relay the %d of Call-ID %.*s upstream", code,
                         SL_SV(msg.callId()));
      if (store) {
        notifyWatchersLocked(t, code, "", false, repeat);
        noteReplySentLocked(t, code, "", false);  // the state moves on all the same
      }
      return;
    }
    if (store) notifyWatchersLocked(t, code, wire, false, repeat);
    SendResult sr = sendReplyTo(*l, t.reply_dst.unpack(), t.reply_fallback.unpack(), wire);
    if (sr == SendResult::kOk) {
      stats_.relayed_replies.inc();
      ctx.relayed = true;
    }
    if (store) noteReplySentLocked(t, code, wire, false);
  };

  if (code < 200) {
    if (!pending(b)) {
      // Late (the branch timed out or was answered): at most the CANCEL it was waiting for.
      if (b.cancel_pending) sendCancelLocked(t, b);
      return;
    }
    if (b.state == ClientState::kCalling) b.state = ClientState::kProceeding;
    if (t.method == Method::kInvite) {
      b.retr_at = 0;                                      // timer A stops on a provisional
      if (b.cancel.empty()) b.fr_at = now + t.fr_inv_ms;  // canceled: §9.1 bound stays
    } else if (b.retr_at != 0) {
      b.retr_interval = cfg_.t2_ms;  // §17.1.2.2: E fires every T2 in Proceeding
    }
    if (b.cancel_pending) sendCancelLocked(t, b);
    armBranchLocked(b);
    // 100 is hop by hop (§16.7 step 3); others go up while no final was sent.
    if (code > 100 && t.status < 200 && !ctx.dropped) relayUp(true);
    return;
  }

  if (code == 503 && canFailOverLocked(t, b)) {
    // RFC 3263 §4.3: a 503 from this target: ACK it and try the next one.
    if (t.method == Method::kInvite) sendAckLocked(b, msg);
    SL_NOTICE("tm: %s answered 503; trying the next target of branch %d",
              b.dst.unpack().toString().c_str(), index);
    failoverLocked(t, b, "503");
    return;
  }
  repeat = code < 300 && b.code >= 200 && b.code < 300 && !b.local_reply;
  b.code = static_cast<std::int16_t>(code);
  b.local_reply = false;
  b.retr_at = 0;
  if (code < 300) {
    b.state = t.method == Method::kInvite ? ClientState::kAccepted : ClientState::kTerminated;
    armBranchLocked(b);
    bool first_final = t.status < 200;
    // §16.7 step 5/10: every 2xx of an INVITE goes up; a non-INVITE only its first final.
    if (t.method == Method::kInvite || first_final) relayUp(true);
    if (first_final) cancelBranchesLocked(t, index);
    return;
  }

  // A final >= 300: ACK it (INVITE), keep it for the choice, end the branch after D/K.
  if (t.method == Method::kInvite) sendAckLocked(b, msg);
  Status st = shm::guardAlloc("reply", [&] {
    std::string_view raw = msg.buffer();
    b.reply.assign(raw.data(), raw.size());
  });
  if (!st.isOk()) {
    stats_.no_memory.inc();
    b.reply.clear();
    b.local_reply = true;  // only the code survives
  }
  b.state = ClientState::kCompleted;
  b.wait_at = now + (t.method == Method::kInvite ? cfg_.wait_ms : cfg_.t4_ms);
  armBranchLocked(b);
  if (code >= 600 && t.method == Method::kInvite) cancelBranchesLocked(t, index);  // §16.7 step 5
  if (!anyPendingLocked(t)) finalizeLocked(t);
}

}  // namespace sipline::tm

namespace sipline::tm {

void Engine::onStreamFailure(const SockAddr& peer, std::string_view unsent) {
  if (table_ == nullptr) return;
  StreamFramer framer;
  framer.feed(unsent);
  std::string_view one;
  while (framer.next(one) == FrameStatus::kMessage) {
    SipMessage msg;
    if (msg.parse(one) != ParseError::kOk || !msg.isRequest()) continue;
    const Via* top = msg.topVia();
    BranchId id;
    if (top == nullptr || !parseBranchId(top->branch, id) || id.nonce != table_->nonce()) {
      continue;
    }
    Transaction* t = table_->findByLabel(id.bucket, id.label);
    if (t == nullptr) continue;
    {
      TxnLock lock(*this, *t);
      ClientBranch* b = id.index < t->nbranches ? t->branches[id.index].get() : nullptr;
      if (b != nullptr && b->state == ClientState::kCalling && b->dst.unpack() == peer &&
          msg.method() == t->method) {
        SL_NOTICE("tm: the connection to %s failed; branch %d of Call-ID %.*s gives up on it",
                  peer.toString().c_str(), id.index, SL_SV(msg.callId()));
        b->send_failed = true;
        b->fr_at = monotonicMs();  // the timer fails over, or ends the branch as a 503
        armBranchLocked(*b);
      }
    }
    table_->unref(t);
  }
}

}  // namespace sipline::tm
