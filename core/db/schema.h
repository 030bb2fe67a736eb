// Schema checks at start: a DB-using module states the table version and the columns it
// queries; a mismatch refuses the start with a message naming the table, what was expected,
// what was found, and the command that fixes it (`siplinectl db init` / `db check`).
// The `version` table holds one row per table: (table_name text primary key, table_version int).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/db/db.h"

namespace sipline::db {

struct TableSpec {
  std::string table;
  int version = 0;
  std::vector<std::string> columns;
};

// kFailedPrecondition with a clear message when the version row is missing or differs or a
// column is absent; kUnavailable when the DB cannot be reached.
Status checkTable(Connection& conn, const TableSpec& spec);

// A table or column name from the settings that may be written into statement text (values
// always travel as $n parameters): [A-Za-z_][A-Za-z0-9_]*, at most 63 characters
// (PostgreSQL's limit). lower_only for names written quoted ("name"), which PostgreSQL does
// not fold to lower case the way it folds the schema's unquoted names.
bool isSqlIdentifier(std::string_view name, bool lower_only = false);

}  // namespace sipline::db
