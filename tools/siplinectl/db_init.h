// `siplinectl db init`: creates every table of the schema in a database that has none of
// them, in one transaction, so a failure leaves the database as it was. It never drops or
// alters anything: a database holding any of the tables is refused (kAlreadyExists, naming
// them) before anything is written; `db check` is the command for an existing schema.
#pragma once

#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/db/db.h"
#include "tools/siplinectl/schema_sql.h"

namespace sipline::ctl {

struct InitReport {
  std::vector<std::string> created;  // table names, in creation order
  std::size_t statements = 0;
};

// kAlreadyExists: "the database already has table(s) version, location; ...";
// connection errors pass through (kUnavailable); an SQL error names the file and line of the
// statement ("location.sql:6: ...") and rolls the transaction back.
Result<InitReport> initSchema(db::Connection& conn, const std::vector<TableDef>& schema);

}  // namespace sipline::ctl
