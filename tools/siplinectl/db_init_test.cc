#include "tools/siplinectl/db_init.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "tools/siplinectl/embedded_schema.h"
#include "tools/siplinectl/fake_db_test_util.h"

namespace sipline::ctl {
namespace {

using testing::FakeDb;

}  // namespace

class DbInitTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DbInitTest);
  CPPUNIT_TEST(createsEveryTableInOneTransaction);
  CPPUNIT_TEST(refusesWhenAnyTableExistsWithoutWriting);
  CPPUNIT_TEST(sqlErrorRollsBackAndNamesFileAndLine);
  CPPUNIT_TEST(lostConnectionStaysUnavailable);
  CPPUNIT_TEST(connectFailureWritesNothing);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    Result<std::vector<TableDef>> r = shippedSchema();
    CPPUNIT_ASSERT(r.isOk());
    schema_ = std::move(r).value();
  }

  std::size_t statementCount() const {
    std::size_t n = 0;
    for (const TableDef& t : schema_) n += t.statements.size();
    return n;
  }

  void createsEveryTableInOneTransaction() {
    Result<InitReport> r = initSchema(db_, schema_);
    CPPUNIT_ASSERT_MESSAGE(r.isOk() ? "" : r.status().message(), r.isOk());
    CPPUNIT_ASSERT(
        (r.value().created == std::vector<std::string>{"version", "acc", "address", "dbaliases",
                                                       "dialog", "dispatcher", "domain", "grp",
                                                       "location", "missed_calls", "sip_trace",
                                                       "subscriber", "usr_preferences"}));
    CPPUNIT_ASSERT_EQUAL(statementCount(), r.value().statements);
    CPPUNIT_ASSERT_EQUAL(std::string("BEGIN"), db_.log.front());
    CPPUNIT_ASSERT_EQUAL(std::string("COMMIT"), db_.log.back());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, db_.count("BEGIN"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, db_.count("ROLLBACK"));
    // The version table is created before the first row is inserted into it.
    std::size_t create_version = 0, first_insert = 0;
    for (std::size_t i = 0; i < db_.log.size(); ++i) {
      if (db_.log[i].rfind("CREATE TABLE version", 0) == 0) create_version = i;
      if (first_insert == 0 && db_.log[i].rfind("INSERT INTO version", 0) == 0) first_insert = i;
    }
    CPPUNIT_ASSERT(create_version > 0 && create_version < first_insert);
  }

  void refusesWhenAnyTableExistsWithoutWriting() {
    db_.tables["location"] = {};
    db_.tables["version"] = {};
    Result<InitReport> r = initSchema(db_, schema_);
    CPPUNIT_ASSERT(!r.isOk());
    CPPUNIT_ASSERT(r.status().code() == Code::kAlreadyExists);
    CPPUNIT_ASSERT_EQUAL(
        std::string("the database already has tables version, location "
                    "(missing: acc, address, dbaliases, dialog, "
                    "dispatcher, domain, grp, missed_calls, sip_trace, "
                    "subscriber, usr_preferences); nothing was changed. 'siplinectl "
                    "db check' verifies an existing schema"),
        r.status().message());
    for (const std::string& entry : db_.log) {
      CPPUNIT_ASSERT_MESSAGE(entry, entry.rfind("CREATE", 0) != 0 && entry.rfind("INSERT", 0) != 0);
    }
    CPPUNIT_ASSERT_EQUAL(std::string("ROLLBACK"), db_.log.back());
    db_.tables.erase("version");
    r = initSchema(db_, schema_);
    CPPUNIT_ASSERT(!r.isOk() &&
                   r.status().message().rfind(
                       "the database already has table location (missing: version, acc, address, "
                       "dbaliases, dialog, dispatcher, domain, grp, "
                       "missed_calls, sip_trace, subscriber, usr_preferences);",
                       0) == 0);
  }

  void sqlErrorRollsBackAndNamesFileAndLine() {
    db_.fail_on = "CREATE INDEX location_expires_idx";
    db_.fail_status = Status::invalidArgument("ERROR: permission denied");
    Result<InitReport> r = initSchema(db_, schema_);
    CPPUNIT_ASSERT(!r.isOk());
    CPPUNIT_ASSERT(r.status().code() == Code::kInvalidArgument);
    const std::string& m = r.status().message();
    CPPUNIT_ASSERT_MESSAGE(m, m.rfind("location.sql:", 0) == 0);
    CPPUNIT_ASSERT(m.find(": ERROR: permission denied") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(std::string("ROLLBACK"), db_.log.back());
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, db_.count("COMMIT"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, db_.count("CREATE TABLE subscriber"));
  }

  void lostConnectionStaysUnavailable() {
    db_.fail_on = "CREATE TABLE subscriber";
    db_.fail_status = Status::unavailable("server closed the connection unexpectedly");
    Result<InitReport> r = initSchema(db_, schema_);
    CPPUNIT_ASSERT(!r.isOk() && r.status().code() == Code::kUnavailable);
    CPPUNIT_ASSERT_EQUAL(std::string("ROLLBACK"), db_.log.back());
    db_.fail_on = "COMMIT";
    db_.log.clear();
    r = initSchema(db_, schema_);
    CPPUNIT_ASSERT(!r.isOk() && r.status().message().rfind("commit: ", 0) == 0);
  }

  void connectFailureWritesNothing() {
    db_.connect_status = Status::unavailable("connection refused");
    Result<InitReport> r = initSchema(db_, schema_);
    CPPUNIT_ASSERT(!r.isOk() && r.status().code() == Code::kUnavailable);
    CPPUNIT_ASSERT(db_.log.empty());
  }

 private:
  std::vector<TableDef> schema_;
  FakeDb db_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(DbInitTest);

}  // namespace sipline::ctl
