// Tests only: a scratch directory, and an in-memory stand-in for PostgreSQL that understands
// the statements the acc writer sends (INSERT ... ON CONFLICT (acc_key) DO NOTHING and the
// information_schema column query), with transactions and faults to inject: the DB down, a
// statement timing out, a value refused as bad data, a column missing.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/db/db.h"

namespace sipline::acc::testing {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/acc-test-XXXXXX";
    char* d = mkdtemp(tmpl);
    path_ = d != nullptr ? d : "/tmp";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct FakeAccDb {
  using Row = std::map<std::string, std::optional<std::string>>;
  std::map<std::string, std::set<std::string>> columns;
  std::map<std::string, std::map<std::string, Row>> tables;  // table -> acc_key -> row
  std::vector<std::string> order;                            // acc_keys in insert order
  bool down = false;
  bool slow = false;                   // every statement times out
  std::string refuse_value;            // a row with this value fails as bad data
  std::string refuse_state = "22001";  // the SQLSTATE of that refusal
  std::string insert_state;  // every INSERT fails with this SQLSTATE (25006: read-only, ...)
  int statements = 0;
  int conflicts = 0;  // rows that found their acc_key (replays)
  int inserts = 0;    // INSERT statements

  FakeAccDb() {
    std::set<std::string> base = {"id",     "acc_key",  "method",     "from_tag", "to_tag",
                                  "callid", "sip_code", "sip_reason", "time"};
    std::set<std::string> acc = base;
    for (const char* c : {"duration", "ms_duration", "setuptime", "created", "ended_by", "src_user",
                          "src_domain", "dst_user", "dst_domain", "src_ip"}) {
      acc.insert(c);
    }
    columns["acc"] = acc;
    std::set<std::string> missed = base;
    for (const char* c : {"src_user", "src_domain", "dst_user", "dst_domain", "src_ip"}) {
      missed.insert(c);
    }
    columns["missed_calls"] = missed;
  }
  std::size_t rows(const std::string& t) const {
    auto it = tables.find(t);
    return it == tables.end() ? 0 : it->second.size();
  }
};

class FakeAccConnection : public db::Connection {
 public:
  explicit FakeAccConnection(FakeAccDb* db) : db_(db) {}

  Result<db::Rows> query(std::string_view sql, std::initializer_list<db::Param> params) override {
    return query(sql, std::vector<db::Param>(params));
  }
  Result<db::Rows> query(std::string_view sql, const std::vector<db::Param>& params) override {
    Status st = gate();
    if (!st.isOk()) return st;
    if (sql.find("information_schema.columns") == std::string_view::npos || params.empty()) {
      return Status::invalidArgument("fake: unexpected query (SQLSTATE 42601)");
    }
    std::string table = std::get<std::string>(params[0]);
    std::vector<std::vector<std::optional<std::string>>> cells;
    auto it = db_->columns.find(table);
    if (it != db_->columns.end()) {
      for (const std::string& c : it->second) cells.push_back({c});
    }
    return db::Rows({"column_name"}, std::move(cells));
  }
  Result<std::int64_t> exec(std::string_view sql,
                            std::initializer_list<db::Param> params) override {
    return exec(sql, std::vector<db::Param>(params));
  }
  Result<std::int64_t> exec(std::string_view sql, const std::vector<db::Param>& params) override {
    Status st = gate();
    if (!st.isOk()) return st;
    if (!db_->insert_state.empty()) {
      // As db_postgres reports what is not class 08/53/57/58 (unavailable) or 22/42.
      return Status::failedPrecondition("cannot execute INSERT (SQLSTATE " + db_->insert_state +
                                        ")");
    }
    // INSERT INTO t (a, b) VALUES ($1, $2) ON CONFLICT (acc_key) DO NOTHING
    std::string s(sql);
    std::size_t into = s.find("INSERT INTO ");
    std::size_t open = s.find(" (");
    std::size_t close = s.find(')', open);
    if (into != 0 || open == std::string::npos || close == std::string::npos) {
      return Status::invalidArgument("fake: unexpected statement (SQLSTATE 42601)");
    }
    std::string table = s.substr(12, open - 12);
    auto cols = db_->columns.find(table);
    if (cols == db_->columns.end()) {
      return Status::invalidArgument("relation \"" + table + "\" does not exist (SQLSTATE 42P01)");
    }
    std::vector<std::string> names;
    std::string list = s.substr(open + 2, close - open - 2);
    std::size_t at = 0;
    while (at <= list.size()) {
      std::size_t comma = list.find(", ", at);
      names.push_back(list.substr(at, comma == std::string::npos ? comma : comma - at));
      if (comma == std::string::npos) break;
      at = comma + 2;
    }
    if (names.empty() || params.size() % names.size() != 0) {
      return Status::invalidArgument("fake: parameter count (SQLSTATE 42601)");
    }
    ++db_->inserts;
    std::int64_t added = 0;
    for (std::size_t base = 0; base < params.size(); base += names.size()) {
      FakeAccDb::Row row;
      for (std::size_t i = 0; i < names.size(); ++i) {
        if (cols->second.count(names[i]) == 0) {
          return Status::invalidArgument("column \"" + names[i] + "\" of relation \"" + table +
                                         "\" does not exist (SQLSTATE 42703)");
        }
        const db::Param& p = params[base + i];
        if (std::holds_alternative<std::string>(p)) {
          row[names[i]] = std::get<std::string>(p);
          if (!db_->refuse_value.empty() && std::get<std::string>(p) == db_->refuse_value) {
            std::string m = "row refused (SQLSTATE " + db_->refuse_state + ")";
            return db_->refuse_state.rfind("22", 0) == 0 ? Status::invalidArgument(m)
                                                         : Status::failedPrecondition(m);
          }
        } else {
          row[names[i]] = std::nullopt;
        }
      }
      std::string key = row["acc_key"].value_or("");
      auto& t = db_->tables[table];
      if (t.count(key) != 0) {
        ++db_->conflicts;
        continue;
      }
      t[key] = row;
      db_->order.push_back(key);
      ++added;
    }
    return added;
  }
  Status begin() override {
    Status st = gate();
    if (!st.isOk()) return st;
    snapshot_ = db_->tables;
    order_snapshot_ = db_->order;
    in_tx_ = true;
    return Status::ok();
  }
  Status commit() override {
    Status st = gate();
    if (!st.isOk()) {
      (void)rollback();
      return st;
    }
    in_tx_ = false;
    return Status::ok();
  }
  Status rollback() override {
    if (in_tx_) {
      db_->tables = snapshot_;
      db_->order = order_snapshot_;
    }
    in_tx_ = false;
    return Status::ok();
  }
  bool connected() const override { return !db_->down; }
  Status ensureConnected() override { return gate(); }
  const db::DbUrl& url() const override { return url_; }

 private:
  Status gate() {
    ++db_->statements;
    if (db_->down || db_->slow) {
      (void)rollback();
      return Status::unavailable(db_->slow ? "canceling statement due to statement timeout "
                                             "(SQLSTATE 57014)"
                                           : "connection refused");
    }
    return Status::ok();
  }
  FakeAccDb* db_;
  db::DbUrl url_;
  std::map<std::string, std::map<std::string, FakeAccDb::Row>> snapshot_;
  std::vector<std::string> order_snapshot_;
  bool in_tx_ = false;
};

}  // namespace sipline::acc::testing
