// Load-time diagnostics of the routing script: the warnings (unreachable code, unused routes,
// flags set but never tested) and the errors that name a module, a route type, a regex or a
// near name; every one with file:line:col.
#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

#include "core/script/lint.h"
#include "core/script/parser.h"
#include "core/script/script_test_util.h"

namespace sipline {

using scripttest::contains;
using scripttest::Fixture;
using Warnings = std::vector<std::string>;

namespace {

// lintScript() alone (no binding): for commands the test registry lacks (setbflag).
Warnings lint(const std::string& text, std::vector<std::int64_t> module_flags = {}) {
  Result<script::ScriptAst> ast = script::parseScript(text, "t.routes");
  CPPUNIT_ASSERT_MESSAGE(ast.isOk() ? "" : ast.status().message(), ast.isOk());
  script::LintOptions options;
  options.module_flags = std::move(module_flags);
  return script::lintScript(ast.value(), options);
}

std::string joined(const Warnings& w) {
  std::string out;
  for (const std::string& s : w) out += s + "\n";
  return out;
}

}  // namespace

class ScriptWarningTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ScriptWarningTest);
  CPPUNIT_TEST(codeAfterExitDropReturnBreak);
  CPPUNIT_TEST(codeAfterAnIfElseThatAlwaysLeaves);
  CPPUNIT_TEST(oneWarningPerBlockAndNestedBlocks);
  CPPUNIT_TEST(reachableCodeIsNotReported);
  CPPUNIT_TEST(unusedRoutesIncludingThoseOnlyUnusedRoutesCall);
  CPPUNIT_TEST(flagSetButNeverTested);
  CPPUNIT_TEST(flagTestedOrNamedByAModuleIsFine);
  CPPUNIT_TEST(flagsReadAsAWholeOrTestedDynamically);
  CPPUNIT_TEST(branchFlags);
  CPPUNIT_TEST(moduleParametersNamingFlags);
  CPPUNIT_TEST_SUITE_END();

 public:
  void codeAfterExitDropReturnBreak() {
    Fixture f;
    Warnings w = f.warnings(
        "route {\n"
        "  if ($rm == \"A\") { exit; probe(\"1\"); }\n"
        "  if ($rm == \"B\") { drop; probe(\"2\"); }\n"
        "  switch ($rm) { case \"C\": break; probe(\"3\"); }\n"
        "  while ($rm == \"D\") { break; probe(\"4\"); }\n"
        "  return(1);\n"
        "  probe(\"5\");\n"
        "}\n");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(joined(w), std::size_t(5), w.size());
    CPPUNIT_ASSERT_EQUAL(std::string("t.routes:2:27: unreachable code (after 'exit' at "
                                     "t.routes:2:21)"),
                         w[0]);
    CPPUNIT_ASSERT(contains(w[1], "t.routes:3:27: unreachable code (after 'drop' at"));
    CPPUNIT_ASSERT(contains(w[2], "t.routes:4:35: unreachable code (after 'break' at"));
    CPPUNIT_ASSERT(contains(w[3], "t.routes:5:31: unreachable code (after 'break' at"));
    CPPUNIT_ASSERT(contains(w[4],
                            "t.routes:7:3: unreachable code (after 'return' at "
                            "t.routes:6:3)"));
  }
  void codeAfterAnIfElseThatAlwaysLeaves() {
    Fixture f;
    Warnings w = f.warnings(
        "route {\n"
        "  if ($rm == \"A\") { probe(\"a\"); exit; } else if ($rm == \"B\") drop; else { "
        "return(2); }\n"
        "  probe(\"never\");\n"
        "}\n");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(joined(w), std::size_t(1), w.size());
    CPPUNIT_ASSERT_EQUAL(std::string("t.routes:3:3: unreachable code (after an if/else whose "
                                     "every branch leaves at t.routes:2:3)"),
                         w[0]);
  }
  void oneWarningPerBlockAndNestedBlocks() {
    Fixture f;
    Warnings w = f.warnings(
        "route {\n"
        "  exit;\n"
        "  probe(\"a\");\n"
        "  probe(\"b\");\n"
        "  { exit; probe(\"c\"); }\n"
        "}\n");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(joined(w), std::size_t(2), w.size());
    CPPUNIT_ASSERT(contains(w[0], "t.routes:3:3: unreachable code"));
    CPPUNIT_ASSERT(contains(w[1], "t.routes:5:11: unreachable code"));
  }
  void reachableCodeIsNotReported() {
    Fixture f;
    Warnings w = f.warnings(
        "route {\n"
        "  if ($rm == \"A\") exit;\n"
        "  if ($rm == \"B\") { exit; } else { probe(\"b\"); }\n"
        "  while ($rm == \"C\") { if ($rU == \"x\") break; probe(\"c\"); }\n"
        "  switch ($rm) { case \"D\": probe(\"d\"); break; case \"E\": probe(\"e\"); }\n"
        "  probe(\"end\");\n"
        "}\n");
    CPPUNIT_ASSERT_MESSAGE(joined(w), w.empty());
  }
  void unusedRoutesIncludingThoseOnlyUnusedRoutesCall() {
    Fixture f;
    Warnings w = f.warnings(
        "route { route(used); }\n"
        "route[used] { }\n"
        "route[spare] { route(helper); }\n"
        "route[helper] { }\n");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(joined(w), std::size_t(2), w.size());
    CPPUNIT_ASSERT_EQUAL(std::string("t.routes:3:1: route[spare] is never called"), w[0]);
    CPPUNIT_ASSERT_EQUAL(std::string("t.routes:4:1: route[helper] is never called"), w[1]);
  }
  void flagSetButNeverTested() {
    Fixture f;
    Warnings w = f.warnings("route {\n  setflag(5);\n  setflag(5);\n  resetflag(5);\n}\n");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(joined(w), std::size_t(1), w.size());
    CPPUNIT_ASSERT_EQUAL(std::string("t.routes:2:3: flag 5 is set but never tested (no "
                                     "isflagset(5) in the script, and no module parameter "
                                     "names it)"),
                         w[0]);
  }
  void flagTestedOrNamedByAModuleIsFine() {
    Fixture f;
    // Tested in another route (even one that is set later) counts.
    Warnings w = f.warnings(
        "route { setflag(1); setflag(\"2\"); setflag(7); route(r); }\n"
        "route[r] { if (isflagset(1) || isflagset(2)) exit; }\n");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(joined(w), std::size_t(1), w.size());
    CPPUNIT_ASSERT(contains(w[0], "flag 7 is set but never tested"));
    f.options.module_flags = {7};
    w = f.warnings(
        "route { setflag(1); setflag(\"2\"); setflag(7); route(r); }\n"
        "route[r] { if (isflagset(1) || isflagset(2)) exit; }\n");
    CPPUNIT_ASSERT_MESSAGE(joined(w), w.empty());
  }
  void flagsReadAsAWholeOrTestedDynamically() {
    Fixture f;
    CPPUNIT_ASSERT(f.warnings("route { setflag(3); if ($mf & 8) exit; }").empty());
    CPPUNIT_ASSERT(f.warnings("route { setflag(3); xlog(\"flags $mf\"); }").empty());
    // Tested or set through a variable (where a command accepts one): cannot be checked.
    CPPUNIT_ASSERT(lint("route { setflag(3); if (isflagset($var(f))) exit; }").empty());
    CPPUNIT_ASSERT(lint("route { setflag($var(f)); }").empty());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1),
                         lint("route { setflag(3); if (isflagset(4)) exit; }").size());
  }
  void branchFlags() {
    Warnings w = lint("route { setbflag(2); setbflag(3); if (isbflagset(3)) exit; setflag(2); }");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(joined(w), std::size_t(2), w.size());
    CPPUNIT_ASSERT(contains(w[0], "t.routes:1:60: flag 2 is set but never tested"));
    CPPUNIT_ASSERT_EQUAL(std::string("t.routes:1:9: branch flag 2 is set but never tested (no "
                                     "isbflagset(2) in the script, and no module parameter "
                                     "names it)"),
                         w[1]);
    CPPUNIT_ASSERT(lint("route { setbflag(2); setflag(2); }", {2}).empty());
    CPPUNIT_ASSERT(lint("route { setbflag(2); if ($bf == 4) exit; }").empty());
  }
  void moduleParametersNamingFlags() {
    Settings settings;
    ModuleConfig acc;
    acc.name = "acc";
    acc.params.push_back({"log_flag", 1, std::int64_t{3}});
    acc.params.push_back({"db_flags", 2, std::string("4, 5")});
    acc.params.push_back({"log_level", 3, std::int64_t{9}});  // not a flag
    acc.params.push_back({"flag_name", 4, std::int64_t{8}});  // does not end in flag(s)
    ModuleConfig usrloc;
    usrloc.name = "usrloc";
    usrloc.params.push_back({"nat_bflag", 1, std::int64_t{6}});
    settings.modules = {acc, usrloc};
    ScriptOptions options = scriptOptionsFrom(settings);
    CPPUNIT_ASSERT(std::vector<std::int64_t>({3, 4, 5, 6}) == options.module_flags);
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(ScriptWarningTest);

class ScriptErrorTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ScriptErrorTest);
  CPPUNIT_TEST(commandNotAllowedInTheRouteTypeThatCallsTheRoute);
  CPPUNIT_TEST(routeTypeReachIsExactForNamedRoutes);
  CPPUNIT_TEST(routeCalledButNotDefined);
  CPPUNIT_TEST(regexDoesNotCompileNamesItsPosition);
  CPPUNIT_TEST(unknownPseudoVariableSuggestsOne);
  CPPUNIT_TEST(unknownFunctionOfAModuleNotLoaded);
  CPPUNIT_TEST(nullOnlyComparedOrAssigned);
  CPPUNIT_TEST_SUITE_END();

 public:
  void commandNotAllowedInTheRouteTypeThatCallsTheRoute() {
    Fixture f;
    SCRIPT_ASSERT_ERROR(f,
                        "route { }\n"
                        "branch_route[b] {\n"
                        "  route(q);\n"
                        "}\n"
                        "route[q] { route(r); }\n"
                        "route[r] {\n"
                        "  t_reply();\n"
                        "}\n",
                        "t.routes:7:3: t_reply() is not allowed in branch_route (allowed in: "
                        "route, failure_route); route[r] runs in branch_route: branch_route[b] "
                        "-> route[q] (t.routes:3:3) -> route[r] (t.routes:5:12)");
    SCRIPT_ASSERT_ERROR(f, "route { }\nbranch_route[b] {\n  t_reply();\n}\n",
                        "t.routes:3:3: t_reply() is not allowed in branch_route (allowed in: "
                        "route, failure_route)");
  }
  void routeTypeReachIsExactForNamedRoutes() {
    Fixture f;
    // route[r] runs only in branch_route: a branch-only command is fine there, and so in
    // what it calls.
    f.add(Fixture::simple("branch_only", "test", kBranchRoute));
    Status st = f.compileError(
        "route { }\nbranch_route[b] { route(r); }\nroute[r] { branch_only(); route(s); }\n"
        "route[s] { branch_only(); }\n");
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
  }
  void routeCalledButNotDefined() {
    Fixture f;
    SCRIPT_ASSERT_ERROR(f, "route {\n  route(relya);\n}\nroute[relay] { }\n",
                        "t.routes:2:9: route[relya] is not defined (did you mean 'relay'?)");
    SCRIPT_ASSERT_ERROR(f, "route { route(nothing_alike); }\n",
                        "route[nothing_alike] is not defined");
  }
  void regexDoesNotCompileNamesItsPosition() {
    Fixture f;
    SCRIPT_ASSERT_ERROR(f, "route {\n  if ($ru =~ \"([a-z\") { }\n}",
                        "t.routes:2:14: regex does not compile: ");
    SCRIPT_ASSERT_ERROR(f, "#!define RE \"a(\"\nroute {\n  if ($ru !~ RE) { }\n}",
                        "t.routes:3:14: regex does not compile: ");
  }
  void unknownPseudoVariableSuggestsOne() {
    Fixture f;
    SCRIPT_ASSERT_ERROR(f, "route {\n  if ($hdrcount(Via) > 1) exit;\n}",
                        "t.routes:2:7: unknown pseudo-variable $hdrcount (did you mean "
                        "'hdrcnt'?)");
  }
  void unknownFunctionOfAModuleNotLoaded() {
    Fixture f;
    SCRIPT_ASSERT_ERROR(f, "route {\n  if (!lookup(\"location\")) exit;\n}",
                        "t.routes:2:8: unknown function 'lookup': module registrar is not loaded "
                        "(load it in the settings: modules = { registrar = {}; ... })");
    SCRIPT_ASSERT_ERROR(f, "route { rtpengine_offer(); }", "module rtpengine is not loaded");
  }
  void nullOnlyComparedOrAssigned() {
    Fixture f;
    const char* kOnly = "NULL can only be compared (X == NULL, X != NULL) or assigned";
    SCRIPT_ASSERT_ERROR(f, "route {\n  if (NULL) { }\n}", std::string("t.routes:2:7: ") + kOnly);
    SCRIPT_ASSERT_ERROR(f, "route { if ($du < NULL) { } }", kOnly);
    SCRIPT_ASSERT_ERROR(f, "route { $var(x) = 1 + NULL; }", kOnly);
    SCRIPT_ASSERT_ERROR(f, "route { return(NULL); }", kOnly);
    SCRIPT_ASSERT_ERROR(f, "route { if (!NULL) { } }", kOnly);
    SCRIPT_ASSERT_ERROR(f, "route { if ($du =~ NULL) { } }", kOnly);
    SCRIPT_ASSERT_ERROR(f, "route {\n  $var(x) += NULL;\n}",
                        "t.routes:2:14: NULL cannot be appended; $var(x) = NULL; clears");
    SCRIPT_ASSERT_ERROR(f, "route { if (NULL == NULL) { } }", "NULL compared with NULL");
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(ScriptErrorTest);

}  // namespace sipline
