#include "modules/usrloc/ul_sync.h"

#include "core/base/log.h"

namespace sipline::usrloc {
namespace {

Status writeOne(db::Connection& conn, const TableSql& sql, const PendingWrite& w) {
  if (w.remove) return sql.remove(conn, {{w.aor, w.contact.uri}});
  return sql.upsert(conn, {AorContact{w.aor, w.contact}});
}

// Deletes first, then upserts, in one transaction (rolled back on any failure).
Status writeBatch(db::Connection& conn, const TableSql& sql,
                  const std::vector<PendingWrite>& batch) {
  std::vector<std::pair<std::string, std::string>> keys;
  std::vector<AorContact> rows;
  for (const PendingWrite& w : batch) {
    if (w.remove) {
      keys.emplace_back(w.aor, w.contact.uri);
    } else {
      rows.push_back(AorContact{w.aor, w.contact});
    }
  }
  Status st = conn.begin();
  if (!st.isOk()) return st;
  st = sql.remove(conn, keys);
  if (st.isOk()) st = sql.upsert(conn, rows);
  if (st.isOk()) return conn.commit();
  Status rb = conn.rollback();
  (void)rb;  // the statement's error is what matters; a lost connection rolls back anyway
  return st;
}

void noteOutage(Counters& counters, const TableSql& sql, const Status& st) {
  counters.db_errors.inc();
  SL_ERR_RATELIMITED("usrloc: writing table %s failed, changes kept for the next attempt: %s",
                     sql.table().c_str(), st.message().c_str());
}

// One write of a row-by-row pass; false when the DB is out (stop there).
bool writeAlone(db::Connection& conn, Table& table, const TableSql& sql, const PendingWrite& w,
                Counters& counters, SyncResult& out) {
  Status st = writeOne(conn, sql, w);
  if (st.isOk()) {
    table.settle(w);
    ++out.written;
    return true;
  }
  if (st.code() == Code::kUnavailable) {
    noteOutage(counters, sql, st);
    out.status = st;
    return false;
  }
  counters.db_errors.inc();
  if (st.code() == Code::kInvalidArgument) {
    SL_ERR_RATELIMITED("usrloc: table %s refused %s of %s (%s): %s; dropped from the DB sync",
                       sql.table().c_str(), w.remove ? "the delete" : "the contact", w.aor.c_str(),
                       w.contact.uri.c_str(), st.message().c_str());
    table.settle(w);
    ++out.dropped;
  } else {
    SL_ERR_RATELIMITED("usrloc: table %s refused %s of %s (%s): %s; retried later",
                       sql.table().c_str(), w.remove ? "the delete" : "the contact", w.aor.c_str(),
                       w.contact.uri.c_str(), st.message().c_str());
    ++out.kept;
  }
  return true;
}

}  // namespace

SyncResult syncTable(db::Connection& conn, Table& table, const TableSql& sql, Counters& counters) {
  SyncResult out;
  if (table.pending() == 0) return out;
  std::uint32_t cursor = 0;
  bool end = false;
  std::vector<PendingWrite> batch;
  while (!end) {
    batch.clear();
    end = table.collectPending(kFlushBatch, cursor, batch);
    if (batch.empty()) continue;
    Status st = writeBatch(conn, sql, batch);
    if (st.isOk()) {
      for (const PendingWrite& w : batch) table.settle(w);
      out.written += batch.size();
      continue;
    }
    if (st.code() == Code::kUnavailable) {
      noteOutage(counters, sql, st);
      out.status = st;
      return out;
    }
    SL_WARN("usrloc: a batch of %zu writes to table %s failed (%s); writing them one by one",
            batch.size(), sql.table().c_str(), st.message().c_str());
    for (const PendingWrite& w : batch) {
      if (!writeAlone(conn, table, sql, w, counters, out)) return out;
    }
  }
  return out;
}

SyncResult writeThrough(db::Connection& conn, Table& table, const TableSql& sql,
                        const std::vector<PendingWrite>& writes, Counters& counters) {
  SyncResult out;
  for (const PendingWrite& w : writes) {
    if (!writeAlone(conn, table, sql, w, counters, out)) break;
  }
  return out;
}

}  // namespace sipline::usrloc
