// The permissions service: the address table of PostgreSQL (scripts/sql/address.sql) loaded
// into the AddressStore, and the checks the script commands run against it.
//
// Life cycle: init() (master, before fork) checks the parameters and the table's version on a
// connection it closes again, loads the rows and publishes them; a wrong table (version,
// columns) refuses the start. A DB that cannot be reached (kUnavailable) does not: the server
// starts with an EMPTY table (every check fails), logs it, counts it in reload_errors and arms
// a background retry (core/db/load_retry.h: 1 s doubling to 30 s) that runLoader() runs in a
// process of its own (forked only then) until one load succeeds (or an address_reload
// loaded the table first); signalling never waits for the DB. reload() (MI address_reload, in
// the MI process) reads the table again on a connection opened for it and closed after it, and
// publishes the new rows; on any DB error the published rows stay and the error is returned. Bad
// rows are skipped with a log line at every load. The checks never touch the DB.
//
// Process-private object (inherited through fork); the rows live in shm (address_store.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/db/db.h"
#include "core/db/load_retry.h"
#include "core/shm/segment.h"
#include "core/stats/stats.h"
#include "modules/permissions/address_rule.h"
#include "modules/permissions/address_store.h"

namespace sipline::permissions {

struct Config {
  std::string db_url;
  std::string address_table = "address";
  std::int64_t db_connect_timeout_ms = 2000;
  std::int64_t db_query_timeout_ms = 5000;  // a reload reads the whole table
  // allow_routing() (route_rules.h)
  std::string default_allow_file = "permissions.allow";
  std::string default_deny_file = "permissions.deny";
  std::string allow_suffix = ".allow";
  std::string deny_suffix = ".deny";
  bool check_all_branches = true;
};

struct Counters {
  StatCounter entries;        // rules in the published table (gauge)
  StatCounter checks;         // address checks run
  StatCounter matches;        // checks that found a rule
  StatCounter reloads;        // successful loads (start included)
  StatCounter reload_errors;  // loads that failed (the previous table stayed)
  StatCounter bad_rows;       // rows skipped by the loads
};

using Connector = std::function<Result<std::unique_ptr<db::Connection>>()>;

// The columns read, in AddressRow order.
inline constexpr const char* kAddressColumns[] = {"id",   "grp",   "ip",      "mask",
                                                  "port", "proto", "pattern", "context_info"};
inline constexpr int kAddressTableVersion = 1;

// Reads every row of `table`; a row with a NULL or non-numeric number is skipped (logged,
// counted in *skipped). Errors of the statement are returned as they are.
Result<std::vector<AddressRow>> readAddressRows(db::Connection& conn, const std::string& table,
                                                std::uint64_t* skipped);

class Service {
 public:
  Service();
  ~Service();

  Config& config() { return config_; }
  Counters& counters() { return counters_; }

  Status init(shm::SegmentManager* sm);
  // Whether the start found the DB down and no load succeeded since (in this process's view:
  // the master asks it to decide whether to fork the loader process).
  bool loadPending() const { return retry_.armed(); }
  // The loader process's body (db::runLoaderProcess()): retries until loaded, then idles.
  int runLoader();
  // One step of it: when a retry is due, loads the table on a connection of its own (schema
  // check included) and publishes it. Tests drive it with made-up times.
  void retryTick(std::int64_t now_ms);
  const db::LoadRetry& retry() const { return retry_; }
  // Reads the table again and publishes it: the number of rules published, or the error
  // (the previous table stays; reload_errors counted, logged).
  Result<std::size_t> reload();
  // Rows the last successful load of this process skipped (address_reload's answer; the
  // bad_rows counter sums every load).
  std::uint64_t lastBadRows() const { return last_bad_rows_; }

  // The set every check of this process searches now (empty before init()).
  std::shared_ptr<const AddressSet> addresses();
  // A check, counted in checks/matches: the first matching rule or nullptr. The rule stays
  // valid while `hold` (set to the searched set) is kept.
  const AddressRule* check(const AddressQuery& q, std::shared_ptr<const AddressSet>& hold);

  void setConnectorForTest(Connector c) { connector_ = std::move(c); }

 private:
  // Loads through `conn` and publishes; counts and logs the outcome.
  Result<std::size_t> load(db::Connection& conn, const char* why);
  // The version and columns of the table: kUnavailable when the DB cannot be reached.
  Status checkSchema(db::Connection& conn);
  // One background attempt: true when the table is loaded (here or by an address_reload).
  bool retryLoad();

  Config config_;
  Counters counters_;
  db::Options db_options_;
  Connector connector_;
  std::unique_ptr<AddressStore> store_;
  std::uint64_t last_bad_rows_ = 0;
  db::LoadRetry retry_;  // armed by init() when the DB was down; ticked in the loader
};

}  // namespace sipline::permissions
