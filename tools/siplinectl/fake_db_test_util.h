// Test helper for the siplinectl tests: a db::Connection that plays a PostgreSQL database's
// catalog in memory. It answers the queries of catalog.cc (to_regclass, pg_attribute,
// pg_index, the version table) from `tables` and `versions`, and the statements of
// subscribers.cc and domains.cc from `subscribers` and `domains` (BEGIN snapshots them,
// ROLLBACK restores them); it logs every statement and transaction step with its parameters,
// and fails on demand (connect, or any statement containing a text). Like the real database's
// guarantee it stands for, a domain check (SELECT 1 FROM domain WHERE domain = $1) must lock
// the row (FOR SHARE / FOR UPDATE) inside a transaction, else it fails. Test-only.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "core/db/db.h"
#include "tools/siplinectl/schema_sql.h"

namespace sipline::ctl::testing {

struct FakeTable {
  std::vector<ColumnDef> columns;
  std::vector<IndexDef> indexes;
};

struct FakeSubscriber {
  std::int64_t id = 0;
  std::string password, ha1, ha1_sha256, ha1_sha512t256, email;
};

class FakeDb final : public db::Connection {
 public:
  using SubscriberKey = std::pair<std::string, std::string>;  // (username, domain)
  std::map<SubscriberKey, FakeSubscriber> subscribers;
  std::map<std::string, std::string> domains;      // domain -> created
  std::vector<std::vector<db::Param>> params_log;  // the params of each statement in `log`

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
    params_log.push_back(params);
    if (!fail_on.empty() && sql.find(fail_on) != std::string_view::npos) return fail_status;
    if (std::optional<db::Rows> r = provisioningQuery(sql, params)) return *r;
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
  Result<std::int64_t> exec(std::string_view sql, const std::vector<db::Param>& p) override {
    log.emplace_back(sql);
    params_log.push_back(p);
    if (!fail_on.empty() && sql.find(fail_on) != std::string_view::npos) return fail_status;
    return provisioningExec(sql, p);
  }
  Status begin() override {
    saved_subscribers_ = subscribers;
    saved_domains_ = domains;
    in_transaction_ = true;
    return step("BEGIN");
  }
  Status commit() override {
    in_transaction_ = false;
    return step("COMMIT");
  }
  Status rollback() override {
    subscribers = saved_subscribers_;
    domains = saved_domains_;
    in_transaction_ = false;
    return step("ROLLBACK");
  }
  // The params of the last statement containing `sql_part`; empty if none.
  std::vector<db::Param> paramsOf(const std::string& sql_part) const {
    for (std::size_t i = log.size(); i-- > 0;) {
      if (log[i].find(sql_part) != std::string::npos && i < params_log.size()) {
        return params_log[i];
      }
    }
    return {};
  }
  bool connected() const override { return connect_status.isOk(); }
  Status ensureConnected() override { return connect_status; }
  const db::DbUrl& url() const override { return url_; }

 private:
  static std::string str(const std::vector<db::Param>& p, std::size_t i) {
    return i < p.size() && std::holds_alternative<std::string>(p[i]) ? std::get<std::string>(p[i])
                                                                     : std::string();
  }
  static bool has(std::string_view sql, std::string_view part) {
    return sql.find(part) != std::string_view::npos;
  }
  static std::vector<std::optional<std::string>> subscriberCells(const SubscriberKey& key,
                                                                 const FakeSubscriber& s) {
    return {std::to_string(s.id),          key.first, key.second, s.email, "2026-11-27T02:50:00Z",
            s.password.empty() ? "f" : "t"};
  }

