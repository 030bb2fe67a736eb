#include "modules/rtpengine/service.h"

#include <algorithm>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/base/strings.h"
#include "core/proc/supervisor.h"
#include "core/shm/segment.h"

namespace sipline::rtpengine {

namespace {

constexpr const char* kPing = "d7:command4:pinge";

bool isInitialInvite(SipMessage& msg) {
  const NameAddr* to = msg.to();
  return msg.isRequest() && msg.method() == Method::kInvite && to != nullptr && to->tag.empty();
}

bool hasSdp(SipMessage& msg) {
  std::string_view sdp;
  std::size_t offset = 0;
  return findMessageSdp(msg, sdp, offset);
}

}  // namespace

Status Service::configure() {
  if (configured_) return *configured_;
  Status st;
  if (config_.sock.empty()) {
    st = Status::invalidArgument("rtpengine: rtpengine_sock is not set (e.g. udp:127.0.0.1:2223)");
  } else {
    st = sets_.configure(config_.sock).withPrefix("rtpengine: rtpengine_sock");
  }
  sets_.setDisableTimeout(static_cast<int>(config_.disable_tout));
  configured_ = st;
  return st;
}

Status Service::init(shm::Segment& segment, tm::Api* tm, dialog::Api* dialog) {
  Status st = configure();
  if (!st.isOk()) return st;
  st = sets_.init(segment, "rtpengine.relays");
  if (!st.isOk()) return st;
  sets_.setStickyTtl(static_cast<int>(config_.sticky_ttl));
  client_ = std::make_unique<media::RelayClient>(
      sets_,
      media::RelayClientOptions{static_cast<int>(config_.tout_ms), static_cast<int>(config_.retr)});
  tm_ = tm;
  dialog_ = dialog;
  if (tm_ != nullptr) {
    tm_watcher_ = tm_->registerWatcher(this, false);
    if (tm_watcher_ == 0)
      SL_WARN("rtpengine: no tm watcher slot left: failed calls rely on manage");
  }
  if (dialog_ != nullptr) {
    st = dialog_->registerWatcher(kWatcherName, this);
    if (!st.isOk()) return st;
  }
  return Status::ok();
}

Status Service::initForTest(tm::Api* tm, dialog::Api* dialog) {
  Status st = configure();
  if (!st.isOk()) return st;
  sets_.initPrivateForTest();
  sets_.setStickyTtl(static_cast<int>(config_.sticky_ttl));
  client_ = std::make_unique<media::RelayClient>(
      sets_,
      media::RelayClientOptions{static_cast<int>(config_.tout_ms), static_cast<int>(config_.retr)});
  tm_ = tm;
  dialog_ = dialog;
  if (tm_ != nullptr) tm_watcher_ = tm_->registerWatcher(this, false);
  if (dialog_ != nullptr) {
    st = dialog_->registerWatcher(kWatcherName, this);
    if (!st.isOk()) return st;
  }
  return Status::ok();
}

unsigned Service::setFor(MsgContext& ctx) const {
  const Selection& s = selection_;
  SipMessage& msg = ctx.msg();
  if (s.ctx == &ctx && s.buffer == msg.buffer().data() && s.call_id == msg.callId()) return s.set;
  // A call offered before: the set of the relay that holds it (another set's relay would not
  // know the call), even when its offer chose the set with rtpengine_use_set().
  if (int relay = sets_.relayOf(msg.callId()); relay >= 0) {
    return sets_.relay(static_cast<std::size_t>(relay)).set;
  }
  if (sets_.hasSet(0) || sets_.relayCount() == 0) return 0;
  return sets_.relay(0).set;
}

Status Service::useSet(MsgContext& ctx, unsigned set) {
  if (!sets_.hasSet(set)) {
    return Status::notFound("rtpengine: no relay set " + std::to_string(set) +
                            " in rtpengine_sock");
  }
  selection_ = Selection{&ctx, ctx.msg().buffer().data(), std::string(ctx.msg().callId()), set};
  return Status::ok();
}

bool Service::run(Op op, MsgContext& ctx, const NgFlags& flags) {
  return send(op, ctx, flags) == Outcome::kOk;
}

Service::Outcome Service::send(Op op, MsgContext& ctx, const NgFlags& flags, bool unknown_ok,
                               DeleteScope scope) {
  SipMessage& msg = ctx.msg();
  std::string_view call_id = msg.callId();
  auto fail = [&](const std::string& why) {
    counters_.errors.inc();
    SL_ERR_RATELIMITED("rtpengine: %s for Call-ID %.*s failed: %s", opName(op), SL_SV(call_id),
                       why.c_str());
    return Outcome::kFailed;
  };
  if (client_ == nullptr) return fail("not initialised");
  Result<Bencode> req = buildRequest(op, msg, ctx.rcv().src, flags, scope);
  if (!req.isOk()) return fail(req.status().message());
  unsigned set = setFor(ctx);
  unsigned failovers = 0;
  // A new call's offer that a full relay refuses goes to the next relay of the set; a call
  // that lives on a relay already stays there.
  media::RelayClient::Refusal refused;
  if (op == Op::kOffer && sets_.relayOf(call_id) < 0) refused = isFullRelayReply;
  // The Call-ID's remembered relay comes first (RelaySets::pickFor).
  Result<media::RelayClient::Reply> reply =
      client_->request(set, call_id, req.value().encode(), &failovers, refused);
  if (failovers != 0) counters_.failovers.inc(failovers);
  if (!reply.isOk()) return fail(reply.status().message());
  std::size_t relay = reply.value().relay;
  Result<NgReply> parsed = parseReply(op, reply.value().body);
  if (!parsed.isOk()) {
    if (unknown_ok && isUnknownCallError(parsed.status())) {
      SL_DBG("rtpengine: %s for Call-ID %.*s: the relay knows no such call", opName(op),
             SL_SV(call_id));
      return Outcome::kUnknownCall;
    }
    return fail(sets_.relay(relay).spec.url + ": " + parsed.status().message());
  }
  if (op != Op::kDelete && !replaceSdp(msg, parsed.value().sdp)) {
    return fail("could not replace the message body");
  }
  bool answered_invite =
      msg.isReply() && msg.method() == Method::kInvite && msg.statusCode() / 100 == 2;
  switch (op) {
    case Op::kOffer:
      counters_.offers.inc();
      // Answer, delete and teardown of the call go where the offer went.
      sets_.remember(call_id, static_cast<int>(relay));
      // An offer in a request: this exchange's reply answers (a late offer is over).
      if (msg.isRequest()) sets_.updateCallFlags(call_id, 0, media::kCallLateOffer);
      if (isInitialInvite(msg)) watchCall(ctx, true);
      break;
    case Op::kAnswer:
      counters_.answers.inc();
      break;
    case Op::kDelete:
      counters_.deletes.inc();
      // The watchers need not delete again (nor count it twice). A branch's delete is only
      // sent for a stateless call's one branch: the call failed with it.
      sets_.updateCallFlags(call_id, media::kCallDeleted);
      break;
  }
  if (answered_invite && op != Op::kDelete) sets_.updateCallFlags(call_id, media::kCallAnswered);
  SL_DBG("rtpengine: %s for Call-ID %.*s via %s", opName(op), SL_SV(call_id),
         sets_.relay(relay).spec.url.c_str());
  return Outcome::kOk;
}

bool Service::manage(MsgContext& ctx, const NgFlags& flags) {
  SipMessage& msg = ctx.msg();
  Method m = msg.method();
  if (msg.isRequest()) {
    if (m == Method::kBye || m == Method::kCancel) return run(Op::kDelete, ctx, flags);
    if (!hasSdp(msg)) {
      // A late-offer INVITE: the offer comes in its reply, the answer in the ACK (or PRACK).
      if (m == Method::kInvite) noteLateOffer(ctx);
      return true;
    }
    if (m == Method::kInvite || m == Method::kUpdate) return run(Op::kOffer, ctx, flags);
    if (m == Method::kAck || m == Method::kPrack) return run(Op::kAnswer, ctx, flags);
    return true;
  }
  int code = msg.statusCode();
  std::string_view call_id = msg.callId();
  if (m == Method::kInvite && code >= 300) return manageFailure(ctx, flags);
  if (code <= 100 || code >= 300) return true;
  if (!hasSdp(msg)) {
    if (m == Method::kInvite && code >= 200) sets_.updateCallFlags(call_id, media::kCallAnswered);
    return true;
  }
  if (m != Method::kInvite && m != Method::kUpdate && m != Method::kPrack) return true;
  if (m != Method::kInvite) return run(Op::kAnswer, ctx, flags);
  // The reply's SDP is the offer when the INVITE had none (recorded then). A call this server
  // never saw an offer for (the record was lost) is also tried as a late offer, but only once
  // the relay said it knows no such call: a call that is known stays the relay's answer.
  bool known = sets_.relayOf(call_id) >= 0;
  if (known && (sets_.callFlags(call_id) & media::kCallLateOffer) != 0) {
    return run(Op::kOffer, ctx, flags);
  }
  Outcome o = send(Op::kAnswer, ctx, flags, !known);
  if (o == Outcome::kUnknownCall) return run(Op::kOffer, ctx, flags);
  return o == Outcome::kOk;
}

bool Service::manageFailure(MsgContext& ctx, const NgFlags& flags) {
  std::string_view call_id = ctx.msg().callId();
  // Unknown here: not a call this server offered (or its record expired). A reply to an
  // in-dialog INVITE must never end the call's media, so nothing is deleted.
  if (sets_.relayOf(call_id) < 0) return true;
  std::uint32_t marks = sets_.callFlags(call_id);
  // Answered: a failed re-INVITE (491, 488, 422, 401) or a late branch of an answered fork.
  if ((marks & (media::kCallAnswered | media::kCallDeleted)) != 0) return true;
  // tm follows the INVITE: it deletes once the transaction fails for good (every branch of
  // a parallel fork, failure_route's serial forks), not on one branch's failure. An offer
  // made in a branch_route that tm could not follow (no watcher slot) belongs to a
  // transaction too, maybe a parallel fork: one branch's failure must not end the session
  // the other branches answer to (rtpengine 10.5 ends the whole call on a branch delete);
  // the relay's own timeout ends the session of a call that failed on every branch.
  if ((marks & (media::kCallTsxWatched | media::kCallBranchOffer)) != 0) return true;
  // Stateless: this reply fails the only branch. The delete names the branch's tags.
  return send(Op::kDelete, ctx, flags, false, DeleteScope::kBranch) == Outcome::kOk;
}

void Service::noteLateOffer(MsgContext& ctx) {
  SipMessage& msg = ctx.msg();
  std::string_view call_id = msg.callId();
  unsigned set = setFor(ctx);
  int relay = sets_.relayOf(call_id);
  if (relay < 0 || sets_.relay(static_cast<std::size_t>(relay)).set != set) {
    std::optional<std::size_t> p = sets_.pickFor(set, call_id);
    if (!p) return;  // no usable relay: the reply's offer will fail over or fail
    relay = static_cast<int>(*p);
    sets_.remember(call_id, relay);
  }
  sets_.updateCallFlags(call_id, media::kCallLateOffer);
  // Its dialog's end deletes the session the reply's offer creates. tm is not asked: a
  // failed late-offer INVITE has no session.
  if (isInitialInvite(msg)) watchCall(ctx, false);
}

void Service::watchCall(MsgContext& ctx, bool follow_transaction) {
  bool in_branch = ctx.routeType() == kBranchRoute;
  if (ctx.routeType() != kRequestRoute && !in_branch) return;
  std::string_view call_id = ctx.msg().callId();
  bool tm_follows = false;
  if (follow_transaction && tm_ != nullptr && tm_watcher_ != 0) {
    // From a branch_route tm follows the whole transaction: its final reply >= 300 means
    // every branch failed.
    Status st = tm_->watch(ctx, tm_watcher_);
    if (st.isOk()) {
      tm_follows = true;
      sets_.updateCallFlags(call_id, media::kCallTsxWatched);
    } else {
      SL_DBG("rtpengine: not following the transaction: %s", st.message().c_str());
    }
  }
  if (in_branch) {
    // The branch's context is not the request's: no dialog is created from it (the request
    // route's create_dialog() or an offer there does that).
    if (follow_transaction && !tm_follows) {
      sets_.updateCallFlags(call_id, media::kCallBranchOffer);
    }
    return;
  }
  if (dialog_ != nullptr) {
    std::string data = watchData(ctx);
    data += tm_follows ? "\n1" : "\n0";
    Status st = dialog_->watch(ctx, kWatcherName, std::move(data));
    if (!st.isOk()) SL_DBG("rtpengine: not following the dialog: %s", st.message().c_str());
  }
}

std::string Service::watchData(MsgContext& ctx) const {
  SipMessage& msg = ctx.msg();
  const NameAddr* from = msg.from();
  std::string data = std::to_string(setFor(ctx));
  data += '\n';
  data.append(msg.callId());
  data += '\n';
  if (from != nullptr) data.append(from->tag);
  return data;
}

std::optional<std::string> Service::attach(MsgContext& ctx) {
  if (!isInitialInvite(ctx.msg())) return std::nullopt;
  return watchData(ctx);
}

namespace {

// Watcher data: "set\ncall-id\nfrom-tag[\nT]".
struct WatchData {
  unsigned set = 0;
  std::string_view call_id;
  std::string_view from_tag;
  bool tm_follows = false;
  bool ok = false;
};

WatchData parseWatchData(std::string_view d) {
  WatchData w;
  std::size_t a = d.find('\n');
  if (a == std::string_view::npos) return w;
  std::size_t b = d.find('\n', a + 1);
  if (b == std::string_view::npos) return w;
  std::int64_t set = 0;
  if (!parseInt(d.substr(0, a), set) || set < 0 || set > 0xffff) return w;
  w.set = static_cast<unsigned>(set);
  w.call_id = d.substr(a + 1, b - a - 1);
  std::string_view rest = d.substr(b + 1);
  std::size_t c = rest.find('\n');
  w.from_tag = rest.substr(0, c);
  w.tm_follows = c != std::string_view::npos && rest.substr(c + 1) == "1";
  w.ok = true;
  return w;
}

}  // namespace

void Service::onReply(const tm::TsxEvent& event) {
  if (!event.first_final || event.code < 300) return;
  WatchData w = parseWatchData(event.data);
  if (!w.ok) return;
  teardown(w.set, w.call_id, w.from_tag);
}

void Service::onEnd(const dialog::DialogEnd& end) {
  // A stop without persistence: the call's fate is unknown and may well go on (another
  // server, a restart): its media session stays; the relay's own timeout ends it if not.
  if (end.ended_by == dialog::EndedBy::kShutdown) return;
  WatchData w = parseWatchData(end.data);
  // A call that failed before an answer was deleted by the tm watcher already.
  if (end.ended_by == dialog::EndedBy::kNone && w.ok && w.tm_follows) return;
  teardown(w.ok ? w.set : 0, end.call_id, end.from_tag);
}

void Service::teardown(unsigned set, std::string_view call_id, std::string_view from_tag) {
  if (client_ == nullptr || call_id.empty()) return;
  if ((sets_.callFlags(call_id) & media::kCallDeleted) != 0) {
    sets_.forget(call_id);
    SL_DBG("rtpengine: call %.*s ended, deleted by the script already", SL_SV(call_id));
    return;
  }
  // The relay that took the offer (even after a failover and its recovery); unknown: all of
  // the set, since only the holder can end it and the others ignore the delete.
  std::vector<std::size_t> relays = sets_.teardownTargets(set, call_id);
  sets_.forget(call_id);
  if (relays.empty()) {
    counters_.errors.inc();
    SL_ERR_RATELIMITED("rtpengine: delete for Call-ID %.*s: no relay in set %u", SL_SV(call_id),
                       set);
    return;
  }
  Bencode req = Bencode::dict();
  req.set("command", Bencode::string("delete"));
  req.set("call-id", Bencode::string(std::string(call_id)));
  if (!from_tag.empty()) req.set("from-tag", Bencode::string(std::string(from_tag)));
  std::string payload = req.encode();
  bool sent = false;
  for (std::size_t relay : relays) {
    Status st = client_->post(relay, payload);
    if (st.isOk()) {
      sent = true;
    } else {
      SL_ERR_RATELIMITED("rtpengine: delete for Call-ID %.*s to %s: %s", SL_SV(call_id),
                         sets_.relay(relay).spec.url.c_str(), st.message().c_str());
    }
  }
  if (!sent) {
    counters_.errors.inc();
    return;
  }
  counters_.deletes.inc();
  SL_DBG("rtpengine: call %.*s ended, delete sent to %zu relay(s)", SL_SV(call_id), relays.size());
}

std::size_t Service::healthCheckOnce(std::int64_t now_ms) {
  if (client_ == nullptr) return 0;
  std::size_t back = sets_.healthCheck(
      [this](std::size_t relay) {
        Result<std::string> r = client_->exchange(relay, kPing);
        if (!r.isOk()) return false;
        Result<Bencode> d = decodeBencode(r.value());
        return d.isOk() && d.value().getString("result") == "pong";
      },
      now_ms);
  return back;
}

int Service::runHealthCheck() {
  while (!signals::stopRequested()) {
    std::size_t back = healthCheckOnce(monotonicMs());
    if (back > 0) SL_NOTICE("rtpengine: %zu relay(s) answer again", back);
    // Sleeps in steps of 200 ms so a stop is seen soon.
    for (std::int64_t waited = 0;
         waited < config_.health_check_interval * 1000 && !signals::stopRequested();
         waited += 200) {
      signals::napMs(200);
    }
  }
  return 0;
}

Json Service::miShow() {
  Json relays = Json::array();
  std::int64_t now = monotonicMs();
  for (std::size_t i = 0; i < sets_.relayCount(); ++i) {
    const media::RelayInfo& r = sets_.relay(i);
    media::RelayStatus st = sets_.status(i, now);
    relays.push_back(Json{{"set", r.set},
                          {"url", r.spec.url},
                          {"weight", r.spec.weight},
                          {"state", st.admin_disabled ? "disabled"
                                    : st.up           ? "up"
                                                      : "down"},
                          {"down_for_s", (st.down_for_ms + 999) / 1000}});
  }
  return Json{{"relays", relays}};
}

Result<Json> Service::miEnable(const std::string& url, bool enable) {
  std::optional<std::size_t> i = sets_.find(url);
  if (!i) return Status::notFound("rtpengine: no relay " + url + " (see rtpengine_show)");
  sets_.setAdminDisabled(*i, !enable);
  if (enable) sets_.markUp(*i);
  return Json{{"url", sets_.relay(*i).spec.url}, {"enabled", enable}};
}

}  // namespace sipline::rtpengine
