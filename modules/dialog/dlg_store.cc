#include "modules/dialog/dlg_store.h"

#include <algorithm>
#include <ctime>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/proc/supervisor.h"

namespace sipline::dialog {

Result<std::unique_ptr<db::Connection>> Store::open() {
  db::Options options;
  options.connect_timeout_ms = 2000;
  options.query_timeout_ms = 2000;
  options.reconnect_min_ms = 200;
  options.reconnect_max_ms = 5000;
  return db::openUrl(service_.config().db_url, options);
}

Status Store::load() {
  const Config& cfg = service_.config();
  Status st = DialogSql::checkTableName(cfg.table);
  if (!st.isOk()) return st;
  if (cfg.db_url.empty()) {
    return Status::invalidArgument("dialog: db_mode \"write-back\" needs db_url");
  }
  Result<std::unique_ptr<db::Connection>> opened = open();
  if (!opened.isOk()) return opened.status().withPrefix("dialog");
  std::unique_ptr<db::Connection> conn = std::move(opened.value());
  st = conn->ensureConnected();
  if (st.isOk()) st = loadRows(*conn, false);
  if (st.code() == Code::kUnavailable) {
    // Calls must flow while the DB is down: start empty; the dialog-db process loads the
    // rows of the last run as soon as the DB answers, before it writes anything.
    SL_ERR(
        "dialog: cannot reach the DB %s (%s); the dialogs of the last run are loaded when "
        "it is back",
        conn->url().text.c_str(), st.message().c_str());
    service_.counters().db_errors.inc();
    // In shm: the writer loads and clears it, and the master's flush at shutdown sees that
    // (a private flag would make it load the rows a second time, as new dialogs).
    service_.table().setLoadPending(true);  // BYEs meanwhile are kept for the load
    return Status::ok();
  }
  return st;
}

Status Store::loadRows(db::Connection& conn, bool deferred) {
  DialogSql sql(service_.config().table);
  Status st = db::checkTable(conn, sql.spec());
  if (!st.isOk()) return st.withPrefix("dialog");
  std::uint64_t loaded = 0;
  std::uint64_t bad = 0;
  std::uint64_t rejected = 0;
  Table& table = service_.table();
  st = sql.loadAll(
      conn,
      [&](DialogInfo& d) {
        // Loaded late, an id may already name a dialog of this run: the old call gets a new
        // id (its in-dialog requests then match by Call-ID and tags) and a new row.
        DialogInfo live;
        bool renamed = deferred && table.get(d.id, live);
        if (renamed) d.id = 0;
        if (!table.insert(d, renamed).isOk()) {
          ++rejected;
          return;
        }
        ++loaded;
        Counters& c = service_.counters();
        (d.state == State::kConfirmed ? c.active : c.early).inc();
      },
      bad);
  if (!st.isOk()) return st.withPrefix("dialog: loading table " + service_.config().table);
  SL_NOTICE("dialog: %llu dialogs loaded from table %s", static_cast<unsigned long long>(loaded),
            service_.config().table.c_str());
  if (bad + rejected != 0) {
    SL_ERR("dialog: %llu rows of table %s skipped (%llu unreadable, %llu did not fit in shm)",
           static_cast<unsigned long long>(bad + rejected), service_.config().table.c_str(),
           static_cast<unsigned long long>(bad), static_cast<unsigned long long>(rejected));
  }
  return Status::ok();
}

Status Store::childInit(const ProcessInfo& proc) {
  if (proc.role != ProcessRole::kModule || proc.name != kWriterName) return Status::ok();
  Result<std::unique_ptr<db::Connection>> c = open();
  if (!c.isOk()) return c.status().withPrefix("dialog");
  conn_ = std::move(c.value());
  return Status::ok();
}

void Store::flushNow() {
  if (conn_ == nullptr) return;
  if (service_.table().loadPending()) {
    // Nothing is written before the last run's dialogs are in: their rows would be lost.
    Status st = loadRows(*conn_, true);
    if (!st.isOk()) {
      service_.counters().db_errors.inc();
      SL_ERR_RATELIMITED("dialog: loading the dialogs of the last run failed (retried): %s",
                         st.message().c_str());
      return;
    }
    service_.endRememberedByes();  // and the load is no longer pending
  }
  DialogSql sql(service_.config().table);
  FlushReport r = flushChanges(*conn_, sql, service_.table());
  if (r.refused != 0) {
    service_.counters().db_errors.inc(r.refused);
    SL_ERR_RATELIMITED("dialog: the DB refused %llu dialog rows (kept, retried): %s",
                       static_cast<unsigned long long>(r.refused),
                       r.refused_status.message().c_str());
  }
  if (!r.status.isOk()) {
    service_.counters().db_errors.inc();
    SL_ERR_RATELIMITED("dialog: writing dialogs to the DB failed (kept, retried): %s",
                       r.status.message().c_str());
  } else if (r.written + r.deleted != 0) {
    SL_DBG("dialog: %llu dialogs written, %llu rows deleted",
           static_cast<unsigned long long>(r.written), static_cast<unsigned long long>(r.deleted));
  }
}

int Store::run() {
  std::int64_t period_ms = service_.config().db_flush_interval_s * 1000;
  std::int64_t next = monotonicMs() + period_ms;
  while (!signals::stopRequested()) {
    std::int64_t now = monotonicMs();
    if (now >= next) {
      flushNow();
      next = monotonicMs() + period_ms;
      continue;
    }
    signals::napMs(std::clamp<std::int64_t>(next - now, 1, 200));
  }
  flushNow();  // what is left (changes made while the workers stopped): the master's turn
  return 0;
}

void Store::shutdownFlush() {
  if (!service_.ready() || service_.table().pending() == 0) return;
  if (conn_ == nullptr) {
    Result<std::unique_ptr<db::Connection>> c = open();
    if (!c.isOk()) {
      SL_ERR("dialog: changes not written at shutdown: %s", c.status().message().c_str());
      return;
    }
    conn_ = std::move(c.value());
  }
  flushNow();
  conn_.reset();
  std::uint64_t left = service_.table().pending();
  if (left != 0) {
    SL_ERR("dialog: %llu dialog changes not written to the DB at shutdown",
           static_cast<unsigned long long>(left));
  }
}

}  // namespace sipline::dialog
