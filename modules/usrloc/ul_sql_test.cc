// The SQL of a location table: statement texts, parameter order and chunking, and the
// conversion of rows (including bad ones) into contacts.
#include "modules/usrloc/ul_sql.h"

#include <cppunit/extensions/HelperMacros.h>

#include "modules/usrloc/fake_db_test_util.h"

namespace sipline::usrloc {

class UlSqlTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(UlSqlTest);
  CPPUNIT_TEST(tableNamesAreIdentifiersOnly);
  CPPUNIT_TEST(upsertTextHasOneTuplePerRow);
  CPPUNIT_TEST(deleteTextMatchesTheUniqueKey);
  CPPUNIT_TEST(writesAreChunkedByPowersOfTwo);
  CPPUNIT_TEST(loadPagesThroughEveryRow);
  CPPUNIT_TEST(rowsConvertWithNullsAndRanges);
  CPPUNIT_TEST(specListsQueriedColumns);
  CPPUNIT_TEST_SUITE_END();

 public:
  void tableNamesAreIdentifiersOnly() {
    CPPUNIT_ASSERT(checkTableName("location").isOk());
    CPPUNIT_ASSERT(checkTableName("location_2").isOk());
    CPPUNIT_ASSERT(!checkTableName("").isOk());
    CPPUNIT_ASSERT(!checkTableName("2loc").isOk());
    CPPUNIT_ASSERT(!checkTableName("Loc").isOk());
    CPPUNIT_ASSERT(!checkTableName("loc ation").isOk());
    CPPUNIT_ASSERT(!checkTableName("loc\"x").isOk());
    CPPUNIT_ASSERT(!checkTableName(std::string(64, 'a')).isOk());
  }

  void upsertTextHasOneTuplePerRow() {
    TableSql sql("location", false);
    std::string one = sql.upsertSql(1);
    CPPUNIT_ASSERT(one.find("INSERT INTO location (username, domain, contact, ") == 0);
    CPPUNIT_ASSERT(one.find("VALUES ($1, $2, $3, ") != std::string::npos);
    CPPUNIT_ASSERT(one.find("$17)") != std::string::npos);
    CPPUNIT_ASSERT(one.find("$18") == std::string::npos);
    CPPUNIT_ASSERT(one.find("ON CONFLICT (username, domain, contact) DO UPDATE SET received = "
                            "EXCLUDED.received") != std::string::npos);
    CPPUNIT_ASSERT(one.find("username = EXCLUDED") == std::string::npos);
    std::string two = sql.upsertSql(2);
    CPPUNIT_ASSERT(two.find("$17), ($18, ") != std::string::npos);
    CPPUNIT_ASSERT(two.find("$34)") != std::string::npos);
  }

  void deleteTextMatchesTheUniqueKey() {
    TableSql sql("loc2", false);
    CPPUNIT_ASSERT_EQUAL(std::string("DELETE FROM loc2 WHERE (username, domain, contact) IN (($1, "
                                     "$2, $3), ($4, $5, $6))"),
                         sql.deleteSql(2));
  }

  void writesAreChunkedByPowersOfTwo() {
    testing::FakeDb db;
    testing::FakeConnection conn(db);
    TableSql sql("location", true);
    std::vector<AorContact> rows;
    for (int i = 0; i < 100; ++i) {
      Contact c;
      c.uri = "sip:c" + std::to_string(i);
      c.expires = 5000;
      rows.push_back(AorContact{"u" + std::to_string(i) + "@d" + std::to_string(i % 3), c});
    }
    CPPUNIT_ASSERT(sql.upsert(conn, rows).isOk());
    CPPUNIT_ASSERT_EQUAL(3, db.statements);  // 64 + 32 + 4
    CPPUNIT_ASSERT_EQUAL(std::size_t(100), db.rows("location"));
    CPPUNIT_ASSERT(db.find("location", "u5", "d2", "sip:c5") != nullptr);
    std::vector<std::pair<std::string, std::string>> keys;
    for (int i = 0; i < 7; ++i)
      keys.emplace_back("u" + std::to_string(i) + "@d" + std::to_string(i % 3),
                        "sip:c" + std::to_string(i));
    CPPUNIT_ASSERT(sql.remove(conn, keys).isOk());
    CPPUNIT_ASSERT_EQUAL(6, db.statements);  // 4 + 2 + 1
    CPPUNIT_ASSERT_EQUAL(std::size_t(93), db.rows("location"));
    CPPUNIT_ASSERT(sql.upsert(conn, {}).isOk());
    CPPUNIT_ASSERT_EQUAL(6, db.statements);
  }

