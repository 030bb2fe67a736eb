#include "tools/siplinectl/mgmt_output.h"

#include <cppunit/extensions/HelperMacros.h>

#include <sstream>
#include <string>

#include "tools/siplinectl/tables.h"

namespace sipline::ctl {

class MgmtOutputTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(MgmtOutputTest);
  CPPUNIT_TEST(cellsAndDurations);
  CPPUNIT_TEST(tablesAlignWithoutTrailingBlanks);
  CPPUNIT_TEST(missingFieldsPrintAsDashes);
  CPPUNIT_TEST_SUITE_END();

 public:
  void cellsAndDurations() {
    CPPUNIT_ASSERT_EQUAL(std::string("x"), cellText(Json("x")));
    CPPUNIT_ASSERT_EQUAL(std::string("42"), cellText(Json(42)));
    CPPUNIT_ASSERT_EQUAL(std::string("0.5"), cellText(Json(0.5)));
    CPPUNIT_ASSERT_EQUAL(std::string("1"), cellText(Json(1.0)));
    CPPUNIT_ASSERT_EQUAL(std::string("12.35"), cellText(Json(12.345678)));
    CPPUNIT_ASSERT_EQUAL(std::string("yes"), cellText(Json(true)));
    CPPUNIT_ASSERT_EQUAL(std::string("-"), cellText(Json(nullptr)));
    CPPUNIT_ASSERT_EQUAL(std::string("[1,2]"), cellText(Json::array({1, 2})));
    CPPUNIT_ASSERT_EQUAL(std::string("0s"), durationText(-5));
    CPPUNIT_ASSERT_EQUAL(std::string("59s"), durationText(59));
    CPPUNIT_ASSERT_EQUAL(std::string("1m00s"), durationText(60));
    CPPUNIT_ASSERT_EQUAL(std::string("59m59s"), durationText(3599));
    CPPUNIT_ASSERT_EQUAL(std::string("1h00m"), durationText(3600));
    CPPUNIT_ASSERT_EQUAL(std::string("2d03h"), durationText(2 * 86400 + 3 * 3600 + 59));
  }

  void tablesAlignWithoutTrailingBlanks() {
    TextTable t({"A", "NUM", "C"});
    t.alignRight(1);
    t.addRow({"long-name", "5", ""});
    t.addRow({"x", "12345"});  // a missing cell prints empty
    std::ostringstream out;
    t.print(out);
    CPPUNIT_ASSERT_EQUAL(std::string("A            NUM  C\n"
                                     "long-name      5\n"
                                     "x          12345\n"),
                         out.str());
  }

  void missingFieldsPrintAsDashes() {
    std::ostringstream out;
    printPs(Json{{"processes", Json::array({Json{{"pid", 1}}})}}, out);
    CPPUNIT_ASSERT_EQUAL(std::string("ID  PID  ROLE  INDEX  LOAD(1m)  HANDLED  LEVEL  NAME\n"
                                     " -    1  -         -         -        -  -\n"),
                         out.str());
    std::ostringstream junk;
    printPs(Json("not an object"), junk);
    printContacts(Json::array(), junk);
    printUptime(Json(5), junk);
    printShm(Json::object(), junk);
    printLogLevels(Json{{"processes", 3}}, junk);
    CPPUNIT_ASSERT(onlineAors(Json{{"tables", "x"}}).empty());
    CPPUNIT_ASSERT_EQUAL(std::string("sipline 1.2"), serverVersionText(Json{{"version", "1.2"}}));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MgmtOutputTest);

}  // namespace sipline::ctl
