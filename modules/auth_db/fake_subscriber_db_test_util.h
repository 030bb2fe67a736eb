// Tests only: an in-memory subscriber table that understands exactly what auth_db sends
// (subscriber_sql.cc and db::checkTable): SELECT <columns> FROM <table> WHERE <user> = $1
// [AND lower(<domain>) = lower($2)], SELECT 1 ..., the version row and the column list. Faults:
// the DB down, the Nth next statement failing. Several connections may share one FakeSubscriberDb.
#pragma once

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/db/db.h"
#include "core/db/read_only_fake_test_util.h"

namespace sipline::auth_db::testing {

struct FakeSubscriberDb {
  using Row = std::map<std::string, std::optional<std::string>>;
  std::map<std::string, std::vector<Row>> tables;
  std::map<std::string, int> versions{{"subscriber", 1}};
  // What information_schema shows for every table with a version row.
  std::vector<std::string> columns{"id",   "username",   "domain",         "password",
                                   "ha1",  "ha1_sha256", "ha1_sha512t256", "email_address",
                                   "rpid", "class"};
  bool down = false;
  int fail_in = 0;  // > 0: that many statements later, one fails (kUnavailable)
  int statements = 0;
  std::vector<std::string> log;
  // Runs inside every statement, before it is answered: what another process does meanwhile.
  std::function<void()> during_query;

  // A subscriber row with every standard column (values "" unless given).
  void add(const std::string& table, const std::string& user, const std::string& domain,
           Row extra = {}) {
    if (versions.count(table) == 0) versions[table] = 1;
    Row r{{"username", user}, {"domain", domain},     {"password", ""},     {"ha1", ""},
          {"ha1_sha256", ""}, {"ha1_sha512t256", ""}, {"email_address", ""}};
    for (auto& [k, v] : extra) r[k] = v;
    tables[table].push_back(std::move(r));
  }
  void remove(const std::string& table, const std::string& user) {
    auto& rows = tables[table];
    rows.erase(std::remove_if(rows.begin(), rows.end(),
                              [&](const Row& r) { return r.at("username") == user; }),
               rows.end());
  }
};

class FakeSubscriberConnection final : public db::testing::ReadOnlyFakeConnection {
 public:
  explicit FakeSubscriberConnection(FakeSubscriberDb& db) : db_(db) {}
  using ReadOnlyFakeConnection::query;
  Result<db::Rows> query(std::string_view sql, const std::vector<db::Param>& p) override {
    ++db_.statements;
    db_.log.emplace_back(sql);
    if (db_.during_query) db_.during_query();
    if (db_.down) return Status::unavailable("fake DB is down");
    if (db_.fail_in > 0 && --db_.fail_in == 0) return Status::unavailable("fake: injected outage");
    return select(std::string(sql), p);
  }

 protected:
  bool down() const override { return db_.down; }

 private:
  static std::string str(const db::Param& p) {
    const std::string* s = std::get_if<std::string>(&p);
    return s != nullptr ? *s : std::string();
  }
  static std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  static std::vector<std::string> split(const std::string& list) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true) {
      std::size_t comma = list.find(", ", start);
      out.push_back(list.substr(start, comma == std::string::npos ? comma : comma - start));
      if (comma == std::string::npos) return out;
      start = comma + 2;
    }
  }

  Result<db::Rows> select(const std::string& sql, const std::vector<db::Param>& p) {
    if (sql.find("FROM version") != std::string::npos) {
      auto v = db_.versions.find(str(p[0]));
      if (v == db_.versions.end()) return db::Rows({"table_version"}, {});
      return db::Rows({"table_version"}, {{std::to_string(v->second)}});
    }
    if (sql.find("information_schema.columns") != std::string::npos) {
      std::vector<std::vector<std::optional<std::string>>> cells;
      if (db_.versions.count(str(p[0])) != 0) {
        for (const std::string& c : db_.columns) cells.push_back({c});
      }
      return db::Rows({"column_name"}, std::move(cells));
    }
    std::size_t from = sql.find(" FROM ");
    std::vector<std::string> cols = split(sql.substr(7, from - 7));
    std::size_t name_at = from + 6;
    std::string table = sql.substr(name_at, sql.find(' ', name_at) - name_at);
    if (db_.versions.count(table) == 0) {
      return Status::failedPrecondition("relation \"" + table + "\" does not exist");
    }
    for (const std::string& c : cols) {
      if (c != "1" && std::find(db_.columns.begin(), db_.columns.end(), c) == db_.columns.end()) {
        return Status::failedPrecondition("column \"" + c + "\" does not exist");
      }
    }
    std::vector<std::vector<std::optional<std::string>>> cells;
    for (const FakeSubscriberDb::Row& row : db_.tables[table]) {
      if (sql.find("WHERE") != std::string::npos) {
        if (row.at("username") != str(p[0])) continue;
        if (sql.find("lower(") != std::string::npos &&
            lower(row.at("domain").value_or("")) != lower(str(p[1]))) {
          continue;
        }
      }
      std::vector<std::optional<std::string>> out;
      for (const std::string& c : cols) {
        if (c == "1") {
          out.push_back(std::string("1"));
          continue;
        }
        auto it = row.find(c);
        out.push_back(it == row.end() ? std::nullopt : it->second);
      }
      cells.push_back(std::move(out));
      if (sql.find("LIMIT 1") != std::string::npos) break;
    }
    if (sql.find("LIMIT 0") != std::string::npos) cells.clear();
    return db::Rows(cols, std::move(cells));
  }

  FakeSubscriberDb& db_;
};

inline std::unique_ptr<db::Connection> fakeSubscriberConnection(FakeSubscriberDb& db) {
  return std::make_unique<FakeSubscriberConnection>(db);
}

}  // namespace sipline::auth_db::testing
