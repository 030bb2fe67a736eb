#include "core/script/script.h"

#include <cppunit/extensions/HelperMacros.h>

#include <ctime>
#include <string>
#include <vector>

#include "core/script/script_test_util.h"
#include "core/sip/msg_context.h"

namespace sipline {
namespace {

using scripttest::contains;
using scripttest::Fixture;
using scripttest::kInvite;
#define ASSERT_ERROR SCRIPT_ASSERT_ERROR

}  // namespace

class ScriptCompileTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ScriptCompileTest);
  CPPUNIT_TEST(unknownFunctionNamesPositionAndSuggestion);
  CPPUNIT_TEST(unknownFunctionOfKnownModuleSaysWhichModule);
  CPPUNIT_TEST(syntaxErrorsPointAtLineAndColumn);
  CPPUNIT_TEST(unterminatedStringAndComment);
  CPPUNIT_TEST(wrongArgumentCount);
  CPPUNIT_TEST(integerArgumentMustBeAnInteger);
  CPPUNIT_TEST(commandNotAllowedInRouteType);
  CPPUNIT_TEST(commandNotAllowedInRouteReachedFromReplyRoute);
  CPPUNIT_TEST(undefinedRouteWithSuggestion);
  CPPUNIT_TEST(duplicateRoute);
  CPPUNIT_TEST(unknownPseudoVariable);
  CPPUNIT_TEST(readOnlyPseudoVariable);
  CPPUNIT_TEST(badRegex);
  CPPUNIT_TEST(badXlogLevel);
  CPPUNIT_TEST(missingMainRoute);
  CPPUNIT_TEST(unusedRouteIsAWarning);
  CPPUNIT_TEST(switchAndWhileErrors);
  CPPUNIT_TEST_SUITE_END();

 public:
  void unknownFunctionNamesPositionAndSuggestion() {
    Fixture f;
    ASSERT_ERROR(f, "route {\n  porbe(\"x\");\n}\n", "t.routes:2:3: unknown function 'porbe'");
    ASSERT_ERROR(f, "route {\n  porbe(\"x\");\n}\n", "did you mean 'probe'?");
  }
  void unknownFunctionOfKnownModuleSaysWhichModule() {
    Fixture f;
    ASSERT_ERROR(f, "route {\n  save(\"location\");\n}",
                 "t.routes:2:3: unknown function 'save': module registrar is not loaded");
    // tm is loaded (t_reply exists) but has no t_relay here: a suggestion, not a module hint.
    Status st = f.compileError("route { t_relpy(); }");
    CPPUNIT_ASSERT(contains(st.message(), "did you mean 't_reply'?"));
    CPPUNIT_ASSERT(!contains(st.message(), "not loaded"));
  }
  void syntaxErrorsPointAtLineAndColumn() {
    Fixture f;
    ASSERT_ERROR(f, "route {\n  if ($rm == \"INVITE\" {\n  }\n}", "t.routes:2:23: expected ')'");
    ASSERT_ERROR(f, "route {\n  probe(\"x\")\n}", "t.routes:3:1: expected ';'");
    ASSERT_ERROR(f, "rout { }", "t.routes:1:1: expected a route block");
    ASSERT_ERROR(f, "route {\n  exit\n}", "t.routes:3:1: expected ';' after 'exit'");
    ASSERT_ERROR(f, "route {\n  else { }\n}", "t.routes:2:3: 'else' without a matching 'if'");
    ASSERT_ERROR(f, "route { probe(\"x\");", "missing '}'");
    ASSERT_ERROR(f, "failure_route { }", "failure_route needs a name");
  }
  void unterminatedStringAndComment() {
    Fixture f;
    ASSERT_ERROR(f, "route {\n  probe(\"abc);\n}\n", "t.routes:2:9: unterminated string");
    ASSERT_ERROR(f, "route { }\n/* never closed", "t.routes:2:1: unterminated comment");
    ASSERT_ERROR(f, "route { @ }", "t.routes:1:9: unexpected character '@'");
  }
  void wrongArgumentCount() {
    Fixture f;
    ASSERT_ERROR(f, "route { probe(); }",
                 "probe() takes 1 to 2 argument(s): probe(text, [rc]), got 0");
    ASSERT_ERROR(f, "route { is_method(\"A\", \"B\"); }", "is_method() takes 1 argument(s)");
  }
  void integerArgumentMustBeAnInteger() {
    Fixture f;
    ASSERT_ERROR(f, "route { probe(\"x\", \"many\"); }", "argument 'rc' must be an integer");
  }
  void commandNotAllowedInRouteType() {
    Fixture f;
    ASSERT_ERROR(f, "route { }\nonreply_route {\n  request_only();\n}",
                 "t.routes:3:3: request_only() is not allowed in onreply_route");
  }
  void commandNotAllowedInRouteReachedFromReplyRoute() {
    Fixture f;
    ASSERT_ERROR(f, "route { }\nonreply_route { route(r); }\nroute[r] { request_only(); }",
                 "request_only() is not allowed in onreply_route");
  }
  void undefinedRouteWithSuggestion() {
    Fixture f;
    ASSERT_ERROR(f, "route { route(relya); }\nroute[relay] { }",
                 "t.routes:1:15: route[relya] is not defined (did you mean 'relay'?)");
  }
  void duplicateRoute() {
    Fixture f;
    ASSERT_ERROR(f, "route { }\nroute[a] { }\nroute[a] { }",
                 "t.routes:3:1: route[a] is defined twice (first at t.routes:2:1)");
  }
  void unknownPseudoVariable() {
    Fixture f;
    ASSERT_ERROR(f, "route {\n  if ($rX == 1) { }\n}", "t.routes:2:7: unknown pseudo-variable $rX");
    ASSERT_ERROR(f, "route { probe(\"$foo\"); }", "unknown pseudo-variable $foo");
    ASSERT_ERROR(f, "route { if ($hdr == 1) { } }", "$hdr needs an argument");
  }
  void readOnlyPseudoVariable() {
    Fixture f;
    ASSERT_ERROR(f, "route { $si = \"1.2.3.4\"; }", "$si is read-only");
  }
  void badRegex() {
    Fixture f;
    ASSERT_ERROR(f, "route { if ($ru =~ \"([a-z\") { } }", "regex does not compile");
  }
  void badXlogLevel() {
    Fixture f;
    ASSERT_ERROR(f, "route { xlog(\"L_LOUD\", \"x\"); }", "level must be one of");
  }
  void missingMainRoute() {
    Fixture f;
    ASSERT_ERROR(f, "route[a] { }", "no main request route");
  }
  void switchAndWhileErrors() {
    Fixture f;
    ASSERT_ERROR(f, "route {\n  break;\n}", "t.routes:2:3: 'break' outside a switch or while");
    ASSERT_ERROR(f, "route { case 1: exit; }", "'case' outside a switch");
    ASSERT_ERROR(f, "route { switch ($rm) { exit; } }", "expected 'case' or 'default'");
    ASSERT_ERROR(f, "route { switch ($rm) { default: exit; default: exit; } }",
                 "only one 'default'");
    ASSERT_ERROR(f, "route { switch ($rm) { case $rU: exit; } }", "expected a number or a string");
    ASSERT_ERROR(f, "route { switch ($rm) { case 1 exit; } }", "expected ':'");
    ASSERT_ERROR(f, "route { while ($rm) probe(\"x\") }", "expected ';'");
    ASSERT_ERROR(f, "route { setflag(32); }", "a flag is a number 0..31");
  }
  void unusedRouteIsAWarning() {
    Fixture f;
    Result<ScriptPtr> s =
        Script::compile("route { }\nroute[spare] { }", "t.routes", f.commands, nullptr);
    CPPUNIT_ASSERT(s.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), s.value()->warnings().size());
    CPPUNIT_ASSERT(
        contains(s.value()->warnings()[0], "t.routes:2:1: route[spare] is never called"));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(ScriptCompileTest);

class ScriptRunTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ScriptRunTest);
  CPPUNIT_TEST(pseudoVariablesReadTheMessage);
  CPPUNIT_TEST(ifElseAndLogic);
  CPPUNIT_TEST(commandReturnCodes);
  CPPUNIT_TEST(retcodeIsTheOpenSipsNameOfRc);
  CPPUNIT_TEST(exitStopsTheScript);
  CPPUNIT_TEST(routeCallsAndReturn);
  CPPUNIT_TEST(isMethod);
  CPPUNIT_TEST(regexMatchIsCaseInsensitive);
  CPPUNIT_TEST(arithmeticAndConcatenation);
  CPPUNIT_TEST(assigningRequestUriChangesPseudoVariables);
  CPPUNIT_TEST(deepRecursionStops);
  CPPUNIT_TEST(switchFallsThroughUntilBreak);
  CPPUNIT_TEST(switchDefaultAndNoMatch);
  CPPUNIT_TEST(whileLoopsWithVarsAndBreak);
  CPPUNIT_TEST(whileIsBounded);
  CPPUNIT_TEST(varsKeepTheirValueAcrossMessages);
  CPPUNIT_TEST(flagsAndToTag);
  CPPUNIT_TEST(messagePseudoVariables);
  CPPUNIT_TEST_SUITE_END();

 public:
  void pseudoVariablesReadTheMessage() {
    Fixture f;
    auto seen = f.run(
        "route { probe(\"$rm|$ru|$rU|$rd|$rp|$si|$sp|$ci|$fU|$ft|$tU|$ua|$hdr(CSeq)|$cs\"); }");
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), seen.size());
    CPPUNIT_ASSERT_EQUAL(std::string("INVITE|sip:alice@example.com:5070|alice|example.com|5070|"
                                     "192.0.2.7|5099|abc@host|bob|ft|alice|tester|1 INVITE|1"),
                         seen[0]);
  }
  void ifElseAndLogic() {
    Fixture f;
    auto seen = f.run(
        "route {\n"
        "  if ($rm == \"INVITE\" && !($rU == \"bob\")) { probe(\"a\"); } else { probe(\"b\"); }\n"
        "  if ($sp > 5000 || $rm == \"X\") probe(\"c\");\n"
        "  if ($rs == 200) { probe(\"never\"); }\n"
        "  if ($du == \"\") { probe(\"null-is-not-empty\"); }\n"
        "}\n");
    std::vector<std::string> want = {"a", "c"};
    CPPUNIT_ASSERT(want == seen);
  }
  void commandReturnCodes() {
    Fixture f;
    auto seen = f.run(
        "route {\n"
        "  if (probe(\"neg\", -2)) { probe(\"wrong\"); } else { probe(\"false\"); }\n"
        "  if (!probe(\"neg2\", -1)) { probe(\"negated\"); }\n"
        "  probe(\"rc=$rc\");\n"
        "}\n");
    std::vector<std::string> want = {"neg", "false", "neg2", "negated", "rc=1"};
    CPPUNIT_ASSERT(want == seen);
  }
  // OpenSIPS 1.6's default script: if (!lookup(...)) { switch ($retcode) { case -1: ... } }
  void retcodeIsTheOpenSipsNameOfRc() {
    Fixture f;
    auto seen = f.run(
        "route {\n"
        "  if (!probe(\"lookup\", -2)) {\n"
        "    switch ($retcode) {\n"
        "      case -1: probe(\"not found\"); break;\n"
        "      case -2: probe(\"method not allowed $retcode $rc\"); break;\n"
        "    }\n"
        "  }\n"
        "  route(r);\n"
        "  if ($retcode == 5) probe(\"route returned 5\");\n"
        "}\n"
        "route[r] { return(5); }\n");
    std::vector<std::string> want = {"lookup", "method not allowed -2 -2", "route returned 5"};
    CPPUNIT_ASSERT(want == seen);
  }
  void exitStopsTheScript() {
    Fixture f;
    auto seen =
        f.run("route { probe(\"a\"); if (probe(\"zero\", 0)) { probe(\"b\"); } probe(\"c\"); }");
    std::vector<std::string> want = {"a", "zero"};
    CPPUNIT_ASSERT(want == seen);
    seen = f.run("route { probe(\"a\"); exit; probe(\"b\"); }");
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), seen.size());
  }
  void routeCallsAndReturn() {
    Fixture f;
    int rc = 0;
    auto seen = f.run(
        "route {\n"
        "  route(check);\n"
        "  probe(\"after $rc\");\n"
        "  if (route(check)) { probe(\"true\"); } else { probe(\"false\"); }\n"
        "  return(7);\n"
        "}\n"
        "route[check] { probe(\"in\"); return(-3); probe(\"never\"); }\n",
        &rc);
    std::vector<std::string> want = {"in", "after -3", "in", "false"};
    CPPUNIT_ASSERT(want == seen);
    CPPUNIT_ASSERT_EQUAL(7, rc);
  }
  void isMethod() {
    Fixture f;
    auto seen = f.run(
        "route {\n"
        "  if (is_method(\"REGISTER|INVITE\")) probe(\"yes\");\n"
        "  if (is_method(\"OPTIONS|FOO\")) probe(\"no\");\n"
        "}\n");
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), seen.size());
    CPPUNIT_ASSERT_EQUAL(std::string("yes"), seen[0]);
  }
  void regexMatchIsCaseInsensitive() {
    Fixture f;
    auto seen = f.run(
        "route {\n"
        "  if ($ru =~ \"^sip:ALICE@\") probe(\"match\");\n"
        "  if ($ru !~ \"bob\") probe(\"nomatch\");\n"
        "}\n");
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), seen.size());
  }
  void arithmeticAndConcatenation() {
    Fixture f;
    auto seen = f.run(
        "route {\n"
        "  if (2 + 3 * 4 == 14) probe(\"precedence\");\n"
        "  if ((6 & 3) == 2 && (1 | 4) == 5) probe(\"bits\");\n"
        "  if ($rU + \"@\" + $rd == \"alice@example.com\") probe(\"concat\");\n"
        "}\n");
    CPPUNIT_ASSERT_EQUAL(std::size_t(3), seen.size());
  }
  void assigningRequestUriChangesPseudoVariables() {
    Fixture f;
    auto seen = f.run(
        "route { $ru = \"sip:carol@192.0.2.9:5080\"; probe(\"$rU $rd $rp $ru\"); $du = "
        "\"sip:10.1.1.1\"; probe(\"$du\"); }");
    CPPUNIT_ASSERT_EQUAL(std::string("carol 192.0.2.9 5080 sip:carol@192.0.2.9:5080"), seen.at(0));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:10.1.1.1"), seen.at(1));
  }
  void deepRecursionStops() {
    Fixture f;
    auto seen = f.run("route { route(loop); probe(\"after\"); }\nroute[loop] { route(loop); }");
    CPPUNIT_ASSERT(seen.empty());  // the depth limit stops the whole script
  }
  void switchFallsThroughUntilBreak() {
    Fixture f;
    auto seen = f.run(
        "route {\n"
        "  switch ($rm) {\n"
        "    case \"REGISTER\": probe(\"register\"); break;\n"
        "    case \"INVITE\": probe(\"invite\");\n"
        "    case \"BYE\": probe(\"fell through\"); break;\n"
        "    default: probe(\"default\");\n"
        "  }\n"
        "  switch ($cs) { case 1: probe(\"cseq one\"); break; case 2: probe(\"two\"); }\n"
        "}\n");
    std::vector<std::string> want = {"invite", "fell through", "cseq one"};
    CPPUNIT_ASSERT(want == seen);
  }
  void switchDefaultAndNoMatch() {
    Fixture f;
    auto seen = f.run(
        "route {\n"
        "  switch ($rU) { case \"bob\": probe(\"bob\"); break; default: probe(\"other\"); }\n"
        "  switch ($rU) { case \"bob\": probe(\"never\"); }\n"
        "  probe(\"after\");\n"
        "}\n");
    std::vector<std::string> want = {"other", "after"};
    CPPUNIT_ASSERT(want == seen);
  }
  void whileLoopsWithVarsAndBreak() {
    Fixture f;
    auto seen = f.run(
        "route {\n"
        "  $var(i) = 0;\n"
        "  while ($var(i) < 10) {\n"
        "    $var(i) = $var(i) + 1;\n"
        "    if ($var(i) == 3) break;\n"
        "  }\n"
        "  $var(s) = \"a\";\n"
        "  $var(s) += \"b\";\n"
        "  probe(\"i=$var(i) s=$var(s)\");\n"
        "}\n");
    CPPUNIT_ASSERT_EQUAL(std::string("i=3 s=ab"), seen.at(0));
  }
  void whileIsBounded() {
    Fixture f;
    Script::setMaxWhileLoops(50);
    auto seen =
        f.run("route { $var(n) = 0; while (1) { $var(n) = $var(n) + 1; } probe(\"n=$var(n)\"); }");
    Script::setMaxWhileLoops(10000);
    CPPUNIT_ASSERT_EQUAL(std::string("n=50"), seen.at(0));
  }
  void varsKeepTheirValueAcrossMessages() {
    Fixture f;
    const char* script = "route { $var(count) = $var(count) + 1; probe(\"$var(count)\"); }";
    f.run("route { $var(count) = 0; }");
    CPPUNIT_ASSERT_EQUAL(std::string("1"), f.run(script).at(0));
    CPPUNIT_ASSERT_EQUAL(std::string("2"), f.run(script).at(0));
  }
  void flagsAndToTag() {
    Fixture f;
    auto seen = f.run(
        "route {\n"
        "  setflag(3);\n"
        "  if (isflagset(3)) probe(\"set\");\n"
        "  resetflag(3);\n"
        "  if (!isflagset(3)) probe(\"reset\");\n"
        "  if (!has_totag()) probe(\"initial\");\n"
        "}\n");
    std::vector<std::string> want = {"set", "reset", "initial"};
    CPPUNIT_ASSERT(want == seen);
  }
  void messagePseudoVariables() {
    Fixture f;
    auto seen = f.run(
        "route { setflag(1); setflag(4); probe(\"$rv|$ml|$rb|$mf|$time(%Y)\"); "
        "if ($Ts > 1700000000 && $pp > 0 && $mb =~ \"^INVITE \") probe(\"ok\"); }");
    char year[8];
    std::time_t now = std::time(nullptr);
    std::strftime(year, sizeof(year), "%Y", std::localtime(&now));
    CPPUNIT_ASSERT_EQUAL("SIP/2.0|" + std::to_string(sizeof(kInvite) - 1) + "|<null>|18|" + year,
                         seen.at(0));
    CPPUNIT_ASSERT_EQUAL(std::string("ok"), seen.at(1));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(ScriptRunTest);

}  // namespace sipline
