#include "modules/permissions/route_rules.h"

#include <cppunit/extensions/HelperMacros.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace sipline::permissions {

class RouteRulesTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(RouteRulesTest);
  CPPUNIT_TEST(listsMatchAllItemsAndExceptions);
  CPPUNIT_TEST(allowWinsThenDenyThenAllowed);
  CPPUNIT_TEST(commentsAndBlankLinesAreIgnored);
  CPPUNIT_TEST(windowsLineEndsAreBlanks);
  CPPUNIT_TEST(escapedBackslashBeforeTheClosingQuote);
  CPPUNIT_TEST(syntaxErrorsNameTheLine);
  CPPUNIT_TEST(missingFileHasNoRulesOtherErrorsAreReported);
  CPPUNIT_TEST(relativePathsResolveAgainstTheDirectory);
  CPPUNIT_TEST_SUITE_END();

 public:
  static RouteRules parse(const std::string& text) {
    Result<RouteRules> r = RouteRules::parse(text, "t.allow");
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.isOk());
    return std::move(r.value());
  }

  void listsMatchAllItemsAndExceptions() {
    RouteRules r = parse(
        "\"^sip:[0-9]+@gw\\.example\", \"^sip:ops@\" : \"^sip:00\" EXCEPT \"^sip:00900\"\n"
        "ALL EXCEPT \"@evil\\.example\" : \"^sip:112@\"\n");
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, r.size());
    CPPUNIT_ASSERT(r.find("sip:4930@gw.example", "sip:0044123@x") != nullptr);
    CPPUNIT_ASSERT(r.find("sip:ops@a.example", "sip:0044123@x") != nullptr);
    CPPUNIT_ASSERT(r.find("sip:ops@a.example", "sip:00900123@x") == nullptr);  // EXCEPT
    CPPUNIT_ASSERT(r.find("sip:bob@a.example", "sip:0044123@x") == nullptr);
    CPPUNIT_ASSERT_EQUAL(2, r.find("sip:bob@a.example", "sip:112@x")->line);
    CPPUNIT_ASSERT(r.find("sip:bob@EVIL.example", "sip:112@x") == nullptr);  // icase EXCEPT
  }

  void allowWinsThenDenyThenAllowed() {
    RoutingFiles f;
    f.allow = parse("\"^sip:alice@\" : ALL\n");
    f.deny = parse("ALL : \"^sip:00\"\n");
    CPPUNIT_ASSERT_EQUAL(1, f.decide("sip:alice@a", "sip:0044@x"));  // allow file first
    CPPUNIT_ASSERT_EQUAL(-1, f.decide("sip:bob@a", "sip:0044@x"));
    CPPUNIT_ASSERT_EQUAL(1, f.decide("sip:bob@a", "sip:030@x"));  // in neither: allowed
    RoutingFiles none;
    CPPUNIT_ASSERT_EQUAL(1, none.decide("sip:bob@a", "sip:0044@x"));
  }

  // In the file, "^sip:a\\" is the regex ^sip:a\\ (one literal backslash): the quote after it
  // closes the string and the '#' after that starts a comment.
  void escapedBackslashBeforeTheClosingQuote() {
    RouteRules r = parse(R"(ALL : "^sip:a\\" # "c
ALL : "^sip:q\"x"
)");
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, r.size());
    CPPUNIT_ASSERT(r.find("sip:x@y", R"(sip:a\b)") != nullptr);
    CPPUNIT_ASSERT(r.find("sip:x@y", "sip:ab") == nullptr);
    CPPUNIT_ASSERT(r.find("sip:x@y", R"(sip:q"x@h)") != nullptr);  // \" is a quote
  }

  void commentsAndBlankLinesAreIgnored() {
    RouteRules r = parse("# premium numbers\n\n   \nALL : \"^sip:0900#x\"  # only these\n");
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, r.size());
    CPPUNIT_ASSERT(r.find("sip:a@b", "sip:0900#x@c") != nullptr);  // '#' inside quotes kept
  }

  // A file saved with CRLF line ends: the CR after a final ALL (or EXCEPT list) is a blank.
  void windowsLineEndsAreBlanks() {
    RouteRules r = parse("# pstn.allow\r\n\"^sip:ops@\" : ALL\r\nALL : ALL EXCEPT \"^sip:00\"\r\n");
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, r.size());
    CPPUNIT_ASSERT_EQUAL(2, r.find("sip:ops@a", "sip:0044@x")->line);
    CPPUNIT_ASSERT_EQUAL(3, r.find("sip:bob@a", "sip:030@x")->line);
    CPPUNIT_ASSERT(r.find("sip:bob@a", "sip:0044@x") == nullptr);
    CPPUNIT_ASSERT(parse("ALL : ALL\r").find("sip:a@b", "sip:c@d") != nullptr);
  }

  void syntaxErrorsNameTheLine() {
    auto message = [](const std::string& text) {
      Result<RouteRules> r = RouteRules::parse(text, "t.deny");
      CPPUNIT_ASSERT(!r.isOk());
      return r.status().message();
    };
    CPPUNIT_ASSERT(message("\n\"a\" \"b\"\n").find("t.deny:2: expected ':'") == 0);
    CPPUNIT_ASSERT(message("ALL : \"a\" junk").find("unexpected text") != std::string::npos);
    CPPUNIT_ASSERT(message("ALL : \"unterminated").find("unterminated") != std::string::npos);
    CPPUNIT_ASSERT(message("ALL : \"([\"").find("t.deny:1: \"([\"") == 0);
    CPPUNIT_ASSERT(message("ALLX : ALL").find("double quotes") != std::string::npos);
    CPPUNIT_ASSERT(message("ALL : ALL EXCEPT").find("double quotes") != std::string::npos);
  }

  void missingFileHasNoRulesOtherErrorsAreReported() {
    char dir[] = "/tmp/sipline-rr-XXXXXX";
    CPPUNIT_ASSERT(mkdtemp(dir) != nullptr);
    std::string path = std::string(dir) + "/p.allow";
    Result<std::optional<RouteRules>> missing = RouteRules::load(path);
    CPPUNIT_ASSERT(missing.isOk() && !missing.value().has_value());
    {
      std::ofstream out(path);
      out << "ALL : \"^sip:1\"\n";
    }
    Result<std::optional<RouteRules>> loaded = RouteRules::load(path);
    CPPUNIT_ASSERT(loaded.isOk() && loaded.value().has_value());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, loaded.value()->size());
    {
      std::ofstream out(path);
      out << "bad\n";
    }
    Result<std::optional<RouteRules>> bad = RouteRules::load(path);
    CPPUNIT_ASSERT(!bad.isOk());
    CPPUNIT_ASSERT(bad.status().message().find(path + ":1:") == 0);
    std::remove(path.c_str());
    rmdir(dir);
  }

  void relativePathsResolveAgainstTheDirectory() {
    CPPUNIT_ASSERT_EQUAL(std::string("/etc/sipline/permissions.allow"),
                         resolvePath("/etc/sipline", "permissions.allow"));
    CPPUNIT_ASSERT_EQUAL(std::string("/x/y.deny"), resolvePath("/etc/sipline", "/x/y.deny"));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(RouteRulesTest);

}  // namespace sipline::permissions
