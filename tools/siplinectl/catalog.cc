#include "tools/siplinectl/catalog.h"

#include "core/base/strings.h"

namespace sipline::ctl {

namespace {

Status badRow(const std::string& what) {
  return Status::internal("unexpected answer from the database catalog (" + what + ")");
}

}  // namespace

Result<bool> tableExists(db::Connection& conn, const std::string& table) {
  Result<db::Rows> rows = conn.query("SELECT to_regclass($1) IS NOT NULL", {table});
  if (!rows.isOk()) return rows.status();
  bool exists = false;
  if (rows.value().size() != 1 || !rows.value().getBool(0, 0, exists)) {
    return badRow("to_regclass of " + table);
  }
  return exists;
}

Result<std::vector<ColumnDef>> tableColumns(db::Connection& conn, const std::string& table) {
  Result<db::Rows> rows = conn.query(
      "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull"
      " FROM pg_attribute a"
      " WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped"
      " ORDER BY a.attnum",
      {table});
  if (!rows.isOk()) return rows.status();
  const db::Rows& r = rows.value();
  std::vector<ColumnDef> columns;
  for (std::size_t i = 0; i < r.size(); ++i) {
    ColumnDef col;
    std::optional<std::string_view> name = r.text(i, 0), type = r.text(i, 1);
    if (!name || !type || !r.getBool(i, 2, col.not_null)) return badRow("columns of " + table);
    col.name = std::string(*name);
    col.type = std::string(*type);
    columns.push_back(std::move(col));
  }
  return columns;
}

Result<std::vector<IndexDef>> tableIndexes(db::Connection& conn, const std::string& table) {
  Result<db::Rows> rows = conn.query(
      "SELECT i.indisunique, i.indisprimary,"
      " (SELECT string_agg(a.attname, ',' ORDER BY k.n)"
      "  FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)"
      "  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum)"
      " FROM pg_index i"
      " WHERE i.indrelid = to_regclass($1) AND i.indexprs IS NULL AND i.indpred IS NULL",
      {table});
  if (!rows.isOk()) return rows.status();
  const db::Rows& r = rows.value();
  std::vector<IndexDef> indexes;
  for (std::size_t i = 0; i < r.size(); ++i) {
    IndexDef index;
    std::optional<std::string_view> cols = r.text(i, 2);
    if (!r.getBool(i, 0, index.unique) || !r.getBool(i, 1, index.primary) || !cols) {
      return badRow("indexes of " + table);
    }
    std::string_view rest = *cols;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      index.columns.emplace_back(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
    indexes.push_back(std::move(index));
  }
  return indexes;
}

Result<std::optional<int>> versionRow(db::Connection& conn, const std::string& table) {
  Result<db::Rows> rows =
      conn.query("SELECT table_version FROM version WHERE table_name = $1", {table});
  if (!rows.isOk()) return rows.status();
  const db::Rows& r = rows.value();
  if (r.empty()) return std::optional<int>();
  std::int64_t v = 0;
  if (!r.getInt(0, 0, v)) return badRow("table_version of " + table + " is not an integer");
  return std::optional<int>(static_cast<int>(v));
}

}  // namespace sipline::ctl
