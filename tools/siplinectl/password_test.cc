#include "tools/siplinectl/password.h"

#include <cppunit/extensions/HelperMacros.h>

#include <set>
#include <sstream>
#include <string>

namespace sipline::ctl {

class PasswordTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(PasswordTest);
  CPPUNIT_TEST(generatedPasswordsAreLongUnambiguousAndDistinct);
  CPPUNIT_TEST(generatedPasswordsUseTheWholeAlphabet);
  CPPUNIT_TEST(readsTheFirstLineOfInput);
  CPPUNIT_TEST(refusesEmptyOrBadInputWithoutEchoingIt);
  CPPUNIT_TEST_SUITE_END();

 public:
  void generatedPasswordsAreLongUnambiguousAndDistinct() {
    std::set<std::string> seen;
    for (int i = 0; i < 50; ++i) {
      Result<std::string> p = generatePassword();
      CPPUNIT_ASSERT(p.isOk());
      CPPUNIT_ASSERT_EQUAL(kGeneratedPasswordLength, p.value().size());
      CPPUNIT_ASSERT(p.value().find_first_not_of(kPasswordAlphabet) == std::string::npos);
      CPPUNIT_ASSERT(p.value().find_first_of("0O1lIo") == std::string::npos);
      seen.insert(p.value());
    }
    CPPUNIT_ASSERT_EQUAL(std::size_t{50}, seen.size());
  }

  void generatedPasswordsUseTheWholeAlphabet() {
    // 200 passwords = 4000 symbols of 56: a missing symbol means a broken generator
    // (probability of a false failure about 56 * (55/56)^4000, i.e. never).
    std::set<char> used;
    for (int i = 0; i < 200; ++i) {
      const std::string p = generatePassword().value();
      for (char c : p) used.insert(c);
    }
    CPPUNIT_ASSERT_EQUAL(sizeof(kPasswordAlphabet) - 1, used.size());
  }

  void readsTheFirstLineOfInput() {
    std::istringstream crlf("s3cret pass\r\nsecond line\n");
    CPPUNIT_ASSERT_EQUAL(std::string("s3cret pass"), readPasswordLine(crlf).value());
    std::istringstream no_newline("lastline");
    CPPUNIT_ASSERT_EQUAL(std::string("lastline"), readPasswordLine(no_newline).value());
  }

  void refusesEmptyOrBadInputWithoutEchoingIt() {
    std::istringstream empty("");
    Result<std::string> r = readPasswordLine(empty);
    CPPUNIT_ASSERT(!r.isOk() && r.status().code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT_EQUAL(std::string("--stdin: no password on standard input"),
                         r.status().message());
    std::istringstream blank("\n");
    CPPUNIT_ASSERT_EQUAL(std::string("--stdin: the password is empty"),
                         readPasswordLine(blank).status().message());
    std::istringstream tab("top\tsecret\n");
    r = readPasswordLine(tab);
    CPPUNIT_ASSERT(!r.isOk());
    CPPUNIT_ASSERT(r.status().message().find("secret") == std::string::npos);
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(PasswordTest);

}  // namespace sipline::ctl
