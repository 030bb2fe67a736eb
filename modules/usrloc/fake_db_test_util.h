// Tests only: an in-memory stand-in for PostgreSQL that understands exactly the statements
// usrloc (ul_sql.cc) and db::checkTable send, with transactions (snapshot/restore) and faults
// to inject: the whole DB down, the Nth next statement failing with a chosen code, rows of one
// contact refused as bad data. Several FakeConnections share one FakeDb, as the processes of
// a server share one database.
#pragma once

#include <algorithm>
#include <charconv>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "core/db/db.h"

namespace sipline::usrloc::testing {

struct FakeDb {
  using Row = std::map<std::string, std::optional<std::string>>;
  using Key = std::tuple<std::string, std::string, std::string>;  // username, domain, contact
  using Table = std::map<Key, Row>;

  std::map<std::string, Table> tables;
  std::map<std::string, int> versions{{"location", 1}};
  std::vector<std::string> missing_columns;  // left out of information_schema
  std::int64_t next_id = 1;

  bool down = false;
  int fail_in = 0;  // >0: the fail_in-th next statement fails with fail_code
  Code fail_code = Code::kUnavailable;
  std::string refuse_contact;  // statements writing this contact URI fail (bad data)
  int statements = 0;
  std::vector<std::string> log;
  std::vector<std::string> locks;  // keys of pg_advisory_xact_lock calls

  // Test helpers.
  Row* find(const std::string& table, const std::string& user, const std::string& domain,
            const std::string& contact) {
    auto t = tables.find(table);
    if (t == tables.end()) return nullptr;
    auto r = t->second.find(Key{user, domain, contact});
    return r == t->second.end() ? nullptr : &r->second;
  }
  std::size_t rows(const std::string& table) {
    auto t = tables.find(table);
    return t == tables.end() ? 0 : t->second.size();
  }
  void put(const std::string& table, const std::string& user, const std::string& domain,
           const std::string& contact, std::int64_t expires, Row extra = {}) {
    Row r;
    r["contact_id"] = std::to_string(next_id++);
    r["username"] = user;
    r["domain"] = domain;
    r["contact"] = contact;
    r["expires"] = std::to_string(expires);
    for (auto& [column, value] : extra) r[column] = value;
    tables[table][Key{user, domain, contact}] = std::move(r);
  }
};

class FakeConnection final : public db::Connection {
 public:
  explicit FakeConnection(FakeDb& db) : db_(db) { url_.text = "postgres://fake/db"; }

  Result<db::Rows> query(std::string_view sql, std::initializer_list<db::Param> params) override {
    return query(sql, std::vector<db::Param>(params));
  }
  Result<db::Rows> query(std::string_view sql, const std::vector<db::Param>& params) override {
    Status st = enter(sql);
    if (!st.isOk()) return st;
    return select(std::string(sql), params);
  }
  Result<std::int64_t> exec(std::string_view sql,
                            std::initializer_list<db::Param> params) override {
    return exec(sql, std::vector<db::Param>(params));
  }
  Result<std::int64_t> exec(std::string_view sql, const std::vector<db::Param>& params) override {
    Status st = enter(sql);
    if (!st.isOk()) return st;
    return write(std::string(sql), params);
  }
  Status begin() override {
    Status st = enter("BEGIN");
    if (!st.isOk()) return st;
    snapshot_ = db_.tables;
    return Status::ok();
  }
  Status commit() override {
    Status st = enter("COMMIT");
    if (!st.isOk()) {
      abort();
      return st;
    }
    snapshot_.reset();
    return Status::ok();
  }
  Status rollback() override {
    abort();
    return Status::ok();
  }
  bool connected() const override { return !db_.down; }
  Status ensureConnected() override {
    return db_.down ? Status::unavailable("fake DB is down") : Status::ok();
  }
  const db::DbUrl& url() const override { return url_; }

 private:
  void abort() {
    if (snapshot_.has_value()) db_.tables = std::move(*snapshot_);
    snapshot_.reset();
  }

  Status enter(std::string_view sql) {
    ++db_.statements;
    db_.log.emplace_back(sql);
    if (db_.down) {
      abort();
      return Status::unavailable("fake DB is down");
    }
    if (db_.fail_in > 0 && --db_.fail_in == 0) {
      if (db_.fail_code == Code::kUnavailable) abort();
      if (db_.fail_code == Code::kUnavailable) return Status::unavailable("fake: injected outage");
      if (db_.fail_code == Code::kInvalidArgument) return Status::invalidArgument("fake: bad data");
      return Status::failedPrecondition("fake: injected error");
    }
    return Status::ok();
  }

