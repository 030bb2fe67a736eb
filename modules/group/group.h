// The group service: whether a user is a member of a group of the grp table
// (scripts/sql/grp.sql), asked of the DB at every call so that a change of the table counts at
// once (as OpenSIPS's db_is_user_in()). The statement is built once from the parameters
// (GroupSql); user, domain and group always travel as $1..$3 parameters.
//
// Life cycle: init() (master) checks the parameters and the table's version on a connection it
// closes; childInit() gives every child its own lazy connection. Every call is bounded by
// db_query_timeout; when the DB fails, isUserIn() says kError (never "member" nor "not a
// member"): db_errors counts it, the outage is logged when it starts, then at most once a
// minute while it lasts, and once when it ends.
//
// Process-private (inherited through fork); nothing in shm but the counters.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/db/db.h"
#include "core/db/outage_log.h"
#include "core/db/schema.h"
#include "core/stats/stats.h"

namespace sipline::group {

inline constexpr int kGrpTableVersion = 1;

struct Config {
  std::string db_url;
  std::string table = "grp";
  std::string user_column = "username";
  std::string domain_column = "domain";
  std::string group_column = "grp";
  bool use_domain = false;
  std::int64_t db_connect_timeout_ms = 1000;
  std::int64_t db_query_timeout_ms = 1000;
};

// invalidArgument naming the parameter: an empty db_url, a table or column that is not an
// SQL identifier.
Status checkConfig(const Config& c);

class GroupSql {
 public:
  explicit GroupSql(const Config& c);
  // Version kGrpTableVersion and the columns queried.
  const db::TableSpec& spec() const { return spec_; }
  const std::string& sql() const { return sql_; }
  // The parameters of sql() (the domain only with use_domain, lower-cased: hosts compare
  // case-insensitively, RFC 3261 §19.1.4).
  std::vector<db::Param> params(std::string_view user, std::string_view domain,
                                std::string_view group) const;

 private:
  bool use_domain_;
  db::TableSpec spec_;
  std::string sql_;
};

struct Counters {
  StatCounter queries;    // statements sent
  StatCounter members;    // answers "member"
  StatCounter db_errors;  // statements that failed (outage, timeout, SQL error)
};

enum class Membership : std::uint8_t { kMember, kNotMember, kError };

using Connector = std::function<Result<std::unique_ptr<db::Connection>>()>;

class Service {
 public:
  Service();
  ~Service();

  Config& config() { return config_; }
  const Config& config() const { return config_; }
  Counters& counters() { return counters_; }

  Status init();
  Status childInit();

  // One statement: is user (@domain with use_domain) in `group`?
  Membership isUserIn(std::string_view user, std::string_view domain, std::string_view group);

  void setConnectorForTest(Connector c) { connector_ = std::move(c); }
  void setClockForTest(std::function<std::int64_t()> clock_ms) { clock_ms_ = std::move(clock_ms); }
  std::uint64_t outageLogLinesForTest() const { return outage_.lines(); }
  const GroupSql* sql() const { return sql_.get(); }

 private:
  void noteDbError(const Status& st);
  void noteDbOk();

  Config config_;
  Counters counters_;
  db::Options db_options_;
  Connector connector_;
  std::function<std::int64_t()> clock_ms_;
  std::unique_ptr<GroupSql> sql_;
  std::unique_ptr<db::Connection> conn_;
  db::OutageLog outage_;
};

}  // namespace sipline::group
