// What the database has: PostgreSQL catalog queries behind plain values, for db init and
// db check. Names resolve through the connection's search_path (to_regclass), the way the
// server's unqualified queries resolve them. Every function passes the connection's Status
// through unchanged (kUnavailable when the server cannot be reached).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/db/db.h"
#include "tools/siplinectl/schema_sql.h"

namespace sipline::ctl {

// Whether a table (or any relation) of that name is visible.
Result<bool> tableExists(db::Connection& conn, const std::string& table);

// The columns of a visible table in column order (type as format_type() prints it); empty if
// the table does not exist.
Result<std::vector<ColumnDef>> tableColumns(db::Connection& conn, const std::string& table);

// The plain-column indexes of a table (expression and partial indexes are left out).
Result<std::vector<IndexDef>> tableIndexes(db::Connection& conn, const std::string& table);

// table_version of `table` in the version table; nullopt when there is no row. The version
// table must exist (check tableExists first).
Result<std::optional<int>> versionRow(db::Connection& conn, const std::string& table);

}  // namespace sipline::ctl
