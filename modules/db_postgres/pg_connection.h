// PgConnection: one libpq connection of one process, behind the db::Connection interface.
//
// Nothing here blocks longer than the caller's Options allow: the connection is made with
// PQconnectStartParams/PQconnectPoll and poll() bounded by connect_timeout_ms, and every
// statement is sent without blocking (PQsendPrepare once per SQL text on this connection, then
// PQsendQueryPrepared) and awaited with poll() bounded by query_timeout_ms. The server is also
// told the same limit (statement_timeout), so it abandons what we gave up on.
//
// Failure rules:
//  * a statement that times out is cancelled (PQcancel in a detached helper thread, since
//    libpq 15 has no non-blocking cancel; the caller never waits for it) and the connection
//    is dropped; a connection that breaks while a statement runs is dropped; the call fails
//    with kUnavailable in both cases and is never retried, so a write is never applied twice;
//  * a connection found closed while idle (server restart) is reopened at once, since no
//    statement was sent on it;
//  * after a drop or a failed attempt the next attempt waits a back-off that doubles from
//    reconnect_min_ms to reconnect_max_ms (reset by a success); calls during the back-off fail
//    at once with kUnavailable;
//  * an SQL error (constraint, syntax, ...) fails only that call (see pg_values.h for codes)
//    and keeps the connection;
//  * a connection lost inside begin()..commit() fails every call with kUnavailable until
//    rollback() or commit() (which reports that nothing was committed), so a half-done
//    transaction is never continued in autocommit mode on a new connection.
//
// copyIn() runs COPY ... FROM STDIN under the same rules: its data is sent without blocking
// (libpq buffers it), and the whole load is one statement, done or not.
//
// Not thread-safe and not shareable across fork(): the object refuses use from another
// process than the one that created it. Process-private memory only.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "core/db/db.h"
#include "core/stats/stats.h"

struct pg_conn;
struct pg_result;

namespace sipline::pg {

// db_postgres statistics (module-wide, counted by every connection of every process).
struct PgStats {
  StatCounter queries;     // statements run (including begin/commit/rollback)
  StatCounter errors;      // calls that failed (SQL errors, timeouts, unavailable)
  StatCounter reconnects;  // connections made again after a loss or failure
};

class PgConnection final : public db::Connection {
 public:
  // Distinct SQL texts kept prepared per connection; more run as the unnamed statement.
  static constexpr std::size_t kMaxPreparedStatements = 512;

  // `stats` may be null (tests); it must outlive the connection.
  PgConnection(db::DbUrl url, const db::Options& options, PgStats* stats);
  ~PgConnection() override;
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Defaults repeated from db::Connection, so that calls through this type may omit them.
  Result<db::Rows> query(std::string_view sql,
                         std::initializer_list<db::Param> params = {}) override;
  Result<db::Rows> query(std::string_view sql, const std::vector<db::Param>& params) override;
  Result<std::int64_t> exec(std::string_view sql,
                            std::initializer_list<db::Param> params = {}) override;
  Result<std::int64_t> exec(std::string_view sql, const std::vector<db::Param>& params) override;
  Result<std::int64_t> copyIn(std::string_view copy_sql, std::string_view data) override;
  Status begin() override;
  Status commit() override;
  Status rollback() override;
  bool connected() const override;
  Status ensureConnected() override;
  const db::DbUrl& url() const override { return url_; }

  // Statements prepared on the current connection (tests check the cache is used).
  std::size_t preparedCountForTest() const { return statements_.size(); }
  // The back-off the next failure will wait.
  int nextBackoffMsForTest() const { return backoff_ms_; }

 private:
  struct ResultDeleter {
    void operator()(pg_result* r) const;
  };
  using ResultPtr = std::unique_ptr<pg_result, ResultDeleter>;

  Result<ResultPtr> run(std::string_view sql, const db::Param* params, std::size_t count);
  Result<ResultPtr> runUnchecked(std::string_view sql, const db::Param* params, std::size_t count);
  Result<db::Rows> queryImpl(std::string_view sql, const db::Param* params, std::size_t count);
  Result<std::int64_t> execImpl(std::string_view sql, const db::Param* params, std::size_t count);

  Result<std::int64_t> copyInUnchecked(std::string_view copy_sql, std::string_view data);
  // Checks every statement passes first: this process's connection, no transaction lost.
  Status mayRun() const;
  // Ready to send: connected (reconnecting now if the back-off allows) and healthy.
  Status usable();
  Status connect();
  bool idleConnectionAlive();
  // Closes the connection; with `backoff`, the next attempt waits the back-off.
  void close(bool backoff);
  // A statement could not complete: logs, cancels when asked, closes with back-off.
  Status lost(const std::string& why, bool cancel);
  void scheduleRetry();
  void startCancel();

  // The prepared statement's name for `sql`, preparing it first if this connection has not.
  Result<std::string> prepared(const std::string& sql, const db::Param* params, std::size_t count,
                               std::int64_t deadline);
  // Sends what libpq buffered; waits for the socket within the deadline.
  Status flush(std::int64_t deadline);
  // Collects the results of the statement in flight: the first error, else the last result;
  // a COPY state's result as soon as it comes.
  Result<ResultPtr> await(std::int64_t deadline);
  // Waits until the socket is readable (or writable, with `write`); on timeout or a socket
  // error the connection is lost (see lost()) and the result is kUnavailable.
  Status waitSocket(bool write, std::int64_t deadline);
  // A failed result as a Status; a lost connection drops it.
  Status resultError(const pg_result* r);
  void noteTransactionState();

  db::DbUrl url_;
  db::Options options_;
  PgStats* stats_;
  pg_conn* conn_ = nullptr;
  pid_t owner_pid_;
  std::unordered_map<std::string, std::string> statements_;  // SQL text -> statement name
  std::uint64_t statement_seq_ = 0;
  std::int64_t retry_at_ms_ = 0;  // monotonic; 0: may connect now
  int backoff_ms_;
  int failed_attempts_ = 0;
  bool ever_connected_ = false;
  std::string last_error_;
  bool in_transaction_ = false;
  bool transaction_lost_ = false;
};

}  // namespace sipline::pg
