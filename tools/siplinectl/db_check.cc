#include "tools/siplinectl/db_check.h"

#include <algorithm>

#include "core/base/strings.h"
#include "tools/siplinectl/catalog.h"

namespace sipline::ctl {

namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// N of "character varying(N)", -1 for any other type.
int varcharLength(const std::string& type) {
  static const std::string kPrefix = "character varying(";
  if (type.rfind(kPrefix, 0) != 0 || type.back() != ')') return -1;
  std::int64_t n = 0;
  if (!parseInt(std::string_view(type).substr(kPrefix.size(), type.size() - kPrefix.size() - 1),
                n)) {
    return -1;
  }
  return static_cast<int>(n);
}

bool sameColumnSet(std::vector<std::string> a, std::vector<std::string> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

// Whether `have` serves as `want`: a primary key must be a primary key on the same columns; a
// unique key any unique index on the same set (ON CONFLICT matches by set); a plain index any
// index with the same columns in the same order.
bool serves(const IndexDef& have, const IndexDef& want) {
  if (want.primary) return have.primary && sameColumnSet(have.columns, want.columns);
  if (want.unique) return have.unique && sameColumnSet(have.columns, want.columns);
  return have.columns == want.columns;
}

// kUnavailable aborts the check; any other error is a problem of this table.
bool recordError(const Status& st, const std::string& what, TableCheck& out, Status& fatal) {
  if (st.code() == Code::kUnavailable) {
    fatal = st;
  } else {
    out.problems.push_back("cannot read " + what + ": " + st.message());
  }
  return false;
}

}  // namespace

bool CheckReport::ok() const { return tablesWithProblems() == 0; }

std::size_t CheckReport::tablesWithProblems() const {
  return static_cast<std::size_t>(
      std::count_if(tables.begin(), tables.end(), [](const TableCheck& t) { return !t.ok(); }));
}

std::size_t CheckReport::problemCount() const {
  std::size_t n = 0;
  for (const TableCheck& t : tables) n += t.problems.size();
  return n;
}

bool CheckReport::noTableExists() const {
  return std::none_of(tables.begin(), tables.end(), [](const TableCheck& t) { return t.exists; });
}

void compareVersion(const TableDef& def, std::optional<int> found, TableCheck& out) {
  out.found_version = found;
  const std::string expected = std::to_string(def.version);
  if (!found) {
    out.problems.push_back("no row in table version (expected table_version " + expected + ")");
  } else if (*found > def.version) {
    out.problems.push_back("table_version is " + std::to_string(*found) +
                           ", this siplinectl expects " + expected +
                           " (a newer schema: use the siplinectl of the release that made it)");
  } else if (*found < def.version) {
    out.problems.push_back(
        "table_version is " + std::to_string(*found) + ", this siplinectl expects " + expected +
        " (an older schema: it needs the migrations in scripts/sql/migrations/)");
  }
}

void compareColumns(const TableDef& def, const std::vector<ColumnDef>& found, TableCheck& out) {
  for (const ColumnDef& want : def.columns) {
    auto it = std::find_if(found.begin(), found.end(),
                           [&](const ColumnDef& c) { return c.name == want.name; });
    if (it == found.end()) {
      out.problems.push_back("column " + want.name + " is missing (" + want.type +
                             (want.not_null ? " NOT NULL)" : ")"));
      continue;
    }
    const int want_len = varcharLength(want.type), have_len = varcharLength(it->type);
    if (it->type != want.type) {
      if (want_len > 0 && have_len > want_len) {
        out.notes.push_back("column " + want.name + " is " + it->type + ", wider than " +
                            want.type);
      } else {
        out.problems.push_back("column " + want.name + " is " + it->type + ", expected " +
                               want.type);
      }
    }
    if (it->not_null && !want.not_null) {
      out.problems.push_back("column " + want.name +
                             " is NOT NULL, expected to allow NULL (writing NULL would fail)");
    } else if (!it->not_null && want.not_null) {
      out.notes.push_back("column " + want.name + " allows NULL (expected NOT NULL)");
    }
  }
  for (const ColumnDef& have : found) {
    if (def.findColumn(have.name) == nullptr) {
      out.notes.push_back("extra column " + have.name + " (" + have.type + ")");
    }
  }
}

void compareIndexes(const TableDef& def, const std::vector<IndexDef>& found, TableCheck& out) {
  for (const IndexDef& want : def.indexes) {
    const bool present = std::any_of(found.begin(), found.end(),
                                     [&](const IndexDef& have) { return serves(have, want); });
    if (present) continue;
    const char* kind = want.primary ? "no primary key" : want.unique ? "no unique key" : "no index";
    out.problems.push_back(std::string(kind) + " on (" + joined(want.columns) + ")");
  }
}

Result<CheckReport> checkSchema(db::Connection& conn, const std::vector<TableDef>& schema) {
  Status ready = conn.ensureConnected();
  if (!ready.isOk()) return ready;
  CheckReport report;
  Status fatal;
  bool have_version_table = false;
  for (const TableDef& def : schema) {
    TableCheck t;
    t.table = def.name;
    t.expected_version = def.version;
    Result<bool> exists = tableExists(conn, def.name);
    if (!exists.isOk()) {
      recordError(exists.status(), "whether the table exists", t, fatal);
    } else if (!exists.value()) {
      t.problems.push_back("table does not exist");
    } else {
      t.exists = true;
      if (def.name == "version") have_version_table = true;
      if (!have_version_table) {
        t.problems.push_back("no version row (table version does not exist)");
      } else {
        Result<std::optional<int>> version = versionRow(conn, def.name);
        if (version.isOk()) {
          compareVersion(def, version.value(), t);
        } else {
          recordError(version.status(), "its row in table version", t, fatal);
        }
      }
      Result<std::vector<ColumnDef>> columns =
          fatal.isOk() ? tableColumns(conn, def.name) : Result<std::vector<ColumnDef>>(fatal);
      if (columns.isOk()) {
        compareColumns(def, columns.value(), t);
      } else if (fatal.isOk()) {
        recordError(columns.status(), "its columns", t, fatal);
      }
      Result<std::vector<IndexDef>> indexes =
          fatal.isOk() ? tableIndexes(conn, def.name) : Result<std::vector<IndexDef>>(fatal);
      if (indexes.isOk()) {
        compareIndexes(def, indexes.value(), t);
      } else if (fatal.isOk()) {
        recordError(indexes.status(), "its indexes", t, fatal);
      }
    }
    if (!fatal.isOk()) return fatal;
    report.tables.push_back(std::move(t));
  }
  return report;
}

}  // namespace sipline::ctl
