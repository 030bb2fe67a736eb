// Statements on a PgConnection: prepare-once, send, await within the query timeout, and the
// transaction bookkeeping. Connecting, back-off and cancel are in pg_connect.cc.
#include "modules/db_postgres/pg_connection.h"

#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <vector>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "modules/db_postgres/pg_values.h"

namespace sipline::pg {

void PgConnection::ResultDeleter::operator()(pg_result* r) const { PQclear(r); }

PgConnection::PgConnection(db::DbUrl url, const db::Options& options, PgStats* stats)
    : url_(std::move(url)),
      options_(options),
      stats_(stats),
      owner_pid_(getpid()),
      backoff_ms_(options.reconnect_min_ms) {}

PgConnection::~PgConnection() {
  // A copy inherited through fork() must not close the parent's session.
  if (getpid() == owner_pid_) close(false);
}

Result<db::Rows> PgConnection::query(std::string_view sql,
                                     std::initializer_list<db::Param> params) {
  return queryImpl(sql, params.begin(), params.size());
}
Result<db::Rows> PgConnection::query(std::string_view sql, const std::vector<db::Param>& params) {
  return queryImpl(sql, params.data(), params.size());
}
Result<std::int64_t> PgConnection::exec(std::string_view sql,
                                        std::initializer_list<db::Param> params) {
  return execImpl(sql, params.begin(), params.size());
}
Result<std::int64_t> PgConnection::exec(std::string_view sql,
                                        const std::vector<db::Param>& params) {
  return execImpl(sql, params.data(), params.size());
}

Result<db::Rows> PgConnection::queryImpl(std::string_view sql, const db::Param* params,
                                         std::size_t count) {
  Result<ResultPtr> res = run(sql, params, count);
  if (!res.isOk()) return res.status();
  const PGresult* r = res.value().get();
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> cells;
  if (PQresultStatus(r) == PGRES_TUPLES_OK) {
    int ncols = PQnfields(r);
    int nrows = PQntuples(r);
    columns.reserve(ncols);
    for (int c = 0; c < ncols; ++c) columns.emplace_back(PQfname(r, c));
    cells.resize(nrows);
    for (int row = 0; row < nrows; ++row) {
      auto& out = cells[row];
      out.reserve(ncols);
      for (int c = 0; c < ncols; ++c) {
        if (PQgetisnull(r, row, c)) {
          out.emplace_back(std::nullopt);
        } else {
          out.emplace_back(std::string(PQgetvalue(r, row, c), PQgetlength(r, row, c)));
        }
      }
    }
  }
  return db::Rows(std::move(columns), std::move(cells));
}

Result<std::int64_t> PgConnection::execImpl(std::string_view sql, const db::Param* params,
                                            std::size_t count) {
  Result<ResultPtr> res = run(sql, params, count);
  if (!res.isOk()) return res.status();
  const PGresult* r = res.value().get();
  if (PQresultStatus(r) == PGRES_TUPLES_OK) return static_cast<std::int64_t>(PQntuples(r));
  const char* affected = PQcmdTuples(const_cast<PGresult*>(r));
  std::int64_t n = 0;
  if (affected != nullptr && *affected != '\0') {
    std::from_chars(affected, affected + std::strlen(affected), n);
  }
  return n;
}

Result<PgConnection::ResultPtr> PgConnection::run(std::string_view sql, const db::Param* params,
                                                  std::size_t count) {
  if (stats_ != nullptr) stats_->queries.inc();
  Result<ResultPtr> res = runUnchecked(sql, params, count);
  if (!res.isOk() && stats_ != nullptr) stats_->errors.inc();
  return res;
}

Status PgConnection::mayRun() const {
  if (getpid() != owner_pid_) {
    return Status::internal("db_postgres: a connection to " + url_.text +
                            " was used by another process than the one that opened it (open "
                            "connections in childInit)");
  }
  if (transaction_lost_) {
    return Status::unavailable("the connection to " + url_.text +
                               " was lost inside a transaction, which the server rolled back; "
                               "call rollback() before the next statement");
  }
  return Status::ok();
}

Result<std::int64_t> PgConnection::copyIn(std::string_view copy_sql, std::string_view data) {
  if (stats_ != nullptr) stats_->queries.inc();
  Result<std::int64_t> res = copyInUnchecked(copy_sql, data);
  if (!res.isOk() && stats_ != nullptr) stats_->errors.inc();
  return res;
}

Result<std::int64_t> PgConnection::copyInUnchecked(std::string_view copy_sql,
                                                   std::string_view data) {
  Status st = mayRun();
  if (!st.isOk()) return st;
  st = usable();
  if (!st.isOk()) return st;
  const std::int64_t deadline = monotonicMs() + options_.query_timeout_ms;
  const std::string sql(copy_sql);
  if (PQsendQuery(conn_, sql.c_str()) == 0) return lost(PQerrorMessage(conn_), false);
  st = flush(deadline);
  if (!st.isOk()) return st;
  // The server answers COPY_IN (send the data), or an error (no such table or column).
  Result<ResultPtr> start = await(deadline);
  if (!start.isOk()) return start.status();
  const ExecStatusType status = PQresultStatus(start.value().get());
  if (status != PGRES_COPY_IN) {
    noteTransactionState();
    if (status == PGRES_FATAL_ERROR || status == PGRES_NONFATAL_ERROR) {
      return resultError(start.value().get());
    }
    // (Cancelled: a COPY ... TO STDOUT of a slow query would run on after the close.)
    return lost(std::string("COPY answered ") + PQresStatus(status), true);
  }
  // Non-blocking: libpq takes the data into its buffer, a piece at a time (0 only when that
  // is full: flushed, then tried again), the end marker likewise; flush() writes it within
  // the deadline.
  constexpr std::size_t kPiece = 1 << 20;
  auto refused = [this, deadline](int rc) -> Status {
    if (rc < 0) return lost(PQerrorMessage(conn_), false);
    if (monotonicMs() >= deadline) return lost("libpq would not take the COPY data", true);
    return flush(deadline);
  };
  for (std::size_t at = 0; at < data.size();) {
    const std::size_t n = std::min(kPiece, data.size() - at);
    const int put = PQputCopyData(conn_, data.data() + at, static_cast<int>(n));
    if (put == 1) {
      at += n;
      continue;
    }
    st = refused(put);
    if (!st.isOk()) return st;
  }
  for (int end; (end = PQputCopyEnd(conn_, nullptr)) != 1;) {
    st = refused(end);
    if (!st.isOk()) return st;
  }
  st = flush(deadline);
  if (!st.isOk()) return st;
  Result<ResultPtr> done = await(deadline);
  if (!done.isOk()) return done.status();
  noteTransactionState();
  const ExecStatusType final_status = PQresultStatus(done.value().get());
  if (final_status == PGRES_FATAL_ERROR || final_status == PGRES_NONFATAL_ERROR) {
    return resultError(done.value().get());
  }
  if (final_status != PGRES_COMMAND_OK) {
    return lost(std::string("COPY ended with ") + PQresStatus(final_status), false);
  }
  const char* loaded = PQcmdTuples(done.value().get());
  std::int64_t n = 0;
  if (loaded != nullptr && *loaded != '\0')
    std::from_chars(loaded, loaded + std::strlen(loaded), n);
  return n;
}

Result<PgConnection::ResultPtr> PgConnection::runUnchecked(std::string_view sql,
                                                           const db::Param* params,
                                                           std::size_t count) {
  Status st = mayRun();
  if (!st.isOk()) return st;
  st = usable();
  if (!st.isOk()) return st;

  std::int64_t deadline = monotonicMs() + options_.query_timeout_ms;
  std::string text(sql);  // libpq wants NUL-terminated text
  Result<std::string> name = prepared(text, params, count, deadline);
  if (!name.isOk()) return name.status();

  std::vector<std::string> storage(count);
  std::vector<const char*> values(count, nullptr);
  for (std::size_t i = 0; i < count; ++i) {
    if (std::holds_alternative<std::monostate>(params[i])) continue;  // SQL NULL
    storage[i] = paramText(params[i]);
    values[i] = storage[i].c_str();
  }
  if (PQsendQueryPrepared(conn_, name.value().c_str(), static_cast<int>(count), values.data(),
                          nullptr, nullptr, 0) == 0) {
    return lost(PQerrorMessage(conn_), false);
  }
  st = flush(deadline);
  if (!st.isOk()) return st;
  Result<ResultPtr> res = await(deadline);
  if (!res.isOk()) return res.status();
  noteTransactionState();
  ExecStatusType status = PQresultStatus(res.value().get());
  if (status == PGRES_FATAL_ERROR || status == PGRES_NONFATAL_ERROR) {
    const char* state = PQresultErrorField(res.value().get(), PG_DIAG_SQLSTATE);
    if (state != nullptr && invalidatesStatement(state)) statements_.erase(text);
    return resultError(res.value().get());
  }
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) {
    // COPY and replication streams are not part of the API; the protocol state is unknown.
    return lost(std::string("unexpected result ") + PQresStatus(status), true);
  }
  return res;
}

