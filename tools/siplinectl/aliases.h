// Table dbaliases (scripts/sql/dbaliases.sql) as `siplinectl alias` maintains it: an alias
// (alias_username@alias_domain: a phone number, a short name) stands for one subscriber
// (username@domain), for alias_db_lookup(). Values come in checked (service_input.h).
// Parameterised statements only; kUnavailable when the database is gone, kInternal for any
// other database error (db_errors.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/db/db.h"
#include "tools/siplinectl/identity.h"

namespace sipline::ctl {

struct AliasRow {
  Aor alias;
  Aor target;
};

// kAlreadyExists: the alias exists (for whichever subscriber; the message names it), or it is
// the address of a subscriber (alias_db_lookup would send that subscriber's calls to the
// target; --force does not change this). With check_subscriber, kNotFound when the target
// subscriber does not exist (the checks and the INSERT are one transaction).
Status addAlias(db::Connection& conn, const AliasRow& row, bool check_subscriber);

// Removes alias user@domain, or with domain nullopt the only alias of that user part (a
// refusal, db_errors.h, when several domains have it). kNotFound when there is none. Returns
// the removed row.
Result<AliasRow> removeAlias(db::Connection& conn, const std::string& user,
                             const std::optional<std::string>& domain);

struct AliasPage {
  std::vector<AliasRow> rows;  // by alias domain, alias user
  bool truncated = false;
};
// Every alias, or those of `target`; limit 0 = no limit.
Result<AliasPage> listAliases(db::Connection& conn, const std::optional<Aor>& target, int limit);

}  // namespace sipline::ctl
