#include "modules/db_postgres/pg_values.h"

#include <cppunit/extensions/HelperMacros.h>

#include <cmath>
#include <limits>

namespace sipline::pg {

class PgValuesTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(PgValuesTest);
  CPPUNIT_TEST(numbersAndBoolsTravelTyped);
  CPPUNIT_TEST(textForms);
  CPPUNIT_TEST(doublesRoundTrip);
  CPPUNIT_TEST(sqlStatesMapToCodes);
  CPPUNIT_TEST(staleStatementStates);
  CPPUNIT_TEST_SUITE_END();

 public:
  void numbersAndBoolsTravelTyped() {
    CPPUNIT_ASSERT_EQUAL(20u, paramOid(db::Param(std::int64_t{1})));
    CPPUNIT_ASSERT_EQUAL(701u, paramOid(db::Param(1.5)));
    CPPUNIT_ASSERT_EQUAL(16u, paramOid(db::Param(true)));
    CPPUNIT_ASSERT_EQUAL(0u, paramOid(db::Param(std::string("x"))));
    CPPUNIT_ASSERT_EQUAL(0u, paramOid(db::Param()));
  }
  void textForms() {
    CPPUNIT_ASSERT_EQUAL(std::string("-9223372036854775808"),
                         paramText(db::Param(std::numeric_limits<std::int64_t>::min())));
    CPPUNIT_ASSERT_EQUAL(std::string("t"), paramText(db::Param(true)));
    CPPUNIT_ASSERT_EQUAL(std::string("f"), paramText(db::Param(false)));
    CPPUNIT_ASSERT_EQUAL(std::string("it's \\ \"x\""),
                         paramText(db::Param(std::string("it's \\ \"x\""))));
    CPPUNIT_ASSERT_EQUAL(std::string(""), paramText(db::Param()));
    CPPUNIT_ASSERT_EQUAL(std::string("Infinity"),
                         paramText(db::Param(std::numeric_limits<double>::infinity())));
    CPPUNIT_ASSERT_EQUAL(std::string("-Infinity"),
                         paramText(db::Param(-std::numeric_limits<double>::infinity())));
    CPPUNIT_ASSERT_EQUAL(std::string("NaN"),
                         paramText(db::Param(std::numeric_limits<double>::quiet_NaN())));
  }
  void doublesRoundTrip() {
    for (double v : {0.1, 1.0 / 3.0, -2.5e-300, 1.7976931348623157e308, 42.0}) {
      std::string text = paramText(db::Param(v));
      CPPUNIT_ASSERT_EQUAL_MESSAGE(text, v, std::strtod(text.c_str(), nullptr));
    }
    CPPUNIT_ASSERT_EQUAL(std::string("0.5"), paramText(db::Param(0.5)));
  }
  void sqlStatesMapToCodes() {
    Status dup = statusForSqlState("23505", "duplicate key value violates unique constraint \"k\"",
                                   "Key (id)=(1) already exists.");
    CPPUNIT_ASSERT_EQUAL(Code::kFailedPrecondition, dup.code());
    CPPUNIT_ASSERT_EQUAL(std::string("duplicate key value violates unique constraint \"k\": Key "
                                     "(id)=(1) already exists. (SQLSTATE 23505)"),
                         dup.message());
    CPPUNIT_ASSERT_EQUAL(Code::kInvalidArgument, statusForSqlState("42601", "syntax", "").code());
    CPPUNIT_ASSERT_EQUAL(Code::kInvalidArgument, statusForSqlState("22P02", "bad int", "").code());
    CPPUNIT_ASSERT_EQUAL(Code::kUnavailable, statusForSqlState("57014", "canceled", "").code());
    CPPUNIT_ASSERT_EQUAL(Code::kUnavailable, statusForSqlState("57P01", "shutdown", "").code());
    CPPUNIT_ASSERT_EQUAL(Code::kUnavailable, statusForSqlState("08006", "gone", "").code());
    CPPUNIT_ASSERT_EQUAL(Code::kUnavailable, statusForSqlState("53300", "too many", "").code());
    CPPUNIT_ASSERT_EQUAL(Code::kFailedPrecondition,
                         statusForSqlState("40001", "serial", "").code());
    CPPUNIT_ASSERT_EQUAL(Code::kFailedPrecondition,
                         statusForSqlState("25P02", "aborted", "").code());
    Status bare = statusForSqlState("", "", "");
    CPPUNIT_ASSERT_EQUAL(Code::kFailedPrecondition, bare.code());
    CPPUNIT_ASSERT_EQUAL(std::string("server error"), bare.message());
  }
  void staleStatementStates() {
    CPPUNIT_ASSERT(invalidatesStatement("26000"));
    CPPUNIT_ASSERT(invalidatesStatement("0A000"));
    CPPUNIT_ASSERT(!invalidatesStatement("23505"));
    CPPUNIT_ASSERT(!invalidatesStatement(""));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(PgValuesTest);

}  // namespace sipline::pg
