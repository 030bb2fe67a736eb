// db_errors: the DETAIL of a server error never reaches siplinectl's output, and no database
// error passes for a refusal.
#include "tools/siplinectl/db_errors.h"

#include <cppunit/extensions/HelperMacros.h>

namespace sipline::ctl {

class DbErrorsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DbErrorsTest);
  CPPUNIT_TEST(detailIsCut);
  CPPUNIT_TEST(messagesWithoutDetailStay);
  CPPUNIT_TEST(onlyALostConnectionKeepsItsCode);
  CPPUNIT_TEST_SUITE_END();

 public:
  void detailIsCut() {
    CPPUNIT_ASSERT_EQUAL(
        std::string("duplicate key value violates unique constraint \"k\" (SQLSTATE 23505)"),
        withoutServerDetail("duplicate key value violates unique constraint \"k\": Key "
                            "(username, domain)=(alice, example.com) already exists. "
                            "(SQLSTATE 23505)"));
    CPPUNIT_ASSERT_EQUAL(std::string("ERROR:  null value in column \"ha1\""),
                         withoutServerDetail("ERROR:  null value in column \"ha1\"\nDETAIL:  "
                                             "Failing row contains (1, alice, s3cret)."));
  }

  void messagesWithoutDetailStay() {
    for (const char* m :
         {"relation \"domain\" does not exist (SQLSTATE 42P01)",
          "ERROR: relation \"domain\" does not exist", "", "deadlock detected (SQLSTATE 40P01)"}) {
      CPPUNIT_ASSERT_EQUAL(std::string(m), withoutServerDetail(m));
    }
  }

  void onlyALostConnectionKeepsItsCode() {
    CPPUNIT_ASSERT(fromDatabase(Status::ok()).isOk());
    CPPUNIT_ASSERT(fromDatabase(Status::unavailable("gone")).code() == Code::kUnavailable);
    Status st = fromDatabase(Status::failedPrecondition("deadlock detected (SQLSTATE 40P01)"));
    CPPUNIT_ASSERT(st.code() == Code::kInternal);
    CPPUNIT_ASSERT(!isRefusal(st));
    CPPUNIT_ASSERT(fromDatabase(Status::invalidArgument("x")).code() == Code::kInternal);
    CPPUNIT_ASSERT(isRefusal(refusal("domain x.org is not in table domain")));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(DbErrorsTest);

}  // namespace sipline::ctl
