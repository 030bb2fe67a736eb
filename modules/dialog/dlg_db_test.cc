// The dialog table in a real PostgreSQL (scripts/pg-scratch; skipped when PostgreSQL is not
// installed): rows round-trip every field, the flush writes marked dialogs and deletes the
// rows of ended ones, and a DB that is down keeps the marks for the next flush.
#include "modules/dialog/dlg_db.h"

#include <cppunit/extensions/HelperMacros.h>

#include <fstream>
#include <sstream>

#include "modules/db_postgres/pg_test_fixture.h"
#include "modules/dialog/kv_codec.h"

namespace sipline::dialog {
namespace {

DialogInfo fullRow(const std::string& call_id) {
  DialogInfo d;
  d.state = State::kConfirmed;
  d.flags = kByeOnTimeout;
  d.code = 200;
  d.reason = "OK";
  d.call_id = call_id;
  d.from_tag = "ftag";
  d.to_tag = "ttag";
  d.from_uri = "sip:alice@example.com";
  d.to_uri = "sip:bob@example.com";
  d.ruri = "sip:bob@10.0.0.2";
  d.caller_contact = "sip:alice@10.0.0.1:5060";
  d.callee_contact = "sip:bob@10.0.0.2:5070;transport=udp";
  d.caller_route = "<sip:p1.example.com;lr>";
  d.callee_route = "<sip:p3.example.com;lr>,<sip:p4.example.com;lr>";
  d.caller_cseq = 7;
  d.callee_cseq = 3;
  d.created_ms = 1'700'000'000'123;
  d.answered_ms = 1'700'000'002'456;
  d.timeout_s = 120;
  d.timeout_at_ms = 1'700'000'122'456;
  d.profiles = encodeKv({{"caller", "alice"}, {"calls", ""}});
  d.values = encodeKv({{"k", "v;with:odd\x1f bytes"}});
  d.watchers = encodeKv({{"acc",
                          "cdr\x1e"
                          "data"}});
  return d;
}

}  // namespace

class DialogSqlTest : public pg::PgFixture {
  CPPUNIT_TEST_SUITE(DialogSqlTest);
  CPPUNIT_TEST(rowsRoundTripEveryField);
  CPPUNIT_TEST(flushWritesChangesAndDeletesEndedDialogs);
  CPPUNIT_TEST(databaseDownKeepsTheMarks);
  CPPUNIT_TEST(aRowTheDbRefusesHoldsBackNoOther);
  CPPUNIT_TEST(tableNameMustBePlain);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    pg::PgFixture::setUp();
    if (server_ == nullptr) return;
    seg_ = std::move(shm::Segment::create(2 << 20).value());
    name_ = table("dialog");
    db::Connection& c = open();
    // scripts/sql/dialog.sql itself, under this test's table name (no version row).
    std::ifstream f(SIPLINE_SOURCE_DIR "/scripts/sql/dialog.sql");
    std::stringstream ss;
    ss << f.rdbuf();
    std::string sql = ss.str();
    CPPUNIT_ASSERT(!sql.empty());
    std::size_t pos = 0;
    while (pos < sql.size()) {
      std::size_t end = sql.find(";\n", pos);
      if (end == std::string::npos) end = sql.size();
      std::string stmt = sql.substr(pos, end - pos);
      pos = end + 2;
      if (stmt.find("CREATE") == std::string::npos) continue;  // comments, the version row
      for (const char* from : {"TABLE dialog ", "ON dialog ", "INDEX dialog_"}) {
        std::size_t at = stmt.find(from);
        if (at == std::string::npos) continue;
        std::string f2(from);
        std::string to = f2.substr(0, f2.find("dialog")) + name_ + f2.substr(f2.find("dialog") + 6);
        stmt.replace(at, f2.size(), to);
      }
      mustExec(c, stmt);
    }
  }
  void tearDown() override {
    if (server_ != nullptr && !down_ && conn_ != nullptr) {
      (void)conn_->exec("DROP TABLE IF EXISTS " + name_);
    }
    pg::PgFixture::tearDown();
    seg_.reset();
  }

