// The rtpproxy module's service: set selection, automatic teardown, MI and health checks.
#include "modules/rtpproxy/service.h"

#include <time.h>

#include "core/base/log.h"
#include "core/proc/supervisor.h"
#include "core/sip/msg_context.h"
#include "modules/rtpproxy/protocol.h"

namespace sipline::rtpproxy {

Status Service::configure() {
  if (config_.sock.empty()) {
    return Status::invalidArgument(
        "rtpproxy: rtpproxy_sock is not set (e.g. \"udp:127.0.0.1:22222\")");
  }
  Status st = sets_.configure(config_.sock);
  if (!st.isOk()) return st.withPrefix("rtpproxy: rtpproxy_sock");
  sets_.setDisableTimeout(static_cast<int>(config_.disable_tout));
  return Status::ok();
}

Status Service::init(shm::Segment* segment, tm::Api* tm, dialog::Api* dialog) {
  if (!sets_.configured()) {
    Status st = configure();
    if (!st.isOk()) return st;
  }
  Status st = sets_.init(*segment, "rtpproxy.relays");
  if (!st.isOk()) return st.withPrefix("rtpproxy");
  media::RelayClientOptions options;
  options.timeout_ms = static_cast<int>(config_.tout_ms);
  options.retries = static_cast<int>(config_.retr);
  relay_transport_ = std::make_unique<RelayTransport>(sets_, options);
  transport_ = relay_transport_.get();
  engine_ = std::make_unique<Engine>(*transport_, counters_);
  tm_ = tm;
  if (tm_ != nullptr) {
    tm_watcher_ = tm_->registerWatcher(this, false);
    if (tm_watcher_ == 0) return Status::unavailable("rtpproxy: tm has no watcher slot left");
  }
  dialog_ = dialog;
  if (dialog_ != nullptr) {
    st = dialog_->registerWatcher("rtpproxy", this);
    if (!st.isOk()) return st.withPrefix("rtpproxy");
  }
  return Status::ok();
}

Status Service::initForTest(Transport* transport, tm::Api* tm, dialog::Api* dialog) {
  if (!sets_.configured()) {
    Status st = configure();
    if (!st.isOk()) return st;
  }
  sets_.initPrivateForTest();
  transport_ = transport;
  engine_ = std::make_unique<Engine>(*transport_, counters_);
  tm_ = tm;
  if (tm_ != nullptr) tm_watcher_ = tm_->registerWatcher(this, false);
  dialog_ = dialog;
  if (dialog_ != nullptr) {
    Status st = dialog_->registerWatcher("rtpproxy", this);
    if (!st.isOk()) return st;
  }
  return Status::ok();
}

unsigned Service::setFor(MsgContext& ctx) const {
  if (chosen_.msg == &ctx.msg() && chosen_.call_id == ctx.msg().callId()) return chosen_.set;
  // A call offered before: the set of the relay that holds it (another set's relay would not
  // know the call), even when its offer chose the set with rtpproxy_use_set().
  if (transport_ != nullptr) {
    int relay = transport_->relayOf(ctx.msg().callId());
    if (relay >= 0 && static_cast<std::size_t>(relay) < sets_.relayCount()) {
      return sets_.relay(static_cast<std::size_t>(relay)).set;
    }
  }
  return sets_.relayCount() > 0 ? sets_.relay(0).set : 0;
}

bool Service::useSet(MsgContext& ctx, unsigned set) {
  if (!sets_.hasSet(set)) {
    SL_WARN("rtpproxy: rtpproxy_use_set(%u): no such set in rtpproxy_sock", set);
    return false;
  }
  chosen_.msg = &ctx.msg();
  chosen_.call_id = std::string(ctx.msg().callId());
  chosen_.set = set;
  return true;
}

CallRef Service::refOf(MsgContext& ctx) const {
  CallRef ref;
  ref.set = setFor(ctx);
  ref.call_id = std::string(ctx.msg().callId());
  const NameAddr* from = ctx.msg().from();
  if (from != nullptr) ref.from_tag = std::string(from->tag);
  return ref;
}

int Service::manage(MsgContext& ctx, const Flags& flags, std::string_view ip, bool offer) {
  if (engine_ == nullptr) return -1;
  SipMessage& msg = ctx.msg();
  Outcome o = engine_->manage(msg, ctx.rcv().src, flags, ip, offer, setFor(ctx));
  switch (o) {
    case Outcome::kOk:
      break;
    case Outcome::kAlreadyProxied:
      return -2;
    case Outcome::kNoSdp:
      return -3;
    default:
      return -1;
  }
  // An offered initial INVITE: the relay session ends when the transaction fails or the
  // dialog ends, whatever the script does then. From a branch_route (per-branch offers of a
  // fork) tm follows the whole transaction: its failure is every branch's; no dialog is
  // created from the branch's own context.
  const NameAddr* to = msg.to();
  bool in_branch = ctx.routeType() == kBranchRoute;
  if (offer && msg.isRequest() && msg.method() == Method::kInvite && to != nullptr &&
      to->tag.empty() && (ctx.routeType() == kRequestRoute || in_branch)) {
    CallRef ref = refOf(ctx);
    if (tm_ != nullptr && tm_watcher_ != 0) {
      Status st = tm_->watch(ctx, tm_watcher_);
      if (!st.isOk()) SL_DBG("rtpproxy: tm watch: %s", st.message().c_str());
      ref.tm_follows = st.isOk();
    }
    if (dialog_ != nullptr && !in_branch) {
      Status st = dialog_->watch(ctx, "rtpproxy", packCallRef(ref));
      if (!st.isOk()) SL_DBG("rtpproxy: dialog watch: %s", st.message().c_str());
    }
  }
  return 1;
}

int Service::unforce(MsgContext& ctx) {
  if (engine_ == nullptr) return -1;
  return engine_->unforce(ctx.msg(), setFor(ctx)) ? 1 : -1;
}

std::optional<std::string> Service::attach(MsgContext& ctx) {
  CallRef ref = refOf(ctx);
  if (ref.call_id.empty() || ref.from_tag.empty()) return std::nullopt;
  return packCallRef(ref);
}

void Service::onReply(const tm::TsxEvent& event) {
  if (!event.first_final || event.code < 300 || engine_ == nullptr) return;
  CallRef ref;
  if (!unpackCallRef(event.data, ref)) return;
  // Without the to-tag: every branch of the call goes (a forked INVITE has several).
  ref.to_tag.clear();
  SL_DBG("rtpproxy: Call-ID %s failed with %d: deleting its relay session", ref.call_id.c_str(),
         event.code);
  engine_->teardown(ref);
}

void Service::onEnd(const dialog::DialogEnd& end) {
  // A stop without dialog persistence: the calls may well go on (a restart, a standby taking
  // over), so their media stay on the relay.
  if (engine_ == nullptr || end.ended_by == dialog::EndedBy::kShutdown) return;
  CallRef ref;
  if (!unpackCallRef(end.data, ref)) return;
  // Never answered: the tm watcher deleted it already when the INVITE failed.
  if (end.ended_by == dialog::EndedBy::kNone && ref.tm_follows) return;
  ref.to_tag.clear();
  engine_->teardown(ref);
}

Result<Json> Service::miShow() const {
  Json relays = Json::array();
  for (std::size_t i = 0; i < sets_.relayCount(); ++i) {
    const media::RelayInfo& r = sets_.relay(i);
    media::RelayStatus st = sets_.status(i);
    Json j = Json::object();
    j["set"] = r.set;
    j["url"] = r.spec.url;
    j["weight"] = r.spec.weight;
    j["state"] = st.admin_disabled ? "disabled" : st.up ? "up" : "down";
    j["down_for_ms"] = st.down_for_ms;
    relays.push_back(std::move(j));
  }
  return Json{{"relays", std::move(relays)}};
}

Result<Json> Service::miEnable(const std::string& url, bool enable) {
  std::optional<std::size_t> i = sets_.find(url);
  if (!i) return Status::notFound("rtpproxy: no relay \"" + url + "\" (see rtpproxy_show)");
  sets_.setAdminDisabled(*i, !enable);
  if (enable) sets_.markUp(*i);
  return Json{{"url", sets_.relay(*i).spec.url}, {"enabled", enable}};
}

std::size_t Service::healthCheckOnce() {
  if (transport_ == nullptr) return 0;
  return sets_.healthCheck([this](std::size_t relay) {
    if (relay_transport_ == nullptr) return false;
    Result<std::string> reply = relay_transport_->client().exchange(relay, formatVersion());
    if (!reply.isOk()) return false;
    std::string version;
    int code = 0;
    return parseVersionReply(reply.value(), version, code) == ReplyStatus::kOk;
  });
}

int Service::runHealthCheck() {
  while (!signals::stopRequested()) {
    std::size_t back = healthCheckOnce();
    if (back > 0) SL_NOTICE("rtpproxy: %zu relay(s) answer again", back);
    // Sleeps in steps of 200 ms so a stop is seen soon.
    for (std::int64_t waited = 0;
         waited < config_.health_interval * 1000 && !signals::stopRequested(); waited += 200) {
      signals::napMs(200);
    }
  }
  return 0;
}

}  // namespace sipline::rtpproxy
