#include "core/base/strings.h"

#include <cppunit/extensions/HelperMacros.h>

namespace sipline {

class StringsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(StringsTest);
  CPPUNIT_TEST(editDistanceCountsEdits);
  CPPUNIT_TEST(closestMatchPrefersASwapOverAnEqualDistance);
  CPPUNIT_TEST(closestMatchGivesUpBeyondTwoEdits);
  CPPUNIT_TEST(parseIntAcceptsOnlyWholeNumbers);
  CPPUNIT_TEST(trimAndIequals);
  CPPUNIT_TEST(utf8IsCheckedByRfc3629);
  CPPUNIT_TEST_SUITE_END();

 public:
  void editDistanceCountsEdits() {
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, editDistance("route", "route"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, editDistance("route", "rute"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, editDistance("route", "routes"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, editDistance("route", "roote"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{5}, editDistance("", "route"));
  }
  void closestMatchPrefersASwapOverAnEqualDistance() {
    // "ur" is one substitution from "rr" and a swap of "ru": the swap is the likelier typo.
    CPPUNIT_ASSERT_EQUAL(std::string("ru"),
                         closestMatch("ur", std::vector<std::string>{"rr", "ru"}));
    CPPUNIT_ASSERT_EQUAL(std::string(" (did you mean 'is_method'?)"),
                         didYouMean("is_mehtod", std::vector<std::string>{"is_method", "xlog"}));
  }
  void closestMatchGivesUpBeyondTwoEdits() {
    CPPUNIT_ASSERT_EQUAL(std::string(), closestMatch("totally", std::vector<std::string>{"xlog"}));
    CPPUNIT_ASSERT_EQUAL(std::string(), didYouMean("abc", std::vector<std::string>{}));
  }
  void parseIntAcceptsOnlyWholeNumbers() {
    std::int64_t v = 0;
    CPPUNIT_ASSERT(parseInt("-42", v));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{-42}, v);
    CPPUNIT_ASSERT(!parseInt("4x", v));
    CPPUNIT_ASSERT(!parseInt("", v));
  }
  void trimAndIequals() {
    CPPUNIT_ASSERT_EQUAL(std::string_view("a b"), trim("  a b \t"));
    CPPUNIT_ASSERT(iequals("Call-ID", "call-id"));
    CPPUNIT_ASSERT(!iequals("Call-ID", "call-idx"));
  }

  void utf8IsCheckedByRfc3629() {
    using namespace std::string_view_literals;
    for (std::string_view ok :
         {""sv, "INVITE sip:a@b SIP/2.0\r\n"sv, "caf\xc3\xa9"sv, "\xe2\x82\xac"sv,
          "\xf0\x9f\x93\x9e"sv, "\xf4\x8f\xbf\xbf"sv, "a\0b"sv}) {
      CPPUNIT_ASSERT_MESSAGE(std::string(ok), isUtf8(ok));
    }
    for (std::string_view bad :
         {"caf\xe9"sv,           // Latin-1
          "\xc0\xaf"sv,          // overlong '/'
          "\xe0\x80\xaf"sv,      // overlong
          "\xed\xa0\x80"sv,      // surrogate
          "\xf4\x90\x80\x80"sv,  // past U+10FFFF
          "\xf5\x80\x80\x80"sv, "\xc3"sv, "\xe2\x82"sv, "\x80"sv, "\xc3\x28"sv}) {
      CPPUNIT_ASSERT(!isUtf8(bad));
    }
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StringsTest);

}  // namespace sipline
