// The alias_db service: one DB query per lookup in an alias table (scripts/sql/dbaliases.sql),
// from alias_username@alias_domain to the subscriber's username@domain, or back (reverse).
// No cache: every call asks the DB, bounded by db_query_timeout (core/db backs off between
// reconnects, so a dead DB costs a call microseconds once it is known down).
//
// Life cycle: tables are declared by the script's call sites at bind (constant names only);
// init() (master, before fork) checks the parameters and every table's schema (version 1 and
// the four columns) on a connection it closes; childInit() gives every child its own lazy
// connection. A DB failure is kError: db_errors counts it and the outage is logged when it
// starts (then at most once a minute while it lasts) and when it ends.
// Process-private object (inherited through fork).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/db/db.h"
#include "core/db/named_tables.h"
#include "core/db/outage_log.h"
#include "core/stats/stats.h"
#include "modules/alias_db/alias_db_config.h"

namespace sipline::alias_db {

struct Counters {
  StatCounter lookups;    // queries sent
  StatCounter not_found;  // queries that found no row
  StatCounter db_errors;  // queries that failed (outage, timeout, SQL error)
};

// An alias table named by the script. Its statements are made by init().
class Table {
 public:
  explicit Table(std::string name) : name_(std::move(name)) {}
  const std::string& name() const { return name_; }

 private:
  friend class Service;
  std::string name_;
  std::string sql_[2][2];  // [reverse][use domain]
};

// One match: user and domain of the other side ("" when the row's domain is empty).
struct Target {
  std::string user;
  std::string domain;
};

enum class Lookup : std::uint8_t { kFound, kNotFound, kError };

using Connector = std::function<Result<std::unique_ptr<db::Connection>>()>;

class Service {
 public:
  Service();
  ~Service();

  Config& config() { return config_; }
  const Config& config() const { return config_; }
  Counters& counters() { return counters_; }

  // Bind time: the table of that name (declared once). invalidArgument unless the name is an
  // SQL name; failedPrecondition for a new name after init().
  Result<Table*> table(std::string_view name);

  // Master, before fork. Errors refuse the start.
  Status init();
  // Every child: this process's (lazy) connection.
  Status childInit();

  // The rows of `t` matching user (and domain unless `flags.no_domain` or use_domain is off):
  // by alias for a forward lookup, by subscriber for a reverse one; at most `max` of them, in
  // a stable order. `domain` is compared lower case after domain_prefix is stripped.
  Lookup find(Table& t, std::string_view user, std::string_view domain, const Flags& flags,
              std::size_t max, std::vector<Target>& out);

  // The domain as looked up: lower case, domain_prefix removed when it starts with it.
  std::string lookupDomain(std::string_view host) const;

  void setConnectorForTest(Connector c) { connector_ = std::move(c); }
  void setClockForTest(std::function<std::int64_t()> clock_ms) { clock_ms_ = std::move(clock_ms); }
  std::uint64_t outageLogLinesForTest() const { return outage_.lines(); }

 private:
  void noteDbError(const Status& st, const Table& t);
  void noteDbOk();

  Config config_;
  Counters counters_;
  db::NamedTables<Table> tables_{"alias_db"};
  db::Options db_options_;
  std::unique_ptr<db::Connection> conn_;
  Connector connector_;
  std::function<std::int64_t()> clock_ms_;
  db::OutageLog outage_;
};

}  // namespace sipline::alias_db
