// The avpops DB service: AVPs loaded from, stored to and deleted from a usr_preferences-like
// table, and the script's own parameterised statements (avp_db_query). One statement per
// call, through this process's connection, bounded by db_query_timeout.
//
// Life cycle: tables are declared by the script's call sites at bind (constant names);
// init() (master, before fork) checks the parameters and every table's columns on a
// connection it then closes; childInit() gives every child its own (lazy) connection, so a DB
// that is down when a child starts does not stop it.
//
// A failed statement is kError (never "nothing found"): it is counted in db_errors. An outage
// (kUnavailable: unreachable, timed out) is logged once when it starts, then at most once a
// minute while it lasts, and once when the DB answers again; a statement the server refused
// (SQL or value error) is logged (rate-limited) without starting an outage. Process-private object
// (inherited through fork); nothing in shm.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/db/db.h"
#include "core/db/named_tables.h"
#include "core/db/outage_log.h"
#include "core/script/avp.h"
#include "core/stats/stats.h"
#include "modules/avpops/avp_spec.h"

namespace sipline::avpops {

struct Config {
  std::string db_url;
  std::string avp_table = "usr_preferences";
  std::string uuid_column = "uuid";
  std::string username_column = "username";
  std::string domain_column = "domain";
  std::string attribute_column = "attribute";
  std::string type_column = "type";
  std::string value_column = "value";
  bool use_domain = false;
  std::int64_t db_connect_timeout_ms = 1000;
  std::int64_t db_query_timeout_ms = 500;
};

struct Counters {
  StatCounter db_queries;     // statements sent
  StatCounter db_errors;      // statements that failed (outage, timeout, SQL error)
  StatCounter loaded_values;  // AVP values loaded (avp_db_load, avp_db_query)
  StatCounter bad_rows;       // rows skipped (an integer-typed value that is not an integer)
};

// Values kept per attribute and statement: a bound on what one call may load or store.
inline constexpr std::size_t kMaxValues = 64;

// Outcome of a DB operation: n >= 0 values/rows, or kError.
inline constexpr int kError = -1;

using Connector = std::function<Result<std::unique_ptr<db::Connection>>()>;

class Service {
 public:
  Service();
  ~Service();

  Config& config() { return config_; }
  Counters& counters() { return counters_; }

  // Bind time: the table of that name ("" = avp_table), declared once; invalidArgument unless
  // an SQL identifier, failedPrecondition for a new name after init().
  Result<std::string> table(std::string_view name);
  // Bind time: a call site will send its own statements (avp_db_query).
  void useQueries() { uses_db_ = true; }
  // Bind time: db_url is set and parses.
  Status checkUrl() const;

  Status init();
  Status childInit();

  // Loads the values of `attribute` (nullopt: every attribute, each into the AVP of its
  // name) of `key` into avps; attribute values go to $avp(avp_name). Rows in id order, so the
  // last row is $avp(name)[0]. Returns the number of values loaded, or kError.
  int load(const std::string& table, const RowKey& key, const std::optional<std::string>& attribute,
           const std::string& avp_name, script::AvpStore& avps);
  // Inserts one row per value (integers with type 1, strings with type 0). The number of
  // rows, or kError.
  int store(const std::string& table, const RowKey& key, const std::string& attribute,
            const std::vector<script::Value>& values);
  // Deletes the rows of `attribute` (nullopt: every attribute) of key. The number, or kError.
  int remove(const std::string& table, const RowKey& key,
             const std::optional<std::string>& attribute);
  // A script statement with its parameters. Without a result (dest empty) its rows are not
  // read. With dest, column i of every row is pushed to $avp(dest[i]) so that the first row
  // ends up as [0]; NULL cells are skipped; columns beyond dest are ignored. The number of
  // rows, or kError.
  int query(const std::string& sql, const std::vector<db::Param>& params,
            const std::vector<std::string>& dest, script::AvpStore& avps);

  // An outage (the DB unreachable or not answering in time) is going on, as far as this
  // process knows; a statement the server refused is no outage.
  bool inOutage() const { return outage_.down(); }

  void setConnectorForTest(Connector c) { connector_ = std::move(c); }

 private:
  // WHERE clause of key (params appended); "" when the key matches nothing.
  std::string whereOf(const RowKey& key, std::vector<db::Param>& params) const;
  Result<db::Rows> run(const std::string& sql, const std::vector<db::Param>& params, bool rows);
  void noteDbError(const Status& st);
  void noteDbOk();

  Config config_;
  Counters counters_;
  db::NamedTables<std::string> tables_{"avpops"};
  bool uses_db_ = false;
  db::Options db_options_;
  std::unique_ptr<db::Connection> conn_;
  Connector connector_;
  db::OutageLog outage_;
};

}  // namespace sipline::avpops
