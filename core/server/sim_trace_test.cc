#include "core/server/sim_trace.h"

#include <cppunit/extensions/HelperMacros.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace sipline {
namespace {

// A script file in a temporary directory, removed at the end.
class TempScript {
 public:
  explicit TempScript(const std::string& text) {
    char dir[] = "/tmp/sim_trace_testXXXXXX";
    CPPUNIT_ASSERT(mkdtemp(dir) != nullptr);
    dir_ = dir;
    path_ = dir_ + "/main.routes";
    std::ofstream(path_) << text;
  }
  ~TempScript() {
    std::remove(path_.c_str());
    rmdir(dir_.c_str());
  }
  const std::string& dir() const { return dir_; }
  SourcePos at(int line, int col) const { return SourcePos{path_, line, col}; }

 private:
  std::string dir_, path_;
};

const char kScript[] =
    "route {\n"                                        // 1
    "  if ($rU == \"a)b\" &&   # a comment (\n"        // 2
    "      is_method(\"INVITE\")) {\n"                 // 3
    "    xlog(\"L_INFO\", \"x\\\"(\\n\");  // tail\n"  // 4
    "    $du = \"sip:\" + $rd;\n"                      // 5
    "    $var(s) += \"x\";\n"                          // 6
    "  }\n"                                            // 7
    "  switch ($rm) {\n"                               // 8
    "    case \"BYE\": exit;\n"                        // 9
    "  }\n"                                            // 10
    "}\n";

}  // namespace

class SimTraceTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SimTraceTest);
  CPPUNIT_TEST(whereIsRelativeToTheMainScriptDirectory);
  CPPUNIT_TEST(conditionSpanningLinesIsJoinedWithoutComments);
  CPPUNIT_TEST(callWithQuotedParenthesesEndsAtItsOwnParenthesis);
  CPPUNIT_TEST(unreadableOrChangedFileGivesAQuestionMark);
  CPPUNIT_TEST(labelStopsAtTheColon);
  CPPUNIT_TEST(printerIndentsByRouteAndShowsValues);
  CPPUNIT_TEST(sendsJoinTheLineOfTheCommandOrStandAlone);
  CPPUNIT_TEST(longTraceIsCutWithACount);
  CPPUNIT_TEST_SUITE_END();

 public:
  void whereIsRelativeToTheMainScriptDirectory() {
    TempScript f(kScript);
    SourceText s(f.dir());
    CPPUNIT_ASSERT_EQUAL(std::string("main.routes:3"), s.where(f.at(3, 1)));
    CPPUNIT_ASSERT_EQUAL(std::string("inc/x.routes:2"),
                         s.where(SourcePos{f.dir() + "/inc/x.routes", 2, 1}));
    CPPUNIT_ASSERT_EQUAL(std::string("/elsewhere/y.routes:4"),
                         s.where(SourcePos{"/elsewhere/y.routes", 4, 1}));
    SourceText whole("");
    CPPUNIT_ASSERT_EQUAL(f.dir() + "/main.routes:3", whole.where(f.at(3, 1)));
  }

  void conditionSpanningLinesIsJoinedWithoutComments() {
    TempScript f(kScript);
    SourceText s(f.dir());
    CPPUNIT_ASSERT_EQUAL(std::string("if ($rU == \"a)b\" && is_method(\"INVITE\"))"),
                         s.balancedFrom(f.at(2, 3)));
    CPPUNIT_ASSERT_EQUAL(std::string("switch ($rm)"), s.balancedFrom(f.at(8, 3)));
  }

  void callWithQuotedParenthesesEndsAtItsOwnParenthesis() {
    TempScript f(kScript);
    SourceText s(f.dir());
    CPPUNIT_ASSERT_EQUAL(std::string("xlog(\"L_INFO\", \"x\\\"(\\n\")"),
                         s.balancedFrom(f.at(4, 5)));
    CPPUNIT_ASSERT_EQUAL(std::string("is_method(\"INVITE\")"), s.balancedFrom(f.at(3, 7)));
  }

  void unreadableOrChangedFileGivesAQuestionMark() {
    TempScript f(kScript);
    SourceText s(f.dir());
    CPPUNIT_ASSERT_EQUAL(std::string("?"), s.balancedFrom(SourcePos{"/nonexistent.routes", 1, 1}));
    CPPUNIT_ASSERT_EQUAL(std::string("?"), s.balancedFrom(f.at(99, 1)));
    CPPUNIT_ASSERT_EQUAL(std::string("?"), s.lineFrom(f.at(7, 40)));
  }

  void labelStopsAtTheColon() {
    TempScript f(kScript);
    SourceText s(f.dir());
    CPPUNIT_ASSERT_EQUAL(std::string("case \"BYE\":"), s.labelFrom(f.at(9, 5)));
    CPPUNIT_ASSERT_EQUAL(std::string("\"BYE\":"), s.labelFrom(f.at(9, 10)));
  }

  void printerIndentsByRouteAndShowsValues() {
    TempScript f(kScript);
    TracePrinter t(f.dir());
    t.enterRoute("route", "", f.at(1, 1));
    t.call(f.at(3, 7), "is_method", 1);
    t.condition(f.at(2, 3), "if", 1);
    t.assign(f.at(5, 5), "du", "\"sip:example.com\"");
    t.assign(f.at(6, 5), "var(s)", "\"ax\"");
    t.enterRoute("route", "sub", f.at(1, 1));
    t.error(f.at(5, 5), "something failed");
    t.stop(f.at(9, 17), "return", 3);
    t.leaveRoute("route", "sub", 3, false);
    t.switchTaken(f.at(8, 3), "\"BYE\"", nullptr, false);
    SourcePos label = f.at(9, 5);
    t.switchTaken(f.at(8, 3), "\"BYE\"", &label, false);
    t.switchTaken(f.at(8, 3), "\"BYE\"", &label, true);
    t.condition(f.at(2, 3), "if", 0);
    t.stop(f.at(9, 17), "drop", 0);
    t.leaveRoute("route", "", 1, true);
    t.finish();
    std::string want =
        "route (main.routes:1)\n"
        "  main.routes:3: is_method(\"INVITE\") -> 1 (true)\n"
        "  main.routes:2: if ($rU == \"a)b\" && is_method(\"INVITE\")) -> true\n"
        "  main.routes:5: $du = \"sip:\" + $rd  => \"sip:example.com\"\n"
        "  main.routes:6: $var(s) += \"x\"  => \"ax\"\n"
        "  route[sub] (main.routes:1)\n"
        "    main.routes:5:5: error: something failed\n"
        "    main.routes:9: return(3)\n"
        "  end of route[sub] -> 3\n"
        "  main.routes:8: switch ($rm): \"BYE\" -> no case matches\n"
        "  main.routes:8: switch ($rm): \"BYE\" -> case \"BYE\": (line 9)\n"
        "  main.routes:8: switch ($rm): \"BYE\" -> default (line 9)\n"
        "  main.routes:2: if ($rU == \"a)b\" && is_method(\"INVITE\")) -> stops the script (a "
        "command returned 0)\n"
        "  main.routes:9: drop\n"
        "end of route (script stops)\n";
    CPPUNIT_ASSERT_EQUAL(want, t.text());
    CPPUNIT_ASSERT(t.routeRan());
    CPPUNIT_ASSERT(t.dropped());
    CPPUNIT_ASSERT_EQUAL(1, t.errors());
  }

  void sendsJoinTheLineOfTheCommandOrStandAlone() {
    TempScript f(kScript);
    TracePrinter t(f.dir());
    t.sent("sends reply 400 Bad Via to udp:192.0.2.1:5060");
    t.enterRoute("onreply_route", "", f.at(1, 1));
    t.sent("relays to udp:192.0.2.9:5060");
    t.call(f.at(4, 5), "xlog", 1);
    t.leaveRoute("onreply_route", "", 1, false);
    t.sent("relays to udp:192.0.2.10:5060");
    t.finish();
    std::string want =
        "the core sends reply 400 Bad Via to udp:192.0.2.1:5060\n"
        "onreply_route (main.routes:1)\n"
        "  main.routes:4: xlog(\"L_INFO\", \"x\\\"(\\n\") -> 1 (true); relays to "
        "udp:192.0.2.9:5060\n"
        "end of onreply_route -> 1\n"
        "the core relays to udp:192.0.2.10:5060\n";
    CPPUNIT_ASSERT_EQUAL(want, t.text());
    CPPUNIT_ASSERT(!t.dropped());
  }

  void longTraceIsCutWithACount() {
    TempScript f(kScript);
    TracePrinter t(f.dir());
    for (int i = 0; i < TracePrinter::kMaxLines + 7; ++i) t.condition(f.at(8, 3), "while", 1);
    std::string text = t.text();
    CPPUNIT_ASSERT(text.size() > 0);
    CPPUNIT_ASSERT_EQUAL(std::string("... 7 more trace lines not shown\n"),
                         text.substr(text.rfind("... ")));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(SimTraceTest);

}  // namespace sipline
