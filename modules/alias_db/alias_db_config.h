// alias_db's parameters and call flags, and their checks. Column and table names are written
// into the statement text, so each must be an SQL name (data never is: it goes in $1, $2).
// Checked in the master before the server starts. Process-private.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace sipline::alias_db {

struct Config {
  std::string db_url;
  bool use_domain = true;     // match alias_domain too (flag "d" turns it off per call)
  std::string domain_prefix;  // stripped from the looked-up host first ("sip.")
  std::string user_column = "username";
  std::string domain_column = "domain";
  std::string alias_user_column = "alias_username";
  std::string alias_domain_column = "alias_domain";
  bool append_branches = false;  // every further match becomes a branch (alias_db_lookup)
  std::int64_t db_connect_timeout_ms = 1000;
  std::int64_t db_query_timeout_ms = 1000;
};

// The flags argument of alias_db_lookup()/alias_db_find(): "d" ignore the domain, "r" reverse
// (subscriber to alias). Order does not matter; repeats are allowed.
struct Flags {
  bool no_domain = false;
  bool reverse = false;
};
// invalidArgument naming the unknown letter.
Result<Flags> parseFlags(std::string_view text);

// Every column an SQL name, db_url present and parseable.
Status checkConfig(const Config& c);

}  // namespace sipline::alias_db
