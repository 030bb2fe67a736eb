#include "modules/siptrace/siptrace.h"

#include <new>
#include <optional>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/db/schema.h"
#include "core/sip/msg_context.h"
#include "core/transport/listener.h"
#include "modules/siptrace/trace_item.h"

namespace sipline::siptrace {
namespace {

std::size_t align64(std::size_t n) { return (n + 63) & ~std::size_t{63}; }

// The trace_attrs of a call's rows, cut up front so that its first row carries what the later
// ones get from the copy kept with the call. A cut is logged (rate-limited: a script may cut
// every call's).
std::string_view callAttrs(std::string_view attrs, std::string_view call_id) {
  std::string_view kept = clipAttrs(attrs);
  if (kept.size() != attrs.size()) {
    static LogRateLimit rate_limit;
    if (rate_limit.allow()) {
      SL_WARN("siptrace: trace_attrs of call %.*s cut from %zu to %zu bytes (at most %zu kept)",
              SL_SV(call_id), attrs.size(), kept.size(), kMaxAttrs);
    }
  }
  return kept;
}

}  // namespace

Service::Service() = default;

Status Service::applyConfig() {
  if (config_.db_url.empty() && config_.hep_destination.empty()) {
    return Status::invalidArgument(
        "siptrace: no destination: set db_url (table sip_trace) and/or hep_destination");
  }
  if (!db::isSqlIdentifier(config_.table, true)) {
    return Status::invalidArgument("siptrace: table \"" + config_.table +
                                   "\" is not a plain SQL name ([a-z_][a-z0-9_]*)");
  }
  if (!config_.db_url.empty()) {
    Result<db::DbUrl> url = db::parseDbUrl(config_.db_url);
    if (!url.isOk()) return url.status().withPrefix("siptrace: db_url");
  }
  hep_.reset();
  if (!config_.hep_destination.empty()) {
    Result<HepDestination> d = parseHepDestination(config_.hep_destination);
    if (!d.isOk()) return d.status().withPrefix("siptrace");
    hep_ = std::make_unique<HepDestination>(d.value());
  }
  ttl_ms_ = config_.trace_call_ttl * 1000;
  return Status::ok();
}

std::size_t Service::memoryFor(const Config& c) {
  return align64(sizeof(Shared)) +
         align64(TracedCalls::bytesFor(static_cast<std::size_t>(c.max_traced_calls))) +
         TraceQueue::bytesFor(static_cast<std::size_t>(c.queue_size) * 1024);
}

void Service::place(void* memory) {
  char* at = static_cast<char*>(memory);
  shared_ = ::new (at) Shared();
  shared_->enabled.store(config_.enabled);
  at += align64(sizeof(Shared));
  calls_ = TracedCalls::create(at, static_cast<std::size_t>(config_.max_traced_calls));
  at += align64(TracedCalls::bytesFor(static_cast<std::size_t>(config_.max_traced_calls)));
  queue_ = TraceQueue::create(at, static_cast<std::size_t>(config_.queue_size) * 1024);
}

Status Service::initForTest(void* memory) {
  Status st = applyConfig();
  if (!st.isOk()) return st;
  place(memory);
  return Status::ok();
}

Status Service::init(shm::Segment& segment) {
  Status st = applyConfig();
  if (!st.isOk()) return st;
  std::size_t bytes = memoryFor(config_);
  st = shm::guardAlloc("siptrace", [&] { place(shm::allocateBytes(segment.manager(), bytes)); });
  if (!st.isOk())
    return st.withPrefix("siptrace: queue_size " + std::to_string(config_.queue_size));
  if (!trace::addCaptureSink(this)) {
    return Status::unavailable("siptrace: no capture sink slot left");
  }
  return Status::ok();
}

bool Service::enabled() const {
  return shared_ != nullptr && shared_->enabled.load(std::memory_order_relaxed);
}

void Service::setEnabled(bool on) {
  if (shared_ != nullptr) shared_->enabled.store(on, std::memory_order_relaxed);
}

bool Service::enqueue(std::int64_t time_us, Proto proto, bool outgoing, const SockAddr& src,
                      const SockAddr& dst, std::string_view call_id, std::string_view attrs,
                      std::string_view message) {
  encodeHeaderInto(header_, time_us, proto, outgoing, src, dst, call_id, attrs, message.size());
  if (queue_->push({header_, message})) {
    counters_.traced.inc();
    return true;
  }
  counters_.dropped.inc();
  return false;
}

void Service::onCaptured(const trace::Captured& c) {
  if (!c.outgoing) {
    last_in_data_ = c.message.data();
    last_in_size_ = c.message.size();
    last_in_time_us_ = c.time_us;
  }
  // The cheap exits first: a server tracing nothing pays these loads.
  if (shared_ == nullptr || !shared_->enabled.load(std::memory_order_relaxed)) return;
  bool calls = calls_->used() != 0;
  bool users = shared_->users.count() != 0;
  if ((!calls && !users) || c.call_id.empty()) return;
  std::int64_t now_ms = monotonicMs();
  std::string& attrs = attrs_;  // reused: no allocation per traced message
  attrs.clear();
  TracedCalls::Touch t =
      calls ? calls_->touch(c.call_id, now_ms, ttl_ms_, &attrs) : TracedCalls::Touch::kNotTraced;
  if (t == TracedCalls::Touch::kLockFailed) {
    // Perhaps a traced call: a message lost, not a message of an untraced call.
    counters_.dropped.inc();
    return;
  }
  if (t == TracedCalls::Touch::kNotTraced) {
    if (!users) return;
    attrs = matcher_.match(shared_->users, c.message);
    if (attrs.empty()) return;
    attrs.resize(callAttrs(attrs, c.call_id).size());  // user@domain may be longer
    calls_->add(c.call_id, attrs, now_ms, ttl_ms_);
  }
  enqueue(c.time_us, c.proto, c.outgoing, *c.src, *c.dst, c.call_id, attrs, c.message);
}

int Service::traceCall(std::string_view call_id, std::string_view attrs,
                       const trace::Captured* received) {
  if (!enabled() || call_id.empty()) return -1;
  attrs = callAttrs(attrs, call_id);
  bool was_traced = false;
  if (!calls_->add(call_id, attrs, monotonicMs(), ttl_ms_, &was_traced)) {
    counters_.dropped.inc();
    return -1;
  }
  // A call traced already had this message queued by the capture sink.
  if (!was_traced && received != nullptr) {
    const trace::Captured& r = *received;
    enqueue(r.time_us, r.proto, r.outgoing, *r.src, *r.dst, call_id, attrs, r.message);
  }
  return 1;
}

int Service::sipTrace(MsgContext& ctx, std::string_view attrs) {
  if (!enabled()) return -1;
  std::string_view call_id = ctx.msg().callId();
  // In a failure_route the message is the transaction's stored request, which was seen
  // (and traced or not) when it arrived: only the call is added.
  bool received = ctx.routeType() != kFailureRoute && ctx.rcv().listener != nullptr;
  if (!received) return traceCall(call_id, attrs, nullptr);
  trace::Captured r;
  r.message = ctx.msg().buffer();
  bool same = r.message.data() == last_in_data_ && r.message.size() == last_in_size_;
  r.time_us = same ? last_in_time_us_ : unixNowUs();
  r.proto = ctx.rcv().proto;
  r.outgoing = false;
  r.src = &ctx.rcv().src;
  r.dst = &ctx.rcv().listener->addr;
  return traceCall(call_id, attrs, &r);
}

Result<Json> Service::miSipTrace(const MiParams& p) {
  if (p.has("mode")) {
    std::string mode = p.str("mode");
    if (mode == "on") {
      setEnabled(true);
    } else if (mode == "off") {
      setEnabled(false);
    } else {
      return Status::invalidArgument("mode must be \"on\" or \"off\"");
    }
  }
  Json j = Json::object();
  j["enabled"] = enabled();
  j["traced_calls"] = calls_->used();
  Json users = Json::array();
  for (const TracedUser& u : shared_->users.list()) users.push_back(u.text());
  j["traced_users"] = std::move(users);
  std::optional<std::size_t> queued = queue_->size();
  // -1: the queue's lock was not had in time (unknown).
  j["queued"] = queued ? static_cast<std::int64_t>(*queued) : std::int64_t{-1};
  j["traced"] = counters_.traced.get();
  j["dropped"] = counters_.dropped.get();
  return j;
}

Result<Json> Service::miTraceUser(const MiParams& p) {
  std::string action = p.str("action");
  if (action != "add" && action != "remove" && action != "list") {
    return Status::invalidArgument("action must be add, remove or list");
  }
  if (action != "list") {
    if (!p.has("user"))
      return Status::invalidArgument(action + " needs a user (user or user@domain)");
    Result<TracedUser> u = parseTracedUser(p.str("user"));
    if (!u.isOk()) return u.status();
    Status st = action == "add" ? shared_->users.add(u.value()) : shared_->users.remove(u.value());
    if (!st.isOk()) return st;
  }
  Json users = Json::array();
  for (const TracedUser& u : shared_->users.list()) users.push_back(u.text());
  Json j = Json::object();
  j["users"] = std::move(users);
  return j;
}

Writer Service::makeWriter() {
  WriterOptions o;
  o.table = config_.table;
  o.batch = static_cast<std::size_t>(config_.db_batch);
  o.hep_capture_id = static_cast<std::uint32_t>(config_.hep_capture_id);
  o.hep_auth_key = config_.hep_auth_key;
  Connector connector;
  if (!config_.db_url.empty()) {
    db::Options opts;
    opts.connect_timeout_ms = static_cast<int>(config_.db_connect_timeout_ms);
    opts.query_timeout_ms = static_cast<int>(config_.db_query_timeout_ms);
    // A DB that comes back is found within a couple of seconds.
    opts.reconnect_min_ms = 250;
    opts.reconnect_max_ms = 2000;
    std::string url = config_.db_url;
    connector = [url, opts]() { return db::openUrl(url, opts); };
  }
  std::unique_ptr<HepSender> hep;
  if (hep_ != nullptr) hep = std::make_unique<HepSender>(*hep_);
  return Writer(*queue_, *calls_, counters_, o, std::move(connector), std::move(hep));
}

int Service::runWriter() {
  Writer w = makeWriter();
  return w.run();
}

}  // namespace sipline::siptrace
