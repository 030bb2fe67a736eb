// A binary expression whose right side changes the request-URI (a function or route call)
// must not read its left value from the URI that was replaced (run under ASan by make test).
#include <cppunit/extensions/HelperMacros.h>

#include "core/script/script_test_util.h"

namespace sipline::scripttest {

class InterpreterSafetyTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(InterpreterSafetyTest);
  CPPUNIT_TEST(concatenationKeepsTheUriItReadBeforeARewrite);
  CPPUNIT_TEST(comparisonKeepsTheUriItReadBeforeARewrite);
  CPPUNIT_TEST_SUITE_END();

 public:
  void concatenationKeepsTheUriItReadBeforeARewrite() {
    Fixture f;
    auto seen = f.run(
        "route {\n"
        "  rewriteuri(\"sip:a-rather-long-user-name@gateway-one.example.net:5080\");\n"
        "  $var(x) = $ru + route(swap);\n"
        "  probe(\"$var(x)\");\n"
        "  probe(\"$ru\");\n"
        "}\n"
        "route[swap] {\n"
        "  rewriteuri(\"sip:another-long-user-name@gateway-two.example.net:5090\");\n"
        "  return(7);\n"
        "}\n");
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, seen.size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a-rather-long-user-name@gateway-one.example.net:50807"),
                         seen[0]);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:another-long-user-name@gateway-two.example.net:5090"),
                         seen[1]);
  }

  void comparisonKeepsTheUriItReadBeforeARewrite() {
    Fixture f;
    auto seen = f.run(
        "route {\n"
        "  rewriteuri(\"sip:a-rather-long-user-name@gateway-one.example.net:5080\");\n"
        "  if ($rU == route(swap)) { probe(\"equal\"); } else { probe(\"different $rU\"); }\n"
        "}\n"
        "route[swap] {\n"
        "  rewriteuser(\"a-rather-long-user-name-that-differs\");\n"
        "  return(1);\n"
        "}\n");
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, seen.size());
    CPPUNIT_ASSERT_EQUAL(std::string("different a-rather-long-user-name-that-differs"), seen[0]);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(InterpreterSafetyTest);

}  // namespace sipline::scripttest
