#include "modules/siptrace/writer.h"

#include <algorithm>
#include <ctime>
#include <iterator>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/db/db_text.h"
#include "core/proc/supervisor.h"

namespace sipline::siptrace {
namespace {

constexpr const char* kColumns[] = {"time_stamp", "time_us",   "callid",   "trace_attrs",
                                    "msg",        "method",    "status",   "from_proto",
                                    "from_ip",    "from_port", "to_proto", "to_ip",
                                    "to_port",    "fromtag",   "direction"};
constexpr std::size_t kColumnCount = sizeof kColumns / sizeof kColumns[0];
constexpr std::int64_t kSweepEveryMs = 1000;
constexpr std::int64_t kStopBudgetMs = 3000;
// A message captured before the last held one is placed by stepping back this far, then by
// a binary search over the rest.
constexpr int kBackwardSteps = 16;

}  // namespace

std::string copySql(const std::string& table) {
  // Quoted: a name like "user" or "order" passes the character check but is a reserved word.
  // (The name is limited to [a-z_][a-z0-9_]*, so it needs no escaping.)
  std::string sql = "COPY \"" + table + "\" (";
  for (std::size_t i = 0; i < kColumnCount; ++i) {
    if (i != 0) sql += ", ";
    sql += kColumns[i];
  }
  return sql + ") FROM STDIN";
}

void appendCopyRow(const TraceRow& row, std::string& out) {
  auto field = [&out](std::string_view text) {
    db::appendCopyText(text, out);
    out += '\t';
  };
  auto number = [&out](std::int64_t v) {
    out += std::to_string(v);
    out += '\t';
  };
  field(timestampText(row.time_us));
  number(row.time_us % 1000000);
  field(row.callid);
  field(row.trace_attrs);
  field(row.msg);
  field(row.method);
  field(row.status);
  field(row.from_proto);
  field(row.from_ip);
  number(row.from_port);
  field(row.to_proto);
  field(row.to_ip);
  number(row.to_port);
  field(row.fromtag);
  db::appendCopyText(row.direction, out);
  out += '\n';
}

void Writer::writeDb(const std::string_view* rows, std::size_t count) {
  if (count == 0) return;
  if (conn_ == nullptr) {
    Result<std::unique_ptr<db::Connection>> c = connector_();
    if (!c.isOk()) {
      counters_.db_errors.inc();
      counters_.dropped.inc(count);
      SL_ERR_RATELIMITED("siptrace: no DB connection: %s", c.status().message().c_str());
      return;
    }
    conn_ = std::move(c.value());
  }
  // One COPY per batch: the rows as text, no parameter per value.
  if (copy_sql_.empty()) copy_sql_ = copySql(options_.table);
  copy_data_.clear();
  for (std::size_t i = 0; i < count; ++i) copy_data_ += rows[i];
  Result<std::int64_t> r = conn_->copyIn(copy_sql_, copy_data_);
  // A batch of outsized messages does not keep its buffer for good.
  if (copy_data_.capacity() > kMaxKeptCopyBytes) std::string().swap(copy_data_);
  if (r.isOk()) {
    if (outage_.succeeded()) SL_NOTICE("siptrace: the DB takes traces again");
    counters_.written.inc(count);
    return;
  }
  counters_.db_errors.inc();
  counters_.dropped.inc(count);
  switch (outage_.failed(monotonicMs())) {
    case db::OutageLog::Line::kStarted:
      SL_ERR("siptrace: the DB does not take traces (%s); they are dropped until it does",
             r.status().message().c_str());
      break;
    case db::OutageLog::Line::kReminder:
      SL_ERR(
          "siptrace: the DB still does not take traces (%s); %llu batches dropped since the "
          "last line",
          r.status().message().c_str(), static_cast<unsigned long long>(outage_.failedSinceLine()));
      break;
    case db::OutageLog::Line::kNone:
      break;
  }
}

void Writer::hold(std::string_view entry, std::int64_t now_ms) {
  std::string_view message;
  if (Status st = decodeItemInPlace(entry, scratch_, message); !st.isOk()) {
    counters_.dropped.inc();
    SL_ERR_RATELIMITED("siptrace: a queued message is unreadable (%zu bytes): %s", entry.size(),
                       st.message().c_str());
    return;
  }
  Held h{};
  h.time_us = scratch_.record.time_us;
  if (hep_ != nullptr) {
    hep_opts_.correlation_id.assign(scratch_.call_id);
    // (A packet is never longer than the limit, however long the message.)
    std::string& buf =
        packets_.bufferFor(std::min(message.size() + trace::kHepMaxOverhead, hep_opts_.max_packet));
    const std::size_t before = buf.size();
    trace::appendHep(scratch_.record, message, hep_opts_, buf);
    h.hep = packets_.commit(before);
  }
  if (connector_) {
    // (About the size it will be: the line ends' escapes add a few per cent. A row longer
    // than that grows its block.)
    std::string& buf = rows_.bufferFor(message.size() + entry.size() / 4 + 256);
    const std::size_t before = buf.size();
    appendCopyRow(buildRow(scratch_, message), buf);
    h.row = rows_.commit(before);
  }
  if (arrivals_.empty() || arrivals_.back().arrived_ms != now_ms) {
    arrivals_.push_back({now_ms, h.time_us});
  } else {
    arrivals_.back().max_time_us = std::max(arrivals_.back().max_time_us, h.time_us);
  }
  // Messages arrive nearly in time order: their place is found from the end, without a
  // binary search that would touch the held messages all over (cache misses, per message).
  auto at = held_.end();
  for (int steps = 0; at != held_.begin() && h.time_us < std::prev(at)->time_us; ++steps) {
    if (steps == kBackwardSteps) {
      auto later = [](std::int64_t v, const Held& x) { return v < x.time_us; };
      at = std::upper_bound(held_.begin(), at, h.time_us, later);
      break;
    }
    --at;
  }
  if (at == held_.end()) {
    held_.push_back(h);
  } else {
    held_.insert(at, h);
  }
}

void Writer::sendDue(std::size_t due, std::int64_t now_ms) {
  if (hep_ != nullptr) sendHep(due, now_ms);
  if (connector_) writeRows(due);
  for (std::size_t i = 0; i < due; ++i) {
    if (hep_ != nullptr) packets_.release(held_[i].hep);
    if (connector_) rows_.release(held_[i].row);
  }
  held_.erase(held_.begin(), held_.begin() + static_cast<std::ptrdiff_t>(due));
}

void Writer::sendHep(std::size_t due, std::int64_t now_ms) {
  // Handed over together: one sendmmsg() per kUdpBatch datagrams, or one stream write.
  hep_views_.clear();
  for (std::size_t i = 0; i < due; ++i) hep_views_.push_back(packets_.view(held_[i].hep));
  const std::size_t accepted = hep_->sendMany(hep_views_.data(), hep_views_.size(), now_ms);
  // HEP the only destination: a packet not sent is a message lost.
  if (!connector_) counters_.dropped.inc(due - accepted);
  countHep();
}

void Writer::countHep() {
  counters_.hep_sent.inc(hep_->sent() - hep_sent_seen_);
  hep_sent_seen_ = hep_->sent();
  // A TCP packet buffered, then discarded with a failed connect or a broken stream; lost
  // like one refused at once (and, as that, counted only when HEP is the only destination).
  if (!connector_) counters_.dropped.inc(hep_->lost() - hep_lost_seen_);
  hep_lost_seen_ = hep_->lost();
}

void Writer::writeRows(std::size_t due) {
  for (std::size_t from = 0; from < due; from += options_.batch) {
    const std::size_t n = std::min(due - from, options_.batch);
    row_views_.clear();
    for (std::size_t i = from; i < from + n; ++i) row_views_.push_back(rows_.view(held_[i].row));
    writeDb(row_views_.data(), n);
  }
}

bool Writer::step(std::int64_t now_ms, bool flush_all) {
  if (now_ms >= next_sweep_ms_) {
    calls_.sweep(now_ms);
    next_sweep_ms_ = now_ms + kSweepEveryMs;
  }
  if (hep_ != nullptr) {
    hep_->flush(now_ms);
    countHep();
  }
  std::size_t n = queue_.popReusing(options_.batch, options_.batch_bytes, slots_);
  last_popped_ = n;
  last_popped_bytes_ = 0;
  for (std::size_t i = 0; i < n; ++i) {
    last_popped_bytes_ += slots_[i].size();
    hold(slots_[i], now_ms);
    // A slot keeps its buffer for the next pop, but not an outsized message's.
    if (slots_[i].capacity() > kMaxKeptSlotBytes) std::string().swap(slots_[i]);
  }
  // Everything captured up to the latest capture time among the messages that have waited
  // the window is due: a message captured earlier had that long to arrive. (One arrival entry
  // per round, so this costs a binary search, not a walk over the held messages.)
  while (!arrivals_.empty() && arrivals_.front().arrived_ms + kReorderMs <= now_ms) {
    waited_max_us_ = std::max(waited_max_us_, arrivals_.front().max_time_us);
    arrivals_.pop_front();
  }
  auto later = [](std::int64_t v, const Held& x) { return v < x.time_us; };
  std::size_t due = static_cast<std::size_t>(
      std::upper_bound(held_.begin(), held_.end(), waited_max_us_, later) - held_.begin());
  if (flush_all) due = held_.size();
  if (held_.size() > kMaxHeld) due = std::max(due, held_.size() - kMaxHeld);
  if (due == 0) return n != 0;
  sendDue(due, now_ms);
  return true;
}

std::int64_t Writer::napMs(std::size_t bytes, std::int64_t over_ms, std::size_t capacity) {
  if (bytes == 0) return kIdleNapMs;
  // The time for `bytes / over_ms` to fill a quarter of the queue.
  const double ms = static_cast<double>(capacity) / 4 *
                    static_cast<double>(std::max<std::int64_t>(over_ms, 1)) /
                    static_cast<double>(bytes);
  return std::clamp(static_cast<std::int64_t>(ms), kMinNapMs, kMaxNapMs);
}

int Writer::run() {
  std::int64_t since_ms = monotonicMs();
  std::size_t bytes = 0;  // popped since since_ms
  while (!signals::stopRequested()) {
    step(monotonicMs());
    bytes += last_popped_bytes_;
    // A full batch (of entries or of bytes): more is waiting. Otherwise a nap, so that
    // messages are taken in batches instead of one wake-up per message.
    if (last_popped_ >= options_.batch || last_popped_bytes_ >= options_.batch_bytes) continue;
    std::int64_t now_ms = monotonicMs();
    signals::napMs(napMs(bytes, now_ms - since_ms, queue_.capacity()));
    since_ms = now_ms;
    bytes = 0;
  }
  std::int64_t until = monotonicMs() + kStopBudgetMs;
  while (monotonicMs() < until && step(monotonicMs(), true)) {
  }
  if (hep_ != nullptr) {
    hep_->flush(monotonicMs());
    hep_->discardPending();  // what the collector did not take in time is lost
    countHep();
  }
  return 0;
}

}  // namespace sipline::siptrace
