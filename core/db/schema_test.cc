#include "core/db/schema.h"

#include <cppunit/extensions/HelperMacros.h>

#include <functional>

namespace sipline::db {
namespace {

// Answers the two schema queries from canned data (the real server is in db_postgres tests).
class CannedConnection : public Connection {
 public:
  std::function<Result<Rows>(std::string_view sql, const std::vector<Param>&)> answer;
  std::vector<std::string> tables_asked;

  Result<Rows> query(std::string_view sql, std::initializer_list<Param> params) override {
    return query(sql, std::vector<Param>(params));
  }
  Result<Rows> query(std::string_view sql, const std::vector<Param>& params) override {
    if (!params.empty()) tables_asked.push_back(std::get<std::string>(params[0]));
    return answer(sql, params);
  }
  Result<std::int64_t> exec(std::string_view, std::initializer_list<Param>) override {
    return Status::unsupported("exec");
  }
  Result<std::int64_t> exec(std::string_view, const std::vector<Param>&) override {
    return Status::unsupported("exec");
  }
  Status begin() override { return Status::ok(); }
  Status commit() override { return Status::ok(); }
  Status rollback() override { return Status::ok(); }
  bool connected() const override { return true; }
  Status ensureConnected() override { return Status::ok(); }
  const DbUrl& url() const override { return url_; }

 private:
  DbUrl url_{"postgres", "u", "", "h", 0, "d", "postgres://u@h/d"};
};

Rows oneColumn(const char* name, std::vector<std::optional<std::string>> values) {
  std::vector<std::vector<std::optional<std::string>>> cells;
  for (auto& v : values) cells.push_back({v});
  return Rows({name}, std::move(cells));
}

bool isVersionQuery(std::string_view sql) { return sql.find("FROM version") != std::string::npos; }

}  // namespace

class SchemaCheckTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SchemaCheckTest);
  CPPUNIT_TEST(matchingTableIsAccepted);
  CPPUNIT_TEST(otherVersionIsRefusedWithBothNumbers);
  CPPUNIT_TEST(missingColumnIsNamed);
  CPPUNIT_TEST(missingVersionRowOrTableSaysInit);
  CPPUNIT_TEST(missingTableSaysInit);
  CPPUNIT_TEST(outageStaysUnavailable);
  CPPUNIT_TEST(identifiersAreCheckedStrictly);
  CPPUNIT_TEST_SUITE_END();

  CannedConnection conn_;
  TableSpec spec_{"location", 2, {"username", "contact", "reg_id"}};

  void serve(std::vector<std::optional<std::string>> version,
             std::vector<std::optional<std::string>> columns) {
    conn_.answer = [version, columns](std::string_view sql, const std::vector<Param>&) {
      return isVersionQuery(sql) ? Result<Rows>(oneColumn("table_version", version))
                                 : Result<Rows>(oneColumn("column_name", columns));
    };
  }

 public:
  void matchingTableIsAccepted() {
    serve({"2"}, {"id", "username", "contact", "reg_id", "expires"});
    Status st = checkTable(conn_, spec_);
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, conn_.tables_asked.size());
    CPPUNIT_ASSERT_EQUAL(std::string("location"), conn_.tables_asked[0]);
  }
  void otherVersionIsRefusedWithBothNumbers() {
    serve({"1"}, {"username", "contact", "reg_id"});
    Status st = checkTable(conn_, spec_);
    CPPUNIT_ASSERT_EQUAL(Code::kFailedPrecondition, st.code());
    CPPUNIT_ASSERT_EQUAL(
        std::string("table location: version 2 expected, 1 found; run `siplinectl db check`"),
        st.message());
    serve({std::nullopt}, {"username"});
    CPPUNIT_ASSERT_EQUAL(Code::kFailedPrecondition, checkTable(conn_, spec_).code());
  }
  void missingColumnIsNamed() {
    serve({"2"}, {"username", "contact"});
    Status st = checkTable(conn_, spec_);
    CPPUNIT_ASSERT_EQUAL(Code::kFailedPrecondition, st.code());
    CPPUNIT_ASSERT_EQUAL(
        std::string("table location has no column reg_id; run `siplinectl db check`"),
        st.message());
  }
  void missingVersionRowOrTableSaysInit() {
    serve({}, {"username", "contact", "reg_id"});
    Status st = checkTable(conn_, spec_);
    CPPUNIT_ASSERT_EQUAL(Code::kFailedPrecondition, st.code());
    CPPUNIT_ASSERT(st.message().find("no row in table version") != std::string::npos);
    CPPUNIT_ASSERT(st.message().find("siplinectl db init") != std::string::npos);
    conn_.answer = [](std::string_view, const std::vector<Param>&) -> Result<Rows> {
      return Status::invalidArgument("relation \"version\" does not exist (SQLSTATE 42P01)");
    };
    st = checkTable(conn_, spec_);
    CPPUNIT_ASSERT_EQUAL(Code::kFailedPrecondition, st.code());
    CPPUNIT_ASSERT(st.message().find("has no table version") != std::string::npos);
    CPPUNIT_ASSERT(st.message().find("siplinectl db init") != std::string::npos);
  }
  void missingTableSaysInit() {
    serve({"2"}, {});
    Status st = checkTable(conn_, spec_);
    CPPUNIT_ASSERT_EQUAL(Code::kFailedPrecondition, st.code());
    CPPUNIT_ASSERT_EQUAL(std::string("table location does not exist; run `siplinectl db init`"),
                         st.message());
  }
  void outageStaysUnavailable() {
    conn_.answer = [](std::string_view, const std::vector<Param>&) -> Result<Rows> {
      return Status::unavailable("cannot connect to postgres://u@h/d: refused");
    };
    Status st = checkTable(conn_, spec_);
    CPPUNIT_ASSERT_EQUAL(Code::kUnavailable, st.code());
    CPPUNIT_ASSERT(st.message().find("refused") != std::string::npos);
  }

  void identifiersAreCheckedStrictly() {
    CPPUNIT_ASSERT(isSqlIdentifier("subscriber"));
    CPPUNIT_ASSERT(isSqlIdentifier("_x9"));
    CPPUNIT_ASSERT(isSqlIdentifier("Src_User2"));
    CPPUNIT_ASSERT(!isSqlIdentifier("Src", true));  // quoted names: lower case only
    CPPUNIT_ASSERT(isSqlIdentifier("src_user2", true));
    CPPUNIT_ASSERT(!isSqlIdentifier(""));
    CPPUNIT_ASSERT(!isSqlIdentifier("9x"));
    CPPUNIT_ASSERT(!isSqlIdentifier("sub scriber"));
    CPPUNIT_ASSERT(!isSqlIdentifier("subscriber;drop"));
    CPPUNIT_ASSERT(!isSqlIdentifier("a\"b"));
    CPPUNIT_ASSERT(isSqlIdentifier(std::string(63, 'a')));
    CPPUNIT_ASSERT(!isSqlIdentifier(std::string(64, 'a')));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(SchemaCheckTest);

}  // namespace sipline::db
