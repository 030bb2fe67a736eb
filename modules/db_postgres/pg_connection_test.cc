// PgConnection against a real PostgreSQL (scripts/pg-scratch): statements, parameters,
// results, prepared-statement reuse, SQL errors, transactions. Outages: pg_outage_test.cc.
#include "modules/db_postgres/pg_connection.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <limits>

#include "core/db/db_text.h"
#include "core/db/schema.h"
#include "modules/db_postgres/pg_driver.h"
#include "modules/db_postgres/pg_test_fixture.h"

namespace sipline::pg {

class PgConnectionTest : public PgFixture {
  CPPUNIT_TEST_SUITE(PgConnectionTest);
  CPPUNIT_TEST(paramsOfEveryTypeRoundTrip);
  CPPUNIT_TEST(nullParamsAndNullCells);
  CPPUNIT_TEST(typedParamsWorkInExpressions);
  CPPUNIT_TEST(execCountsAffectedRows);
  CPPUNIT_TEST(statementsArePreparedOncePerConnection);
  CPPUNIT_TEST(distinctTextsBeyondTheCapAreNotKept);
  CPPUNIT_TEST(sqlErrorsKeepTheConnection);
  CPPUNIT_TEST(copyInLoadsEscapedRows);
  CPPUNIT_TEST(copyInIsAllOrNothingAndKeepsTheConnection);
  CPPUNIT_TEST(otherCopyStatesDropTheConnectionWithoutHanging);
  CPPUNIT_TEST(transactionsCommitAndRollBack);
  CPPUNIT_TEST(commitAfterAFailedStatementRollsBack);
  CPPUNIT_TEST(schemaCheckReadsTheRealCatalog);
  CPPUNIT_TEST(statisticsCountQueriesAndErrors);
  CPPUNIT_TEST(connectionRefusesUseFromAnotherProcess);
  CPPUNIT_TEST(driverChecksOptionsAndOpensLazily);
  CPPUNIT_TEST_SUITE_END();

