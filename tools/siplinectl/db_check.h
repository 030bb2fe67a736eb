// `siplinectl db check`: compares what the database has with the schema this siplinectl was
// built with, table by table: the table itself, its row in `version`, every column (name,
// type, NULL or NOT NULL) and every key and index of the SQL files. Anything that would make a
// module refuse to start or fail at run time is a problem; harmless differences (an extra
// column, a wider varchar, a column that allows NULL where the schema says NOT NULL) are
// notes. The compare* functions are pure, for the unit tests.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/db/db.h"
#include "tools/siplinectl/schema_sql.h"

namespace sipline::ctl {

struct TableCheck {
  std::string table;
  int expected_version = 0;
  bool exists = false;
  std::optional<int> found_version;  // nullopt: no row (or no version table)
  std::vector<std::string> problems;
  std::vector<std::string> notes;
  bool ok() const { return problems.empty(); }
};

struct CheckReport {
  std::vector<TableCheck> tables;  // in schema order
  bool ok() const;
  std::size_t tablesWithProblems() const;
  std::size_t problemCount() const;
  bool noTableExists() const;  // an empty database: `db init` is the fix
};

// Asks the database about every table of `schema`. Fails only when the database cannot be
// asked (kUnavailable passes through); an SQL error on one table becomes a problem line.
Result<CheckReport> checkSchema(db::Connection& conn, const std::vector<TableDef>& schema);

void compareVersion(const TableDef& def, std::optional<int> found, TableCheck& out);
void compareColumns(const TableDef& def, const std::vector<ColumnDef>& found, TableCheck& out);
void compareIndexes(const TableDef& def, const std::vector<IndexDef>& found, TableCheck& out);

}  // namespace sipline::ctl
