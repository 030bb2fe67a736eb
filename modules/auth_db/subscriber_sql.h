// The statements auth_db sends for one subscriber table, built once from the parameters (column
// and table names are checked identifiers; user and domain always travel as $1/$2 parameters),
// and the schema the table must have. A row comes back as a SubscriberRow: the HA1 of each
// algorithm (or the plain password with calculate_ha1) and the load_credentials values.
// Domains compare case-insensitively (host names, RFC 3261 §19.1.4); users exactly.
// Process-private; stateless apart from the SQL texts.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/crypto/digest.h"
#include "core/db/db.h"
#include "core/db/schema.h"
#include "modules/auth_db/auth_db_config.h"

namespace sipline::auth_db {

inline constexpr int kSubscriberTableVersion = 1;

struct SubscriberRow {
  // Indexed by crypto::DigestAlgorithm; "" when the column is empty or NULL (or not read, with
  // calculate_ha1).
  std::array<std::string, crypto::kDigestAlgorithmCount> ha1;
  std::string password;                           // only with calculate_ha1
  std::vector<std::optional<std::string>> extra;  // load_credentials values, in their order
};

class SubscriberSql {
 public:
  SubscriberSql(std::string table, const Config& config, std::vector<LoadedColumn> extra);

  const std::string& table() const { return table_; }
  // What checkTable() verifies: version row kSubscriberTableVersion and every column queried.
  db::TableSpec spec() const;

  // The row of (user, domain) (domain ignored without use_domain: the first row of that user
  // by domain). nullopt when there is none; the DB's Status on failure.
  Result<std::optional<SubscriberRow>> fetch(db::Connection& conn, std::string_view user,
                                             std::string_view domain) const;
  // Whether (user, domain) has a row.
  Result<bool> exists(db::Connection& conn, std::string_view user, std::string_view domain) const;

  const std::string& fetchSqlForTest() const { return fetch_sql_; }

 private:
  std::vector<db::Param> params(std::string_view user, std::string_view domain) const;

  std::string table_;
  bool use_domain_;
  bool calculate_ha1_;
  std::vector<std::string> columns_;  // queried, in SELECT order
  std::size_t extra_count_;
  std::string fetch_sql_;
  std::string exists_sql_;
};

}  // namespace sipline::auth_db
