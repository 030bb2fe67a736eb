// Tests only: what the db_postgres suites share. A real server from scripts/pg-scratch (one per
// test process, stopped at exit; see core/db/pg_scratch_for_test.h), connections with fast
// options, statistics bound to local counters, and a stopwatch.
#pragma once

#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <thread>

#include "core/base/clock.h"
#include "core/db/db.h"
#include "core/db/pg_scratch_for_test.h"
#include "modules/db_postgres/pg_connection.h"

namespace sipline::pg {

class PgFixture : public CppUnit::TestFixture {
 public:
  void setUp() override {
    std::string why;
    bool missing = false;
    server_ = db::PgScratch::shared(&why, &missing);
    if (server_ == nullptr && !missing) CPPUNIT_FAIL("cannot start PostgreSQL: " + why);
    if (server_ == nullptr) {
      static bool told = false;
      if (!told) std::fprintf(stderr, "\nSKIP db_postgres tests: %s\n", why.c_str());
      told = true;
    }
    stats_.queries.bindForTest(&queries_);
    stats_.errors.bindForTest(&errors_);
    stats_.reconnects.bindForTest(&reconnects_);
  }
  void tearDown() override {
    conn_.reset();
    if (server_ == nullptr) return;
    // Whatever a test did to the server, the next one finds it running.
    if (frozen_) server_->thaw();
    if (down_) server_->up();
    frozen_ = down_ = false;
  }

 protected:
  static db::Options fastOptions() {
    db::Options o;
    o.connect_timeout_ms = 2000;
    o.query_timeout_ms = 2000;
    o.reconnect_min_ms = 100;
    o.reconnect_max_ms = 400;
    return o;
  }
  static db::DbUrl mustParse(const std::string& url) {
    Result<db::DbUrl> u = db::parseDbUrl(url);
    CPPUNIT_ASSERT_MESSAGE(u.status().message(), u.isOk());
    return u.value();
  }
  PgConnection& open(const db::Options& o = fastOptions()) {
    conn_ = std::make_unique<PgConnection>(mustParse(server_->url()), o, &stats_);
    return *conn_;
  }
  // A unique table name per test, so that tests never see each other's rows.
  std::string table(const char* base) {
    static int seq = 0;
    return std::string(base) + "_" + std::to_string(getpid()) + "_" + std::to_string(++seq);
  }
  void mustExec(db::Connection& c, const std::string& sql) {
    Result<std::int64_t> r = c.exec(sql);
    CPPUNIT_ASSERT_MESSAGE(sql + ": " + r.status().message(), r.isOk());
  }
  // scripts/sql/<name>.sql as shipped, with its table (the CREATE TABLE, its indexes and its
  // version row) named `t` instead, run statement by statement; the version table is created
  // when missing. Column names that equal the table's (domain.domain) are left alone.
  void createShippedTable(db::Connection& c, const std::string& name, const std::string& t) {
    mustExec(c,
             "CREATE TABLE IF NOT EXISTS version (table_name text PRIMARY KEY, "
             "table_version int NOT NULL)");
    std::ifstream in(std::string(SIPLINE_SOURCE_DIR) + "/scripts/sql/" + name + ".sql");
    CPPUNIT_ASSERT_MESSAGE(name + ".sql", in.good());
    std::string sql;
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("--", 0) != 0) sql += line + "\n";
    }
    sql = std::regex_replace(sql, std::regex("(CREATE TABLE |ON |\\(')" + name + "(?=[\\s'(])"),
                             "$1" + t);
    sql = std::regex_replace(sql, std::regex("(CREATE (UNIQUE )?INDEX )" + name + "_"),
                             "$1" + t + "_");
    CPPUNIT_ASSERT_MESSAGE(sql, sql.find("CREATE TABLE " + t + " ") != std::string::npos);
    for (std::size_t start = 0, end; (end = sql.find(";\n", start)) != std::string::npos;
         start = end + 2) {
      mustExec(c, sql.substr(start, end - start));
    }
  }
  void freeze() {
    CPPUNIT_ASSERT_MESSAGE(server_->error(), server_->freeze());
    frozen_ = true;
  }
  void thaw() {
    CPPUNIT_ASSERT_MESSAGE(server_->error(), server_->thaw());
    frozen_ = false;
  }
  void down() {
    CPPUNIT_ASSERT_MESSAGE(server_->error(), server_->down());
    down_ = true;
  }
  void up() {
    CPPUNIT_ASSERT_MESSAGE(server_->error(), server_->up());
    down_ = false;
  }
  static void sleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

  struct Stopwatch {
    std::int64_t start = monotonicMs();
    std::int64_t ms() const { return monotonicMs() - start; }
  };

  db::PgScratch* server_ = nullptr;
  std::unique_ptr<PgConnection> conn_;
  PgStats stats_;
  std::atomic<std::uint64_t> queries_{0};
  std::atomic<std::uint64_t> errors_{0};
  std::atomic<std::uint64_t> reconnects_{0};
  bool frozen_ = false;
  bool down_ = false;
};

}  // namespace sipline::pg

// First line of every test that needs the server: returns (the test passes as skipped) when
// PostgreSQL is not installed; a server that fails to start has already failed setUp().
#define SL_NEED_PG()                \
  do {                              \
    if (server_ == nullptr) return; \
  } while (0)
