#include "modules/usrloc/usrloc.h"

#include <unistd.h>

#include <algorithm>
#include <ctime>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/db/schema.h"
#include "core/proc/supervisor.h"
#include "modules/usrloc/db_only.h"
#include "modules/usrloc/ul_sync.h"

namespace sipline::usrloc {

bool parseDbMode(std::string_view text, DbMode& out) {
  if (text == "memory") {
    out = DbMode::kMemory;
  } else if (text == "write-through") {
    out = DbMode::kWriteThrough;
  } else if (text == "write-back") {
    out = DbMode::kWriteBack;
  } else if (text == "db-only") {
    out = DbMode::kDbOnly;
  } else {
    return false;
  }
  return true;
}

const char* dbModeName(DbMode mode) {
  switch (mode) {
    case DbMode::kMemory:
      return "memory";
    case DbMode::kWriteThrough:
      return "write-through";
    case DbMode::kWriteBack:
      return "write-back";
    case DbMode::kDbOnly:
      return "db-only";
  }
  return "?";
}

Service::Service()
    : connector_([this]() { return db::openUrl(config_.db_url, db_options_); }),
      clock_([] { return static_cast<std::int64_t>(std::time(nullptr)); }) {}

Result<Domain*> Service::domain(std::string_view name) {
  Status st = checkTableName(name);
  if (!st.isOk()) return st;
  return domains_.get(name, config_.use_domain);
}

bool Service::memoryOnlyContacts() const {
  DbMode mode = DbMode::kMemory;
  return !parseDbMode(config_.db_mode, mode) || mode != DbMode::kDbOnly;
}

std::uint64_t Service::pingBuckets() const {
  std::uint64_t n = 0;
  for (const auto& d : domains_) {
    if (d->table() != nullptr) n += d->table()->bucketCount();
  }
  return n;
}

void Service::collectPings(std::uint64_t from, std::uint64_t to, const PingSelect& select,
                           int max_lost, PingBatch& out) {
  std::int64_t now_s = now();
  std::uint64_t base = 0;  // the first global bucket number of table i
  for (std::uint32_t i = 0; i < domains_.size() && base < to; ++i) {
    Table* t = domains_[i]->table();
    if (t == nullptr) continue;
    std::uint64_t end = base + t->bucketCount();
    if (from < end) {
      auto lo = static_cast<std::uint32_t>(std::max(from, base) - base);
      auto hi = static_cast<std::uint32_t>(std::min(to, end) - base);
      t->collectPings(lo, hi, now_s, select, max_lost, i, out);
    }
    base = end;
  }
}

void Service::pingAnswered(std::uint32_t table, std::uint32_t bucket, std::uint32_t uri_hash) {
  if (table >= domains_.size() || domains_[table]->table() == nullptr) return;
  domains_[table]->table()->pingAnswered(bucket, uri_hash);
}

Domain* Service::findDomain(std::string_view name) const { return domains_.find(name); }

void Service::noteDbError(const Status& st, const char* what) {
  counters_.db_errors.inc();
  SL_ERR_RATELIMITED("usrloc: %s: %s", what, st.message().c_str());
}

Status Service::withRecord(Domain* d, std::string_view aor,
                           const std::function<Status(Record&)>& fn) {
  if (d == nullptr) return Status::invalidArgument("usrloc: no table");
  if (mode_ == DbMode::kDbOnly) return withRecordDbOnly(*d, aor, fn);
  Table* t = d->table();
  if (t == nullptr) {
    return Status::failedPrecondition("usrloc: table " + d->name() + " is not set up yet");
  }
  Status st = checkAor(aor, config_.use_domain, t->limits());
  if (!st.isOk()) return st;
  std::vector<PendingWrite> writes;
  bool through = mode_ == DbMode::kWriteThrough;
  Status result = t->edit(aor, now(), fn, through ? &writes : nullptr);
  // Outside the lock; without a connection here (timer, tests) the flusher writes them.
  if (!writes.empty() && conn_ != nullptr) {
    writeThrough(*conn_, *t, d->sql(), writes, counters_);
  }
  return result;
}

Status Service::withRecordDbOnly(Domain& d, std::string_view aor,
                                 const std::function<Status(Record&)>& fn) {
  FieldLimits limits = dbLimits();
  Status st = checkAor(aor, config_.use_domain, limits);
  if (!st.isOk()) return st;
  if (conn_ == nullptr) return Status::unavailable("usrloc: no DB connection in this process");
  Result<DbOnlyEdit> edit = editDbOnly(*conn_, d.sql(), aor, now(), limits, fn);
  if (!edit.isOk()) {
    noteDbError(edit.status(), "db-only edit");
    if (edit.status().code() == Code::kUnavailable) return edit.status();
    return Status::unavailable("usrloc: table " + d.name() + ": " + edit.status().message());
  }
  counters_.expired_contacts.inc(edit.value().expired);
  return edit.value().fn_status;
}

Result<std::vector<Contact>> Service::get(Domain* d, std::string_view aor) {
  if (d == nullptr) return Status::invalidArgument("usrloc: no table");
  if (mode_ != DbMode::kDbOnly) {
    if (d->table() == nullptr) {
      return Status::failedPrecondition("usrloc: table " + d->name() + " is not set up yet");
    }
    return d->table()->get(aor, now());
  }
  if (conn_ == nullptr) return Status::unavailable("usrloc: no DB connection in this process");
  Result<std::vector<Contact>> rows = d->sql().selectAor(*conn_, aor, now(), false);
  if (!rows.isOk()) {
    noteDbError(rows.status(), "db-only lookup");
    if (rows.status().code() == Code::kUnavailable) return rows.status();
    return Status::unavailable("usrloc: table " + d->name() + ": " + rows.status().message());
  }
  return rows;
}

Status Service::applyConfig() {
  if (!parseDbMode(config_.db_mode, mode_)) {
    return Status::invalidArgument("usrloc: db_mode \"" + config_.db_mode +
                                   "\" is not one of memory, write-through, write-back, db-only");
  }
  db_options_.connect_timeout_ms = static_cast<int>(config_.db_connect_timeout_ms);
  db_options_.query_timeout_ms = static_cast<int>(config_.db_query_timeout_ms);
  if (config_.hash_size <= 0 || config_.hash_size > (1 << 24) ||
      (config_.hash_size & (config_.hash_size - 1)) != 0) {
    return Status::invalidArgument(
        "usrloc: hash_size must be a power of two (a bucket count; "
        "OpenSIPS's hash_size is its log2), got " +
        std::to_string(config_.hash_size));
  }
  if (mode_ == DbMode::kMemory) return Status::ok();
  if (config_.db_url.empty()) {
    return Status::invalidArgument(std::string("usrloc: db_mode \"") + dbModeName(mode_) +
                                   "\" needs db_url (e.g. postgres://sipline@127.0.0.1/sipline)");
  }
  Result<db::DbUrl> url = db::parseDbUrl(config_.db_url);
  if (!url.isOk()) return url.status().withPrefix("usrloc: db_url");
  return Status::ok();
}

Status Service::init(shm::Segment& segment) {
  Status st = applyConfig();
  if (!st.isOk()) return st;
  for (auto& d : domains_) d->sql_ = TableSql(d->name(), config_.use_domain);
  Result<UsrlocShm*> state = segment.construct<UsrlocShm>("usrloc.state");
  if (!state.isOk()) return state.status();
  state_ = state.value();
  if (shmTables()) {
    TableOptions opt;
    opt.size = static_cast<std::uint32_t>(config_.hash_size);
    opt.persist = persists();
    opt.limits = mode_ == DbMode::kMemory ? memoryLimits() : dbLimits();
    for (auto& d : domains_) {
      Result<std::unique_ptr<Table>> t = Table::create(segment, d->name(), opt, &counters_);
      if (!t.isOk()) return t.status().withPrefix("usrloc: table " + d->name());
      d->table_ = std::move(t.value());
    }
  }
  if (mode_ != DbMode::kMemory) {
    st = loadTables();
    if (!st.isOk()) return st;
  }
  initialized_ = true;
  domains_.freeze();
  return Status::ok();
}

// With a DB mode: schema check; write-through/write-back also load the rows. The connection is
// closed before returning, so no child inherits it.
Status Service::loadTables() {
  Result<std::unique_ptr<db::Connection>> opened = connector_();
  if (!opened.isOk()) return opened.status().withPrefix("usrloc");
  std::unique_ptr<db::Connection> conn = std::move(opened.value());
  Status st = conn->ensureConnected();
  if (!st.isOk()) {
    return Status::unavailable("usrloc: cannot reach the DB " + conn->url().text + " (db_mode \"" +
                               dbModeName(mode_) + "\"): " + st.message());
  }
  std::int64_t now_s = now();
  for (auto& d : domains_) {
    st = db::checkTable(*conn, d->sql().spec());
    if (!st.isOk()) return st.withPrefix("usrloc");
    if (!persists()) continue;
    Result<std::int64_t> gone = d->sql().deleteExpired(*conn, now_s);
    if (!gone.isOk())
      return gone.status().withPrefix("usrloc: deleting expired rows of " + d->name());
    LoadReport report;
    Table* table = d->table();
    st = d->sql().loadAll(
        *conn, now_s, [table](const AorContact& ac) { return table->load(ac.aor, ac.contact); },
        report);
    if (!st.isOk()) return st.withPrefix("usrloc: loading table " + d->name());
    SL_NOTICE("usrloc: table %s: %llu contacts of %llu AORs loaded, %lld expired rows deleted",
              d->name().c_str(), static_cast<unsigned long long>(report.loaded),
              static_cast<unsigned long long>(table->users()),
              static_cast<long long>(gone.value()));
    if (report.bad_rows + report.foreign_rows != 0) {
      SL_WARN(
          "usrloc: table %s: %llu rows skipped (%llu unreadable, %llu with a domain while "
          "use_domain is off)",
          d->name().c_str(), static_cast<unsigned long long>(report.bad_rows + report.foreign_rows),
          static_cast<unsigned long long>(report.bad_rows),
          static_cast<unsigned long long>(report.foreign_rows));
    }
    if (report.rejected_rows != 0) {
      SL_ERR(
          "usrloc: table %s: %llu rows did not fit (shared memory full or fields too long); "
          "raise shm_size",
          d->name().c_str(), static_cast<unsigned long long>(report.rejected_rows));
    }
  }
  return Status::ok();
}

void Service::declareStats(StatsRegistry& registry) {
  auto sum = [this](std::uint64_t (Table::*fn)() const) {
    return [this, fn]() {
      std::uint64_t n = 0;
      for (const auto& d : domains_) {
        if (d->table() != nullptr) n += (d->table()->*fn)();
      }
      return n;
    };
  };
  auto declare = [&registry](const std::string& group, const std::string& name,
                             std::function<std::uint64_t()> fn, const std::string& help) {
    Status st = registry.declareComputed(group, name, std::move(fn), help);
    if (!st.isOk())
      SL_WARN("usrloc: statistic %s:%s: %s", group.c_str(), name.c_str(), st.message().c_str());
  };
  declare("usrloc", "registered_users", sum(&Table::users), "AORs with a contact, all tables");
  declare("usrloc", "registered_contacts", sum(&Table::contacts), "contacts, all tables");
  declare("usrloc", "pending_writes", sum(&Table::pending),
          "changes not yet written to the DB (write-through, write-back)");
  for (const auto& d : domains_) {
    Table* t = d->table();
    if (t == nullptr) continue;
    declare(
        d->name(), "users", [t] { return t->users(); }, "AORs with a contact");
    declare(
        d->name(), "contacts", [t] { return t->contacts(); }, "contacts");
    declare(
        d->name(), "expires", [t] { return t->expired(); }, "contacts expired");
  }
}

bool Service::needsDbIn(const ProcessInfo& proc) const {
  bool flusher = proc.role == ProcessRole::kModule && proc.name == kFlusherName;
  bool worker = proc.role == ProcessRole::kUdpWorker || proc.role == ProcessRole::kTcpWorker;
  switch (mode_) {
    case DbMode::kMemory:
      return false;
    case DbMode::kWriteBack:
      return flusher;
    case DbMode::kWriteThrough:
    case DbMode::kDbOnly:
      return flusher || worker || proc.role == ProcessRole::kMi;
  }
  return false;
}

Status Service::childInit(const ProcessInfo& proc) {
  if (!needsDbIn(proc)) return Status::ok();
  // Lazy: it connects at the first statement, so a DB that is down does not stop the child.
  Result<std::unique_ptr<db::Connection>> c = connector_();
  if (!c.isOk()) return c.status().withPrefix("usrloc");
  conn_ = std::move(c.value());
  return Status::ok();
}

void Service::onTimerTick(std::int64_t mono_ms) {
  if (!shmTables()) return;
  if (next_sweep_ms_ != 0 && mono_ms < next_sweep_ms_) return;
  if (next_sweep_ms_ != 0) sweep();
  next_sweep_ms_ = mono_ms + config_.timer_interval_s * 1000;
}

std::uint64_t Service::sweep() {
  std::uint64_t n = 0;
  std::int64_t now_s = now();
  for (const auto& d : domains_) {
    if (d->table() != nullptr) n += d->table()->sweep(now_s);
  }
  if (n != 0) SL_DBG("usrloc: %llu contacts expired", static_cast<unsigned long long>(n));
  return n;
}

FlushReport Service::flush() {
  FlushReport out;
  if (mode_ == DbMode::kMemory) return out;
  if (conn_ == nullptr) {
    out.status = Status::unavailable("usrloc: no DB connection in this process");
    return out;
  }
  for (const auto& d : domains_) {
    if (mode_ == DbMode::kDbOnly) {
      Result<std::int64_t> gone = d->sql().deleteExpired(*conn_, now());
      if (!gone.isOk()) {
        noteDbError(gone.status(), "deleting expired rows");
        out.status = gone.status();
        break;
      }
      counters_.expired_contacts.inc(static_cast<std::uint64_t>(gone.value()));
      continue;
    }
    SyncResult r = syncTable(*conn_, *d->table(), d->sql(), counters_);
    out.written += r.written;
    out.dropped += r.dropped;
    if (!r.status.isOk()) {
      out.status = r.status;
      break;
    }
  }
  for (const auto& d : domains_) {
    if (d->table() != nullptr) out.pending += d->table()->pending();
  }
  return out;
}

int Service::runFlusher() {
  std::int64_t period_ms =
      (mode_ == DbMode::kWriteBack ? config_.write_back_interval_s : config_.timer_interval_s) *
      1000;
  std::int64_t next = monotonicMs() + period_ms;
  while (!signals::stopRequested()) {
    std::int64_t mono = monotonicMs();
    std::uint64_t asked = state_ != nullptr ? state_->flush_requested.load() : 0;
    bool requested = state_ != nullptr && asked > state_->flush_done.load();
    if (mode_ != DbMode::kMemory && (mono >= next || requested)) {
      FlushReport r = flush();
      if (state_ != nullptr) {
        state_->last_flush_written.store(r.written);
        state_->last_flush_ok.store(r.status.isOk());
        state_->flush_done.store(asked);
      }
      next = monotonicMs() + period_ms;
      continue;
    }
    // Short naps so that an MI ul_flush is served at once; in memory mode there is nothing
    // to do but wait for the stop.
    std::int64_t nap = mode_ == DbMode::kMemory ? 5000 : std::min<std::int64_t>(200, next - mono);
    signals::napMs(std::max<std::int64_t>(1, nap));
  }
  if (persists()) {
    FlushReport r = flush();
    if (r.status.isOk()) {
      SL_NOTICE("usrloc: final flush: %llu changes written",
                static_cast<unsigned long long>(r.written));
    } else {
      SL_ERR("usrloc: final flush: %llu changes written, %llu not (%s)",
             static_cast<unsigned long long>(r.written), static_cast<unsigned long long>(r.pending),
             r.status.message().c_str());
    }
  }
  return 0;
}

Result<FlushReport> Service::requestFlush(int timeout_ms) {
  FlushReport out;
  if (!persists() || state_ == nullptr) return out;
  std::uint64_t mine = state_->flush_requested.fetch_add(1) + 1;
  std::int64_t deadline = monotonicMs() + timeout_ms;
  while (state_->flush_done.load() < mine) {
    if (monotonicMs() >= deadline) {
      return Status::unavailable("usrloc: the flusher did not finish within " +
                                 std::to_string(timeout_ms) + " ms");
    }
    usleep(10000);  // a flush is asked from a worker or the MI: no stop to wake for
  }
  out.written = state_->last_flush_written.load();
  if (!state_->last_flush_ok.load()) {
    out.status = Status::unavailable("usrloc: the flush failed (DB unavailable); changes kept");
  }
  for (const auto& d : domains_) {
    if (d->table() != nullptr) out.pending += d->table()->pending();
  }
  return out;
}

void Service::shutdownFlush() {
  if (!persists() || !initialized_) return;
  std::uint64_t pending = 0;
  for (const auto& d : domains_) pending += d->table()->pending();
  if (pending == 0) return;
  for (const auto& d : domains_) d->table()->setLockTimeoutMs(1000);
  if (conn_ == nullptr) {
    Result<std::unique_ptr<db::Connection>> c = connector_();
    if (!c.isOk()) {
      SL_ERR("usrloc: %llu changes not written to the DB at shutdown: %s",
             static_cast<unsigned long long>(pending), c.status().message().c_str());
      return;
    }
    conn_ = std::move(c.value());
  }
  FlushReport r = flush();
  conn_.reset();
  if (!r.status.isOk() || r.pending != 0) {
    SL_ERR("usrloc: %llu changes not written to the DB at shutdown: %s",
           static_cast<unsigned long long>(r.pending), r.status.message().c_str());
  } else {
    SL_NOTICE("usrloc: %llu changes written to the DB at shutdown",
              static_cast<unsigned long long>(r.written));
  }
}

}  // namespace sipline::usrloc