Result<std::string> PgConnection::prepared(const std::string& sql, const db::Param* params,
                                           std::size_t count, std::int64_t deadline) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return it->second;
  // A consumer that builds many distinct texts (IN lists of every length) must not grow the
  // server's memory without bound: past the cap, new texts use the unnamed statement, which
  // each prepare replaces.
  bool cache = statements_.size() < kMaxPreparedStatements;
  std::string name = cache ? "sipline_" + std::to_string(++statement_seq_) : std::string();
  std::vector<Oid> types(count);
  for (std::size_t i = 0; i < count; ++i) types[i] = paramOid(params[i]);
  if (PQsendPrepare(conn_, name.c_str(), sql.c_str(), static_cast<int>(count), types.data()) == 0) {
    return lost(PQerrorMessage(conn_), false);
  }
  Status st = flush(deadline);
  if (!st.isOk()) return st;
  Result<ResultPtr> res = await(deadline);
  if (!res.isOk()) return res.status();
  if (PQresultStatus(res.value().get()) != PGRES_COMMAND_OK) {
    return resultError(res.value().get());
  }
  if (cache) statements_.emplace(sql, name);
  return name;
}

Status PgConnection::flush(std::int64_t deadline) {
  for (;;) {
    int r = PQflush(conn_);
    if (r == 0) return Status::ok();
    if (r < 0) return lost(PQerrorMessage(conn_), false);
    Status st = waitSocket(true, deadline);
    if (!st.isOk()) return st;
    // The server may be sending while we write (notices); libpq must read it to go on.
    if (PQconsumeInput(conn_) == 0) return lost(PQerrorMessage(conn_), false);
  }
}

