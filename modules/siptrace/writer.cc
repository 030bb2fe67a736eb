#include "modules/siptrace/writer.h"

#include <algorithm>
#include <ctime>
#include <optional>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/proc/supervisor.h"

namespace sipline::siptrace {
namespace {

constexpr const char* kColumns[] = {"time_stamp", "time_us",   "callid",   "trace_attrs",
                                    "msg",        "method",    "status",   "from_proto",
                                    "from_ip",    "from_port", "to_proto", "to_ip",
                                    "to_port",    "fromtag",   "direction"};
constexpr std::size_t kColumnCount = sizeof kColumns / sizeof kColumns[0];
constexpr std::int64_t kIdleNapMs = 10;
constexpr std::int64_t kSweepEveryMs = 1000;
constexpr std::int64_t kStopBudgetMs = 3000;

}  // namespace

std::string insertSql(const std::string& table, std::size_t rows) {
  // Quoted: a name like "user" or "order" passes the character check but is a reserved word.
  // (The name is limited to [a-z_][a-z0-9_]*, so it needs no escaping.)
  std::string sql = "INSERT INTO \"" + table + "\" (";
  for (std::size_t i = 0; i < kColumnCount; ++i) {
    if (i != 0) sql += ", ";
    sql += kColumns[i];
  }
  sql += ") VALUES ";
  std::size_t n = 1;
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r == 0 ? "(" : ", (";
    for (std::size_t i = 0; i < kColumnCount; ++i) {
      if (i != 0) sql += ", ";
      sql += "$" + std::to_string(n++);
      if (i == 0) sql += "::timestamptz";
    }
    sql += ")";
  }
  return sql;
}

void appendParams(const TraceRow& row, std::vector<db::Param>& out) {
  out.emplace_back(timestampText(row.time_us));
  out.emplace_back(static_cast<std::int64_t>(row.time_us % 1000000));
  out.emplace_back(dbText(row.callid));
  out.emplace_back(dbText(row.trace_attrs));
  out.emplace_back(dbText(row.msg));
  out.emplace_back(dbText(row.method));
  out.emplace_back(dbText(row.status));
  out.emplace_back(row.from_proto);
  out.emplace_back(row.from_ip);
  out.emplace_back(static_cast<std::int64_t>(row.from_port));
  out.emplace_back(row.to_proto);
  out.emplace_back(row.to_ip);
  out.emplace_back(static_cast<std::int64_t>(row.to_port));
  out.emplace_back(dbText(row.fromtag));
  out.emplace_back(row.direction);
}

