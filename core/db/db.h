// The DB API: what a module needs to talk to a database, independent of the engine. A driver
// module (db_postgres) registers a Driver for its URL scheme; a consumer module (usrloc,
// auth_db, acc) parses its db_url parameter at describe/params time, and in every process
// that needs the DB opens ONE Connection in childInit() (never in the master before fork: a
// connection must not be shared by two processes).
//
// Statements are parameterised only ($1, $2, ... with typed Params; no SQL text is ever built
// from data), prepared once per connection and cached by their text. Every call is bounded by
// the query timeout; a connection that failed or timed out is dropped and reopened by the next
// call after a back-off (doubling from reconnect_min_ms to reconnect_max_ms), and calls made
// during the back-off fail at once with Code::kUnavailable: a DB outage costs a worker
// microseconds per call, never a stuck process. Errors are Status values, never exceptions.
//
// Not shm-safe: Connection objects live in one process.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/base/status.h"

namespace sipline::db {

// postgres://user:pass@host:port/dbname (user, pass, port optional; percent-escapes decoded).
struct DbUrl {
  std::string scheme;  // "postgres" ("postgresql" is accepted and normalised)
  std::string user;
  std::string password;
  std::string host;
  std::uint16_t port = 0;  // 0: the driver's default
  std::string database;
  std::string text;  // the URL with the password replaced by "***", for logs and errors
};
Result<DbUrl> parseDbUrl(std::string_view url);

struct Options {
  int connect_timeout_ms = 3000;
  int query_timeout_ms = 2000;   // per statement, including the wait for the server
  int reconnect_min_ms = 500;    // first back-off after a failure
  int reconnect_max_ms = 30000;  // back-off cap
};

// A statement parameter. std::monostate is SQL NULL; text is sent as-is (no quoting needed).
using Param = std::variant<std::monostate, std::int64_t, double, bool, std::string>;

// A query's rows; cells are text as the server sent it (NULL is std::nullopt). Typed getters
// return false when the cell is NULL or does not convert.
class Rows {
 public:
  Rows() = default;
  Rows(std::vector<std::string> columns, std::vector<std::vector<std::optional<std::string>>> cells)
      : columns_(std::move(columns)), cells_(std::move(cells)) {}

  std::size_t size() const { return cells_.size(); }
  bool empty() const { return cells_.empty(); }
  const std::vector<std::string>& columns() const { return columns_; }
  // Column index by name, -1 if absent.
  int column(std::string_view name) const;

  bool isNull(std::size_t row, int col) const;
  std::optional<std::string_view> text(std::size_t row, int col) const;
  bool getInt(std::size_t row, int col, std::int64_t& out) const;
  bool getDouble(std::size_t row, int col, double& out) const;
  bool getBool(std::size_t row, int col, bool& out) const;  // t/f, true/false, 1/0

 private:
  std::vector<std::string> columns_;
  std::vector<std::vector<std::optional<std::string>>> cells_;
};

class Connection {
 public:
  virtual ~Connection() = default;
  // A statement returning rows.
  virtual Result<Rows> query(std::string_view sql, std::initializer_list<Param> params = {}) = 0;
  virtual Result<Rows> query(std::string_view sql, const std::vector<Param>& params) = 0;
  // A statement returning no rows: the number of rows it affected.
  virtual Result<std::int64_t> exec(std::string_view sql,
                                    std::initializer_list<Param> params = {}) = 0;
  virtual Result<std::int64_t> exec(std::string_view sql, const std::vector<Param>& params) = 0;
  // Bulk load: runs `copy_sql` ("COPY t (a, b) FROM STDIN") and sends it `data`, rows in
  // PostgreSQL's COPY text format (fields joined by tabs, each made by appendCopyText() from
  // db_text.h, a newline after each row); the rows loaded. All or nothing: a row the server
  // refuses fails the call and loads none. Far cheaper per row than a many-row INSERT (no
  // parameter per value). Drivers without it answer kUnsupported.
  virtual Result<std::int64_t> copyIn(std::string_view copy_sql, std::string_view data) {
    (void)copy_sql;
    (void)data;
    return Status::unsupported("this DB driver has no COPY");
  }
  // BEGIN/COMMIT/ROLLBACK (a failed commit rolls back).
  virtual Status begin() = 0;
  virtual Status commit() = 0;
  virtual Status rollback() = 0;
  // Open right now (false while down or backing off); does not connect.
  virtual bool connected() const = 0;
  // Connects now if down and the back-off allows; the result of that attempt.
  virtual Status ensureConnected() = 0;
  virtual const DbUrl& url() const = 0;
};

class Driver {
 public:
  virtual ~Driver() = default;
  virtual const char* scheme() const = 0;  // "postgres"
  // Makes a connection object; connects lazily (first call or ensureConnected()), so it
  // succeeds while the server is down. Fails only for an unusable URL/options.
  virtual Result<std::unique_ptr<Connection>> open(const DbUrl& url, const Options& options) = 0;
};

// The drivers of this process, registered by driver modules in describe() (pure data: a
// pointer to a static driver object). Consumers look them up by the URL's scheme.
void registerDriver(Driver* driver);
Driver* findDriver(std::string_view scheme);
// parseDbUrl + findDriver + open; kNotFound names the module to load for the scheme.
Result<std::unique_ptr<Connection>> openUrl(std::string_view url, const Options& options);

}  // namespace sipline::db
