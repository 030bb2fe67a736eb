// Test helper for the siplinectl tests: a db::Connection that plays a PostgreSQL database's
// catalog in memory. It answers the queries of catalog.cc (to_regclass, pg_attribute,
// pg_index, the version table) from `tables` and `versions`, logs every statement and
// transaction step, and fails on demand (connect, or any statement containing a text).
// Test-only.
#pragma once

#include <map>
#include <string>
#include <variant>
#include <vector>

#include "core/db/db.h"
#include "tools/siplinectl/schema_sql.h"

namespace sipline::ctl::testing {

struct FakeTable {
  std::vector<ColumnDef> columns;
  std::vector<IndexDef> indexes;
};

class FakeDb final : public db::Connection {
 public:
  std::map<std::string, FakeTable> tables;
  std::map<std::string, int> versions;  // rows of table version (used when it is in `tables`)
  Status connect_status;                // ensureConnected() returns this
  std::string fail_on;                  // a statement containing this text fails ...
  Status fail_status = Status::invalidArgument("ERROR: injected failure");  // ... with this
  std::vector<std::string> log;  // statements, "BEGIN", "COMMIT", "ROLLBACK"

  // The database as `db init` leaves it.
  void createFrom(const std::vector<TableDef>& schema) {
    for (const TableDef& def : schema) {
      tables[def.name] = FakeTable{def.columns, def.indexes};
      versions[def.name] = def.version;
    }
  }
  std::size_t count(const std::string& entry) const {
    std::size_t n = 0;
    for (const std::string& e : log) n += e == entry;
    return n;
  }

  Result<db::Rows> query(std::string_view sql, std::initializer_list<db::Param> params) override {
    return query(sql, std::vector<db::Param>(params));
  }
  Result<db::Rows> query(std::string_view sql, const std::vector<db::Param>& params) override {
    log.emplace_back(sql);
    if (!fail_on.empty() && sql.find(fail_on) != std::string_view::npos) return fail_status;
    const std::string name = params.empty() ? "" : std::get<std::string>(params[0]);
    auto table = tables.find(name);
    if (sql.find("to_regclass($1) IS NOT NULL") != std::string_view::npos) {
      return rows({"?column?"}, {{table != tables.end() ? "t" : "f"}});
    }
    if (sql.find("FROM pg_attribute") != std::string_view::npos) {
      std::vector<std::vector<std::string>> out;
      if (table != tables.end()) {
        for (const ColumnDef& c : table->second.columns) {
          out.push_back({c.name, c.type, c.not_null ? "t" : "f"});
        }
      }
      return rows({"attname", "format_type", "attnotnull"}, out);
    }
    if (sql.find("FROM pg_index") != std::string_view::npos) {
      std::vector<std::vector<std::string>> out;
      if (table != tables.end()) {
        for (const IndexDef& i : table->second.indexes) {
          std::string cols;
          for (const std::string& c : i.columns) cols += (cols.empty() ? "" : ",") + c;
          out.push_back({i.unique ? "t" : "f", i.primary ? "t" : "f", cols});
        }
      }
      return rows({"indisunique", "indisprimary", "string_agg"}, out);
    }
    if (sql.find("FROM version") != std::string_view::npos) {
      if (tables.count("version") == 0) {
        return Status::invalidArgument("ERROR: relation \"version\" does not exist");
      }
      auto v = versions.find(name);
      if (v == versions.end()) return rows({"table_version"}, {});
      return rows({"table_version"}, {{std::to_string(v->second)}});
    }
    return Status::invalidArgument("FakeDb: unexpected query: " + std::string(sql));
  }
  Result<std::int64_t> exec(std::string_view sql, std::initializer_list<db::Param> p) override {
    return exec(sql, std::vector<db::Param>(p));
  }
  Result<std::int64_t> exec(std::string_view sql, const std::vector<db::Param>&) override {
    log.emplace_back(sql);
    if (!fail_on.empty() && sql.find(fail_on) != std::string_view::npos) return fail_status;
    return std::int64_t{0};
  }
  Status begin() override { return step("BEGIN"); }
  Status commit() override { return step("COMMIT"); }
  Status rollback() override { return step("ROLLBACK"); }
  bool connected() const override { return connect_status.isOk(); }
  Status ensureConnected() override { return connect_status; }
  const db::DbUrl& url() const override { return url_; }

 private:
  static db::Rows rows(std::vector<std::string> columns,
                       const std::vector<std::vector<std::string>>& cells) {
    std::vector<std::vector<std::optional<std::string>>> out;
    for (const auto& row : cells) out.emplace_back(row.begin(), row.end());
    return db::Rows(std::move(columns), std::move(out));
  }
  Status step(const std::string& what) {
    log.push_back(what);
    if (!fail_on.empty() && what.find(fail_on) != std::string::npos) return fail_status;
    return Status::ok();
  }
  db::DbUrl url_;
};

}  // namespace sipline::ctl::testing