void Writer::writeDb(const Item* items, std::size_t count) {
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
  std::vector<db::Param> params;
  params.reserve(count * kColumnCount);
  for (std::size_t i = 0; i < count; ++i) appendParams(buildRow(items[i]), params);
  Result<std::int64_t> r = conn_->exec(insertSql(options_.table, count), params);
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

void Writer::send(const Item* items, std::size_t count, std::int64_t now_ms) {
  if (count == 0) return;
  if (hep_ != nullptr) sendHep(items, count, now_ms);
  if (!connector_) return;
  for (std::size_t from = 0; from < count; from += options_.batch) {
    writeDb(items + from, std::min(count - from, options_.batch));
  }
}

void Writer::sendDue(std::size_t due, std::int64_t now_ms) {
  std::size_t i = 0;
  while (i < due) {
    const std::size_t end = std::min(due, i + kSendChunk);
    if (decoded_.size() < end - i) decoded_.resize(end - i);
    std::size_t n = 0;
    for (; i < end; ++i) {
      std::string& entry = held_[i].entry;
      Status st = decodeItemInto(entry, decoded_[n]);
      if (st.isOk()) {
        ++n;
      } else {
        counters_.dropped.inc();
        SL_ERR_RATELIMITED("siptrace: a queued message is unreadable: %s", st.message().c_str());
      }
      if (spare_.size() < kMaxSpare && entry.capacity() <= kMaxSpareBytes) {
        spare_.push_back(std::move(entry));
      }
    }
    send(decoded_.data(), n, now_ms);
  }
  held_.erase(held_.begin(), held_.begin() + static_cast<std::ptrdiff_t>(due));
  // An outsized message does not keep its buffer in the reused items for good.
  for (Item& item : decoded_) {
    if (item.record.message.capacity() > kMaxSpareBytes) std::string().swap(item.record.message);
  }
}

void Writer::sendHep(const Item* items, std::size_t count, std::int64_t now_ms) {
  hep_opts_.capture_id = options_.hep_capture_id;
  hep_opts_.auth_key = options_.hep_auth_key;
  hep_opts_.max_packet = hep_->tcp() ? trace::kHepMaxPacket : trace::kHepMaxUdpPacket;
  // kHepChunk packets at a time in one reused buffer, handed over together (UDP: one
  // sendmmsg): no allocation and one system call per chunk instead of per message.
  std::size_t sent = 0;
  for (std::size_t from = 0; from < count; from += kHepChunk) {
    const std::size_t to = std::min(count, from + kHepChunk);
    hep_buf_.clear();
    hep_ends_.clear();
    for (std::size_t i = from; i < to; ++i) {
      hep_opts_.correlation_id.assign(items[i].call_id);
      trace::appendHep(items[i].record, hep_opts_, hep_buf_);
      hep_ends_.push_back(hep_buf_.size());
    }
    hep_views_.clear();
    std::size_t begin = 0;
    for (std::size_t end : hep_ends_) {
      hep_views_.emplace_back(hep_buf_.data() + begin, end - begin);
      begin = end;
    }
    sent += hep_->sendMany(hep_views_.data(), hep_views_.size(), now_ms);
  }
  counters_.hep_sent.inc(sent);
  // HEP the only destination: a packet not sent is a message lost.
  if (!connector_) counters_.dropped.inc(count - sent);
  // A chunk of long (TCP) messages does not keep its buffer for good.
  if (hep_buf_.capacity() > kKeepHepBuffer) std::string().swap(hep_buf_);
}

bool Writer::step(std::int64_t now_ms, bool flush_all) {
  if (now_ms >= next_sweep_ms_) {
    calls_.sweep(now_ms);
    next_sweep_ms_ = now_ms + kSweepEveryMs;
  }
  if (hep_ != nullptr) hep_->flush(now_ms);
  std::size_t n = queue_.popReusing(options_.batch, options_.batch_bytes, slots_);
  last_popped_ = n;
  for (std::size_t i = 0; i < n; ++i) {
    std::optional<std::int64_t> t = entryTimeUs(slots_[i]);
    if (!t.has_value()) {
      counters_.dropped.inc();
      SL_ERR_RATELIMITED("siptrace: a queued message is unreadable (%zu bytes)", slots_[i].size());
      continue;
    }
    if (arrivals_.empty() || arrivals_.back().arrived_ms != now_ms) {
      arrivals_.push_back({now_ms, *t});
    } else {
      arrivals_.back().max_time_us = std::max(arrivals_.back().max_time_us, *t);
    }
    // Mostly appended at the end: messages arrive nearly in time order.
    auto later = [](std::int64_t v, const Held& x) { return v < x.time_us; };
    held_.insert(std::upper_bound(held_.begin(), held_.end(), *t, later),
                 Held{*t, std::move(slots_[i])});
    // The slot gets a written entry's buffer back for the next pop.
    if (!spare_.empty()) {
      slots_[i] = std::move(spare_.back());
      spare_.pop_back();
    }
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

int Writer::run() {
  while (!signals::stopRequested()) {
    step(monotonicMs());
    // A full batch: more is waiting. Otherwise a nap, so that a steady trickle is taken in
    // batches of kIdleNapMs worth of messages instead of one wake-up per message.
    if (last_popped_ >= options_.batch) continue;
    signals::napMs(kIdleNapMs);
  }
  std::int64_t until = monotonicMs() + kStopBudgetMs;
  while (monotonicMs() < until && step(monotonicMs(), true)) {
  }
  if (hep_ != nullptr) hep_->flush(monotonicMs());
  return 0;
}

}  // namespace sipline::siptrace