  std::vector<DialogInfo> loadAll(const DialogSql& sql) {
    std::vector<DialogInfo> out;
    std::uint64_t bad = 0;
    Status st = sql.loadAll(
        *conn_, [&](DialogInfo& d) { out.push_back(d); }, bad);
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, bad);
    return out;
  }

  void rowsRoundTripEveryField() {
    SL_NEED_PG();
    DialogSql sql(name_);
    DialogInfo d = fullRow("c1");
    d.id = (std::uint64_t{5} << 32) | 77;
    CPPUNIT_ASSERT(sql.upsert(*conn_, d).isOk());
    d.callee_cseq = 4;  // an update of the same row
    CPPUNIT_ASSERT(sql.upsert(*conn_, d).isOk());
    std::vector<DialogInfo> rows = loadAll(sql);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, rows.size());
    const DialogInfo& r = rows[0];
    CPPUNIT_ASSERT_EQUAL(d.id, r.id);
    CPPUNIT_ASSERT(r.state == State::kConfirmed);
    CPPUNIT_ASSERT_EQUAL(d.flags, r.flags);
    CPPUNIT_ASSERT_EQUAL(std::uint32_t{4}, r.callee_cseq);
    CPPUNIT_ASSERT_EQUAL(d.caller_cseq, r.caller_cseq);
    CPPUNIT_ASSERT_EQUAL(d.created_ms, r.created_ms);
    CPPUNIT_ASSERT_EQUAL(d.answered_ms, r.answered_ms);
    CPPUNIT_ASSERT_EQUAL(d.timeout_at_ms, r.timeout_at_ms);
    CPPUNIT_ASSERT_EQUAL(d.timeout_s, r.timeout_s);
    CPPUNIT_ASSERT_EQUAL(d.callee_route, r.callee_route);
    CPPUNIT_ASSERT_EQUAL(d.callee_contact, r.callee_contact);
    CPPUNIT_ASSERT_EQUAL(d.profiles, r.profiles);
    CPPUNIT_ASSERT_EQUAL(d.values, r.values);
    CPPUNIT_ASSERT_EQUAL(d.watchers, r.watchers);
    CPPUNIT_ASSERT(sql.remove(*conn_, d.id).isOk());
    CPPUNIT_ASSERT(loadAll(sql).empty());
  }

  void flushWritesChangesAndDeletesEndedDialogs() {
    SL_NEED_PG();
    DialogSql sql(name_);
    Result<Table> t = Table::create(*seg_, 16, true);
    CPPUNIT_ASSERT(t.isOk());
    Table& table = t.value();
    DialogInfo a = fullRow("a");
    DialogInfo b = fullRow("b");
    CPPUNIT_ASSERT(table.insert(a, true).isOk());
    CPPUNIT_ASSERT(table.insert(b, true).isOk());
    FlushReport r = flushChanges(*conn_, sql, table);
    CPPUNIT_ASSERT_MESSAGE(r.status.message(), r.status.isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{2}, r.written);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, loadAll(sql).size());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, table.pending());
    DialogInfo gone;
    CPPUNIT_ASSERT(table.end(a.id, gone));
    r = flushChanges(*conn_, sql, table);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, r.deleted);
    std::vector<DialogInfo> rows = loadAll(sql);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, rows.size());
    CPPUNIT_ASSERT_EQUAL(b.id, rows[0].id);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, table.pending());
    CPPUNIT_ASSERT(table.collectChanges().empty());
  }

  void databaseDownKeepsTheMarks() {
    SL_NEED_PG();
    DialogSql sql(name_);
    Result<Table> t = Table::create(*seg_, 16, true);
    CPPUNIT_ASSERT(t.isOk());
    Table& table = t.value();
    DialogInfo a = fullRow("a");
    CPPUNIT_ASSERT(table.insert(a, true).isOk());
    down();
    FlushReport r = flushChanges(*conn_, sql, table);
    CPPUNIT_ASSERT(!r.status.isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, table.pending());
    up();
    Stopwatch sw;
    do {  // the connection backs off after the failure
      r = flushChanges(*conn_, sql, table);
      if (!r.status.isOk()) sleepMs(100);
    } while (!r.status.isOk() && sw.ms() < 5000);
    CPPUNIT_ASSERT_MESSAGE(r.status.message(), r.status.isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, table.pending());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, loadAll(sql).size());
  }

  void aRowTheDbRefusesHoldsBackNoOther() {
    SL_NEED_PG();
    DialogSql sql(name_);  // caller_contact is varchar(512)
    Result<Table> t = Table::create(*seg_, 16, true);
    CPPUNIT_ASSERT(t.isOk());
    Table& table = t.value();
    DialogInfo a = fullRow("a");
    DialogInfo big = fullRow("big");
    big.caller_contact = "sip:alice@10.0.0.1;" + std::string(600, 'x');
    DialogInfo c = fullRow("c");
    for (DialogInfo* d : {&a, &big, &c}) CPPUNIT_ASSERT(table.insert(*d, true).isOk());
    FlushReport r = flushChanges(*conn_, sql, table);
    CPPUNIT_ASSERT_MESSAGE(r.status.message(), r.status.isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, r.refused);
    CPPUNIT_ASSERT(r.refused_status.message().find("Call-ID big") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{2}, r.written);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, loadAll(sql).size());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, table.pending());  // tried again next time
    DialogInfo gone;
    CPPUNIT_ASSERT(table.end(big.id, gone));
    r = flushChanges(*conn_, sql, table);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, r.refused);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, table.pending());
  }

  void tableNameMustBePlain() {
    CPPUNIT_ASSERT(DialogSql::checkTableName("dialog").isOk());
    CPPUNIT_ASSERT(DialogSql::checkTableName("dialog_2").isOk());
    CPPUNIT_ASSERT(!DialogSql::checkTableName("").isOk());
    CPPUNIT_ASSERT(!DialogSql::checkTableName("d; DROP TABLE x").isOk());
    CPPUNIT_ASSERT(!DialogSql::checkTableName("Dialog").isOk());
  }

 private:
  std::unique_ptr<shm::Segment> seg_;
  std::string name_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(DialogSqlTest);

}  // namespace sipline::dialog
