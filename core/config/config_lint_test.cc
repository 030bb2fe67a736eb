#include "core/config/config_lint.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace sipline {
namespace {

std::string show(const LintFinding& f) {
  return f.found() ? std::to_string(f.line) + ":" + f.text : "-";
}

class ConfigLintTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ConfigLintTest);
  CPPUNIT_TEST(findsIntegersThatWrapIn32Bits);
  CPPUNIT_TEST(leavesFloatsHexSuffixedAndQuotedNumbersAlone);
  CPPUNIT_TEST(skipsComments);
  CPPUNIT_TEST(findsDuplicateNamesPerGroup);
  CPPUNIT_TEST(sameNameInDifferentGroupsIsFine);
  CPPUNIT_TEST(findsBareNames);
  CPPUNIT_TEST(stringElementLineIsTheLiteralsLine);
  CPPUNIT_TEST_SUITE_END();

 public:
  void stringElementLineIsTheLiteralsLine() {
    const char* text = "a = [\n  \"x\",\n  \"y\" # last\n\n];\nb = ( \"p\"\n, \"q\" );\n";
    CPPUNIT_ASSERT_EQUAL(2, stringElementLine(text, 2, "x"));  // ',' on its own line: right
    CPPUNIT_ASSERT_EQUAL(3, stringElementLine(text, 5, "y"));  // reported at the ']'
    CPPUNIT_ASSERT_EQUAL(6, stringElementLine(text, 7, "p"));  // reported at the ','
    CPPUNIT_ASSERT_EQUAL(7, stringElementLine(text, 7, "q"));
    CPPUNIT_ASSERT_EQUAL(5, stringElementLine(text, 5, "other"));  // not found: as reported
  }

  void findsIntegersThatWrapIn32Bits() {
    CPPUNIT_ASSERT_EQUAL(std::string("2:3000000000"),
                         show(findWrappedInteger("a = 1;\nb = 3000000000;")));
    CPPUNIT_ASSERT_EQUAL(std::string("1:-2147483649"),
                         show(findWrappedInteger("a = -2147483649;")));
    CPPUNIT_ASSERT_EQUAL(std::string("1:0x100000000"),
                         show(findWrappedInteger("a = 0x100000000;")));
    CPPUNIT_ASSERT_EQUAL(std::string("1:99999999999999999999999"),
                         show(findWrappedInteger("a = [ 1, 99999999999999999999999 ];")));
  }

  void leavesFloatsHexSuffixedAndQuotedNumbersAlone() {
    CPPUNIT_ASSERT_EQUAL(std::string("-"),
                         show(findWrappedInteger("a = 3000000000L; b = 1e12; c = 5000000000.0;"
                                                 " d = 0xFFFFFFFF; e = \"9999999999\"; "
                                                 "local9999999999 = -2147483648; f = .5e20;")));
  }

  void skipsComments() {
    CPPUNIT_ASSERT_EQUAL(std::string("5:x"),
                         show(findBareName("# 9999999999 loadmodule\n// x y\n/* a\nb */\nx;")));
    CPPUNIT_ASSERT_EQUAL(std::string("-"),
                         show(findWrappedInteger("/* 9999999999 */ # 9999999999")));
  }

  void findsDuplicateNamesPerGroup() {
    CPPUNIT_ASSERT_EQUAL(std::string("3:tm"),
                         show(findDuplicateName("m = {\n tm = { a = 1; };\n tm = {}; };")));
    CPPUNIT_ASSERT_EQUAL(std::string("1:a"), show(findDuplicateName("a = 1; b : 2; a = 3;")));
  }

  void sameNameInDifferentGroupsIsFine() {
    CPPUNIT_ASSERT_EQUAL(std::string("-"),
                         show(findDuplicateName("socket = \"x\"; mi = { socket = \"y\"; };\n"
                                                "l = ( { a = 1; }, { a = 2; } );")));
  }

  void findsBareNames() {
    CPPUNIT_ASSERT_EQUAL(std::string("2:loadmodule"),
                         show(findBareName("a = true;\nloadmodule \"tm.so\"\n")));
    CPPUNIT_ASSERT_EQUAL(std::string("-"),
                         show(findBareName("@include \"x.cfg\"\nb = FALSE; c = { d = 1; };")));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(ConfigLintTest);

}  // namespace
}  // namespace sipline
