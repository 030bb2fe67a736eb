#include "modules/acc/acc_writer.h"

#include <ctime>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/db/db_text.h"
#include "core/proc/supervisor.h"

namespace sipline::acc {
namespace {

constexpr std::int64_t kIdleNapMs = 20;
// Of the stop grace period the writer gets (15 s, after every worker and the timer exited:
// stops_last), what the drain may spend on the DB; the rest is for the spool.
constexpr std::int64_t kDrainBudgetMs = 10000;

bool sameShape(const Row& a, const Row& b) {
  if (a.table != b.table || a.columns.size() != b.columns.size()) return false;
  for (std::size_t i = 0; i < a.columns.size(); ++i) {
    if (a.columns[i].name != b.columns[i].name) return false;
  }
  return true;
}

// One INSERT for rows [from, to), which have the same table and columns: a round trip per
// group instead of per row. The statement text depends on the row count only, so the
// driver's statement cache holds at most db_batch texts per row shape.
std::string insertSql(const std::vector<Row>& rows, std::size_t from, std::size_t to) {
  const Row& first = rows[from];
  std::string sql = "INSERT INTO " + first.table + " (";
  for (std::size_t i = 0; i < first.columns.size(); ++i) {
    if (i != 0) sql += ", ";
    sql += first.columns[i].name;
  }
  sql += ") VALUES ";
  std::size_t n = 1;
  for (std::size_t r = from; r < to; ++r) {
    sql += r == from ? "(" : ", (";
    for (std::size_t i = 0; i < first.columns.size(); ++i) {
      if (i != 0) sql += ", ";
      sql += "$" + std::to_string(n++);
    }
    sql += ")";
  }
  return sql + " ON CONFLICT (acc_key) DO NOTHING";
}

std::vector<db::Param> paramsOf(const std::vector<Row>& rows, std::size_t from, std::size_t to) {
  std::vector<db::Param> out;
  for (std::size_t r = from; r < to; ++r) {
    for (const Column& c : rows[r].columns) {
      if (c.value) {
        // Rows are built with db::dbText() values; spool lines of older versions may not be.
        out.emplace_back(db::dbText(*c.value));
      } else {
        out.emplace_back(std::monostate{});
      }
    }
  }
  return out;
}

// PostgreSQL takes at most 65535 parameters per statement.
constexpr std::size_t kMaxParams = 60000;

void sendLogs(const std::vector<Entry>& entries, SyslogSender& syslog, Counters& counters) {
  for (const Entry& e : entries) {
    if (e.kind != EntryKind::kLog) continue;
    Status st = syslog.send(e.text);
    if (st.isOk()) {
      counters.log_written.inc();
    } else {
      counters.log_failed.inc();
      SL_ERR_RATELIMITED("acc: syslog record not sent: %s", st.message().c_str());
    }
  }
}

}  // namespace

Status Writer::connection() {
  if (conn_ == nullptr) {
    Result<std::unique_ptr<db::Connection>> c = connector_();
    if (!c.isOk()) return c.status();
    conn_ = std::move(c.value());
  }
  return Status::ok();
}

namespace {

std::string_view sqlStateOf(const Status& st) {
  // db_postgres ends its messages with " (SQLSTATE xxxxx)".
  std::string_view m = st.message();
  std::size_t at = m.rfind("(SQLSTATE ");
  if (at == std::string_view::npos || m.size() < at + 16 || m[at + 15] != ')') return {};
  return m.substr(at + 10, 5);
}

bool isBadData(const Status& st) {
  std::string_view state = sqlStateOf(st);
  return state.substr(0, 2) == "22" || state.substr(0, 2) == "23";
}

}  // namespace

bool Writer::isSchemaError(const Status& st) const { return sqlStateOf(st).substr(0, 2) == "42"; }

void Writer::noteFailure(const Status& st, std::int64_t now_ms) {
  if (st.code() == Code::kUnavailable) {
    if (healthy_) {
      SL_ERR("acc: the DB does not take records (%s); they go to the spool %s until it does",
             st.message().c_str(), spool_.spoolPath().c_str());
    }
    healthy_ = false;
    retry_at_ = now_ms + options_.retry_ms;
  } else {
    blocked_ = true;
    retry_at_ = now_ms + options_.schema_retry_ms;
  }
}

// The columns of `row` its table lacks ("" when none); the cache is filled per table.
Status Writer::missingColumns(const Row& row, std::string& problem) {
  problem.clear();
  auto it = columns_.find(row.table);
  if (it == columns_.end()) {
    Result<db::Rows> r = conn_->query(
        "SELECT column_name FROM information_schema.columns WHERE table_name = $1 AND "
        "table_schema = current_schema()",
        {db::Param(row.table)});
    if (!r.isOk()) return r.status();
    std::set<std::string> cols;
    for (std::size_t i = 0; i < r.value().size(); ++i) {
      std::optional<std::string_view> v = r.value().text(i, 0);
      if (v) cols.emplace(*v);
    }
    it = columns_.emplace(row.table, std::move(cols)).first;
  }
  if (it->second.empty()) {
    problem = "table " + row.table + " does not exist";
    return Status::ok();
  }
  for (const Column& c : row.columns) {
    if (it->second.count(c.name) == 0) {
      problem += problem.empty() ? "table " + row.table + " has no column " : ", ";
      problem += c.name;
    }
  }
  return Status::ok();
}

Writer::Outcome Writer::writeRows(const std::vector<Row>& rows,
                                  const std::vector<std::string>& lines, std::int64_t now_ms) {
  Outcome out;
  Status st = connection();
  if (!st.isOk()) {
    out.status = Status::unavailable(st.message());
    noteFailure(out.status, now_ms);
    return out;
  }
  if (blocked_) columns_.clear();  // a retry after a schema problem looks again
  std::size_t limit = rows.size();
  std::string problem;
  auto finish = [&](Outcome o) {
    if (o.status.isOk() && limit < rows.size()) {
      o.status = Status::failedPrecondition(problem);
    }
    if (o.status.isOk()) {
      if (!healthy_) SL_NOTICE("acc: the DB takes records again");
      healthy_ = true;
    } else {
      noteFailure(o.status, now_ms);
    }
    counters_.db_written.inc(o.written);
    return o;
  };
  for (std::size_t i = 0; i < rows.size(); ++i) {
    st = missingColumns(rows[i], problem);
    if (!st.isOk()) {
      out.status = st.code() == Code::kUnavailable ? st : Status::unavailable(st.message());
      return finish(out);
    }
    if (!problem.empty()) {
      limit = i;
      if (reported_.insert(problem).second) {
        SL_ERR(
            "acc: %s (db_extra, or a table named in acc_db_request()); its records are kept "
            "in the spool %s and written once the column exists",
            problem.c_str(), spool_.spoolPath().c_str());
      }
      break;
    }
  }
  if (limit == rows.size() && blocked_) {
    SL_NOTICE("acc: the tables have the columns the records need now; writing them");
    blocked_ = false;
    reported_.clear();
  }
  if (limit == 0) return finish(out);
  // The batch in one transaction.
  st = conn_->begin();
  for (std::size_t i = 0; st.isOk() && i < limit;) {
    std::size_t end = i + 1;
    std::size_t params = rows[i].columns.size();
    while (end < limit && sameShape(rows[i], rows[end]) &&
           params + rows[end].columns.size() <= kMaxParams) {
      params += rows[end].columns.size();
      ++end;
    }
    Result<std::int64_t> r = conn_->exec(insertSql(rows, i, end), paramsOf(rows, i, end));
    if (!r.isOk()) st = r.status();
    i = end;
  }
  if (st.isOk()) st = conn_->commit();
  if (st.isOk()) {
    out.handled = out.written = limit;
    return finish(out);
  }
  if (conn_->connected()) (void)conn_->rollback();
  if (!isBadData(st) && !isSchemaError(st)) {
    // Down, slow, read-only after a failover, a serialization failure or deadlock, a lock
    // not available, an internal error: none of it is the rows' fault. Spool and retry.
    out.status = Status::unavailable(st.message());
    return finish(out);
  }
  // A row refused: one by one, to keep the good rows and set the bad ones aside.
  for (std::size_t j = 0; j < limit; ++j) {
    Result<std::int64_t> r = conn_->exec(insertSql(rows, j, j + 1), paramsOf(rows, j, j + 1));
    if (r.isOk()) {
      ++out.written;
      ++out.handled;
      continue;
    }
    // Only bad data (SQLSTATE class 22) or a violated constraint (23) is the row's own
    // fault and set aside; anything else is retried later with the row still in order.
    if (!isBadData(r.status())) {
      bool schema = isSchemaError(r.status());
      if (schema && reported_.insert(r.status().message()).second) {
        SL_ERR("acc: table %s refuses records: %s; they are kept in the spool %s",
               rows[j].table.c_str(), r.status().message().c_str(), spool_.spoolPath().c_str());
      }
      out.status = schema ? Status::failedPrecondition(r.status().message())
                          : Status::unavailable(r.status().message());
      return finish(out);
    }
    counters_.failed.inc();
    Status kept = spool_.reject(lines[j]);
    SL_ERR_RATELIMITED("acc: the DB refused a record of table %s: %s; %s", rows[j].table.c_str(),
                       r.status().message().c_str(),
                       kept.isOk() ? "it is kept in acc.rejected" : kept.message().c_str());
    ++out.handled;
  }
  return finish(out);
}

Status Writer::spoolLines(const std::vector<std::string>& lines, std::size_t from) {
  if (from >= lines.size()) return Status::ok();
  std::string text;
  for (std::size_t i = from; i < lines.size(); ++i) text += lines[i];
  Status st = spool_.append(text);
  if (st.isOk()) {
    counters_.spooled.inc(lines.size() - from);
    counters_.spool_records.inc(lines.size() - from);
  }
  return st;
}

bool Writer::moveQueued(std::int64_t now_ms, bool allow_db) {
  std::vector<Entry> entries;
  std::size_t n = queue_.peek(options_.batch, entries);
  if (n == 0) return false;
  std::vector<std::string> lines;
  std::vector<Row> rows;
  for (const Entry& e : entries) {
    if (e.kind != EntryKind::kDbRow) continue;
    std::string_view text(e.text);
    if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    Result<Row> row = decodeLine(text);
    if (!row.isOk()) {
      counters_.failed.inc();
      SL_ERR_RATELIMITED("acc: a queued record is unreadable (%s); dropped",
                         row.status().message().c_str());
      continue;
    }
    lines.push_back(e.text);
    rows.push_back(std::move(row).value());
  }
  std::size_t from = 0;
  bool to_db = allow_db && now_ms >= retry_at_ && spool_.pendingBytes() == 0;
  if (!rows.empty() && to_db) {
    Outcome o = writeRows(rows, lines, now_ms);
    from = o.handled;
  }
  Status st = spoolLines(lines, from);
  if (!st.isOk()) {
    // Kept in the queue: the next round tries again (the DB, or the spool).
    SL_ERR_RATELIMITED("acc: %s; %zu records wait in the queue", st.message().c_str(),
                       static_cast<std::size_t>(queue_.size()));
    retry_at_ = now_ms + options_.retry_ms;
    return false;
  }
  sendLogs(entries, syslog_, counters_);
  queue_.commit(n);
  return true;
}

bool Writer::replayOnce(std::int64_t now_ms) {
  Result<SpoolBatch> batch = spool_.read(options_.batch);
  if (!batch.isOk()) {
    SL_ERR_RATELIMITED("acc: %s", batch.status().message().c_str());
    retry_at_ = now_ms + options_.retry_ms;
    return false;
  }
  SpoolBatch& b = batch.value();
  if (b.lines.empty()) {
    Status st = spool_.compactIfDone();
    if (!st.isOk()) SL_ERR_RATELIMITED("acc: %s", st.message().c_str());
    return false;
  }
  std::vector<Row> rows;
  std::vector<std::string> lines;
  std::vector<std::uint64_t> ends;
  std::uint64_t done_to = spool_.position();
  std::size_t damaged = 0;
  for (std::size_t i = 0; i < b.lines.size(); ++i) {
    Result<Row> row = decodeLine(b.lines[i]);
    if (!row.isOk()) {
      // Only a line that is unreadable in the middle of the file gets here.
      SL_ERR_RATELIMITED(
          "acc: skipping a damaged line of %s at offset %llu: %s", spool_.spoolPath().c_str(),
          static_cast<unsigned long long>(i == 0 ? spool_.position() : b.ends[i - 1]),
          row.status().message().c_str());
      (void)spool_.reject(b.lines[i]);
      counters_.failed.inc();
      ++damaged;
      if (rows.empty()) done_to = b.ends[i];
      continue;
    }
    rows.push_back(std::move(row).value());
    lines.push_back(b.lines[i] + "\n");
    ends.push_back(b.ends[i]);
  }
  Outcome o;
  if (!rows.empty()) o = writeRows(rows, lines, now_ms);
  if (o.handled > 0) done_to = ends[o.handled - 1];
  if (rows.empty() || o.handled == rows.size()) done_to = b.end;
  std::size_t moved = o.handled + damaged;
  if (done_to != spool_.position()) {
    Status st = spool_.advance(done_to);
    if (!st.isOk()) {
      SL_ERR_RATELIMITED("acc: %s", st.message().c_str());
      retry_at_ = now_ms + options_.retry_ms;
      return false;
    }
    counters_.replayed.inc(o.written);
    counters_.spool_records.dec(std::min<std::uint64_t>(moved, counters_.spool_records.get()));
  }
  if (o.handled == rows.size() && spool_.pendingBytes() == 0) {
    Status st = spool_.compactIfDone();
    if (!st.isOk()) SL_ERR_RATELIMITED("acc: %s", st.message().c_str());
    SL_NOTICE("acc: the spool is replayed");
  }
  return moved > 0;
}

bool Writer::step(std::int64_t now_ms) {
  bool did = false;
  if (now_ms >= retry_at_ && spool_.pendingBytes() > 0) did = replayOnce(now_ms);
  did = moveQueued(now_ms, true) || did;
  return did;
}

void Writer::drain(std::int64_t deadline_ms) {
  std::size_t left = queue_.size();
  while (queue_.size() > 0) {
    std::int64_t now = monotonicMs();
    // A statement still running when the master's grace period ends gets the writer killed:
    // its batch is still in the queue (peek/commit), the master spools it, and acc_key
    // makes a row the DB committed meanwhile a no-op when it is replayed.
    bool allow_db = healthy_ && !blocked_ && now < deadline_ms;
    if (!moveQueued(now, allow_db) && now > deadline_ms + 1000) break;
  }
  if (left != 0) {
    SL_NOTICE("acc: %zu queued records written at stop (%zu left)", left,
              static_cast<std::size_t>(queue_.size()));
  }
}

int Writer::run() {
  while (!signals::stopRequested()) {
    if (step(monotonicMs())) continue;
    signals::napMs(kIdleNapMs);
  }
  drain(monotonicMs() + kDrainBudgetMs);
  return 0;
}

void drainToSpool(RecordQueue& queue, Spool& spool, SyslogSender& syslog, Counters& counters) {
  std::size_t total = 0;
  while (true) {
    std::vector<Entry> entries;
    std::size_t n = queue.peek(1000, entries, 1000);
    if (n == 0) break;
    std::string text;
    std::size_t rows = 0;
    for (const Entry& e : entries) {
      if (e.kind != EntryKind::kDbRow) continue;
      text += e.text;
      ++rows;
    }
    Status st = text.empty() ? Status::ok() : spool.append(text);
    if (!st.isOk()) {
      counters.failed.inc(rows);
      SL_ERR("acc: %zu records lost at shutdown: %s", rows, st.message().c_str());
    } else {
      counters.spooled.inc(rows);
      counters.spool_records.inc(rows);
    }
    sendLogs(entries, syslog, counters);
    queue.commit(n);
    total += rows;
  }
  if (total != 0) {
    SL_NOTICE("acc: %zu records queued after the writer stopped are in the spool %s", total,
              spool.spoolPath().c_str());
  }
}

}  // namespace sipline::acc