  void loadPagesThroughEveryRow() {
    testing::FakeDb db;
    for (int i = 0; i < 12001; ++i) db.put("location", "u" + std::to_string(i), "", "sip:x", 5000);
    db.put("location", "old", "", "sip:x", 100);
    testing::FakeConnection conn(db);
    TableSql sql("location", false);
    LoadReport report;
    std::size_t seen = 0;
    Status st = sql.loadAll(
        conn, 1000,
        [&](const AorContact& ac) {
          ++seen;
          return ac.aor == "u7" ? Status::noMemory("full") : Status::ok();
        },
        report);
    CPPUNIT_ASSERT(st.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(12001), seen);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(12000), report.loaded);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), report.rejected_rows);
    CPPUNIT_ASSERT_EQUAL(3, db.statements);  // pages of 5000, the last one short
    db.down = true;
    CPPUNIT_ASSERT(sql.loadAll(
                          conn, 1000, [](const AorContact&) { return Status::ok(); }, report)
                       .code() == Code::kUnavailable);
  }

  void rowsConvertWithNullsAndRanges() {
    testing::FakeDb db;
    db.put("location", "full", "", "sip:f", 5000,
           {{"q", std::string("0.25")},
            {"methods", std::string("-1")},
            {"flags", std::string("-2147483648")},
            {"received", std::string("sip:1.2.3.4:5")},
            {"sip_instance", std::string("<urn:x>")},
            {"reg_id", std::string("2")},
            {"cseq", std::string("42")},
            {"callid", std::string("cid")}});
    db.put("location", "nulls", "", "sip:n", 5000);
    db.put("location", "badexp", "", "sip:b", 5000, {{"expires", std::string("soon")}});
    db.put("location", "nanq", "", "sip:q", 5000, {{"q", std::string("NaN")}});
    db.put("location", "", "", "sip:e", 5000);
    testing::FakeConnection conn(db);
    TableSql sql("location", false);
    Result<std::vector<Contact>> full = sql.selectAor(conn, "full", 0, false);
    CPPUNIT_ASSERT(full.isOk());
    const Contact& f = full.value().at(0);
    CPPUNIT_ASSERT_EQUAL(std::int32_t(250), f.q);
    CPPUNIT_ASSERT_EQUAL(0xffffffffu, f.methods);
    CPPUNIT_ASSERT_EQUAL(0x80000000u, f.flags);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:1.2.3.4:5"), f.received);
    CPPUNIT_ASSERT_EQUAL(std::string("<urn:x>"), f.instance);
    CPPUNIT_ASSERT_EQUAL(std::int32_t(2), f.reg_id);
    CPPUNIT_ASSERT_EQUAL(std::int32_t(42), f.cseq);
    const Contact n = sql.selectAor(conn, "nulls", 0, false).value().at(0);
    CPPUNIT_ASSERT_EQUAL(std::int32_t(-1), n.q);
    CPPUNIT_ASSERT_EQUAL(0xffffffffu, n.methods);
    CPPUNIT_ASSERT(n.received.empty() && n.path.empty() && n.socket.empty());
    CPPUNIT_ASSERT(sql.selectAor(conn, "badexp", 0, false).value().empty());
    CPPUNIT_ASSERT(sql.selectAor(conn, "nanq", 0, false).value().empty());
    CPPUNIT_ASSERT(sql.selectAor(conn, "nulls", 6000, false).value().empty());  // expired then
    Result<std::vector<AorContact>> all = sql.selectAll(conn, 1000);
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), all.value().size());  // the unreadable ones skipped
  }

  void specListsQueriedColumns() {
    db::TableSpec spec = TableSql("location", false).spec();
    CPPUNIT_ASSERT_EQUAL(std::string("location"), spec.table);
    CPPUNIT_ASSERT_EQUAL(1, spec.version);
    CPPUNIT_ASSERT_EQUAL(std::size_t(18), spec.columns.size());
    CPPUNIT_ASSERT_EQUAL(std::string("contact_id"), spec.columns[0]);
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(UlSqlTest);

}  // namespace sipline::usrloc
