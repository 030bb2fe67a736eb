#include "tools/siplinectl/db_check.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "tools/siplinectl/embedded_schema.h"
#include "tools/siplinectl/fake_db_test_util.h"

namespace sipline::ctl {
namespace {

using testing::FakeDb;

bool has(const std::vector<std::string>& lines, const std::string& part) {
  for (const std::string& l : lines) {
    if (l.find(part) != std::string::npos) return true;
  }
  return false;
}

const TableCheck& tableOf(const CheckReport& r, const std::string& name) {
  for (const TableCheck& t : r.tables) {
    if (t.table == name) return t;
  }
  CPPUNIT_FAIL("no report for table " + name);
  return r.tables.front();
}

ColumnDef* columnOf(FakeDb& db, const std::string& table, const std::string& column) {
  for (ColumnDef& c : db.tables[table].columns) {
    if (c.name == column) return &c;
  }
  CPPUNIT_FAIL("no column " + column);
  return nullptr;
}

}  // namespace

class DbCheckTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DbCheckTest);
  CPPUNIT_TEST(freshSchemaIsOk);
  CPPUNIT_TEST(emptyDatabaseReportsEveryTableMissing);
  CPPUNIT_TEST(versionRowsMissingOlderOrNewer);
  CPPUNIT_TEST(missingVersionTableIsAProblemOfEveryTable);
  CPPUNIT_TEST(columnsMissingRetypedOrNullability);
  CPPUNIT_TEST(harmlessDifferencesAreNotes);
  CPPUNIT_TEST(keysAndIndexesMustServe);
  CPPUNIT_TEST(sqlErrorIsAProblemButUnavailableAborts);
  CPPUNIT_TEST(connectFailurePassesThrough);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    Result<std::vector<TableDef>> r = shippedSchema();
    CPPUNIT_ASSERT(r.isOk());
    schema_ = std::move(r).value();
    db_.createFrom(schema_);
  }

  CheckReport check() {
    Result<CheckReport> r = checkSchema(db_, schema_);
    CPPUNIT_ASSERT_MESSAGE(r.isOk() ? "" : r.status().message(), r.isOk());
    return std::move(r).value();
  }

  void freshSchemaIsOk() {
    CheckReport r = check();
    CPPUNIT_ASSERT(r.ok());
    CPPUNIT_ASSERT_EQUAL(schema_.size(), r.tables.size());
    for (const TableCheck& t : r.tables) {
      CPPUNIT_ASSERT(t.exists && t.notes.empty());
      CPPUNIT_ASSERT(t.found_version && *t.found_version == t.expected_version);
    }
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, r.problemCount());
  }

  void emptyDatabaseReportsEveryTableMissing() {
    db_.tables.clear();
    CheckReport r = check();
    CPPUNIT_ASSERT(!r.ok() && r.noTableExists());
    CPPUNIT_ASSERT_EQUAL(schema_.size(), r.tablesWithProblems());
    for (const TableCheck& t : r.tables) {
      CPPUNIT_ASSERT(has(t.problems, "table does not exist"));
    }
  }

  void versionRowsMissingOlderOrNewer() {
    db_.versions.erase("location");
    db_.versions["subscriber"] = 2;
    db_.versions["version"] = 0;
    CheckReport r = check();
    CPPUNIT_ASSERT(!r.ok() && !r.noTableExists());
    CPPUNIT_ASSERT(
        has(tableOf(r, "location").problems, "no row in table version (expected table_version 1)"));
    CPPUNIT_ASSERT(has(tableOf(r, "subscriber").problems,
                       "table_version is 2, this siplinectl expects 1 (a newer schema"));
    CPPUNIT_ASSERT(has(tableOf(r, "version").problems,
                       "table_version is 0, this siplinectl "
                       "expects 1 (an older schema"));
    CPPUNIT_ASSERT_EQUAL(2, *tableOf(r, "subscriber").found_version);
    CPPUNIT_ASSERT(!tableOf(r, "location").found_version);
  }

  void missingVersionTableIsAProblemOfEveryTable() {
    db_.tables.erase("version");
    CheckReport r = check();
    CPPUNIT_ASSERT(has(tableOf(r, "version").problems, "table does not exist"));
    CPPUNIT_ASSERT(has(tableOf(r, "location").problems, "no version row (table version does"));
    CPPUNIT_ASSERT(has(tableOf(r, "subscriber").problems, "no version row"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, db_.count("SELECT table_version FROM version WHERE "
                                                   "table_name = $1"));
  }

  void columnsMissingRetypedOrNullability() {
    auto& cols = db_.tables["location"].columns;
    cols.erase(cols.begin() + 7);  // q
    columnOf(db_, "location", "expires")->type = "integer";
    columnOf(db_, "location", "received")->not_null = true;
    columnOf(db_, "location", "username")->type = "character varying(32)";  // narrower
    CheckReport r = check();
    const TableCheck& t = tableOf(r, "location");
    CPPUNIT_ASSERT_EQUAL(std::size_t{4}, t.problems.size());
    CPPUNIT_ASSERT(has(t.problems, "column q is missing (real)"));
    CPPUNIT_ASSERT(has(t.problems, "column expires is integer, expected bigint"));
    CPPUNIT_ASSERT(has(t.problems, "column received is NOT NULL, expected to allow NULL"));
    CPPUNIT_ASSERT(has(t.problems,
                       "column username is character varying(32), expected "
                       "character varying(64)"));
    CPPUNIT_ASSERT(tableOf(r, "subscriber").ok());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, r.tablesWithProblems());
  }

  void harmlessDifferencesAreNotes() {
    db_.tables["subscriber"].columns.push_back({"rpid", "character varying(64)", false});
    columnOf(db_, "subscriber", "email_address")->type = "character varying(255)";
    columnOf(db_, "subscriber", "ha1")->not_null = false;
    CheckReport r = check();
    CPPUNIT_ASSERT(r.ok());
    const TableCheck& t = tableOf(r, "subscriber");
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, t.notes.size());
    CPPUNIT_ASSERT(has(t.notes, "extra column rpid (character varying(64))"));
    CPPUNIT_ASSERT(has(t.notes,
                       "column email_address is character varying(255), wider than "
                       "character varying(128)"));
    CPPUNIT_ASSERT(has(t.notes, "column ha1 allows NULL (expected NOT NULL)"));
  }

  void keysAndIndexesMustServe() {
    auto& idx = db_.tables["location"].indexes;
    // The upsert key as a unique index in another column order still serves ON CONFLICT.
    for (IndexDef& i : idx) {
      if (i.unique && !i.primary) i.columns = {"contact", "username", "domain"};
    }
    CPPUNIT_ASSERT(check().ok());
    for (IndexDef& i : idx) {
      if (i.unique && !i.primary) i.unique = false;  // no longer unique
      if (!i.unique && i.columns.size() == 1 && i.columns[0] == "expires") {
        i.columns = {"expires", "username"};  // another column list
      }
      if (i.primary) i.primary = false;  // unique, but not the primary key
    }
    CheckReport r = check();
    const TableCheck& t = tableOf(r, "location");
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, t.problems.size());
    CPPUNIT_ASSERT(has(t.problems, "no primary key on (contact_id)"));
    CPPUNIT_ASSERT(has(t.problems, "no unique key on (username, domain, contact)"));
    CPPUNIT_ASSERT(has(t.problems, "no index on (expires)"));
  }

  void sqlErrorIsAProblemButUnavailableAborts() {
    db_.fail_on = "FROM pg_index";
    CheckReport r = check();
    CPPUNIT_ASSERT(!r.ok());
    CPPUNIT_ASSERT(
        has(tableOf(r, "location").problems, "cannot read its indexes: ERROR: injected failure"));
    CPPUNIT_ASSERT_EQUAL(schema_.size(), r.tablesWithProblems());
    db_.fail_status = Status::unavailable("server closed the connection");
    Result<CheckReport> lost = checkSchema(db_, schema_);
    CPPUNIT_ASSERT(!lost.isOk());
    CPPUNIT_ASSERT(lost.status().code() == Code::kUnavailable);
  }

  void connectFailurePassesThrough() {
    db_.connect_status = Status::unavailable("connection refused");
    Result<CheckReport> r = checkSchema(db_, schema_);
    CPPUNIT_ASSERT(!r.isOk() && r.status().code() == Code::kUnavailable);
    CPPUNIT_ASSERT(db_.log.empty());
  }

 private:
  std::vector<TableDef> schema_;
  FakeDb db_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(DbCheckTest);

}  // namespace sipline::ctl
