#include "modules/siptrace/writer.h"

#include <poll.h>

#include <algorithm>
#include <ctime>

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
  std::string sql = "INSERT INTO " + table + " (";
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

void Writer::writeDb(const std::vector<Item>& items) {
  if (items.empty()) return;
  if (conn_ == nullptr) {
    Result<std::unique_ptr<db::Connection>> c = connector_();
    if (!c.isOk()) {
      counters_.db_errors.inc();
      counters_.dropped.inc(items.size());
      SL_ERR_RATELIMITED("siptrace: no DB connection: %s", c.status().message().c_str());
      return;
    }
    conn_ = std::move(c.value());
  }
  std::vector<db::Param> params;
  params.reserve(items.size() * kColumnCount);
  for (const Item& item : items) appendParams(buildRow(item), params);
  Result<std::int64_t> r = conn_->exec(insertSql(options_.table, items.size()), params);
  if (r.isOk()) {
    if (db_down_) SL_NOTICE("siptrace: the DB takes traces again");
    db_down_ = false;
    counters_.written.inc(items.size());
    return;
  }
  counters_.db_errors.inc();
  counters_.dropped.inc(items.size());
  if (!db_down_) {
    SL_ERR("siptrace: the DB does not take traces (%s); they are dropped until it does",
           r.status().message().c_str());
  }
  db_down_ = true;
}

void Writer::send(const std::vector<Item>& items, std::int64_t now_ms) {
  if (items.empty()) return;
  if (hep_ != nullptr) {
    trace::HepOptions opts;
    opts.capture_id = options_.hep_capture_id;
    opts.auth_key = options_.hep_auth_key;
    for (const Item& item : items) {
      opts.correlation_id = item.call_id;
      if (hep_->send(trace::encodeHep(item.record, opts), now_ms)) {
        counters_.hep_sent.inc();
      } else if (!connector_) {
        counters_.dropped.inc();  // HEP is the only destination: the message is lost
      }
    }
  }
  if (!connector_) return;
  for (std::size_t from = 0; from < items.size(); from += options_.batch) {
    std::size_t to = std::min(items.size(), from + options_.batch);
    writeDb(std::vector<Item>(items.begin() + static_cast<std::ptrdiff_t>(from),
                              items.begin() + static_cast<std::ptrdiff_t>(to)));
  }
}

bool Writer::step(std::int64_t now_ms, bool flush_all) {
  if (now_ms >= next_sweep_ms_) {
    calls_.sweep(now_ms);
    next_sweep_ms_ = now_ms + kSweepEveryMs;
  }
  if (hep_ != nullptr) hep_->flush(now_ms);
  std::vector<std::string> entries;
  std::size_t n = queue_.pop(options_.batch, options_.batch_bytes, entries);
  last_popped_ = n;
  for (const std::string& e : entries) {
    Result<Item> item = decodeItem(e);
    if (!item.isOk()) {
      counters_.dropped.inc();
      SL_ERR_RATELIMITED("siptrace: a queued message is unreadable: %s",
                         item.status().message().c_str());
      continue;
    }
    Held h{std::move(item).value(), now_ms};
    // Mostly appended at the end: messages arrive nearly in time order.
    auto later = [](std::int64_t t, const Held& x) { return t < x.item.record.time_us; };
    auto at = std::upper_bound(held_.begin(), held_.end(), h.item.record.time_us, later);
    held_.insert(at, std::move(h));
  }
  // Everything up to the last message that has waited the window is due: a message captured
  // earlier than it had that long to arrive.
  std::size_t due = 0;
  if (flush_all || held_.size() > kMaxHeld) {
    due = flush_all ? held_.size() : held_.size() - kMaxHeld;
  }
  for (std::size_t i = held_.size(); i > due; --i) {
    if (held_[i - 1].arrived_ms + kReorderMs <= now_ms) {
      due = i;
      break;
    }
  }
  if (due == 0) return n != 0;
  std::vector<Item> items;
  items.reserve(due);
  for (std::size_t i = 0; i < due; ++i) items.push_back(std::move(held_[i].item));
  held_.erase(held_.begin(), held_.begin() + static_cast<std::ptrdiff_t>(due));
  send(items, now_ms);
  return true;
}

int Writer::run() {
  while (!signals::stopRequested()) {
    step(monotonicMs());
    // A full batch: more is waiting. Otherwise a nap, so that a steady trickle is taken in
    // batches of kIdleNapMs worth of messages instead of one wake-up per message.
    if (last_popped_ >= options_.batch) continue;
    timespec ts{0, kIdleNapMs * 1000000};
    ppoll(nullptr, 0, &ts, signals::childWaitMask());
  }
  std::int64_t until = monotonicMs() + kStopBudgetMs;
  while (monotonicMs() < until && step(monotonicMs(), true)) {
  }
  if (hep_ != nullptr) hep_->flush(monotonicMs());
  return 0;
}

}  // namespace sipline::siptrace
