#include "core/base/regex.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace sipline {
namespace {

std::string substituted(const std::string& expr, const std::string& subject, int* count = nullptr) {
  Substitution s;
  Status st = s.compile(expr);
  CPPUNIT_ASSERT_MESSAGE(expr + ": " + st.message(), st.isOk());
  std::string out;
  int n = s.apply(subject, out);
  if (count != nullptr) *count = n;
  return out;
}

std::string compileError(const std::string& expr) {
  Substitution s;
  Status st = s.compile(expr);
  CPPUNIT_ASSERT_MESSAGE(expr + " compiled", !st.isOk());
  return st.message();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

class RegexTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(RegexTest);
  CPPUNIT_TEST(matchesIsCaseInsensitiveByDefault);
  CPPUNIT_TEST(matchesSeesTextAfterANul);
  CPPUNIT_TEST(badPatternCarriesRegcompMessage);
  CPPUNIT_TEST(findReportsGroupsAndHonoursLineStarts);
  CPPUNIT_TEST(findPastTheEndIsFalse);
  CPPUNIT_TEST_SUITE_END();

 public:
  void matchesIsCaseInsensitiveByDefault() {
    Regex re;
    CPPUNIT_ASSERT(re.compile("^sip:ALICE@").isOk());
    CPPUNIT_ASSERT(re.matches("sip:alice@example.com"));
    CPPUNIT_ASSERT(!re.matches("sip:bob@example.com"));
    Regex exact;
    Regex::Options o;
    o.icase = false;
    CPPUNIT_ASSERT(exact.compile("ALICE", o).isOk());
    CPPUNIT_ASSERT(!exact.matches("alice"));
    CPPUNIT_ASSERT(exact.matches("ALICE"));
  }
  void matchesSeesTextAfterANul() {
    Regex re;
    CPPUNIT_ASSERT(re.compile("after").isOk());
    CPPUNIT_ASSERT(re.matches(std::string_view("before\0after", 12)));
    CPPUNIT_ASSERT(!re.matches(std::string_view("before\0after", 7)));  // the view's end counts
  }
  void badPatternCarriesRegcompMessage() {
    Regex re;
    Status st = re.compile("([a-z");
    CPPUNIT_ASSERT(!st.isOk());
    CPPUNIT_ASSERT(contains(st.message(), "regex does not compile: "));
    CPPUNIT_ASSERT(st.message().size() > std::string("regex does not compile: ").size());
    CPPUNIT_ASSERT(!re.matches("a"));
  }
  void findReportsGroupsAndHonoursLineStarts() {
    Regex re;
    Regex::Options o;
    o.per_line = true;
    o.capture = true;
    CPPUNIT_ASSERT(re.compile("^([a-z]+): ([^\r]*)", o).isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), re.groupCount());
    std::string text = "To: b\r\nFrom: a\r\n";
    RegexMatch m;
    CPPUNIT_ASSERT(re.find(text, 0, m));
    CPPUNIT_ASSERT_EQUAL(std::size_t(0), m.begin());
    CPPUNIT_ASSERT_EQUAL(std::string("To"), text.substr(m.groups[1].begin, 2));
    // From offset 1 the next line start is the match: '^' does not hold at offset 1 itself.
    CPPUNIT_ASSERT(re.find(text, 1, m));
    CPPUNIT_ASSERT_EQUAL(std::size_t(7), m.begin());
    CPPUNIT_ASSERT_EQUAL(std::string("a"),
                         text.substr(m.groups[2].begin, m.groups[2].end - m.groups[2].begin));
    CPPUNIT_ASSERT(!m.groups[3].matched);
  }
  void findPastTheEndIsFalse() {
    Regex re;
    Regex::Options o;
    o.capture = true;
    CPPUNIT_ASSERT(re.compile("x", o).isOk());
    RegexMatch m;
    CPPUNIT_ASSERT(!re.find("abc", 4, m));
    CPPUNIT_ASSERT(!re.find("abc", 0, m));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(RegexTest);

class SubstitutionTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SubstitutionTest);
  CPPUNIT_TEST(replacesFirstMatchWithBackReferences);
  CPPUNIT_TEST(globalFlagReplacesEveryMatch);
  CPPUNIT_TEST(caseSensitiveUnlessIFlag);
  CPPUNIT_TEST(linesAreSeparateUnlessSFlag);
  CPPUNIT_TEST(escapesInTheReplacement);
  CPPUNIT_TEST(uriEscapeIsAPieceOfItsOwn);
  CPPUNIT_TEST(anySeparatorAndEscapedSeparator);
  CPPUNIT_TEST(emptyMatchesAsSed);
  CPPUNIT_TEST(noMatchLeavesTheText);
  CPPUNIT_TEST(textPiecesGoThroughTheExpander);
  CPPUNIT_TEST(malformedExpressionsAreRefused);
  CPPUNIT_TEST_SUITE_END();

