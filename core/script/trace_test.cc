// The interpreter's trace (what the route simulator prints) and the positions of run-time
// errors in the log.
#include "core/script/trace.h"

#include <cppunit/extensions/HelperMacros.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "core/base/log.h"
#include "core/script/script.h"
#include "core/sip/msg_context.h"

namespace sipline {
namespace {

const char kInvite[] =
    "INVITE sip:alice@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:bob@example.org>;tag=ft\r\n"
    "To: <sip:alice@example.com>\r\n"
    "Call-ID: trace-call@host\r\n"
    "CSeq: 1 INVITE\r\n"
    "Content-Length: 0\r\n\r\n";

// Every event as one short line: "kind line details".
class RecordingTracer : public ScriptTracer {
 public:
  void enterRoute(const char* keyword, const std::string& name, const SourcePos& pos) override {
    add("enter " + std::string(keyword) + "[" + name + "] " + std::to_string(pos.line));
  }
  void leaveRoute(const char* keyword, const std::string& name, int rc, bool stopped) override {
    add("leave " + std::string(keyword) + "[" + name + "] " + std::to_string(rc) +
        (stopped ? " stopped" : ""));
  }
  void condition(const SourcePos& pos, const char* keyword, int result) override {
    add(std::string(keyword) + " " + std::to_string(pos.line) + " " + std::to_string(result));
  }
  void switchTaken(const SourcePos& pos, const std::string& subject, const SourcePos* taken,
                   bool is_default) override {
    add("switch " + std::to_string(pos.line) + " " + subject + " -> " +
        (taken == nullptr ? "none"
                          : (is_default ? "default " : "case ") + std::to_string(taken->line)));
  }
  void call(const SourcePos& pos, const std::string& name, int rc) override {
    add("call " + std::to_string(pos.line) + ":" + std::to_string(pos.col) + " " + name + " " +
        std::to_string(rc));
  }
  void assign(const SourcePos& pos, const std::string& target, const std::string& value) override {
    add("assign " + std::to_string(pos.line) + " $" + target + " " + value);
  }
  void stop(const SourcePos& pos, const char* what, int rc) override {
    add("stop " + std::to_string(pos.line) + " " + what + " " + std::to_string(rc));
  }
  void error(const SourcePos& pos, const std::string& message) override {
    add("error " + pos.toString() + " " + message);
  }
  std::vector<std::string> events;

 private:
  void add(const std::string& e) { events.push_back(e); }
};

// Collects what the process writes to stderr (the log) between construction and take().
class StderrCapture {
 public:
  StderrCapture() {
    std::fflush(stderr);
    saved_ = dup(STDERR_FILENO);
    file_ = std::tmpfile();
    dup2(fileno(file_), STDERR_FILENO);
  }
  ~StderrCapture() { restore(); }
  std::string take() {
    restore();
    std::string out;
    std::rewind(file_);
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), file_)) > 0) out.append(buf, n);
    return out;
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    saved_ = -1;
  }
  int saved_ = -1;
  std::FILE* file_ = nullptr;
};

