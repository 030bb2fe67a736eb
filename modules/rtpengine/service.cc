#include "modules/rtpengine/service.h"

#include <poll.h>

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

Status Service::initForTest() {
  Status st = configure();
  if (!st.isOk()) return st;
  sets_.initPrivateForTest();
  client_ = std::make_unique<media::RelayClient>(
      sets_,
      media::RelayClientOptions{static_cast<int>(config_.tout_ms), static_cast<int>(config_.retr)});
  return Status::ok();
}

unsigned Service::setFor(MsgContext& ctx) const {
  const Selection& s = selection_;
  SipMessage& msg = ctx.msg();
  if (s.ctx == &ctx && s.buffer == msg.buffer().data() && s.call_id == msg.callId()) return s.set;
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

void Service::noteRelays() { counters_.relays_down.set(sets_.downCount()); }

bool Service::run(Op op, MsgContext& ctx, const NgFlags& flags) {
  SipMessage& msg = ctx.msg();
  std::string_view call_id = msg.callId();
  auto fail = [&](const std::string& why) {
    counters_.errors.inc();
    SL_ERR_RATELIMITED("rtpengine: %s for Call-ID %.*s failed: %s", opName(op), SL_SV(call_id),
                       why.c_str());
    return false;
  };
  if (client_ == nullptr) return fail("not initialised");
  Result<Bencode> req = buildRequest(op, msg, ctx.rcv().src, flags);
  if (!req.isOk()) return fail(req.status().message());
  unsigned set = setFor(ctx);
  unsigned failovers = 0;
  Result<media::RelayClient::Reply> reply =
      client_->request(set, call_id, req.value().encode(), &failovers);
  if (failovers != 0) counters_.failovers.inc(failovers);
  noteRelays();
  if (!reply.isOk()) return fail(reply.status().message());
  Result<NgReply> parsed = parseReply(op, reply.value().body);
  if (!parsed.isOk()) {
    return fail(sets_.relay(reply.value().relay).spec.url + ": " + parsed.status().message());
  }
  if (op != Op::kDelete && !replaceSdp(msg, parsed.value().sdp)) {
    return fail("could not replace the message body");
  }
  switch (op) {
    case Op::kOffer:
      counters_.offers.inc();
      if (isInitialInvite(msg)) watchCall(ctx);
      break;
    case Op::kAnswer:
      counters_.answers.inc();
      break;
    case Op::kDelete:
      counters_.deletes.inc();
      break;
  }
  SL_DBG("rtpengine: %s for Call-ID %.*s via %s", opName(op), SL_SV(call_id),
         sets_.relay(reply.value().relay).spec.url.c_str());
  return true;
}

bool Service::manage(MsgContext& ctx, const NgFlags& flags) {
  SipMessage& msg = ctx.msg();
  Method m = msg.method();
  if (msg.isRequest()) {
    if (m == Method::kBye || m == Method::kCancel) return run(Op::kDelete, ctx, flags);
    if (!hasSdp(msg)) return true;  // a late-offer INVITE: the offer comes in its 2xx
    if (m == Method::kInvite || m == Method::kUpdate) return run(Op::kOffer, ctx, flags);
    if (m == Method::kAck || m == Method::kPrack) return run(Op::kAnswer, ctx, flags);
    return true;
  }
  int code = msg.statusCode();
  if (m == Method::kInvite && code >= 300) return run(Op::kDelete, ctx, flags);
  if (code <= 100 || code >= 300 || !hasSdp(msg)) return true;
  if (m != Method::kInvite && m != Method::kUpdate && m != Method::kPrack) return true;
  // A reply with SDP is the answer, unless the request had none (late offer): the relay then
  // knows no offer for this call and says so, and the reply's SDP is the offer.
  if (run(Op::kAnswer, ctx, flags)) return true;
  return m == Method::kInvite && run(Op::kOffer, ctx, flags);
}

void Service::watchCall(MsgContext& ctx) {
  if (ctx.routeType() != kRequestRoute) return;
  if (tm_ != nullptr && tm_watcher_ != 0) {
    Status st = tm_->watch(ctx, tm_watcher_);
    if (!st.isOk()) SL_DBG("rtpengine: not following the transaction: %s", st.message().c_str());
  }
  if (dialog_ != nullptr) {
    Status st = dialog_->watch(ctx, kWatcherName, watchData(ctx));
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

void Service::onReply(const tm::TsxEvent& event) {
  if (!event.first_final || event.code < 300) return;
  std::string_view d = event.data;
  std::size_t a = d.find('\n');
  std::size_t b = a == std::string_view::npos ? a : d.find('\n', a + 1);
  if (b == std::string_view::npos) return;
  std::int64_t set = 0;
  if (!parseInt(d.substr(0, a), set) || set < 0) return;
  postDelete(static_cast<unsigned>(set), d.substr(a + 1, b - a - 1), d.substr(b + 1));
}

void Service::onEnd(const dialog::DialogEnd& end) {
  // A call that failed before an answer was deleted by the tm watcher already.
  if (end.ended_by == dialog::EndedBy::kNone && tm_watcher_ != 0) return;
  std::string_view d = end.data;
  std::size_t a = d.find('\n');
  std::int64_t set = 0;
  if (a == std::string_view::npos || !parseInt(d.substr(0, a), set) || set < 0) set = 0;
  postDelete(static_cast<unsigned>(set), end.call_id, end.from_tag);
}

void Service::postDelete(unsigned set, std::string_view call_id, std::string_view from_tag) {
  if (client_ == nullptr || call_id.empty()) return;
  std::optional<std::size_t> relay = sets_.pick(set, call_id);
  if (!relay) {
    counters_.errors.inc();
    SL_ERR_RATELIMITED("rtpengine: delete for Call-ID %.*s: no usable relay in set %u",
                       SL_SV(call_id), set);
    return;
  }
  Bencode req = Bencode::dict();
  req.set("command", Bencode::string("delete"));
  req.set("call-id", Bencode::string(std::string(call_id)));
  if (!from_tag.empty()) req.set("from-tag", Bencode::string(std::string(from_tag)));
  Status st = client_->post(*relay, req.encode());
  if (!st.isOk()) {
    counters_.errors.inc();
    SL_ERR_RATELIMITED("rtpengine: delete for Call-ID %.*s: %s", SL_SV(call_id),
                       st.message().c_str());
    return;
  }
  counters_.deletes.inc();
  SL_DBG("rtpengine: call %.*s ended, delete sent", SL_SV(call_id));
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
  noteRelays();
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
      timespec ts{0, 200 * 1000 * 1000};
      ppoll(nullptr, 0, &ts, signals::childWaitMask());
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
  noteRelays();
  return Json{{"url", sets_.relay(*i).spec.url}, {"enabled", enable}};
}

}  // namespace sipline::rtpengine
