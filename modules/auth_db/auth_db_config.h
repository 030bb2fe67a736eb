// auth_db's parameters and their checks: column names (SQL identifiers, since they are written
// into the statement text; data never is), the load_credentials list, the cache bounds. Checked
// in the master before the server starts, so a typo refuses the start. Process-private.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace sipline::auth_db {

struct Config {
  std::string db_url;
  std::string user_column = "username";
  std::string domain_column = "domain";
  std::string password_column = "password";  // plain text, read only with calculate_ha1
  std::string hash_column = "ha1";           // MD5 HA1
  std::string hash_column_sha256 = "ha1_sha256";
  std::string hash_column_sha512t256 = "ha1_sha512t256";
  bool calculate_ha1 = false;
  bool use_domain = true;
  std::string load_credentials;
  bool skip_version_check = false;
  std::int64_t cache_size = 4096;  // entries; 0 disables the cache
  std::int64_t cache_ttl_s = 60;
  std::int64_t negative_cache_ttl_s =
      5;  // "no such subscriber" kept (capped by cache_ttl); 0: never
  std::int64_t db_connect_timeout_ms = 2000;
  std::int64_t db_query_timeout_ms = 1000;
  std::int64_t db_error_reply = 500;  // reply sent when the DB fails; 0: none (script answers)
};

// One extra column loaded into an AVP after a successful check.
struct LoadedColumn {
  std::string avp;     // $avp(name)
  std::string column;  // subscriber column
};

// "col1;col2" (AVP named as the column) and/or "$avp(name)=column" items separated by ';'
// (spaces around items allowed, empty items ignored). invalidArgument naming the bad item.
Result<std::vector<LoadedColumn>> parseLoadCredentials(std::string_view text);

// Every column name an identifier, db_url present and parseable, the reply code 0 or 5xx.
Status checkConfig(const Config& c);

}  // namespace sipline::auth_db