std::size_t countOf(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

// A registry with the core commands plus rc(n) (returns n) and failing(text), which reports
// a run-time error through its ScriptErrorSite and returns -1.
struct Fixture {
  CommandRegistry commands;

  Fixture() {
    Status st = registerCoreCommands(commands);
    CPPUNIT_ASSERT(st.isOk());
    CommandSpec rc;
    rc.name = "rc";
    rc.module = "test";
    rc.args = {ArgSpec::integer("rc")};
    rc.route_mask = kAnyRoute;
    rc.bind = [](const ScriptArgs& args, BindContext&) -> Result<BoundCallPtr> {
      int v = static_cast<int>(args[0].int_value);
      return makeCall([v](MsgContext&) { return Verdict::of(v); });
    };
    CPPUNIT_ASSERT(commands.add(std::move(rc)).isOk());
    CommandSpec failing;
    failing.name = "failing";
    failing.module = "test";
    failing.args = {ArgSpec::str("text")};
    failing.route_mask = kAnyRoute;
    failing.bind = [](const ScriptArgs& args, BindContext& bc) -> Result<BoundCallPtr> {
      std::string text = args[0].text;
      ScriptErrorSite site(bc.pos(), "failing");
      return makeCall([text, site](MsgContext& ctx) {
        site.report(ctx, "cannot do %s", text.c_str());
        return Verdict::fail();
      });
    };
    CPPUNIT_ASSERT(commands.add(std::move(failing)).isOk());
  }

  ScriptPtr compile(const std::string& text) {
    Result<ScriptPtr> s = Script::compile(text, "t.routes", commands, nullptr);
    CPPUNIT_ASSERT_MESSAGE(s.isOk() ? "" : s.status().message(), s.isOk());
    return std::move(s.value());
  }

  // Runs the request route on kInvite `times` times with `tracer` (may be nullptr).
  int run(Script& script, ScriptTracer* tracer, int times = 1) {
    script.setTracer(tracer);
    int rc = 0;
    for (int i = 0; i < times; ++i) {
      SipMessage msg;
      CPPUNIT_ASSERT(msg.parse(kInvite) == ParseError::kOk);
      ReceiveInfo rcv;
      CPPUNIT_ASSERT(SockAddr::fromNumeric("192.0.2.7", 5099, rcv.src));
      MsgContext ctx(msg, rcv, kRequestRoute);
      rc = script.runRequest(ctx);
    }
    script.setTracer(nullptr);
    return rc;
  }
};

// Errors are logged at L_ERR; the unit runner logs only L_CRIT.
class ErrorLogLevel {
 public:
  ErrorLogLevel() : saved_(logLevel()) { logSetLevel(LogLevel::kErr); }
  ~ErrorLogLevel() { logSetLevel(saved_); }

 private:
  LogLevel saved_;
};

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += s + "\n";
  return out;
}

}  // namespace

class ScriptTraceTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ScriptTraceTest);
  CPPUNIT_TEST(tracesRoutesConditionsCallsAndAssignments);
  CPPUNIT_TEST(tracesNestedRouteWithItsReturnCode);
  CPPUNIT_TEST(tracesSwitchCaseDefaultAndNoMatch);
  CPPUNIT_TEST(tracesEveryWhileCondition);
  CPPUNIT_TEST(tracesExitDropAndACommandThatStopsTheScript);
  CPPUNIT_TEST(withoutTracerTheResultIsTheSame);
  CPPUNIT_TEST(failedAssignmentLogsFileLineColAndCallId);
  CPPUNIT_TEST(whileBoundLogsThePositionOfTheLoop);
  CPPUNIT_TEST(tooDeepRouteNestingLogsTheRouteCall);
  CPPUNIT_TEST(divisionByZeroAndBadArithmeticLogTheirOperator);
  CPPUNIT_TEST(commandErrorNamesItsCallSite);
  CPPUNIT_TEST(commandErrorsAreRateLimitedPerCallSite);
  CPPUNIT_TEST(commandErrorReachesTheTracerOfTheProcess);
  CPPUNIT_TEST(coreFunctionErrorsReachTheTracerPerCallSite);
  CPPUNIT_TEST(runtimeErrorsAreRateLimitedPerScriptAction);
  CPPUNIT_TEST(traceLiteralQuotesAndEscapes);
  CPPUNIT_TEST_SUITE_END();

 public:
  void tracesRoutesConditionsCallsAndAssignments() {
    Fixture f;
    ScriptPtr s = f.compile(
        "route {\n"                          // 1
        "  if (rc(-1)) {\n"                  // 2
        "    exit;\n"                        // 3
        "  }\n"                              // 4
        "  $du = \"sip:192.0.2.9:5080\";\n"  // 5
        "  $var(n) = 2 + 3;\n"               // 6
        "  if (is_method(\"INVITE\")) {\n"   // 7
        "    rc(7);\n"                       // 8
        "  }\n"                              // 9
        "}\n");
    RecordingTracer t;
    CPPUNIT_ASSERT_EQUAL(1, f.run(*s, &t));
    std::vector<std::string> want = {
        "enter route[] 1",
        "call 2:7 rc -1",
        "if 2 -1",
        "assign 5 $du \"sip:192.0.2.9:5080\"",
        "assign 6 $var(n) 5",
        "call 7:7 is_method 1",
        "if 7 1",
        "call 8:5 rc 7",
        "leave route[] 1",
    };
    CPPUNIT_ASSERT_EQUAL(joined(want), joined(t.events));
  }

  void tracesNestedRouteWithItsReturnCode() {
    Fixture f;
    ScriptPtr s = f.compile(
        "route {\n"
        "  route(check);\n"
        "  if ($rc == 3) { rc(1); }\n"
        "}\n"
        "route[check] {\n"
        "  return(3);\n"
        "}\n");
    RecordingTracer t;
    f.run(*s, &t);
    std::vector<std::string> want = {
        "enter route[] 1", "enter route[check] 5", "stop 6 return 3", "leave route[check] 3",
        "if 3 1",          "call 3:19 rc 1",       "leave route[] 1",
    };
    CPPUNIT_ASSERT_EQUAL(joined(want), joined(t.events));
  }

  void tracesSwitchCaseDefaultAndNoMatch() {
    Fixture f;
    ScriptPtr s = f.compile(
        "route {\n"                   // 1
        "  switch ($rm) {\n"          // 2
        "    case \"BYE\":\n"         // 3
        "      rc(1);\n"              // 4
        "    case \"INVITE\":\n"      // 5
        "      rc(2);\n"              // 6
        "      break;\n"              // 7
        "    default:\n"              // 8
        "      rc(3);\n"              // 9
        "  }\n"                       // 10
        "  switch ($rU) {\n"          // 11
        "    case \"bob\":\n"         // 12
        "      rc(4);\n"              // 13
        "    default:\n"              // 14
        "      rc(5);\n"              // 15
        "  }\n"                       // 16
        "  switch ($rU) {\n"          // 17
        "    case \"bob\": rc(6);\n"  // 18
        "  }\n"                       // 19
        "}\n");
    RecordingTracer t;
    f.run(*s, &t);
    std::string all = joined(t.events);
    CPPUNIT_ASSERT_MESSAGE(
        all, all.find("switch 2 \"INVITE\" -> case 5\ncall 6:7 rc 2\n") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(
        all, all.find("switch 11 \"alice\" -> default 14\ncall 15:7 rc 5\n") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(all, all.find("switch 17 \"alice\" -> none\n") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(all, all.find("rc 3") == std::string::npos);  // break stopped it
  }

  void tracesEveryWhileCondition() {
    Fixture f;
    ScriptPtr s = f.compile(
        "route {\n"
        "  $var(i) = 0;\n"
        "  while ($var(i) < 2) {\n"
        "    $var(i) += 1;\n"
        "  }\n"
        "}\n");
    RecordingTracer t;
    f.run(*s, &t);
    // += on integers adds: 0, 1, 2 (2 is not < 2).
    std::vector<std::string> want = {
        "enter route[] 1", "assign 2 $var(i) 0", "while 3 1",  "assign 4 $var(i) 1",
        "while 3 1",       "assign 4 $var(i) 2", "while 3 -1", "leave route[] 1",
    };
    CPPUNIT_ASSERT_EQUAL(joined(want), joined(t.events));
  }

  void tracesExitDropAndACommandThatStopsTheScript() {
    Fixture f;
    RecordingTracer t1;
    ScriptPtr exit_script =
        f.compile("route {\n  route(a);\n  rc(9);\n}\nroute[a] {\n  exit;\n}\n");
    f.run(*exit_script, &t1);
    std::vector<std::string> want1 = {"enter route[] 1", "enter route[a] 5", "stop 6 exit 0",
                                      "leave route[a] 1 stopped", "leave route[] 1 stopped"};
    CPPUNIT_ASSERT_EQUAL(joined(want1), joined(t1.events));

    RecordingTracer t2;
    ScriptPtr drop_script = f.compile("route {\n  drop;\n}\n");
    f.run(*drop_script, &t2);
    CPPUNIT_ASSERT_EQUAL(std::string("stop 2 drop 0"), t2.events.at(1));

    RecordingTracer t3;
    ScriptPtr zero = f.compile("route {\n  rc(0);\n  rc(1);\n}\n");
    f.run(*zero, &t3);
    std::vector<std::string> want3 = {"enter route[] 1", "call 2:3 rc 0",
                                      "leave route[] 0 stopped"};
    CPPUNIT_ASSERT_EQUAL(joined(want3), joined(t3.events));
  }

  void withoutTracerTheResultIsTheSame() {
    Fixture f;
    ScriptPtr s =
        f.compile("route {\n  route(a);\n  return($rc + 1);\n}\nroute[a] { return(4); }\n");
    RecordingTracer t;
    int traced = f.run(*s, &t);
    int plain = f.run(*s, nullptr);
    CPPUNIT_ASSERT_EQUAL(5, traced);
    CPPUNIT_ASSERT_EQUAL(traced, plain);
    CPPUNIT_ASSERT(!t.events.empty());
  }

  void failedAssignmentLogsFileLineColAndCallId() {
    Fixture f;
    ScriptPtr s = f.compile("route {\n  rc(1);\n  $du = \"not a uri\";\n}\n");
    ErrorLogLevel level;
    StderrCapture err;
    RecordingTracer t;
    f.run(*s, &t);
    std::string log = err.take();
    CPPUNIT_ASSERT_MESSAGE(
        log, log.find("t.routes:3:3: cannot assign \"not a uri\" to $du: bad "
                      "$du: not a uri (Call-ID trace-call@host)") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(std::string("error t.routes:3:3 cannot assign \"not a uri\" to $du: bad "
                                     "$du: not a uri"),
                         t.events.at(2));
  }

  void whileBoundLogsThePositionOfTheLoop() {
    Fixture f;
    ScriptPtr s = f.compile("route {\n  $var(i) = 0;\n  while (1) {\n    $var(i) += 1;\n  }\n}\n");
    Script::setMaxWhileLoops(3);
    ErrorLogLevel level;
    StderrCapture err;
    f.run(*s, nullptr);
    std::string log = err.take();
    Script::setMaxWhileLoops(10000);
    CPPUNIT_ASSERT_MESSAGE(
        log, log.find("t.routes:3:3: while loop stopped after 3 iterations") != std::string::npos);
  }

  void tooDeepRouteNestingLogsTheRouteCall() {
    Fixture f;
    ScriptPtr s = f.compile("route {\n  route(loop);\n}\nroute[loop] {\n  route(loop);\n}\n");
    ErrorLogLevel level;
    StderrCapture err;
    RecordingTracer t;
    f.run(*s, &t);
    std::string log = err.take();
    CPPUNIT_ASSERT_MESSAGE(log, log.find("t.routes:5:3: route(loop): more than 100 nested route "
                                         "calls, stopping the script") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), countOf(joined(t.events), "error t.routes:5:3"));
  }

  void divisionByZeroAndBadArithmeticLogTheirOperator() {
    Fixture f;
    ScriptPtr s = f.compile("route {\n  $var(a) = 1 / 0;\n  $var(b) = $rU - 1;\n}\n");
    ErrorLogLevel level;
    StderrCapture err;
    f.run(*s, nullptr);
    std::string log = err.take();
    CPPUNIT_ASSERT_MESSAGE(log, log.find("t.routes:2:15: division by zero") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(log, log.find("t.routes:3:17: arithmetic on a non-integer value "
                                         "(\"alice\")") != std::string::npos);
  }

  void commandErrorNamesItsCallSite() {
    Fixture f;
    ScriptPtr s = f.compile("route {\n  if (!failing(\"it\")) {\n    rc(2);\n  }\n}\n");
    ErrorLogLevel level;
    StderrCapture err;
    RecordingTracer t;
    f.run(*s, &t);
    std::string log = err.take();
    CPPUNIT_ASSERT_MESSAGE(log, log.find("t.routes:2:8: failing(): cannot do it (Call-ID "
                                         "trace-call@host)") != std::string::npos);
    // The error comes before the call's result in the trace.
    CPPUNIT_ASSERT_EQUAL(std::string("error t.routes:2:8 failing(): cannot do it"), t.events.at(1));
    CPPUNIT_ASSERT_EQUAL(std::string("call 2:8 failing -1"), t.events.at(2));
  }

  void commandErrorsAreRateLimitedPerCallSite() {
    Fixture f;
    ScriptPtr s = f.compile("route {\n  failing(\"a\");\n  failing(\"b\");\n}\n");
    ErrorLogLevel level;
    StderrCapture err;
    f.run(*s, nullptr, 30);
    std::string log = err.take();
    std::size_t first = countOf(log, "t.routes:2:3: failing(): cannot do a");
    std::size_t second = countOf(log, "t.routes:3:3: failing(): cannot do b");
    CPPUNIT_ASSERT_MESSAGE(log, first >= 10 && first <= 20);
    CPPUNIT_ASSERT_MESSAGE(log, second >= 10 && second <= 20);
  }

  void coreFunctionErrorsReachTheTracerPerCallSite() {
    // rewritehost() with a value known only at run time fails at its own call site.
    Fixture f;
    ScriptPtr s = f.compile(
        "route {\n  $var(h) = \"bad host\";\n  rewritehost(\"$var(h)\");\n"
        "  sethost(\"$var(h)\");\n}\n");
    RecordingTracer t;
    f.run(*s, &t);
    std::string all = joined(t.events);
    CPPUNIT_ASSERT_MESSAGE(all,
                           all.find("error t.routes:3:3 rewritehost(): ") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(all, all.find("error t.routes:4:3 sethost(): ") != std::string::npos);
  }

  void commandErrorReachesTheTracerOfTheProcess() {
    // A command has no Exec: its errors reach the tracer the script was given last.
    Fixture f;
    ScriptPtr s = f.compile("route {\n  failing(\"x\");\n}\n");
    RecordingTracer t;
    f.run(*s, &t);
    CPPUNIT_ASSERT_EQUAL(std::string("error t.routes:2:3 failing(): cannot do x"), t.events.at(1));
    std::size_t seen = t.events.size();
    f.run(*s, nullptr);  // tracing off again: nothing more arrives
    CPPUNIT_ASSERT_EQUAL(seen, t.events.size());
  }

  void runtimeErrorsAreRateLimitedPerScriptAction() {
    Fixture f;
    ScriptPtr s = f.compile("route {\n  $du = \"bad one\";\n  $du = \"bad two\";\n}\n");
    ErrorLogLevel level;
    StderrCapture err;
    f.run(*s, nullptr, 30);
    std::string log = err.take();
    std::size_t first = countOf(log, "t.routes:2:3:");
    std::size_t second = countOf(log, "t.routes:3:3:");
    // At most 10 a second each (the run may straddle a second boundary: then up to 20), and
    // the flood from line 2 does not silence line 3.
    CPPUNIT_ASSERT_MESSAGE(log, first >= 10 && first <= 20);
    CPPUNIT_ASSERT_MESSAGE(log, second >= 10 && second <= 20);
  }

  void traceLiteralQuotesAndEscapes() {
    // Through an assignment: what the trace shows for each kind of value.
    Fixture f;
    ScriptPtr s = f.compile(
        "route {\n  $var(a) = \"say \\\"hi\\\"\\n\";\n  $var(b) = 42;\n  $var(c) = "
        "$hdr(X-None);\n}\n");
    RecordingTracer t;
    f.run(*s, &t);
    CPPUNIT_ASSERT_EQUAL(std::string("assign 2 $var(a) \"say \\\"hi\\\"\\n\""), t.events.at(1));
    CPPUNIT_ASSERT_EQUAL(std::string("assign 3 $var(b) 42"), t.events.at(2));
    CPPUNIT_ASSERT_EQUAL(std::string("assign 4 $var(c) <null>"), t.events.at(3));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(ScriptTraceTest);

}  // namespace sipline
