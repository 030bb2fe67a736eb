// The server side (RFC 3261 §17.2): creating the transaction of a request the script makes
// stateful, absorbing retransmissions and the ACK of a non-2xx final, replies sent upstream
// (relayed or generated here) and the server timers G, H, I, J and the maximum lifetime.
#include <random>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/base/strings.h"
#include "core/sip/reply.h"
#include "core/sip/via_ops.h"
#include "core/transport/listener.h"
#include "core/transport/send.h"
#include "modules/tm/engine.h"
#include "modules/tm/matching.h"
#include "modules/tm/tsx_util.h"

namespace sipline::tm {

namespace bip = boost::interprocess;

TxnLock::TxnLock(Engine& e, Transaction& t) : e_(e), t_(t), prev_held_(e.held_) {
  if (e.held_ != &t) {
    t.mutex.lock();
    locked_ = true;
    e.held_ = &t;
  }
}

TxnLock::~TxnLock() {
  if (locked_) {
    e_.held_ = prev_held_;
    t_.mutex.unlock();
  }
}

Status Engine::init(shm::Segment& segment, const TmConfig& config) {
  cfg_ = config;
  std::random_device rd;
  std::uint32_t nonce = rd();
  Result<TsxTable*> table =
      segment.construct<TsxTable>("tm.table", cfg_.hash_size, nonce, segment.manager());
  if (!table.isOk()) return table.status();
  Result<timer::TimerWheel*> wheel =
      segment.construct<timer::TimerWheel>("tm.timers", monotonicMs(), cfg_.tick_ms);
  if (!wheel.isOk()) return wheel.status();
  table_ = table.value();
  wheel_ = wheel.value();
  return Status::ok();
}

namespace {

bool matchesMethod(const Transaction& t, Method m) { return t.method == m; }

}  // namespace

void Engine::resendLastReplyLocked(Transaction& t) {
  const Listener* l = listenerAt(t.in_listener);
  if (t.last_reply.empty() || l == nullptr) return;
  sendReplyTo(*l, t.reply_dst.unpack(), t.reply_fallback.unpack(), view(t.last_reply));
}

bool Engine::absorbRequest(SipMessage& msg, const ReceiveInfo& /*rcv*/) {
  if (table_ == nullptr || msg.method() == Method::kCancel) return false;
  bool ack = msg.method() == Method::kAck;
  Method want = ack ? Method::kInvite : msg.method();
  if (!table_->mayHold(want)) return false;
  ServerKey key;
  if (!serverKey(msg, key)) return false;
  Transaction* t = table_->find(key.hash, key.key,
                                [want](const Transaction& x) { return matchesMethod(x, want); });
  if (t == nullptr) return false;
  bool consumed = false;
  {
    TxnLock lock(*this, *t);
    if (!ack) {
      // RFC 3261 §17.2.1/§17.2.2: a retransmission gets the last reply again (or nothing yet).
      resendLastReplyLocked(*t);
      stats_.absorbed.inc();
      consumed = true;
    } else if (t->sstate == ServerState::kCompleted) {
      // The ACK of our non-2xx final: timer I, then gone (§17.2.1).
      t->sstate = ServerState::kConfirmed;
      t->retr_at = 0;
      t->wait_at = monotonicMs() + cfg_.t4_ms;
      armServerLocked(*t);
      consumed = true;
    } else if (t->sstate == ServerState::kConfirmed) {
      consumed = true;  // a retransmitted ACK
    }
    // An ACK matching an INVITE that got a 2xx (RFC 2543 peers reuse the key) is end to end:
    // the script relays it.
  }
  table_->unref(t);
  return consumed;
}

void Engine::initServerLocked(Transaction& t, MsgContext& ctx, bool rfc3261) {
  SipMessage& msg = ctx.msg();
  std::int64_t now = monotonicMs();
  t.rfc3261 = rfc3261;
  t.method = msg.method();
  t.src = PackedAddr::of(ctx.rcv().src);
  t.in_listener =
      ctx.rcv().listener != nullptr ? static_cast<std::int16_t>(ctx.rcv().listener->index) : -1;
  const Via* top = msg.topVia();
  SockAddr reply_dst = ctx.rcv().src;
  if (top != nullptr) replyDestinationForRequest(*top, ctx.rcv().src, reply_dst, ctx.force_rport);
  t.reply_dst = PackedAddr::of(reply_dst);
  t.force_rport = ctx.force_rport;
  t.reply_fallback = top != nullptr && ctx.rcv().proto != Proto::kUdp
                         ? PackedAddr::of(streamFallbackOf(*top, ctx.rcv().src))
                         : PackedAddr{};
  std::string tag = "tm";
  appendHex(tag, t.label, 8);
  appendHex(tag, static_cast<std::uint64_t>(now) & 0xffffff, 6);
  assign(t.to_tag, tag);
  t.created_ms = now;
  t.fr_ms = cfg_.fr_ms;
  t.fr_inv_ms = cfg_.fr_inv_ms;
  t.lifetime_at =
      now + (t.method == Method::kInvite ? cfg_.max_inv_lifetime_ms : cfg_.max_noninv_lifetime_ms);
  t.timer.owner = &t;
  t.timer.tag = kServerTimer;
  armServerLocked(t);
}

int Engine::newTransaction(MsgContext& ctx, bool send_100) {
  if (table_ == nullptr) return -1;
  if (ctx.transaction != nullptr) return 1;
  SipMessage& msg = ctx.msg();
  if (!msg.isRequest() || msg.method() == Method::kAck) return -1;
  ServerKey key;
  if (!serverKey(msg, key)) return -1;
  Method m = msg.method();
  Result<TsxTable::Created> made = table_->findOrCreate(
      key.hash, key.key, m, [m](const Transaction& x) { return x.method == m; });
  if (!made.isOk()) {
    stats_.no_memory.inc();
    SL_ERR_RATELIMITED("tm: %s; Call-ID %.*s gets 500", made.status().message().c_str(),
                       SL_SV(msg.callId()));
    ctx.tm.no_memory = true;
    ctx.noteRelayError(500, "No memory left");
    return -1;
  }
  Transaction* t = made.value().txn;
  if (made.value().existed) {
    {
      TxnLock lock(*this, *t);
      resendLastReplyLocked(*t);
    }
    stats_.absorbed.inc();
    table_->unref(t);
    return 0;
  }
  Status st = shm::guardAlloc("transaction", [&] {
    TxnLock lock(*this, *t);
    initServerLocked(*t, ctx, key.rfc3261);
  });
  ctx.transaction = t;
  stats_.inuse.inc();
  stats_.uas.inc();
  if (!st.isOk()) {
    // The transaction exists but holds nothing usable: it ends at once (the timer frees
    // it); the request gets 500 from the script (sl_reply_error) or after it.
    stats_.no_memory.inc();
    SL_ERR_RATELIMITED("tm: %s; Call-ID %.*s gets 500", st.message().c_str(), SL_SV(msg.callId()));
    TxnLock lock(*this, *t);
    t->sstate = ServerState::kTerminated;
    armServerLocked(*t);
    ctx.tm.no_memory = true;
    ctx.noteRelayError(500, "No memory left");
    return -1;
  }
  if (send_100 && m == Method::kInvite && cfg_.auto_100 && !ctx.tm.no_100) {
    TxnLock lock(*this, *t);
    sendLocalReplyLocked(*t, msg, 100, "Trying");
  }
  return 1;
}

void Engine::noteReplySentLocked(Transaction& t, int code, std::string_view wire, bool local) {
  std::int64_t now = monotonicMs();
  Status st = shm::guardAlloc("reply", [&] {
    // An INVITE's 100 is usually followed by a 180 and a 200 with SDP: room for them in
    // one allocation.
    if (t.last_reply.capacity() < wire.size()) {
      t.last_reply.reserve(wire.size() + (t.method == Method::kInvite ? 512 : 0));
    }
    t.last_reply.assign(wire.data(), wire.size());
  });
  if (!st.isOk()) {
    stats_.no_memory.inc();
    t.last_reply.clear();
  }
  t.status = static_cast<std::int16_t>(code);
  if (code < 200) {
    if (t.sstate == ServerState::kTrying) t.sstate = ServerState::kProceeding;
    return;
  }
  stats_.final_by_class[std::min(code / 100, 6) - 1].inc();
  t.local_replied = local;
  // RFC 3261 §17.2.1: no timer G on a reliable transport (the stream delivers the reply).
  const Listener* in = listenerAt(t.in_listener);
  bool udp = in == nullptr || in->proto == Proto::kUdp;
  if (t.method == Method::kInvite && code < 300) {
    // RFC 6026 Accepted: retransmitted INVITEs are absorbed and further 2xx relayed. Its
    // timer L (64*T1) is shortened to wt_timer as in OpenSIPS: at thousands of calls per
    // second 32 s of finished INVITEs would hold most of the table.
    t.sstate = ServerState::kAccepted;
    t.retr_at = 0;
    t.wait_at = now + cfg_.wait_ms;
  } else if (t.method == Method::kInvite) {
    t.sstate = ServerState::kCompleted;
    t.retr_interval = cfg_.t1_ms;
    t.retr_at = udp ? now + cfg_.t1_ms : 0;  // timer G
    t.wait_at = now + 64 * cfg_.t1_ms;       // timer H
  } else {
    t.sstate = ServerState::kCompleted;
    t.retr_at = 0;
    t.wait_at = now + cfg_.wait_ms;  // timer J
  }
  armServerLocked(t);
}

void Engine::sendLocalReplyLocked(Transaction& t, SipMessage& req, int code,
                                  std::string_view reason, std::string_view extra_headers) {
  const Listener* l = listenerAt(t.in_listener);
  std::string_view tag = code > 100 ? view(t.to_tag) : std::string_view();
  std::string headers(extra_headers);
  if (code > 100) headers += view(t.reply_headers);  // append_to_reply()
  std::string wire = buildReply(req, t.src.unpack(), code, reason, tag, headers, t.force_rport);
  notifyWatchersLocked(t, code, wire, true);
  if (l != nullptr) {
    SendResult sr = sendReplyTo(*l, t.reply_dst.unpack(), t.reply_fallback.unpack(), wire);
    if (sr != SendResult::kOk) {
      SL_ERR_RATELIMITED("tm: cannot send %d reply to %s: %s", code,
                         t.reply_dst.unpack().toString().c_str(), sendResultText(sr));
    }
  }
  stats_.local_replies.inc();
  noteReplySentLocked(t, code, wire, true);
}

int Engine::reply(MsgContext& ctx, int code, std::string_view reason,
                  std::string_view extra_headers) {
  if (ctx.tm.no_memory) return -1;  // half-built: requestDone() answers 500
  if (ctx.transaction == nullptr) {
    int rc = newTransaction(ctx);
    if (rc <= 0) return rc;
  }
  Transaction& t = *current(ctx);
  TxnLock lock(*this, t);
  if (t.status >= 200 && !(code >= 200 && code < 300 && t.method == Method::kInvite &&
                           t.sstate == ServerState::kAccepted)) {
    SL_ERR_RATELIMITED("t_reply(%d): the transaction has a final reply (%d) already; Call-ID %.*s",
                       code, t.status, SL_SV(ctx.msg().callId()));
    return -1;
  }
  attachWatchersLocked(t, ctx);
  if (code >= 200) cancelBranchesLocked(t, -1);
  // A 3xx lists the destination set as its Contacts, as sl_send_reply does (redirect server).
  std::string headers(extra_headers);
  // append_to_reply(): kept with the transaction, so that what tm answers later (408, a
  // failure_route's t_reply) carries them too, as OpenSIPS keeps them with the request.
  if (view(t.reply_headers) != ctx.reply_headers &&
      !shm::guardAlloc("transaction", [&] { assign(t.reply_headers, ctx.reply_headers); }).isOk()) {
    assign(t.reply_headers, std::string_view());
    headers += ctx.reply_headers;
  }
  if (code >= 300 && code < 400) headers += destinationSetContacts(ctx);
  sendLocalReplyLocked(t, ctx.msg(), code, reason, headers);
  ctx.replied = true;
  return 1;
}

int Engine::checkTransaction(MsgContext& ctx) {
  if (table_ == nullptr) return -1;
  if (ctx.transaction != nullptr) return 1;
  SipMessage& msg = ctx.msg();
  if (!msg.isRequest()) return -1;
  ServerKey key;
  if (!serverKey(msg, key)) return -1;
  Method m = msg.method();
  Method want = (m == Method::kAck || m == Method::kCancel) ? Method::kInvite : m;
  Transaction* t =
      table_->find(key.hash, key.key, [want](const Transaction& x) { return x.method == want; });
  if (t == nullptr) return -1;
  int rc = 1;
  if (m != Method::kAck && m != Method::kCancel) {
    // A retransmission that raced the original past absorbRequest(): answer and stop.
    TxnLock lock(*this, *t);
    resendLastReplyLocked(*t);
    stats_.absorbed.inc();
    rc = 0;
  }
  table_->unref(t);
  return rc;
}

bool Engine::wasCanceled(MsgContext& ctx) {
  Transaction* t = current(ctx);
  if (t == nullptr) return false;
  TxnLock lock(*this, *t);
  return t->canceled;
}

bool Engine::localReplied(MsgContext& ctx, bool all) {
  Transaction* t = current(ctx);
  if (t == nullptr) return false;
  // In failure_route nothing has gone upstream yet: "last" is the reply the route judges.
  if (!all && ctx.routeType() == kFailureRoute) return ctx.tm.reply_local;
  TxnLock lock(*this, *t);
  if (!all) return t->local_replied;
  for (int i = 0; i < t->nbranches; ++i) {
    const ClientBranch* b = t->branches[i].get();
    if (b != nullptr && !b->local_reply) return false;
  }
  return true;
}

void Engine::requestDone(MsgContext& ctx) {
  Transaction* t = current(ctx);
  // Shared memory was full and the script did not answer: the promised 500, statelessly.
  auto answerNoMemory = [&ctx] {
    if (ctx.tm.no_memory && !ctx.replied && !ctx.relayed && !ctx.tm.no_auto_reply &&
        sendStatelessReply(ctx, 500, "No memory left") == SendResult::kOk) {
      ctx.replied = true;
    }
  };
  if (t == nullptr) {
    answerNoMemory();
    return;
  }
  {
    TxnLock lock(*this, *t);
    if (t->sstate == ServerState::kTerminated) {
      answerNoMemory();
    } else if (t->status < 200 && !anyPendingLocked(*t) && !t->final_pending) {
      if (ctx.replied) {
        // Answered statelessly (sl_send_reply after t_newtran): nothing left to do here.
        t->sstate = ServerState::kTerminated;
        armServerLocked(*t);
      } else if (t->nbranches > 0) {
        finalizeLocked(*t);  // every branch failed at once (unreachable)
      } else if (ctx.tm.no_auto_reply || ctx.tm.no_memory) {
        answerNoMemory();
        t->sstate = ServerState::kTerminated;  // answered above, or left unanswered
        armServerLocked(*t);
      } else {
        SL_ERR_RATELIMITED(
            "tm: the script made Call-ID %.*s stateful but neither relayed nor answered it; "
            "answering 500",
            SL_SV(ctx.msg().callId()));
        sendLocalReplyLocked(*t, ctx.msg(), 500, "Server Internal Error");
      }
    }
  }
  ctx.transaction = nullptr;
  table_->unref(t);
}

void Engine::armServerLocked(Transaction& t) {
  std::int64_t next = 0;
  auto consider = [&next](std::int64_t at) {
    if (at != 0 && (next == 0 || at < next)) next = at;
  };
  if (t.sstate == ServerState::kTerminated) {
    next = monotonicMs();  // deletion check
  } else {
    consider(t.retr_at);
    consider(t.wait_at);
    if (t.status < 200) consider(t.lifetime_at);
  }
  if (next != 0) wheel_->arm(t.timer, next);
}

bool Engine::serverTimerLocked(Transaction& t, std::int64_t now) {
  switch (t.sstate) {
    case ServerState::kTrying:
    case ServerState::kProceeding:
      if (t.lifetime_at != 0 && t.lifetime_at <= now && !t.local) {
        SL_NOTICE("tm: transaction %x.%x reached its maximum lifetime; answering 408", t.bucket,
                  t.label);
        cancelBranchesLocked(t, -1);
        for (int i = 0; i < t.nbranches; ++i) {
          ClientBranch* b = t.branches[i].get();
          if (b != nullptr && b->state < ClientState::kCompleted) {
            b->state = ClientState::kCompleted;  // its CANCEL goes on until answered
            b->code = 408;
            b->local_reply = true;
            b->wait_at = now + cfg_.wait_ms;
            armBranchLocked(*b);
          }
        }
        std::string req(view(t.request));
        SipMessage msg;
        if (msg.parse(req) == ParseError::kOk) {
          sendLocalReplyLocked(t, msg, t.canceled ? 487 : 408,
                               t.canceled ? "Request Terminated" : "Request Timeout");
        } else {
          t.sstate = ServerState::kTerminated;
        }
      } else if (t.local && t.lifetime_at != 0 && t.lifetime_at <= now) {
        cancelBranchesLocked(t, -1);
        for (int i = 0; i < t.nbranches; ++i) {
          ClientBranch* b = t.branches[i].get();
          if (b != nullptr && b->state < ClientState::kCompleted) {
            b->state = ClientState::kCompleted;
            b->code = 408;
            b->local_reply = true;
            b->wait_at = now + cfg_.wait_ms;
            armBranchLocked(*b);
          }
        }
        completeLocalLocked(t, 408, "Request Timeout", "", true);
      }
      break;
    case ServerState::kCompleted:
      if (t.retr_at != 0 && t.retr_at <= now) {
        resendLastReplyLocked(t);  // timer G
        stats_.retransmissions.inc();
        t.retr_interval = std::min(2 * t.retr_interval, cfg_.t2_ms);
        t.retr_at = now + t.retr_interval;
      }
      if (t.wait_at != 0 && t.wait_at <= now) t.sstate = ServerState::kTerminated;  // H / J
      break;
    case ServerState::kConfirmed:
    case ServerState::kAccepted:
      if (t.wait_at != 0 && t.wait_at <= now) t.sstate = ServerState::kTerminated;  // I / L
      break;
    case ServerState::kTerminated:
      break;
  }
  if (t.sstate == ServerState::kTerminated) return doneLocked(t);
  armServerLocked(t);
  return false;
}

bool Engine::doneLocked(const Transaction& t) const {
  if (t.sstate != ServerState::kTerminated) return false;
  for (int i = 0; i < t.nbranches; ++i) {
    const ClientBranch* b = t.branches[i].get();
    if (b != nullptr && b->state != ClientState::kTerminated &&
        b->state != ClientState::kAccepted) {
      return false;
    }
  }
  return true;
}

}  // namespace sipline::tm
