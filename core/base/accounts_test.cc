#include "core/base/accounts.h"

#include <cppunit/extensions/HelperMacros.h>

namespace sipline {

class AccountsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(AccountsTest);
  CPPUNIT_TEST(numericIdsNeedNoEntry);
  CPPUNIT_TEST(namesComeFromTheDatabase);
  CPPUNIT_TEST(unknownNamesAreNotFound);
  CPPUNIT_TEST_SUITE_END();

 public:
  void numericIdsNeedNoEntry() {
    CPPUNIT_ASSERT_EQUAL(uid_t{0}, userId("0").value());
    CPPUNIT_ASSERT_EQUAL(uid_t{4000123}, userId("4000123").value());  // no passwd entry
    CPPUNIT_ASSERT_EQUAL(gid_t{4000123}, groupId("4000123").value());
    CPPUNIT_ASSERT_EQUAL(std::string(), userName(4000123));
  }
  void namesComeFromTheDatabase() {
    CPPUNIT_ASSERT_EQUAL(uid_t{0}, userId("root").value());
    CPPUNIT_ASSERT_EQUAL(gid_t{0}, groupId("root").value());
    CPPUNIT_ASSERT_EQUAL(std::string("root"), userName(0));
  }
  void unknownNamesAreNotFound() {
    for (const char* bad : {"no-such-user-sipline", "", "12x", "-1", "99999999999999"}) {
      Result<uid_t> u = userId(bad);
      CPPUNIT_ASSERT_MESSAGE(bad, !u.isOk());
      CPPUNIT_ASSERT_MESSAGE(u.status().message(), u.status().message().find("no user") == 0);
      CPPUNIT_ASSERT_MESSAGE(bad, !groupId(bad).isOk());
    }
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AccountsTest);

}  // namespace sipline
