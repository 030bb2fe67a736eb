// Connecting a PgConnection without blocking, the reconnect back-off, dropping a connection
// and the fire-and-forget cancel of a statement that timed out (see pg_connection.h).
#include <arpa/inet.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "modules/db_postgres/pg_connection.h"

namespace sipline::pg {
namespace {

bool isIpLiteral(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// Server notices (a WARNING such as "there is no transaction in progress") go to the debug
// log instead of libpq's default, stderr.
void logNotice(void* /*arg*/, const char* message) {
  std::string_view text(message);
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  SL_DBG("db_postgres: server notice: %.*s", SL_SV(text));
}

std::string trimmed(const char* message) {
  std::string s(message != nullptr ? message : "");
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s.empty() ? "unknown error" : s;
}

// Cancels still running (blocked on a hung server); one at a time per process is plenty.
std::atomic<int> cancels_in_flight{0};

}  // namespace

bool PgConnection::connected() const {
  return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK;
}

Status PgConnection::ensureConnected() {
  if (getpid() != owner_pid_) {
    return Status::internal("db_postgres: connection used by another process than its opener");
  }
  return usable();
}

Status PgConnection::usable() {
  if (conn_ != nullptr) {
    if (idleConnectionAlive()) return Status::ok();
    // Closed while idle (server restart, idle timeout): nothing of ours was in flight, so
    // reconnecting at once is safe.
    SL_ERR_RATELIMITED("db_postgres: the server closed the idle connection to %s: %s",
                       url_.text.c_str(), trimmed(PQerrorMessage(conn_)).c_str());
    close(false);  // marks a transaction in progress as lost
    if (transaction_lost_) {
      return Status::unavailable("the connection to " + url_.text +
                                 " was lost inside a transaction, which the server rolled back");
    }
  }
  std::int64_t now = monotonicMs();
  if (now < retry_at_ms_) {
    return Status::unavailable(url_.text + " is unavailable (next attempt in " +
                               std::to_string(retry_at_ms_ - now) + " ms): " + last_error_);
  }
  return connect();
}

bool PgConnection::idleConnectionAlive() {
  if (PQstatus(conn_) != CONNECTION_OK) return false;
  pollfd pfd{PQsocket(conn_), POLLIN, 0};
  if (pfd.fd < 0) return false;
  // Something arriving while idle is a notice, or the server's goodbye (a FATAL message) and
  // then EOF, which libpq notices only on a further read: read while there is anything.
  for (int reads = 0; reads < 8; ++reads) {
    if (poll(&pfd, 1, 0) <= 0) return true;  // nothing (more): as alive as we can tell
    if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK) return false;
    while (PGresult* stray = PQgetResult(conn_)) PQclear(stray);
  }
  return PQstatus(conn_) == CONNECTION_OK;
}

Status PgConnection::connect() {
  std::vector<const char*> keys;
  std::vector<const char*> values;
  // Values must outlive PQconnectStartParams: members, locals below, or literals.
  auto add = [&](const char* k, const char* v) {
    if (*v == '\0') return;  // libpq's default
    keys.push_back(k);
    values.push_back(v);
  };
  std::string port = url_.port != 0 ? std::to_string(url_.port) : "";
  // The server enforces the same limit, so it stops what we stop waiting for.
  std::string server_options = "-c statement_timeout=" + std::to_string(options_.query_timeout_ms);
  add("host", url_.host.c_str());
  // A literal address is used as is; a name is resolved by libpq (blocking getaddrinfo).
  if (isIpLiteral(url_.host)) add("hostaddr", url_.host.c_str());
  add("port", port.c_str());
  add("dbname", url_.database.c_str());
  add("user", url_.user.c_str());
  add("password", url_.password.c_str());
  add("application_name", "sipline");
  add("client_encoding", "UTF8");
  add("gssencmode", "disable");  // no Kerberos probing on connect
  add("options", server_options.c_str());
  keys.push_back(nullptr);
  values.push_back(nullptr);

  // A connect is part of some call: it must not make that call wait longer than a statement
  // may (a frozen server accepts TCP and never answers the startup).
  const int wait_ms = std::min(options_.connect_timeout_ms, options_.query_timeout_ms);
  std::int64_t deadline = monotonicMs() + wait_ms;
  conn_ = PQconnectStartParams(keys.data(), values.data(), 0);
  std::string error;
  if (conn_ == nullptr) {
    error = "out of memory";
  } else if (PQstatus(conn_) == CONNECTION_BAD) {
    error = trimmed(PQerrorMessage(conn_));
  } else {
    PostgresPollingStatusType state = PGRES_POLLING_WRITING;
    while (state != PGRES_POLLING_OK && state != PGRES_POLLING_FAILED) {
      std::int64_t left = deadline - monotonicMs();
      if (left <= 0) {
        error = "no answer within the connect timeout of " + std::to_string(wait_ms) + " ms";
        break;
      }
      // The socket may change between calls (another address, SSL retry).
      pollfd pfd{PQsocket(conn_),
                 static_cast<short>(state == PGRES_POLLING_READING ? POLLIN : POLLOUT), 0};
      if (pfd.fd < 0) {
        error = "libpq gave no socket while connecting";
        break;
      }
      int n = poll(&pfd, 1, static_cast<int>(left));
      if (n < 0 && errno != EINTR) {
        error = std::string("poll: ") + std::strerror(errno);
        break;
      }
      if (n > 0) state = PQconnectPoll(conn_);
    }
    if (error.empty() && state == PGRES_POLLING_FAILED) error = trimmed(PQerrorMessage(conn_));
  }
  if (error.empty() && PQsetnonblocking(conn_, 1) != 0) error = trimmed(PQerrorMessage(conn_));
  if (!error.empty()) {
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = nullptr;
    last_error_ = error;
    ++failed_attempts_;
    int wait = backoff_ms_;
    scheduleRetry();
    SL_ERR_RATELIMITED("db_postgres: cannot connect to %s: %s (next attempt in %d ms)",
                       url_.text.c_str(), error.c_str(), wait);
    return Status::unavailable("cannot connect to " + url_.text + ": " + error);
  }
  PQsetNoticeProcessor(conn_, &logNotice, nullptr);
  static LogRateLimit connect_log;
  if (connect_log.allow()) {
    if (ever_connected_) {
      SL_NOTICE("db_postgres: reconnected to %s after %d failed attempt(s)", url_.text.c_str(),
                failed_attempts_);
    } else {
      SL_INFO("db_postgres: connected to %s", url_.text.c_str());
    }
  }
  if (ever_connected_ && stats_ != nullptr) stats_->reconnects.inc();
  ever_connected_ = true;
  failed_attempts_ = 0;
  backoff_ms_ = options_.reconnect_min_ms;
  retry_at_ms_ = 0;
  last_error_.clear();
  in_transaction_ = false;
  return Status::ok();
}

void PgConnection::scheduleRetry() {
  retry_at_ms_ = monotonicMs() + backoff_ms_;
  backoff_ms_ = std::min(backoff_ms_ * 2, options_.reconnect_max_ms);
  backoff_ms_ = std::max(backoff_ms_, options_.reconnect_min_ms);
}

void PgConnection::close(bool backoff) {
  if (conn_ != nullptr) {
    PQfinish(conn_);  // non-blocking: the Terminate message is dropped if it cannot go out
    conn_ = nullptr;
  }
  statements_.clear();
  if (in_transaction_) transaction_lost_ = true;
  in_transaction_ = false;
  if (backoff) scheduleRetry();
}

Status PgConnection::lost(const std::string& why, bool cancel) {
  std::string reason = trimmed(why.c_str());
  if (in_transaction_) reason += " (inside a transaction, which the server rolled back)";
  if (cancel && conn_ != nullptr) startCancel();
  last_error_ = reason;
  int wait = backoff_ms_;
  close(true);
  SL_ERR_RATELIMITED("db_postgres: connection to %s lost: %s (next attempt in %d ms)",
                     url_.text.c_str(), reason.c_str(), wait);
  return Status::unavailable(url_.text + ": " + reason);
}

void PgConnection::startCancel() {
  if (cancels_in_flight.load() > 0) return;  // the server keeps statement_timeout anyway
  PGcancel* cancel = PQgetCancel(conn_);
  if (cancel == nullptr) return;
  cancels_in_flight.fetch_add(1);
  // The helper takes no signal: the process's handlers and ppoll() masks stay the main
  // thread's business.
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  try {
    std::thread([cancel] {
      char err[256];
      PQcancel(cancel, err, sizeof err);  // blocks while the server hangs; nobody waits on it
      PQfreeCancel(cancel);
      cancels_in_flight.fetch_sub(1);
    }).detach();
  } catch (const std::exception&) {
    PQfreeCancel(cancel);
    cancels_in_flight.fetch_sub(1);
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

}  // namespace sipline::pg
