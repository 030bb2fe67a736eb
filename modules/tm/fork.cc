// Stateful relaying (RFC 3261 §16.6): t_relay() makes the request's transaction, freezes the
// request as the script left it (the "base": its edits, Max-Forwards decremented, the top Via
// annotated with received/rport), and sends one branch per destination: branch 0 is the
// request-URI (or $du), then every append_branch(). Each branch gets its request-URI, its
// branch_route, our Record-Route for its outgoing socket and our Via with a branch id that
// leads its replies back here. The next hop is resolved by RFC 3263 (core/dns) and the
// targets after the first are kept for failover. CANCEL is relayed to the pending branches of
// the INVITE it cancels (§16.10).
#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/dns/resolver.h"
#include "core/script/script.h"
#include "core/server/script_reload.h"
#include "core/sip/forward.h"
#include "core/sip/record_route.h"
#include "core/sip/relay_common.h"
#include "core/sip/reply.h"
#include "core/sip/via_ops.h"
#include "core/stats/core_stats.h"
#include "modules/tm/engine.h"
#include "modules/tm/matching.h"
#include "modules/tm/tsx_util.h"

namespace sipline::tm {
namespace {

std::string ourVia(const Listener& out, const MsgContext& ctx, const BranchId& id) {
  std::string via;
  via.reserve(96);
  via += out.proto == Proto::kUdp   ? "Via: SIP/2.0/UDP "
         : out.proto == Proto::kTcp ? "Via: SIP/2.0/TCP "
                                    : "Via: SIP/2.0/TLS ";
  via += ctx.advertised_address.empty() ? out.via_host : ctx.advertised_address;
  via += ':';
  via += std::to_string(ctx.advertised_port != 0 ? ctx.advertised_port : out.via_port);
  via += ";branch=";
  via += formatBranchId(id);
  via += "\r\n";
  return via;
}

}  // namespace

int Engine::relay(MsgContext& ctx) {
  if (table_ == nullptr) return -1;
  SipMessage& msg = ctx.msg();
  if (!msg.isRequest()) return -1;
  if (msg.method() == Method::kAck) {
    // The ACK of a 2xx is a transaction of its own that nobody answers: relayed statelessly.
    return forwardRequest(ctx, nullptr) == ForwardResult::kOk ? 1 : -1;
  }
  if (msg.method() == Method::kCancel && ctx.routeType() == kRequestRoute) {
    int rc = relayCancel(ctx);
    if (rc != 2) return rc;  // 2: no INVITE to cancel; relayed as a request of its own
  }
  bool in_failure = ctx.routeType() == kFailureRoute;
  if (ctx.tm.no_memory) return -1;  // half-built: requestDone() answers 500
  if (ctx.transaction == nullptr) {
    int rc = newTransaction(ctx, false);
    if (rc <= 0) return rc;
  }
  Transaction& t = *current(ctx);
  TxnLock lock(*this, t);
  if (t.status >= 200) {
    SL_ERR_RATELIMITED("t_relay: the transaction of Call-ID %.*s has a final reply already",
                       SL_SV(msg.callId()));
    return -1;
  }
  attachWatchersLocked(t, ctx);
  if (t.canceled) {
    // A CANCEL overtook the script (request route) or the failure_route wants to go on.
    SL_DBG("t_relay: the transaction of Call-ID %.*s was canceled; not relaying",
           SL_SV(msg.callId()));
    if (!in_failure) {
      sendLocalReplyLocked(t, msg, 487, "Request Terminated");
      ctx.replied = true;
    }
    return -1;
  }
  if (!in_failure) {
    MaxForwardsResult mf = processMaxForwards(ctx);
    if (mf == MaxForwardsResult::kTooManyHops) {
      coreStats().too_many_hops.inc();
      sendLocalReplyLocked(t, msg, 483, "Too Many Hops");
      ctx.replied = true;
      return -1;
    }
    if (mf != MaxForwardsResult::kOk || !annotateTopVia(msg, ctx.rcv().src, ctx.force_rport)) {
      return -1;
    }
  }
  std::string base;
  if (!msg.build(base)) {
    SL_ERR_RATELIMITED("t_relay: conflicting edits on Call-ID %.*s", SL_SV(msg.callId()));
    return -1;
  }
  Status st = shm::guardAlloc("transaction", [&] {
    if (!in_failure) assign(t.request, base);
    assign(t.on_failure, ctx.tm.on_failure);
    assign(t.on_reply, ctx.tm.on_reply);
    assign(t.on_branch, ctx.tm.on_branch);
    assign(t.rr_params, ctx.record_route.params);
    assign(t.rr_preset, ctx.record_route.preset);
    assign(t.avps, ctx.avps.serialize());
    // append_to_reply() in a failure_route lasts for that route only (as in OpenSIPS): kept,
    // a hunt through N gateways would repeat its header N times.
    if (!in_failure) assign(t.reply_headers, ctx.reply_headers);
  });
  if (!st.isOk()) {
    stats_.no_memory.inc();
    SL_ERR_RATELIMITED("tm: %s; Call-ID %.*s gets 500", st.message().c_str(), SL_SV(msg.callId()));
    ctx.tm.no_memory = true;
    ctx.noteRelayError(500, "No memory left");
    return -1;
  }
  if (ctx.tm.fr_timeout_ms > 0) t.fr_ms = ctx.tm.fr_timeout_ms;
  if (ctx.tm.fr_inv_timeout_ms > 0) t.fr_inv_ms = ctx.tm.fr_inv_timeout_ms;
  t.record_route = ctx.record_route.wanted;
  // From failure_route too: the next failure_route sees the flags this one set (as AVPs).
  t.msg_flags = ctx.flags;

  Branch first;
  first.uri = std::string(ctx.ruri());
  first.dst_uri = ctx.dst_uri;
  first.bflags = ctx.bflags;
  first.path = ctx.ruri_path;
  int sent = addBranchLocked(t, ctx, base, first, ctx.send_socket) ? 1 : 0;
  for (const Branch& b : ctx.branches) {
    if (addBranchLocked(t, ctx, base, b,
                        b.send_socket != nullptr ? b.send_socket : ctx.send_socket)) {
      ++sent;
    }
  }
  ctx.branches.clear();  // relayed; a failure_route starts with none
  if (sent == 0) return -1;
  // RFC 3261 §16.2: a proxy answers an INVITE 100 Trying (here once it went somewhere, so an
  // unroutable INVITE gets just the script's error reply).
  if (!in_failure && t.status == 0 && t.method == Method::kInvite && cfg_.auto_100 &&
      !ctx.tm.no_100) {
    sendLocalReplyLocked(t, msg, 100, "Trying");
  }
  ctx.relayed = true;
  return 1;
}

bool Engine::addBranchLocked(Transaction& t, MsgContext& ctx, const std::string& base,
                             const Branch& spec, const Listener* socket) {
  if (t.nbranches >= kMaxBranches) {
    SL_ERR_RATELIMITED("t_relay: Call-ID %.*s has %d branches already; no more",
                       SL_SV(ctx.msg().callId()), kMaxBranches);
    return false;
  }
  // Branch 0 of a first relay that goes where the script left the request, with no
  // branch_route and no Path to add: its wire is the script's message plus our Record-Route
  // and Via, so the base is not parsed again (at thousands of calls/s that parse is a fifth
  // of the relay's CPU). The two headers are undone right after, leaving ctx as it was.
  if (t.nbranches == 0 && !t.local && t.on_branch.empty() && spec.path.empty() &&
      socket == ctx.send_socket && spec.uri == ctx.ruri() && spec.dst_uri == ctx.dst_uri &&
      spec.bflags == ctx.bflags && ctx.record_route.wanted == t.record_route) {
    std::size_t edits = ctx.msg().edits().size();
    bool sent = sendBranchLocked(t, ctx, ctx, 0);
    ctx.msg().edits().truncate(edits);
    return sent;
  }
  int index = t.nbranches;
  SipMessage bm;
  if (bm.parse(base) != ParseError::kOk) return false;
  MsgContext bctx(bm, ctx.rcv(), kBranchRoute);
  bctx.maxfwd_processed = true;
  bctx.flags = ctx.flags;
  bctx.bflags = spec.bflags;
  bctx.dst_uri = spec.dst_uri;
  bctx.send_socket = socket;
  bctx.advertised_address = ctx.advertised_address;
  bctx.advertised_port = ctx.advertised_port;
  bctx.record_route.wanted = t.record_route;
  bctx.record_route.params = std::string(view(t.rr_params));
  bctx.record_route.preset = std::string(view(t.rr_preset));
  bctx.transaction = &t;
  bctx.avps = ctx.avps;
  bctx.tm.branch_index = index;
  if (spec.uri != bm.requestUriText() && !bctx.setRuri(spec.uri).isOk()) {
    SL_ERR_RATELIMITED("t_relay: branch URI '%s' does not parse; skipped", spec.uri.c_str());
    return false;
  }
  if (!spec.path.empty()) {
    // RFC 3327: the Path of the registration becomes the Route of the request.
    bm.insertHeaderAtTop(HeaderType::kRoute, "Route: " + spec.path + "\r\n");
  }
  if (!t.on_branch.empty()) {
    if (ScriptReloader* r = scriptReloader(); r != nullptr && r->current() != nullptr) {
      int rc = 1;
      r->current()->runNamed(kBranchRoute, std::string(view(t.on_branch)), bctx, &rc);
      if (bctx.dropped) {
        SL_DBG("t_relay: branch %d dropped by branch_route", index);
        return false;
      }
    }
  }
  return sendBranchLocked(t, ctx, bctx, index);
}

// bctx: the branch's own context (its message is the branch's request); ctx: the request's,
// which collects relay errors. They are the same object on the fast path above.
bool Engine::sendBranchLocked(Transaction& t, MsgContext& ctx, MsgContext& bctx, int index) {
  SipMessage& bm = bctx.msg();
  Result<NextHop> hop = parseNextHop(bctx.dst_uri.empty() ? bctx.ruri() : bctx.dst_uri);
  if (!hop.isOk()) {
    SL_ERR_RATELIMITED("t_relay: no destination for branch %d of Call-ID %.*s: %s", index,
                       SL_SV(bm.callId()), hop.status().message().c_str());
    ctx.noteRelayError(478, "Unresolvable destination");
    return false;
  }
  applyForcedTransport(bctx, hop.value());
  Result<std::vector<dns::SipTarget>> targets = dns::resolveTargets(hop.value());
  if (!targets.isOk() || targets.value().empty()) {
    SL_ERR_RATELIMITED("t_relay: cannot resolve %s for Call-ID %.*s: %s", hop.value().host.c_str(),
                       SL_SV(bm.callId()),
                       targets.isOk() ? "no targets" : targets.status().message().c_str());
    ctx.noteRelayError(478, "Unresolvable destination");
    return false;
  }
  const dns::SipTarget& first = targets.value().front();
  const Listener* out = outgoingSocket(bctx, first.addr, first.proto, "t_relay");
  if (out == nullptr) {
    ctx.noteRelayError(478, "Unresolvable destination");
    return false;
  }
  insertRecordRoute(bctx, *out);
  BranchId id{table_->nonce(), t.bucket, t.label, index};
  if (t.local) bm.removeTopVia();  // the placeholder of uac.cc
  bm.insertHeaderAtTop(HeaderType::kVia, ourVia(*out, bctx, id));
  if (out->proto != Proto::kUdp) bm.ensureContentLength();
  std::string wire;
  if (!bm.build(wire)) {
    SL_ERR_RATELIMITED("t_relay: conflicting edits in branch %d of Call-ID %.*s", index,
                       SL_SV(bm.callId()));
    return false;
  }
  shm::SegmentManager* sm = shm::segment()->manager();
  ClientBranch* b = nullptr;
  Status st = shm::guardAlloc("branch", [&] {
    b = shm::create<ClientBranch>(sm, sm);
    assign(b->request, wire);
    // t_on_reply() in the branch_route: this branch's replies get their own route.
    if (bctx.tm.on_reply != view(t.on_reply)) assign(b->on_reply, bctx.tm.on_reply);
    if (first.proto == Proto::kTls) assign(b->tls_name, tlsNameOf(hop.value()));
  });
  if (!st.isOk()) {
    shm::destroy(sm, b);
    stats_.no_memory.inc();
    SL_ERR_RATELIMITED("tm: %s; branch %d of Call-ID %.*s not sent", st.message().c_str(), index,
                       SL_SV(bm.callId()));
    ctx.tm.no_memory = true;
    ctx.noteRelayError(500, "No memory left");
    return false;
  }
  shm::noteUsage(sm);
  b->timer.owner = &t;
  b->timer.tag = static_cast<std::uint16_t>(1 + index);
  b->dst = PackedAddr::of(first.addr);
  b->listener = static_cast<std::int16_t>(out->index);
  b->bflags = bctx.bflags;
  for (std::size_t i = 1; i < targets.value().size() && b->ntargets < kMaxTargets; ++i) {
    // Failover stays on the socket chosen for the first target: same transport and family.
    if (targets.value()[i].addr.family() == first.addr.family() &&
        targets.value()[i].proto == first.proto) {
      b->targets[b->ntargets++] = PackedAddr::of(targets.value()[i].addr);
    }
  }
  t.branches[index] = b;
  t.nbranches = static_cast<std::uint8_t>(index + 1);
  stats_.uac.inc();
  sendRequestLocked(t, *b);
  return true;
}

int Engine::relayCancel(MsgContext& ctx) {
  SipMessage& msg = ctx.msg();
  ServerKey key;
  if (!serverKey(msg, key)) return -1;
  Transaction* t = table_->find(key.hash, key.key,
                                [](const Transaction& x) { return x.method == Method::kInvite; });
  if (t == nullptr) return 2;
  {
    TxnLock lock(*this, *t);
    // §9.2/§16.10: the CANCEL is answered here and relayed on every pending branch.
    if (sendStatelessReply(ctx, 200, "OK", view(t->to_tag)) == SendResult::kOk) {
      ctx.replied = true;
    }
    if (!t->canceled && t->status < 200) {
      t->canceled = true;
      stats_.canceled.inc();
      cancelBranchesLocked(*t, -1);
    }
  }
  table_->unref(t);
  ctx.relayed = true;
  return 1;
}

}  // namespace sipline::tm
