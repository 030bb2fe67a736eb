// The domain table (scripts/sql/domain.sql): the SIP domains this server serves, which
// `subscriber add` checks so that a typo in a domain does not create a user nobody can reach.
// Domains are passed in already validated and lower-cased (parseDomain()). Parameterised
// statements only; kUnavailable when the database is gone, kInternal for any other database
// error (without the server's DETAIL: db_errors.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/db/db.h"

namespace sipline::ctl {

// kAlreadyExists: the domain is listed already.
Status addDomain(db::Connection& conn, const std::string& domain);

struct DomainRemoval {
  std::vector<std::string> removed_users;  // subscribers removed with it (force), sorted
};
// In one transaction. kNotFound: no such domain. Without `force`, kFailedPrecondition (a
// refusal, db_errors.h) while subscribers of the domain exist (message gives the count); with
// it they are removed too.
Result<DomainRemoval> removeDomain(db::Connection& conn, const std::string& domain, bool force);

struct DomainRow {
  std::string domain;
  std::string created;  // ISO 8601 UTC
  std::int64_t subscribers = 0;
};
struct DomainPage {
  std::vector<DomainRow> rows;  // by name
  bool truncated = false;
};
// limit 0 = no limit.
Result<DomainPage> listDomains(db::Connection& conn, int limit);

}  // namespace sipline::ctl
