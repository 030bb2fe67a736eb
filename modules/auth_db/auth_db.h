// The auth_db service: subscriber rows by (user, domain), through the shm credential cache and
// this process's DB connection. What the script commands (authorize.h, uri_checks.h) and the
// MI (auth_db_mi.h) use.
//
// Life cycle: tables are declared by the script's call sites at bind (constant names); init()
// (master, before fork) checks the parameters, checks every table's schema on a connection it
// then closes, and makes the cache in shm; childInit() gives every child its own connection
// (lazy: it connects at the first statement, so a DB that is down does not stop a child).
//
// DB failures fail closed: lookup() says kError (never "found"), the outage is logged once per
// process when it starts (then at most once a minute while it lasts) and once when it ends,
// and db_errors counts every failed statement. The DB API bounds each call by db_query_timeout and
// backs off between reconnects, so a dead DB costs a worker microseconds per request. A fresh cache
// entry still answers while the DB is down: that is what the cache is for.
//
// Process-private object (inherited through fork); the cache lives in shm.
#pragma once

#include <array>
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
#include "core/proc/process_info.h"
#include "core/shm/segment.h"
#include "core/stats/stats.h"
#include "modules/auth_db/auth_db_config.h"
#include "modules/auth_db/credential_cache.h"
#include "modules/auth_db/subscriber_sql.h"

namespace sipline::auth_db {

struct Counters {
  CacheCounters cache;
  StatCounter db_lookups;  // statements sent (row fetches and existence checks)
  StatCounter db_errors;   // statements that failed (outage, timeout, SQL error)
};

// A subscriber table named by the script.
class Table {
 public:
  explicit Table(std::string name) : name_(std::move(name)) {}
  const std::string& name() const { return name_; }
  const SubscriberSql* sql() const { return sql_.get(); }  // null before init()

 private:
  friend class Service;
  std::string name_;
  std::unique_ptr<SubscriberSql> sql_;
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
  // SQL identifier; failedPrecondition for a new name after init().
  Result<Table*> table(std::string_view name);
  const db::NamedTables<Table>& tables() const { return tables_; }
  const std::vector<LoadedColumn>& loadedColumns() const { return loaded_; }

  // Master, before fork. Errors refuse the start. `sm` may be null when the cache is off.
  Status init(shm::SegmentManager* sm);
  // Every child: this process's (lazy) connection.
  Status childInit(const ProcessInfo& proc);

  // The row of (user, domain) of `t`: the cache first (fresh entries only), else the DB; a
  // row read from the DB is cached for cache_ttl, a "no such row" for negative_cache_ttl
  // (capped by cache_ttl; 0: never), unless a flush ran during the fetch. kError when the DB
  // failed (counted, logged per outage).
  Lookup lookup(Table& t, std::string_view user, std::string_view domain, SubscriberRow& out);
  // Whether (user, domain) is a subscriber of `t`: a cached row says yes, a cached "no such
  // row" no, else the DB (a "no" is cached as lookup() does).
  Lookup exists(Table& t, std::string_view user, std::string_view domain);

  // Removes the cached entries (rows and "no such row") of user@domain in every table
  // (without use_domain, those of the user), or everything when user is nullopt; voids the
  // puts of lookups in flight. How many.
  std::uint64_t flushCache(std::optional<std::string_view> user, std::string_view domain);
  CredentialCache* cache() { return cache_.get(); }

  // An HA1 for `a` that nobody knows (random per process): postAuth() runs on it for an
  // unknown user, so that user costs what a wrong password costs.
  const std::string& decoyHa1(crypto::DigestAlgorithm a);

  void setConnectorForTest(Connector c) { connector_ = std::move(c); }
  void setClockForTest(std::function<std::int64_t()> clock_ms) { clock_ms_ = std::move(clock_ms); }
  db::Connection* connection() const { return conn_.get(); }
  bool dbDownForTest() const { return outage_.down(); }
  std::uint64_t outageLogLinesForTest() const { return outage_.lines(); }

 private:
  std::string cacheKey(const Table& t, std::string_view user, std::string_view domain) const;
  std::string pack(const SubscriberRow& row) const;
  std::int64_t negativeTtlMs() const;
  // A fresh cache entry of key: true with `result` (kFound, unpacked into *out when not null;
  // kNotFound for a cached "no such row"); false on a miss.
  bool cachedLookup(const std::string& key, SubscriberRow* out, Lookup& result);
  void cacheNotFound(const std::string& key, std::uint64_t generation);
  bool unpack(std::string_view payload, SubscriberRow& row) const;
  void noteDbError(const Status& st, const Table& t);
  void noteDbOk();

  Config config_;
  Counters counters_;
  db::NamedTables<Table> tables_{"auth_db"};
  std::vector<LoadedColumn> loaded_;
  db::Options db_options_;
  std::unique_ptr<CredentialCache> cache_;
  std::unique_ptr<db::Connection> conn_;
  Connector connector_;
  std::function<std::int64_t()> clock_ms_;
  db::OutageLog outage_;  // as this process saw the DB fail and recover
  std::array<std::string, crypto::kDigestAlgorithmCount> decoy_;
};

}  // namespace sipline::auth_db
