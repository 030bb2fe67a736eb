#include "modules/acc/acc.h"

#include <unistd.h>

#include <chrono>

#include "core/base/log.h"
#include "core/db/schema.h"
#include "core/shm/segment.h"
#include "core/sip/msg_context.h"

namespace sipline::acc {
namespace {

std::int64_t wallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool flagSet(std::uint32_t flags, std::int64_t flag) {
  return flag >= 0 && flag < 32 && (flags & (1u << flag)) != 0;
}

// Average room per queued record (a row line is ~300-600 bytes with extras).
constexpr std::size_t kBytesPerRecord = 768;

}  // namespace

const char* endedByText(dialog::EndedBy by) {
  switch (by) {
    case dialog::EndedBy::kNone:
      return "";
    case dialog::EndedBy::kCaller:
      return "caller";
    case dialog::EndedBy::kCallee:
      return "callee";
    case dialog::EndedBy::kTimeout:
      return "timeout";
    case dialog::EndedBy::kManagement:
      return "management";
    case dialog::EndedBy::kShutdown:
      return "shutdown";
  }
  return "";
}

Service::Service() : connector_([this]() { return db::openUrl(config_.db_url, db_options_); }) {}

bool Service::flagModel() const {
  return config_.log_flag >= 0 || config_.db_flag >= 0 || config_.log_missed_flag >= 0 ||
         config_.db_missed_flag >= 0 || config_.failed_transaction_flag >= 0 ||
         config_.cdr_flag >= 0;
}

std::size_t Service::queueBytesFor(std::int64_t queue_size) {
  return RecordQueue::bytesFor(static_cast<std::size_t>(queue_size) * kBytesPerRecord);
}

WriterOptions Service::writerOptions() const {
  WriterOptions o;
  o.batch = static_cast<std::size_t>(config_.db_batch);
  return o;
}

Status Service::applyConfig() {
  for (const std::string* t : {&config_.db_table_acc, &config_.db_table_missed_calls}) {
    if (!db::isSqlIdentifier(*t, true)) {
      return Status::invalidArgument("acc: table name \"" + *t +
                                     "\" is not a plain SQL name ([a-z_][a-z0-9_]*)");
    }
  }
  int facility = facilityNumber(config_.log_facility);
  if (facility < 0) {
    return Status::invalidArgument("acc: log_facility \"" + config_.log_facility +
                                   "\" is not a syslog facility (local0 .. local7, user, ...)");
  }
  Result<std::vector<Extra>> db = parseExtras(config_.db_extra, "db_extra");
  if (!db.isOk()) return db.status();
  Result<std::vector<Extra>> log = parseExtras(config_.log_extra, "log_extra");
  if (!log.isOk()) return log.status();
  db_extras_ = std::move(db).value();
  log_extras_ = std::move(log).value();
  layout_ = Layout{};
  layout_.acc_table = config_.db_table_acc;
  layout_.missed_table = config_.db_table_missed_calls;
  for (const Extra& e : db_extras_) layout_.db_extra_names.push_back(e.name);
  for (const Extra& e : log_extras_) layout_.log_extra_names.push_back(e.name);
  layout_.facility = facility;
  layout_.report_cancels = config_.report_cancels;
  bool db_flags = config_.db_flag >= 0 || config_.db_missed_flag >= 0;
  if (db_flags && config_.db_url.empty()) {
    return Status::invalidArgument("acc: db_flag/db_missed_flag need db_url");
  }
  if (!config_.db_url.empty()) {
    Result<db::DbUrl> url = db::parseDbUrl(config_.db_url);
    if (!url.isOk()) return url.status().withPrefix("acc: db_url");
  }
  db_options_.connect_timeout_ms = static_cast<int>(config_.db_connect_timeout_ms);
  db_options_.query_timeout_ms = static_cast<int>(config_.db_query_timeout_ms);
  // A DB that comes back is found within a couple of seconds, not after minutes.
  db_options_.reconnect_min_ms = 250;
  db_options_.reconnect_max_ms = 2000;
  syslog_.setPath(config_.syslog_socket);
  use_spool_ = !config_.db_url.empty();
  return Status::ok();
}

Status Service::initForTest(void* queue_memory, std::size_t queue_bytes, tm::Api* tm,
                            dialog::Api* dialog) {
  Status st = applyConfig();
  if (!st.isOk()) return st;
  if (use_spool_) {
    st = spool_.recover(config_.spool_dir);
    if (!st.isOk()) return st;
  }
  tm_ = tm;
  if (tm_ != nullptr) tm_watcher_ = tm_->registerWatcher(this, flagModel());
  dialog_ = dialog;
  queue_ = RecordQueue::create(queue_memory, queue_bytes - RecordQueue::bytesFor(0),
                               static_cast<std::uint32_t>(config_.queue_size));
  initialized_ = true;
  return Status::ok();
}

Status Service::init(shm::Segment& segment, tm::Api* tm, dialog::Api* dialog) {
  Status st = applyConfig();
  if (!st.isOk()) return st;
  if (use_spool_) {
    st = spool_.recover(config_.spool_dir);
    if (!st.isOk()) return st;
    std::uint64_t waiting = spool_.countPendingLines();
    counters_.spool_records.set(waiting);
    if (waiting != 0) {
      SL_NOTICE("acc: %llu records in the spool %s wait for the DB",
                static_cast<unsigned long long>(waiting), spool_.spoolPath().c_str());
    }
  }
  std::size_t bytes = queueBytesFor(config_.queue_size);
  st = shm::guardAlloc("acc queue", [&] {
    void* mem = shm::allocateBytes(segment.manager(), bytes);
    queue_ = RecordQueue::create(mem, bytes - RecordQueue::bytesFor(0),
                                 static_cast<std::uint32_t>(config_.queue_size));
  });
  if (!st.isOk()) return st.withPrefix("acc: queue_size " + std::to_string(config_.queue_size));
  tm_ = tm;
  tm_watcher_ = tm_->registerWatcher(this, flagModel());
  if (tm_watcher_ == 0) return Status::unavailable("acc: tm has no transaction watcher slot left");
  dialog_ = dialog;
  if (dialog_ != nullptr) {
    st = dialog_->registerWatcher("acc", this);
    if (!st.isOk()) return st.withPrefix("acc");
  } else if (config_.cdr_flag >= 0) {
    return Status::invalidArgument("acc: cdr_flag needs the dialog module (load it)");
  }
  initialized_ = true;
  return Status::ok();
}

std::uint32_t Service::flagModes(const MsgContext& ctx) const {
  std::uint32_t f = ctx.flags;
  std::uint32_t modes = 0;
  bool log = flagSet(f, config_.log_flag);
  bool db = flagSet(f, config_.db_flag);
  if (log) modes |= kLogTx;
  if (db) modes |= kDbTx;
  if (flagSet(f, config_.log_missed_flag)) modes |= kLogMissed;
  if (flagSet(f, config_.db_missed_flag)) modes |= kDbMissed;
  if (flagSet(f, config_.failed_transaction_flag)) modes |= kFailed;
  if (flagSet(f, config_.cdr_flag)) {
    if (log) modes |= kLogCdr;
    if (db) modes |= kDbCdr;
  }
  return modes;
}

RequestInfo Service::requestInfo(MsgContext& ctx, std::uint32_t modes) {
  RequestInfo info;
  SipMessage& msg = ctx.msg();
  info.modes = modes;
  info.method = std::string(msg.methodText());
  info.call_id = std::string(msg.callId());
  if (const NameAddr* from = msg.from()) info.from_tag = std::string(from->tag);
  if (const NameAddr* to = msg.to()) info.to_tag = std::string(to->tag);
  if (const CSeq* cseq = msg.cseq()) info.cseq = std::to_string(cseq->number);
  if ((modes & (kDbTx | kDbMissed | kDbCdr)) != 0) info.db_extras = evalExtras(db_extras_, ctx);
  if ((modes & (kLogTx | kLogMissed | kLogCdr)) != 0) {
    info.log_extras = evalExtras(log_extras_, ctx);
  }
  return info;
}

// Hands the call to the dialog module for its CDR (an initial INVITE only).
bool Service::watchCall(MsgContext& ctx, const RequestInfo& info) {
  Status st = dialog_->watch(ctx, "acc", packRequest(info));
  if (!st.isOk()) {
    SL_ERR_RATELIMITED("acc: no CDR for Call-ID %.*s: %s", SL_SV(ctx.msg().callId()),
                       st.message().c_str());
  }
  return st.isOk();
}

int Service::doAccounting(MsgContext& ctx, std::uint32_t modes) {
  SipMessage& msg = ctx.msg();
  if (!msg.isRequest() || msg.cseq() == nullptr) return -1;
  bool cdr = (modes & (kLogCdr | kDbCdr)) != 0;
  const NameAddr* to = msg.to();
  bool initial_invite = msg.method() == Method::kInvite && to != nullptr && to->tag.empty();
  if (cdr && initial_invite && dialog_ != nullptr && ctx.routeType() == kRequestRoute) {
    RequestInfo info = requestInfo(ctx, modes | kCdrWatched);
    Status st = dialog_->watch(ctx, "acc", packRequest(info));
    if (st.isOk()) {
      modes |= kCdrWatched;
    } else {
      SL_ERR_RATELIMITED("acc: no CDR for Call-ID %.*s: %s", SL_SV(msg.callId()),
                         st.message().c_str());
    }
  }
  bool same = pending_.ctx == &ctx && pending_.msg == &msg && pending_.call_id == msg.callId() &&
              pending_.cseq == msg.cseq()->number;
  pending_.modes = same ? pending_.modes | modes : modes;  // do_accounting() twice: both
  pending_.ctx = &ctx;
  pending_.msg = &msg;
  pending_.call_id = std::string(msg.callId());
  pending_.cseq = msg.cseq()->number;
  Status st =
      tm_ != nullptr ? tm_->watch(ctx, tm_watcher_) : Status::unavailable("acc: tm is not set up");
  if (!st.isOk()) {
    SL_ERR_RATELIMITED("acc: do_accounting(): %s", st.message().c_str());
    return -1;
  }
  return 1;
}

std::optional<std::string> Service::attach(MsgContext& ctx) {
  SipMessage& msg = ctx.msg();
  if (!msg.isRequest() || msg.cseq() == nullptr) return std::nullopt;
  std::uint32_t modes = flagModes(ctx);
  if (pending_.ctx == &ctx && pending_.msg == &msg && pending_.call_id == msg.callId() &&
      pending_.cseq == msg.cseq()->number) {
    modes |= pending_.modes;
    pending_ = Pending{};
  }
  if (msg.method() == Method::kCancel && !config_.report_cancels) return std::nullopt;
  bool cdr = (modes & (kLogCdr | kDbCdr)) != 0;
  const NameAddr* to = msg.to();
  bool initial_invite = msg.method() == Method::kInvite && to != nullptr && to->tag.empty();
  // The call is followed by its dialog, which the flag model creates here when the script did
  // not (tm lets a watcher's attach() bring in another watcher). The dialog gets the request as
  // relayed (extras after the script's last edits). Only the request route starts a call: a
  // failure_route's do_accounting() reaches reattach(), which adds its modes to the kept ones
  // (so "cdr" there continues the CDR the request route started, if it did).
  bool request_route = ctx.routeType() == kRequestRoute;
  bool follow = cdr && initial_invite && dialog_ != nullptr && request_route &&
                ((modes & kCdrWatched) == 0 || ctx.dialog != 0);
  if (follow) {
    RequestInfo watched = requestInfo(ctx, modes | kCdrWatched);
    if (watchCall(ctx, watched)) return packRequest(watched);
    modes &= ~kCdrWatched;  // no dialog: the 2xx is recorded as a transaction instead
  }
  if ((modes & ~kCdrWatched) == 0) return std::nullopt;
  return packRequest(requestInfo(ctx, modes));
}

std::optional<std::string> Service::reattach(MsgContext& ctx, std::string_view kept) {
  RequestInfo before;
  if (!unpackRequest(kept, before)) return attach(ctx);
  std::optional<std::string> now = attach(ctx);
  RequestInfo after;
  if (!now || !unpackRequest(*now, after)) return std::nullopt;  // nothing new: keep it
  // What the request route asked for stays (its backends, and the CDR its dialog follows).
  after.modes |= before.modes;
  return packRequest(after);
}

void Service::onReply(const tm::TsxEvent& event) {
  if (!event.first_final || event.code < 200) return;
  RequestInfo info;
  if (!unpackRequest(event.data, info)) {
    SL_ERR_RATELIMITED("acc: unreadable transaction data; record lost");
    counters_.failed.inc();
    return;
  }
  FinalReply reply;
  reply.code = event.code;
  reply.reason = std::string(event.reason);
  reply.to_tag = toTagOfReply(event.reply);
  reply.canceled = event.canceled;
  emit(recordsForReply(layout_, info, reply, wallMs(), static_cast<int>(getpid())));
}

void Service::onEnd(const dialog::DialogEnd& end) {
  RequestInfo info;
  if (!unpackRequest(end.data, info)) {
    SL_ERR_RATELIMITED("acc: unreadable dialog data for Call-ID %.*s; no CDR", SL_SV(end.call_id));
    counters_.failed.inc();
    return;
  }
  if (end.ended_by == dialog::EndedBy::kNone || end.answered_ms == 0) return;
  CallEnd e;
  e.to_tag = std::string(end.to_tag);
  e.created_ms = end.created_ms;
  e.answered_ms = end.answered_ms;
  e.ended_ms = end.ended_ms;
  e.code = end.code;
  e.reason = std::string(end.reason);
  e.ended_by = endedByText(end.ended_by);
  if (info.to_tag.empty()) info.to_tag = e.to_tag;
  emit(recordsForCallEnd(layout_, info, e, static_cast<int>(getpid())));
}

int Service::accRequest(MsgContext& ctx, std::string_view comment, bool log,
                        std::string_view table) {
  SipMessage& msg = ctx.msg();
  if (!msg.isRequest()) return -1;
  Records r;
  std::int64_t now = wallMs();
  RequestInfo info = requestInfo(ctx, log ? kLogTx : kDbTx);
  if (log) {
    r.logs.push_back(requestLog(layout_, info, comment, now, static_cast<int>(getpid())));
  } else {
    r.rows.push_back(requestRow(layout_, info, comment, table, now));
  }
  emit(r);
  return 1;
}

void Service::emit(const Records& records) {
  if (queue_ == nullptr) return;
  for (const Row& row : records.rows) {
    counters_.records.inc();
    std::string line = encodeLine(row);
    // After the master's drain (modules destroyed after acc, e.g. dialog ending the calls
    // still up at a stop without persistence) nobody empties the queue: straight to disk.
    if (!drained_ && queue_->push(EntryKind::kDbRow, line)) continue;
    if (!drained_) counters_.queue_full.inc();
    Status st = use_spool_ ? spool_.append(line) : Status::unavailable("no db_url");
    if (st.isOk()) {
      counters_.spooled.inc();
      counters_.spool_records.inc();
    } else {
      counters_.failed.inc();
      SL_ERR_RATELIMITED("acc: queue full and %s; a record of Call-ID %s is lost",
                         st.message().c_str(), row.get("callid") ? row.get("callid")->c_str() : "");
    }
  }
  for (const std::string& msg : records.logs) {
    counters_.records.inc();
    if (drained_) {
      if (syslog_.send(msg).isOk()) {
        counters_.log_written.inc();
      } else {
        counters_.log_failed.inc();
      }
      continue;
    }
    if (queue_->push(EntryKind::kLog, msg)) continue;
    counters_.queue_full.inc();
    counters_.log_failed.inc();
    SL_ERR_RATELIMITED("acc: queue full; a syslog record is dropped");
  }
}

int Service::runWriter() {
  if (queue_ == nullptr) return 1;
  Writer writer(*queue_, spool_, syslog_, counters_, writerOptions(), connector_);
  return writer.run();
}

void Service::shutdownDrain() {
  if (!initialized_ || queue_ == nullptr) return;
  // Rows only exist with db_url (and so a spool); syslog records are sent.
  drainToSpool(*queue_, spool_, syslog_, counters_);
  drained_ = true;
}

}  // namespace sipline::acc