Result<PgConnection::ResultPtr> PgConnection::await(std::int64_t deadline) {
  ResultPtr kept;
  for (;;) {
    while (PQisBusy(conn_) != 0) {
      Status st = waitSocket(false, deadline);
      if (!st.isOk()) return st;
      if (PQconsumeInput(conn_) == 0) return lost(PQerrorMessage(conn_), false);
    }
    ResultPtr next(PQgetResult(conn_));
    if (!next) break;
    // A COPY state never ends by itself (libpq answers the same status to every call): the
    // caller gets it now. copyIn() goes on with COPY_IN; anything else is an unexpected
    // result, which drops the connection.
    const ExecStatusType st = PQresultStatus(next.get());
    if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) return next;
    bool kept_failed = kept && (PQresultStatus(kept.get()) == PGRES_FATAL_ERROR ||
                                PQresultStatus(kept.get()) == PGRES_NONFATAL_ERROR);
    if (!kept_failed) kept = std::move(next);
  }
  if (PQstatus(conn_) == CONNECTION_BAD) {
    std::string why = kept ? PQresultErrorMessage(kept.get()) : PQerrorMessage(conn_);
    return lost(why.empty() ? "the server closed the connection" : why, false);
  }
  if (!kept) return lost("no result from the server", false);
  return kept;
}

Status PgConnection::waitSocket(bool write, std::int64_t deadline) {
  for (;;) {
    std::int64_t left = deadline - monotonicMs();
    if (left <= 0) {
      return lost("no answer within the query timeout of " +
                      std::to_string(options_.query_timeout_ms) + " ms",
                  true);
    }
    pollfd pfd{PQsocket(conn_), static_cast<short>(POLLIN | (write ? POLLOUT : 0)), 0};
    if (pfd.fd < 0) return lost("the connection has no socket", false);
    int n = poll(&pfd, 1, static_cast<int>(left));
    if (n > 0) return Status::ok();  // errors (POLLERR/POLLHUP) surface in libpq's next read
    if (n < 0 && errno != EINTR) return lost(std::string("poll: ") + std::strerror(errno), false);
  }
}

Status PgConnection::resultError(const pg_result* r) {
  const PGresult* res = r;
  const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
  const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
  const char* detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
  std::string fallback;
  if (primary == nullptr) {
    fallback = PQresultErrorMessage(res);
    while (!fallback.empty() && (fallback.back() == '\n' || fallback.back() == ' ')) {
      fallback.pop_back();
    }
  }
  Status st =
      statusForSqlState(state != nullptr ? state : "", primary != nullptr ? primary : fallback,
                        detail != nullptr ? detail : "");
  if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_BAD) return lost(st.message(), false);
  SL_DBG("db_postgres: %s: %s", url_.text.c_str(), st.message().c_str());
  return st;
}

void PgConnection::noteTransactionState() {
  PGTransactionStatusType t = PQtransactionStatus(conn_);
  // ACTIVE (a COPY still open) says nothing of a transaction: what was known stays.
  if (t == PQTRANS_ACTIVE) return;
  in_transaction_ = t == PQTRANS_INTRANS || t == PQTRANS_INERROR;
}

Status PgConnection::begin() {
  transaction_lost_ = false;
  Result<ResultPtr> res = run("BEGIN", nullptr, 0);
  return res.isOk() ? Status::ok() : res.status();
}

Status PgConnection::commit() {
  if (transaction_lost_) {
    transaction_lost_ = false;
    if (stats_ != nullptr) stats_->errors.inc();
    return Status::unavailable("nothing was committed: the connection to " + url_.text +
                               " was lost inside the transaction");
  }
  Result<ResultPtr> res = run("COMMIT", nullptr, 0);
  if (!res.isOk()) return res.status();
  // COMMIT of a transaction in which a statement failed is answered "ROLLBACK", not an error.
  if (std::strcmp(PQcmdStatus(res.value().get()), "ROLLBACK") == 0) {
    if (stats_ != nullptr) stats_->errors.inc();
    return Status::failedPrecondition(
        "the transaction was rolled back: a statement in it had failed");
  }
  return Status::ok();
}

Status PgConnection::rollback() {
  if (transaction_lost_ || conn_ == nullptr) {
    transaction_lost_ = false;  // the server rolled it back when the connection went
    return Status::ok();
  }
  Result<ResultPtr> res = run("ROLLBACK", nullptr, 0);
  return res.isOk() ? Status::ok() : res.status();
}

}  // namespace sipline::pg
