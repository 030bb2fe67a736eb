// Schema checks at start (see schema.h): the version row of a table, then the columns a module
// queries, both read through the ordinary DB API so any driver works.
#include "core/db/schema.h"

#include <algorithm>
#include <string>

namespace sipline::db {
namespace {

constexpr const char* kInitHint = "; run `siplinectl db init`";
constexpr const char* kCheckHint = "; run `siplinectl db check`";

// Passes outages through as they are; an SQL error is a schema problem for the operator.
Status schemaError(const Status& st, const std::string& what) {
  if (st.code() == Code::kUnavailable) return st.withPrefix(what);
  return Status::failedPrecondition(what + ": " + st.message());
}

}  // namespace

Status checkTable(Connection& conn, const TableSpec& spec) {
  const std::string& table = spec.table;
  Result<Rows> version =
      conn.query("SELECT table_version FROM version WHERE table_name = $1", {Param(table)});
  if (!version.isOk()) {
    const Status& st = version.status();
    if (st.code() != Code::kUnavailable &&
        st.message().find("\"version\" does not exist") != std::string::npos) {
      return Status::failedPrecondition("the database " + conn.url().text +
                                        " has no table version (no sipline schema)" + kInitHint);
    }
    return schemaError(st, "checking the version of table " + table);
  }
  const Rows& rows = version.value();
  if (rows.empty()) {
    return Status::failedPrecondition("table " + table + " has no row in table version" +
                                      kInitHint);
  }
  std::int64_t found = 0;
  if (!rows.getInt(0, 0, found)) {
    return Status::failedPrecondition("table " + table + ": its version row holds no number" +
                                      kCheckHint);
  }
  if (found != spec.version) {
    return Status::failedPrecondition("table " + table + ": version " +
                                      std::to_string(spec.version) + " expected, " +
                                      std::to_string(found) + " found" + kCheckHint);
  }

  Result<Rows> columns = conn.query(
      "SELECT column_name FROM information_schema.columns "
      "WHERE table_schema = current_schema() AND table_name = $1",
      {Param(table)});
  if (!columns.isOk()) return schemaError(columns.status(), "reading the columns of " + table);
  const Rows& cols = columns.value();
  if (cols.empty())
    return Status::failedPrecondition("table " + table + " does not exist" + kInitHint);
  std::vector<std::string> present;
  for (std::size_t i = 0; i < cols.size(); ++i) {
    std::optional<std::string_view> name = cols.text(i, 0);
    if (name.has_value()) present.emplace_back(*name);
  }
  for (const std::string& wanted : spec.columns) {
    if (std::find(present.begin(), present.end(), wanted) == present.end()) {
      return Status::failedPrecondition("table " + table + " has no column " + wanted + kCheckHint);
    }
  }
  return Status::ok();
}

bool isSqlIdentifier(std::string_view name, bool lower_only) {
  if (name.empty() || name.size() > 63) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (!lower_only && c >= 'A' && c <= 'Z') || c == '_';
    if (!letter && (i == 0 || c < '0' || c > '9')) return false;
  }
  return true;
}

}  // namespace sipline::db