  std::optional<db::Rows> provisioningQuery(std::string_view sql, const std::vector<db::Param>& p) {
    using Cells = std::vector<std::vector<std::optional<std::string>>>;
    if (has(sql, "SELECT 1 FROM domain WHERE domain = $1")) {
      // Unlocked or outside a transaction, the answer could be stale by the next statement.
      if (!in_transaction_ || !(has(sql, " FOR SHARE") || has(sql, " FOR UPDATE"))) {
        return std::nullopt;  // "unexpected query"
      }
      Cells out;
      if (domains.count(str(p, 0)) != 0) out.push_back({"1"});
      return db::Rows({"?column?"}, out);
    }
    if (has(sql, "SELECT count(*) FROM subscriber WHERE domain = $1")) {
      std::int64_t n = 0;
      for (const auto& [key, sub] : subscribers) n += key.second == str(p, 0);
      return db::Rows({"count"}, Cells{{std::to_string(n)}});
    }
    if (has(sql, "DELETE FROM subscriber WHERE domain = $1 RETURNING username")) {
      Cells out;
      for (auto it = subscribers.begin(); it != subscribers.end();) {
        if (it->first.second != str(p, 0)) {
          ++it;
          continue;
        }
        out.push_back({it->first.first});
        it = subscribers.erase(it);
      }
      return db::Rows({"username"}, out);
    }
    if (has(sql, "FROM subscriber WHERE username = $1 AND domain = $2")) {
      Cells out;
      auto it = subscribers.find({str(p, 0), str(p, 1)});
      if (it != subscribers.end()) {
        const FakeSubscriber& s = it->second;
        out.push_back({std::to_string(s.id), s.email, "2026-11-27T02:50:00Z",
                       s.password.empty() ? "f" : "t", s.ha1, s.ha1_sha256, s.ha1_sha512t256});
      }
      return db::Rows(
          {"id", "email_address", "created", "pw", "ha1", "ha1_sha256", "ha1_sha512t256"}, out);
    }
    if (has(sql, "FROM subscriber WHERE ($1 = '' OR domain = $1)")) {
      std::vector<std::pair<SubscriberKey, FakeSubscriber>> sorted(subscribers.begin(),
                                                                   subscribers.end());
      std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
        return std::tie(a.first.second, a.first.first) < std::tie(b.first.second, b.first.first);
      });
      Cells out;
      for (const auto& [key, sub] : sorted) {
        if (!str(p, 0).empty() && key.second != str(p, 0)) continue;
        if (limitReached(p, 1, out.size())) break;
        out.push_back(subscriberCells(key, sub));
      }
      return db::Rows({"id", "username", "domain", "email_address", "created", "pw"}, out);
    }
    if (has(sql, "FROM domain d ORDER BY d.domain")) {
      Cells out;
      for (const auto& [name, created] : domains) {
        if (limitReached(p, 0, out.size())) break;
        std::int64_t n = 0;
        for (const auto& [key, sub] : subscribers) n += key.second == name;
        out.push_back({name, created, std::to_string(n)});
      }
      return db::Rows({"domain", "created", "count"}, out);
    }
    return std::nullopt;
  }
  static bool limitReached(const std::vector<db::Param>& p, std::size_t i, std::size_t rows) {
    if (i >= p.size() || !std::holds_alternative<std::int64_t>(p[i])) return false;
    return static_cast<std::int64_t>(rows) >= std::get<std::int64_t>(p[i]);
  }

  Result<std::int64_t> provisioningExec(std::string_view sql, const std::vector<db::Param>& p) {
    if (has(sql, "INSERT INTO domain (domain)")) {
      return std::int64_t{domains.emplace(str(p, 0), "2026-11-27T02:40:00Z").second ? 1 : 0};
    }
    if (has(sql, "DELETE FROM domain WHERE domain = $1")) {
      return static_cast<std::int64_t>(domains.erase(str(p, 0)));
    }
    if (has(sql, "INSERT INTO subscriber")) {
      SubscriberKey key{str(p, 0), str(p, 1)};
      if (subscribers.count(key) != 0) return std::int64_t{0};
      subscribers[key] =
          FakeSubscriber{next_id_++, str(p, 2), str(p, 3), str(p, 4), str(p, 5), str(p, 6)};
      return std::int64_t{1};
    }
    if (has(sql, "UPDATE subscriber SET password = $3")) {
      auto it = subscribers.find({str(p, 0), str(p, 1)});
      if (it == subscribers.end()) return std::int64_t{0};
      it->second.password = str(p, 2);
      it->second.ha1 = str(p, 3);
      it->second.ha1_sha256 = str(p, 4);
      it->second.ha1_sha512t256 = str(p, 5);
      return std::int64_t{1};
    }
    if (has(sql, "DELETE FROM subscriber WHERE username = $1 AND domain = $2")) {
      return static_cast<std::int64_t>(subscribers.erase({str(p, 0), str(p, 1)}));
    }
    return std::int64_t{0};
  }

  static db::Rows rows(std::vector<std::string> columns,
                       const std::vector<std::vector<std::string>>& cells) {
    std::vector<std::vector<std::optional<std::string>>> out;
    for (const auto& row : cells) out.emplace_back(row.begin(), row.end());
    return db::Rows(std::move(columns), std::move(out));
  }
  Status step(const std::string& what) {
    log.push_back(what);
    params_log.emplace_back();  // keeps params_log in step with log
    if (!fail_on.empty() && what.find(fail_on) != std::string::npos) return fail_status;
    return Status::ok();
  }
  db::DbUrl url_;
  bool in_transaction_ = false;
  std::map<SubscriberKey, FakeSubscriber> saved_subscribers_;
  std::map<std::string, std::string> saved_domains_;
  std::int64_t next_id_ = 1;
};

}  // namespace sipline::ctl::testing