 public:
  void replacesFirstMatchWithBackReferences() {
    CPPUNIT_ASSERT_EQUAL(std::string("sip:bob@10.0.0.1 sip:carol@example.com"),
                         substituted("/sip:([a-z]+)@example\\.com/sip:\\1@10.0.0.1/",
                                     "sip:bob@example.com sip:carol@example.com"));
    CPPUNIT_ASSERT_EQUAL(std::string("[ab]-ab"), substituted("/(a)(b)/[\\0]-\\1\\2/", "ab"));
  }
  void globalFlagReplacesEveryMatch() {
    int n = 0;
    CPPUNIT_ASSERT_EQUAL(std::string("x-x-x"), substituted("/a/x/g", "a-a-a", &n));
    CPPUNIT_ASSERT_EQUAL(3, n);
  }
  void caseSensitiveUnlessIFlag() {
    int n = 0;
    CPPUNIT_ASSERT_EQUAL(std::string("ALICE"), substituted("/alice/bob/", "ALICE", &n));
    CPPUNIT_ASSERT_EQUAL(0, n);
    CPPUNIT_ASSERT_EQUAL(std::string("bob"), substituted("/alice/bob/i", "ALICE"));
  }
  void linesAreSeparateUnlessSFlag() {
    std::string text = "a: 1\nb: 2\n";
    // '^' matches at every line start; '.' stops at the line end.
    CPPUNIT_ASSERT_EQUAL(std::string("a: x\nb: x\n"), substituted("/^([a-z]): .*$/\\1: x/g", text));
    // With s, '.' runs over line ends and '^' is only the start of the text.
    CPPUNIT_ASSERT_EQUAL(std::string("y"), substituted("/^a.*/y/s", text));
  }
  // \u stands for the request-URI: a piece of its own that the caller's expander fills.
  void uriEscapeIsAPieceOfItsOwn() {
    Substitution s;
    CPPUNIT_ASSERT(s.compile("/x/a\\ub/").isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, s.pieces().size());
    CPPUNIT_ASSERT(s.pieces()[1].kind == Substitution::Piece::Kind::kUri);
    Substitution::TextExpander expand = [&s](std::size_t i, std::string& out) {
      out += s.pieces()[i].kind == Substitution::Piece::Kind::kUri ? "sip:b@h" : s.pieces()[i].text;
    };
    std::string out;
    CPPUNIT_ASSERT_EQUAL(1, s.apply("-x-", out, &expand));
    CPPUNIT_ASSERT_EQUAL(std::string("-asip:b@hb-"), out);
    CPPUNIT_ASSERT_EQUAL(1, s.apply("-x-", out));
    CPPUNIT_ASSERT_EQUAL(std::string("-ab-"), out);
  }
  void escapesInTheReplacement() {
    CPPUNIT_ASSERT_EQUAL(std::string("1\r\n\t\\$2"), substituted("/x/1\\r\\n\\t\\\\\\$2/", "x"));
  }
  void anySeparatorAndEscapedSeparator() {
    CPPUNIT_ASSERT_EQUAL(std::string("a/b"), substituted("#-#/#", "a-b"));
    CPPUNIT_ASSERT_EQUAL(std::string("a/b"), substituted("/-/\\//", "a-b"));
    CPPUNIT_ASSERT_EQUAL(std::string("x"), substituted("/a\\/b/x/", "a/b"));
  }
  void emptyMatchesAsSed() {
    CPPUNIT_ASSERT_EQUAL(std::string("+49123"), substituted("/^/+49/", "123"));
    CPPUNIT_ASSERT_EQUAL(std::string("-a-b-c-"), substituted("/x*/-/g", "abc"));
    CPPUNIT_ASSERT_EQUAL(std::string("-a-c-"), substituted("/x*/-/g", "axxc"));
  }
  void noMatchLeavesTheText() {
    int n = 7;
    CPPUNIT_ASSERT_EQUAL(std::string("abc"), substituted("/z/y/g", "abc", &n));
    CPPUNIT_ASSERT_EQUAL(0, n);
  }
  void textPiecesGoThroughTheExpander() {
    Substitution s;
    CPPUNIT_ASSERT(s.compile("/(b)/<\\1|$x|\\$>/").isOk());
    // Pieces: "<" text, group 1, "|$x|" text, "$" literal, ">" text.
    CPPUNIT_ASSERT_EQUAL(std::size_t(5), s.pieces().size());
    CPPUNIT_ASSERT(s.pieces()[3].kind == Substitution::Piece::Kind::kLiteral);
    Substitution::TextExpander expand = [&](std::size_t i, std::string& out) {
      out += "T" + std::to_string(i);
    };
    std::string out;
    CPPUNIT_ASSERT_EQUAL(1, s.apply("abc", out, &expand));
    CPPUNIT_ASSERT_EQUAL(std::string("aT0bT2$T4c"), out);
  }
  void malformedExpressionsAreRefused() {
    CPPUNIT_ASSERT(contains(compileError("/a"), "is not a substitution"));
    CPPUNIT_ASSERT(contains(compileError("/abc"), "missing the '/' after the regex"));
    CPPUNIT_ASSERT(contains(compileError("/a/b"), "missing the '/' after the replacement"));
    CPPUNIT_ASSERT(contains(compileError("//b/"), "empty regex"));
    CPPUNIT_ASSERT(contains(compileError("\\a\\b\\"), "cannot be the separator"));
    CPPUNIT_ASSERT(contains(compileError("/a/b/x"), "unknown flag 'x'"));
    CPPUNIT_ASSERT(contains(compileError("/([a-z/b/"), "regex does not compile"));
    CPPUNIT_ASSERT(contains(compileError("/(a)/\\2/"), "refers to group 2 but the regex has 1"));
    CPPUNIT_ASSERT(contains(compileError("/a/\\q/"), "unknown escape '\\q'"));
    CPPUNIT_ASSERT(contains(compileError("/a/b\\/"), "missing the '/' after the replacement"));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(SubstitutionTest);

}  // namespace sipline