  static std::optional<std::string> text(const db::Param& p) {
    if (std::holds_alternative<std::monostate>(p)) return std::nullopt;
    if (const auto* i = std::get_if<std::int64_t>(&p)) return std::to_string(*i);
    if (const auto* b = std::get_if<bool>(&p)) return std::string(*b ? "t" : "f");
    if (const auto* d = std::get_if<double>(&p)) {
      char buf[32];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *d);
      return std::string(buf, end);
    }
    return std::get<std::string>(p);
  }
  static std::int64_t num(const std::optional<std::string>& s) {
    std::int64_t v = 0;
    if (s.has_value()) std::from_chars(s->data(), s->data() + s->size(), v);
    return v;  // what a bigint column cannot hold counts as 0
  }
  static std::string tableAfter(const std::string& sql, const std::string& word) {
    std::size_t at = sql.find(word) + word.size();
    return sql.substr(at, sql.find_first_of(" (", at) - at);
  }
  static std::vector<std::string> splitList(const std::string& list) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= list.size()) {
      std::size_t comma = list.find(',', start);
      std::string item =
          list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      item.erase(0, item.find_first_not_of(' '));
      item.erase(item.find_last_not_of(' ') + 1);
      out.push_back(item);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return out;
  }

  Result<db::Rows> select(const std::string& sql, const std::vector<db::Param>& p) {
    if (sql.find("pg_advisory_xact_lock") != std::string::npos) {
      db_.locks.push_back(*text(p[0]));
      return db::Rows({"pg_advisory_xact_lock"}, {{std::string()}});
    }
    if (sql.find("FROM version") != std::string::npos) {
      auto v = db_.versions.find(*text(p[0]));
      if (v == db_.versions.end()) return db::Rows({"table_version"}, {});
      return db::Rows({"table_version"}, {{std::to_string(v->second)}});
    }
    if (sql.find("information_schema.columns") != std::string::npos) {
      std::vector<std::vector<std::optional<std::string>>> cells;
      if (db_.versions.count(*text(p[0])) != 0) {
        for (const char* c : {"contact_id", "username", "domain", "contact", "received", "path",
                              "expires", "q", "callid", "cseq", "last_modified", "flags", "cflags",
                              "user_agent", "socket", "methods", "sip_instance", "reg_id"}) {
          bool missing = false;
          for (const std::string& m : db_.missing_columns) missing = missing || m == c;
          if (!missing) cells.push_back({std::string(c)});
        }
      }
      return db::Rows({"column_name"}, std::move(cells));
    }
    std::vector<std::string> cols = splitList(sql.substr(7, sql.find(" FROM ") - 7));
    FakeDb::Table& t = db_.tables[tableAfter(sql, " FROM ")];
    std::vector<const FakeDb::Row*> hits;
    for (const auto& [key, row] : t) {
      if (sql.find("contact_id > $2") != std::string::npos) {
        if (num(row.at("expires")) <= num(text(p[0])) ||
            num(row.at("contact_id")) <= num(text(p[1]))) {
          continue;
        }
      } else if (sql.find("username = $1") != std::string::npos) {
        if (std::get<0>(key) != *text(p[0]) || std::get<1>(key) != *text(p[1])) continue;
        if (p.size() > 2 && num(row.at("expires")) <= num(text(p[2]))) continue;
      } else if (sql.find("expires > $1") != std::string::npos) {
        if (num(row.at("expires")) <= num(text(p[0]))) continue;
      }
      hits.push_back(&row);
    }
    if (sql.find("ORDER BY contact_id") != std::string::npos) {
      std::sort(hits.begin(), hits.end(), [](const FakeDb::Row* a, const FakeDb::Row* b) {
        return num(a->at("contact_id")) < num(b->at("contact_id"));
      });
    }
    std::size_t limit_at = sql.find(" LIMIT ");
    if (limit_at != std::string::npos) {
      std::size_t limit = std::stoul(sql.substr(limit_at + 7));
      if (hits.size() > limit) hits.resize(limit);
    }
    std::vector<std::vector<std::optional<std::string>>> cells;
    for (const FakeDb::Row* row : hits) {
      std::vector<std::optional<std::string>> out;
      for (const std::string& c : cols) {
        auto it = row->find(c);
        out.push_back(it == row->end() ? std::nullopt : it->second);
      }
      cells.push_back(std::move(out));
    }
    return db::Rows(cols, std::move(cells));
  }

  Result<std::int64_t> write(const std::string& sql, const std::vector<db::Param>& p) {
    if (sql.rfind("INSERT INTO ", 0) == 0) {
      FakeDb::Table& t = db_.tables[tableAfter(sql, "INSERT INTO ")];
      std::size_t open = sql.find('(');
      std::vector<std::string> cols = splitList(sql.substr(open + 1, sql.find(')') - open - 1));
      if (p.size() % cols.size() != 0) return Status::invalidArgument("fake: parameter count");
      for (std::size_t r = 0; r < p.size() / cols.size(); ++r) {
        if (*text(p[r * cols.size() + 2]) == db_.refuse_contact && !db_.refuse_contact.empty()) {
          return Status::invalidArgument("fake: value too long for type character varying(512)");
        }
      }
      for (std::size_t r = 0; r < p.size() / cols.size(); ++r) {
        FakeDb::Row row;
        for (std::size_t c = 0; c < cols.size(); ++c) row[cols[c]] = text(p[r * cols.size() + c]);
        FakeDb::Key key{*row["username"], *row["domain"], *row["contact"]};
        auto old = t.find(key);
        row["contact_id"] = old != t.end()
                                ? old->second["contact_id"]
                                : std::optional<std::string>(std::to_string(db_.next_id++));
        t[key] = std::move(row);
      }
      return static_cast<std::int64_t>(p.size() / cols.size());
    }
    FakeDb::Table& t = db_.tables[tableAfter(sql, "DELETE FROM ")];
    std::int64_t n = 0;
    if (sql.find("expires <= $1") != std::string::npos) {
      for (auto it = t.begin(); it != t.end();) {
        if (num(it->second.at("expires")) <= num(text(p[0]))) {
          it = t.erase(it);
          ++n;
        } else {
          ++it;
        }
      }
      return n;
    }
    for (std::size_t i = 0; i + 2 < p.size(); i += 3) {
      n += static_cast<std::int64_t>(
          t.erase(FakeDb::Key{*text(p[i]), *text(p[i + 1]), *text(p[i + 2])}));
    }
    return n;
  }

  FakeDb& db_;
  db::DbUrl url_;
  std::optional<std::map<std::string, FakeDb::Table>> snapshot_;
};

inline std::unique_ptr<db::Connection> fakeConnection(FakeDb& db) {
  return std::make_unique<FakeConnection>(db);
}

}  // namespace sipline::usrloc::testing