 public:
  void paramsOfEveryTypeRoundTrip() {
    SL_NEED_PG();
    PgConnection& c = open();
    std::string t = table("roundtrip");
    mustExec(c, "CREATE TABLE " + t + " (i bigint, d double precision, b boolean, s text)");
    const std::string tricky = "it's a \"quote\"; DROP TABLE x; -- \\ \xc3\xa9";
    const std::int64_t big = std::numeric_limits<std::int64_t>::min();
    Result<std::int64_t> ins =
        c.exec("INSERT INTO " + t + " VALUES ($1, $2, $3, $4)", {big, 1.0 / 3.0, true, tricky});
    CPPUNIT_ASSERT_MESSAGE(ins.status().message(), ins.isOk());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, ins.value());
    Result<db::Rows> r = c.query("SELECT i, d, b, s FROM " + t);
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.isOk());
    const db::Rows& rows = r.value();
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, rows.size());
    CPPUNIT_ASSERT_EQUAL(3, rows.column("s"));
    std::int64_t i = 0;
    double d = 0;
    bool b = false;
    CPPUNIT_ASSERT(rows.getInt(0, 0, i));
    CPPUNIT_ASSERT_EQUAL(big, i);
    CPPUNIT_ASSERT(rows.getDouble(0, 1, d));
    CPPUNIT_ASSERT_EQUAL(1.0 / 3.0, d);
    CPPUNIT_ASSERT(rows.getBool(0, 2, b));
    CPPUNIT_ASSERT(b);
    CPPUNIT_ASSERT_EQUAL(std::string_view(tricky), *rows.text(0, 3));
    // Special doubles as PostgreSQL spells them, and back.
    Result<db::Rows> inf =
        c.query("SELECT $1::float8, $2::float8", {std::numeric_limits<double>::infinity(), -0.0});
    CPPUNIT_ASSERT_MESSAGE(inf.status().message(), inf.isOk());
    CPPUNIT_ASSERT(inf.value().getDouble(0, 0, d));
    CPPUNIT_ASSERT(std::isinf(d) && d > 0);
  }

  void nullParamsAndNullCells() {
    SL_NEED_PG();
    PgConnection& c = open();
    std::string t = table("nulls");
    mustExec(c, "CREATE TABLE " + t + " (k int PRIMARY KEY, v text, n bigint)");
    Result<std::int64_t> ins = c.exec("INSERT INTO " + t + " VALUES ($1, $2, $3), ($4, $5, $6)",
                                      {std::int64_t{1}, db::Param(), db::Param(), std::int64_t{2},
                                       std::string(""), std::int64_t{0}});
    CPPUNIT_ASSERT_MESSAGE(ins.status().message(), ins.isOk());
    Result<db::Rows> r = c.query("SELECT v, n FROM " + t + " ORDER BY k");
    CPPUNIT_ASSERT(r.isOk());
    CPPUNIT_ASSERT(r.value().isNull(0, 0));
    CPPUNIT_ASSERT(r.value().isNull(0, 1));
    std::int64_t n = -1;
    CPPUNIT_ASSERT(!r.value().getInt(0, 1, n));
    CPPUNIT_ASSERT(!r.value().isNull(1, 0));  // '' is not NULL
    CPPUNIT_ASSERT_EQUAL(std::string_view(""), *r.value().text(1, 0));
    CPPUNIT_ASSERT(r.value().getInt(1, 1, n));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, n);
    // NULL in a comparison matches nothing; IS NOT DISTINCT FROM does.
    Result<db::Rows> none = c.query("SELECT k FROM " + t + " WHERE v = $1", {db::Param()});
    CPPUNIT_ASSERT(none.isOk() && none.value().empty());
    Result<db::Rows> one =
        c.query("SELECT k FROM " + t + " WHERE v IS NOT DISTINCT FROM $1", {db::Param()});
    CPPUNIT_ASSERT(one.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, one.value().size());
  }

  void typedParamsWorkInExpressions() {
    SL_NEED_PG();
    PgConnection& c = open();
    // int8/float8/bool travel typed: no cast needed in arithmetic or comparisons...
    Result<db::Rows> r =
        c.query("SELECT $1 + 1, $2 * 2, NOT $3", {std::int64_t{5000000000}, 0.25, false});
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.isOk());
    std::int64_t i = 0;
    double d = 0;
    bool b = false;
    CPPUNIT_ASSERT(r.value().getInt(0, 0, i));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{5000000001}, i);
    CPPUNIT_ASSERT(r.value().getDouble(0, 1, d));
    CPPUNIT_ASSERT_EQUAL(0.5, d);
    CPPUNIT_ASSERT(r.value().getBool(0, 2, b));
    CPPUNIT_ASSERT(b);
    // ...and text takes the type the statement gives it (a timestamp, an inet).
    Result<db::Rows> ts = c.query("SELECT $1::timestamptz < now(), $2::inet << '10.0.0.0/8'",
                                  {std::string("2001-02-03 04:05:06+00"), std::string("10.1.2.3")});
    CPPUNIT_ASSERT_MESSAGE(ts.status().message(), ts.isOk());
    CPPUNIT_ASSERT(ts.value().getBool(0, 0, b) && b);
    CPPUNIT_ASSERT(ts.value().getBool(0, 1, b) && b);
  }

  void execCountsAffectedRows() {
    SL_NEED_PG();
    PgConnection& c = open();
    std::string t = table("affected");
    mustExec(c, "CREATE TABLE " + t + " (k int)");
    Result<std::int64_t> ins =
        c.exec("INSERT INTO " + t + " SELECT generate_series(1, $1)", {std::int64_t{5}});
    CPPUNIT_ASSERT_EQUAL(std::int64_t{5}, ins.value());
    Result<std::int64_t> upd = c.exec("UPDATE " + t + " SET k = k + 10 WHERE k > $1",
                                      std::vector<db::Param>{std::int64_t{2}});
    CPPUNIT_ASSERT_EQUAL(std::int64_t{3}, upd.value());
    Result<std::int64_t> del = c.exec("DELETE FROM " + t + " WHERE k = $1", {std::int64_t{99}});
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, del.value());
    Result<std::int64_t> sel = c.exec("SELECT * FROM " + t);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{5}, sel.value());
    // A statement without rows read with query(): no rows, no columns.
    Result<db::Rows> q = c.query("UPDATE " + t + " SET k = 0 WHERE false");
    CPPUNIT_ASSERT(q.isOk() && q.value().empty() && q.value().columns().empty());
  }

  void statementsArePreparedOncePerConnection() {
    SL_NEED_PG();
    PgConnection& c = open();
    const std::string sql = "SELECT $1::bigint * 2";
    for (std::int64_t k = 1; k <= 3; ++k) {
      Result<db::Rows> r = c.query(sql, {k});
      std::int64_t v = 0;
      CPPUNIT_ASSERT(r.isOk() && r.value().getInt(0, 0, v));
      CPPUNIT_ASSERT_EQUAL(k * 2, v);
    }
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, c.preparedCountForTest());
    // The server agrees: the session holds exactly what the cache holds (plus this query).
    Result<db::Rows> ps =
        c.query("SELECT count(*) FROM pg_prepared_statements WHERE statement = $1", {sql});
    std::int64_t n = 0;
    CPPUNIT_ASSERT(ps.isOk() && ps.value().getInt(0, 0, n));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, n);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, c.preparedCountForTest());
  }

  void distinctTextsBeyondTheCapAreNotKept() {
    SL_NEED_PG();
    PgConnection& c = open();
    const std::size_t cap = PgConnection::kMaxPreparedStatements;
    for (std::size_t k = 0; k < cap + 3; ++k) {
      Result<db::Rows> r = c.query("SELECT " + std::to_string(k) + " + $1::int", {std::int64_t{1}});
      std::int64_t v = 0;
      CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.isOk() && r.value().getInt(0, 0, v));
      CPPUNIT_ASSERT_EQUAL(static_cast<std::int64_t>(k) + 1, v);
    }
    CPPUNIT_ASSERT_EQUAL(cap, c.preparedCountForTest());
    // The unnamed statement serves the overflow; the server holds only the cached ones.
    Result<db::Rows> ps = c.query("SELECT count(*) FROM pg_prepared_statements");
    std::int64_t n = 0;
    CPPUNIT_ASSERT(ps.isOk() && ps.value().getInt(0, 0, n));
    CPPUNIT_ASSERT_EQUAL(static_cast<std::int64_t>(cap), n);
  }

  // Text with every character COPY escapes, invalid UTF-8 and a NUL, in rows bigger together
  // than the piece copyIn() hands libpq at a time: each comes back as dbText() made it.
  void copyInLoadsEscapedRows() {
    SL_NEED_PG();
    PgConnection& c = open();
    std::string t = table("copy");
    mustExec(c, "CREATE TABLE " + t + " (k int, at timestamptz, s text)");
    const std::string tricky = std::string("tab\there\r\nnew line \\N back\\slash \xc3\xa9 ") +
                               std::string("nul\0 bad\xff end", 13) + "\\";
    const std::string filler(4000, 'x');
    std::string data;
    const int rows = 1000;  // about 4 MB
    for (int k = 0; k < rows; ++k) {
      data += std::to_string(k) + "\t2026-11-28 10:00:00.123456+00\t";
      db::appendCopyText(k % 2 == 0 ? tricky : filler, data);
      data += "\n";
    }
    Result<std::int64_t> n = c.copyIn("COPY " + t + " (k, at, s) FROM STDIN", data);
    CPPUNIT_ASSERT_MESSAGE(n.status().message(), n.isOk());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{rows}, n.value());
    Result<db::Rows> r = c.query("SELECT s, extract(microseconds FROM at)::int FROM " + t +
                                 " WHERE k < 2 ORDER BY k");
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.isOk());
    CPPUNIT_ASSERT_EQUAL(db::dbText(tricky), std::string(*r.value().text(0, 0)));
    CPPUNIT_ASSERT_EQUAL(filler, std::string(*r.value().text(1, 0)));
    std::int64_t us = 0;
    CPPUNIT_ASSERT(r.value().getInt(0, 1, us));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{123456}, us);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{rows}, count(c, t));
  }

  // A row the server refuses (a bad integer) fails the whole load, and a COPY into a table
  // that does not exist fails before any data: both are SQL errors that keep the session,
  // and the next load works.
  void copyInIsAllOrNothingAndKeepsTheConnection() {
    SL_NEED_PG();
    PgConnection& c = open();
    std::string t = table("copy_bad");
    mustExec(c, "CREATE TABLE " + t + " (k int, s text)");
    std::int64_t pid_before = backendPid(c);
    Result<std::int64_t> bad = c.copyIn("COPY " + t + " (k, s) FROM STDIN", "1\tok\ntwo\tbad\n");
    CPPUNIT_ASSERT_EQUAL(Code::kInvalidArgument, bad.status().code());
    CPPUNIT_ASSERT_MESSAGE(bad.status().message(),
                           bad.status().message().find("two") != std::string::npos);
    Result<std::int64_t> missing = c.copyIn("COPY no_such_table_here (k) FROM STDIN", "1\n");
    CPPUNIT_ASSERT_EQUAL(Code::kInvalidArgument, missing.status().code());
    CPPUNIT_ASSERT(missing.status().message().find("no_such_table_here") != std::string::npos);
    CPPUNIT_ASSERT(c.connected());
    CPPUNIT_ASSERT_EQUAL(pid_before, backendPid(c));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, count(c, t));
    Result<std::int64_t> good = c.copyIn("COPY " + t + " (k, s) FROM STDIN", "1\tone\n2\ttwo\n");
    CPPUNIT_ASSERT_MESSAGE(good.status().message(), good.isOk());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, good.value());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{2}, errors_.load());
  }

  // A COPY that is not the load copyIn() expects (TO STDOUT), or one sent as a plain
  // statement, would leave libpq in a COPY state for good: the call fails at once and the
  // connection is dropped, and the next call works on a new one.
  void otherCopyStatesDropTheConnectionWithoutHanging() {
    SL_NEED_PG();
    PgConnection& c = open();
    std::string t = table("copy_state");
    mustExec(c, "CREATE TABLE " + t + " (k int)");
    Stopwatch w;
    Result<std::int64_t> out = c.copyIn("COPY " + t + " TO STDOUT", "");
    CPPUNIT_ASSERT_EQUAL(Code::kUnavailable, out.status().code());
    CPPUNIT_ASSERT_MESSAGE(out.status().message(),
                           out.status().message().find("COPY answered") != std::string::npos);
    sleepMs(300);  // past the back-off: the next statement reaches the server
    Result<std::int64_t> in = c.exec("COPY " + t + " FROM STDIN");
    CPPUNIT_ASSERT_EQUAL(Code::kUnavailable, in.status().code());
    CPPUNIT_ASSERT_MESSAGE(in.status().message(),
                           in.status().message().find("unexpected result") != std::string::npos);
    CPPUNIT_ASSERT(w.ms() < 1500);
    sleepMs(500);  // past the back-off
    Result<std::int64_t> good = c.copyIn("COPY " + t + " (k) FROM STDIN", "7\n");
    CPPUNIT_ASSERT_MESSAGE(good.status().message(), good.isOk());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, good.value());
  }

  void sqlErrorsKeepTheConnection() {
    SL_NEED_PG();
    PgConnection& c = open();
    std::string t = table("errors");
    mustExec(c, "CREATE TABLE " + t + " (k int PRIMARY KEY)");
    std::int64_t pid_before = backendPid(c);
    CPPUNIT_ASSERT(c.exec("INSERT INTO " + t + " VALUES ($1)", {std::int64_t{1}}).isOk());
    Result<std::int64_t> dup = c.exec("INSERT INTO " + t + " VALUES ($1)", {std::int64_t{1}});
    CPPUNIT_ASSERT_EQUAL(Code::kFailedPrecondition, dup.status().code());
    CPPUNIT_ASSERT_MESSAGE(dup.status().message(),
                           dup.status().message().find("duplicate key") != std::string::npos);
    CPPUNIT_ASSERT(dup.status().message().find("23505") != std::string::npos);
    Result<db::Rows> syntax = c.query("SELEKT 1");
    CPPUNIT_ASSERT_EQUAL(Code::kInvalidArgument, syntax.status().code());
    CPPUNIT_ASSERT(syntax.status().message().find("syntax error") != std::string::npos);
    Result<db::Rows> bad_value = c.query("SELECT $1::int", {std::string("twelve")});
    CPPUNIT_ASSERT_EQUAL(Code::kInvalidArgument, bad_value.status().code());
    Result<db::Rows> no_table = c.query("SELECT * FROM no_such_table_here");
    CPPUNIT_ASSERT_EQUAL(Code::kInvalidArgument, no_table.status().code());
    CPPUNIT_ASSERT(no_table.status().message().find("no_such_table_here") != std::string::npos);
    // Same session throughout; the failed prepares were not cached.
    CPPUNIT_ASSERT(c.connected());
    CPPUNIT_ASSERT_EQUAL(pid_before, backendPid(c));
    Result<db::Rows> again = c.query("SELEKT 1");
    CPPUNIT_ASSERT_EQUAL(Code::kInvalidArgument, again.status().code());
  }

  void transactionsCommitAndRollBack() {
    SL_NEED_PG();
    PgConnection& c = open();
    std::string t = table("txn");
    mustExec(c, "CREATE TABLE " + t + " (k int)");
    CPPUNIT_ASSERT(c.begin().isOk());
    CPPUNIT_ASSERT(c.exec("INSERT INTO " + t + " VALUES (1)").isOk());
    CPPUNIT_ASSERT(c.rollback().isOk());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, count(c, t));
    CPPUNIT_ASSERT(c.begin().isOk());
    CPPUNIT_ASSERT(c.exec("INSERT INTO " + t + " VALUES (1)").isOk());
    CPPUNIT_ASSERT(c.exec("INSERT INTO " + t + " VALUES (2)").isOk());
    // Not visible to another session before the commit.
    PgConnection other(mustParse(server_->url()), fastOptions(), nullptr);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, count(other, t));
    Status st = c.commit();
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, count(other, t));
    // rollback() outside a transaction is harmless.
    CPPUNIT_ASSERT(c.rollback().isOk());
  }

  void commitAfterAFailedStatementRollsBack() {
    SL_NEED_PG();
    PgConnection& c = open();
    std::string t = table("txnfail");
    mustExec(c, "CREATE TABLE " + t + " (k int PRIMARY KEY)");
    CPPUNIT_ASSERT(c.begin().isOk());
    CPPUNIT_ASSERT(c.exec("INSERT INTO " + t + " VALUES (1)").isOk());
    CPPUNIT_ASSERT(!c.exec("INSERT INTO " + t + " VALUES (1)").isOk());
    Result<std::int64_t> aborted = c.exec("INSERT INTO " + t + " VALUES (2)");
    CPPUNIT_ASSERT_EQUAL(Code::kFailedPrecondition, aborted.status().code());  // 25P02
    Status st = c.commit();
    CPPUNIT_ASSERT_EQUAL(Code::kFailedPrecondition, st.code());
    CPPUNIT_ASSERT(st.message().find("rolled back") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, count(c, t));
  }

  void schemaCheckReadsTheRealCatalog() {
    SL_NEED_PG();
    PgConnection& c = open();
    std::string t = table("loc");
    db::TableSpec spec{t, 3, {"username", "reg_id"}};
    Status none = db::checkTable(c, spec);
    CPPUNIT_ASSERT_EQUAL(Code::kFailedPrecondition, none.code());
    // "no table version" on a fresh database, "no row in table version" once another test
    // made that table: both send the operator to `db init`.
    CPPUNIT_ASSERT_MESSAGE(none.message(), none.message().find("db init") != std::string::npos);
    mustExec(c,
             "CREATE TABLE IF NOT EXISTS version (table_name text PRIMARY KEY, "
             "table_version int NOT NULL)");
    mustExec(c, "CREATE TABLE " + t + " (id serial, username text)");
    CPPUNIT_ASSERT(c.exec("INSERT INTO version VALUES ($1, 2)", {t}).isOk());
    Status old = db::checkTable(c, spec);
    CPPUNIT_ASSERT_EQUAL("table " + t + ": version 3 expected, 2 found; run `siplinectl db check`",
                         old.message());
    CPPUNIT_ASSERT(
        c.exec("UPDATE version SET table_version = 3 WHERE table_name = $1", {t}).isOk());
    Status col = db::checkTable(c, spec);
    CPPUNIT_ASSERT_EQUAL("table " + t + " has no column reg_id; run `siplinectl db check`",
                         col.message());
    mustExec(c, "ALTER TABLE " + t + " ADD COLUMN reg_id int");
    Status ok = db::checkTable(c, spec);
    CPPUNIT_ASSERT_MESSAGE(ok.message(), ok.isOk());
  }

  void statisticsCountQueriesAndErrors() {
    SL_NEED_PG();
    PgConnection& c = open();
    CPPUNIT_ASSERT(c.query("SELECT 1").isOk());
    CPPUNIT_ASSERT(!c.query("SELECT 1/0").isOk());
    CPPUNIT_ASSERT(c.begin().isOk());
    CPPUNIT_ASSERT(c.rollback().isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{4}, queries_.load());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, errors_.load());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, reconnects_.load());
  }

  void connectionRefusesUseFromAnotherProcess() {
    SL_NEED_PG();
    PgConnection& c = open();
    std::int64_t pid = backendPid(c);
    pid_t child = fork();
    if (child == 0) {
      Result<db::Rows> r = c.query("SELECT 1");
      _exit(!r.isOk() && r.status().code() == Code::kInternal ? 0 : 1);
    }
    CPPUNIT_ASSERT(child > 0);
    int status = 0;
    waitpid(child, &status, 0);
    CPPUNIT_ASSERT(WIFEXITED(status));
    CPPUNIT_ASSERT_EQUAL(0, WEXITSTATUS(status));
    // The parent's session is untouched.
    CPPUNIT_ASSERT_EQUAL(pid, backendPid(c));
  }

  void driverChecksOptionsAndOpensLazily() {
    db::Options bad = fastOptions();
    bad.query_timeout_ms = 0;
    db::DbUrl url = mustParse("postgres://u:p@127.0.0.1:1/d");
    Result<std::unique_ptr<db::Connection>> r = pgDriver().open(url, bad);
    CPPUNIT_ASSERT_EQUAL(Code::kInvalidArgument, r.status().code());
    CPPUNIT_ASSERT(r.status().message().find("query_timeout_ms") != std::string::npos);
    bad = fastOptions();
    bad.reconnect_min_ms = 5000;
    r = pgDriver().open(url, bad);
    CPPUNIT_ASSERT_EQUAL(Code::kInvalidArgument, r.status().code());
    CPPUNIT_ASSERT(r.status().message().find("reconnect_min_ms") != std::string::npos);
    db::DbUrl other = url;
    other.scheme = "mysql";
    CPPUNIT_ASSERT_EQUAL(Code::kInvalidArgument,
                         pgDriver().open(other, fastOptions()).status().code());
    // Nothing listens on port 1, yet open() succeeds: it connects on first use.
    r = pgDriver().open(url, fastOptions());
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.isOk());
    CPPUNIT_ASSERT(!r.value()->connected());
    CPPUNIT_ASSERT_EQUAL(std::string("postgres://u:***@127.0.0.1:1/d"), r.value()->url().text);
  }

 private:
  static std::int64_t backendPid(db::Connection& c) {
    Result<db::Rows> r = c.query("SELECT pg_backend_pid()");
    std::int64_t pid = 0;
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.isOk() && r.value().getInt(0, 0, pid));
    return pid;
  }
  static std::int64_t count(db::Connection& c, const std::string& t) {
    Result<db::Rows> r = c.query("SELECT count(*) FROM " + t);
    std::int64_t n = -1;
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.isOk() && r.value().getInt(0, 0, n));
    return n;
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(PgConnectionTest);

}  // namespace sipline::pg
