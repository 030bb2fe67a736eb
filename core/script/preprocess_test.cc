// The preprocessor: include_file/import_file (positions, nesting, cycles, the depth limit) and
// defines (#!define and friends, conditionals, defines from the settings).
#include "core/script/preprocess.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

#include "core/script/script_test_util.h"
#include "core/script/trace.h"

namespace sipline {

using scripttest::contains;
using scripttest::Fixture;
using scripttest::ScratchDir;
using Seen = std::vector<std::string>;

namespace {

// Records where the interpreter says each route and command call is.
class PositionTracer : public ScriptTracer {
 public:
  std::vector<std::string> events;
  void enterRoute(const char* keyword, const std::string& name, const SourcePos& pos) override {
    events.push_back(pos.toString() + " " + keyword + "[" + name + "]");
  }
  void leaveRoute(const char*, const std::string&, int, bool) override {}
  void condition(const SourcePos&, const char*, int) override {}
  void switchTaken(const SourcePos&, const std::string&, const SourcePos*, bool) override {}
  void call(const SourcePos& pos, const std::string& name, int) override {
    events.push_back(pos.toString() + " " + name + "()");
  }
  void assign(const SourcePos&, const std::string&, const std::string&) override {}
  void stop(const SourcePos&, const char*, int) override {}
  void error(const SourcePos&, const std::string&) override {}
};

// Compiles the file at `path` (read from disk) and returns the error, or ok.
Status loadError(Fixture& f, const std::string& path) {
  Result<ScriptPtr> s = loadScript(path, f.commands, nullptr, f.options);
  return s.isOk() ? Status::ok() : s.status();
}

}  // namespace

class ScriptIncludeTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ScriptIncludeTest);
  CPPUNIT_TEST(includedRoutesRunAndErrorsNameTheirFile);
  CPPUNIT_TEST(nestedIncludesResolveAgainstTheIncludingFile);
  CPPUNIT_TEST(includeInsideARouteSplicesStatements);
  CPPUNIT_TEST(warningsNameTheIncludedFile);
  CPPUNIT_TEST(runTimePositionsNameTheIncludedFile);
  CPPUNIT_TEST(directiveSpellingsAndSemicolon);
  CPPUNIT_TEST(includeCycleIsAnError);
  CPPUNIT_TEST(depthLimit);
  CPPUNIT_TEST(missingIncludeIsAnErrorMissingImportAWarning);
  CPPUNIT_TEST(includeNeedsAQuotedPath);
  CPPUNIT_TEST(includeOfADirectory);
  CPPUNIT_TEST(conditionalsDoNotCrossFiles);
  CPPUNIT_TEST_SUITE_END();

 public:
  void includedRoutesRunAndErrorsNameTheirFile() {
    ScratchDir d;
    Fixture f;
    d.write("lib/common.routes", "route[common] {\n  probe(\"common\");\n}\n");
    std::string main = d.write("main.routes",
                               "include_file \"lib/common.routes\"\n"
                               "route { route(common); probe(\"main\"); }\n");
    Result<ScriptPtr> s = loadScript(main, f.commands, nullptr, f.options);
    CPPUNIT_ASSERT_MESSAGE(s.isOk() ? "" : s.status().message(), s.isOk());
    d.write("lib/common.routes", "route[common] {\n  porbe(\"common\");\n}\n");
    Status st = loadError(f, main);
    CPPUNIT_ASSERT_MESSAGE(st.message(),
                           contains(st.message(), d.path() + "/lib/common.routes:2:3: unknown "
                                                             "function 'porbe'"));
  }
  void nestedIncludesResolveAgainstTheIncludingFile() {
    ScratchDir d;
    Fixture f;
    d.write("lib/a.routes", "include_file \"b.routes\"\nroute[a] { route(b); }\n");
    d.write("lib/b.routes", "route[b] { probe(\"b\"); }\n");
    std::string main =
        d.write("main.routes", "include_file \"lib/a.routes\"\nroute { route(a); }\n");
    Status st = loadError(f, main);
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
    // An absolute path works from anywhere.
    std::string other = d.write("other/main.routes", "include_file \"" + d.path() +
                                                         "/lib/b.routes\"\nroute { route(b); }\n");
    st = loadError(f, other);
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
  }
  void includeInsideARouteSplicesStatements() {
    ScratchDir d;
    Fixture f;
    d.write("checks.routes", "probe(\"check 1\");\nprobe(\"check 2\");\n");
    Seen seen = f.run("route {\n  include_file \"checks.routes\"\n  probe(\"after\");\n}\n",
                      nullptr, d.path() + "/main.routes");
    CPPUNIT_ASSERT(Seen({"check 1", "check 2", "after"}) == seen);
  }
  void warningsNameTheIncludedFile() {
    ScratchDir d;
    Fixture f;
    d.write("extra.routes", "\n\nroute[spare] { exit; probe(\"x\"); }\n");
    std::vector<std::string> w =
        f.warnings("include_file \"extra.routes\"\nroute { }\n", d.path() + "/main.routes");
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), w.size());
    CPPUNIT_ASSERT_MESSAGE(w[0], contains(w[0], d.path() + "/extra.routes:3:1: route[spare] is "
                                                           "never called"));
    CPPUNIT_ASSERT_MESSAGE(w[1], contains(w[1], d.path() + "/extra.routes:3:22: unreachable"));
  }
  void runTimePositionsNameTheIncludedFile() {
    ScratchDir d;
    Fixture f;
    d.write("lib/r.routes", "# the route\nroute[r] {\n    probe(\"in r\");\n}\n");
    d.write("lib/stmts.routes", "\n  probe(\"spliced\");\n");
    std::string main = d.write("main.routes",
                               "include_file \"lib/r.routes\"\n"
                               "route {\n"
                               "  route(r);\n"
                               "  include_file \"lib/stmts.routes\"\n"
                               "  probe(\"main\");\n"
                               "}\n");
    Result<ScriptPtr> s = loadScript(main, f.commands, nullptr, f.options);
    CPPUNIT_ASSERT_MESSAGE(s.isOk() ? "" : s.status().message(), s.isOk());
    PositionTracer tracer;
    s.value()->setTracer(&tracer);
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(scripttest::kInvite) == ParseError::kOk);
    ReceiveInfo rcv;
    MsgContext ctx(msg, rcv, kRequestRoute);
    s.value()->runRequest(ctx);
    const std::string lib = d.path() + "/lib/";
    std::vector<std::string> want = {
        main + ":2:1 route[]",        lib + "r.routes:2:1 route[r]",
        lib + "r.routes:3:5 probe()", lib + "stmts.routes:2:3 probe()",
        main + ":5:3 probe()",
    };
    std::string got;
    for (const std::string& e : tracer.events) got += e + "\n";
    std::string wanted;
    for (const std::string& e : want) wanted += e + "\n";
    CPPUNIT_ASSERT_EQUAL(wanted, got);
  }
  void directiveSpellingsAndSemicolon() {
    ScratchDir d;
    Fixture f;
    d.write("a.routes", "route[a] { probe(\"a\"); }\n");
    d.write("b.routes", "route[b] { probe(\"b\"); }\n");
    d.write("c.routes", "route[c] { probe(\"c\"); }\n");
    Seen seen = f.run(
        "#!include_file \"a.routes\"\n"
        "include_file \"b.routes\";\n"
        "  #!import_file \"c.routes\"\n"
        "route { route(a); route(b); route(c); }\n",
        nullptr, d.path() + "/main.routes");
    CPPUNIT_ASSERT(Seen({"a", "b", "c"}) == seen);
  }
  void includeCycleIsAnError() {
    ScratchDir d;
    Fixture f;
    d.write("a.routes", "include_file \"b.routes\"\n");
    d.write("b.routes", "\ninclude_file \"a.routes\"\n");
    std::string main = d.write("main.routes", "include_file \"a.routes\"\nroute { }\n");
    Status st = loadError(f, main);
    CPPUNIT_ASSERT(!st.isOk());
    CPPUNIT_ASSERT_MESSAGE(st.message(),
                           contains(st.message(), d.path() + "/b.routes:2:1: "
                                                             "include_file \"a.routes\" "
                                                             "includes a file that is "
                                                             "already being read"));
    CPPUNIT_ASSERT_MESSAGE(
        st.message(),
        contains(st.message(), "main.routes -> " + d.path() + "/a.routes -> " + d.path() +
                                   "/b.routes -> " + d.path() + "/a.routes)"));
    std::string self = d.write("self.routes", "route { }\ninclude_file \"self.routes\"\n");
    st = loadError(f, self);
    CPPUNIT_ASSERT_MESSAGE(st.message(), contains(st.message(), "self.routes:2:1: include_file"));
  }
  void depthLimit() {
    ScratchDir d;
    Fixture f;
    f.options.preprocess.max_include_depth = 2;
    d.write("1.routes", "include_file \"2.routes\"\n");
    d.write("2.routes", "include_file \"3.routes\"\n");
    d.write("3.routes", "route[deep] { }\n");
    std::string main = d.write("main.routes", "include_file \"1.routes\"\nroute { }\n");
    Status st = loadError(f, main);
    CPPUNIT_ASSERT_MESSAGE(st.message(),
                           contains(st.message(), d.path() + "/2.routes:1:1: include_file "
                                                             "\"3.routes\": files nested more "
                                                             "than 2 deep"));
    f.options.preprocess.max_include_depth = 3;
    st = loadError(f, main);
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
  }
  void missingIncludeIsAnErrorMissingImportAWarning() {
    ScratchDir d;
    Fixture f;
    std::string file = d.path() + "/main.routes";
    Status st = f.compileError("route { }\ninclude_file \"nope.routes\"\n", file);
    CPPUNIT_ASSERT_MESSAGE(
        st.message(), contains(st.message(), "main.routes:2:1: include_file \"nope.routes\": " +
                                                 d.path() + "/nope.routes"));
    std::vector<std::string> w = f.warnings("route { }\nimport_file \"nope.routes\"\n", file);
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), w.size());
    CPPUNIT_ASSERT_MESSAGE(w[0], contains(w[0], "main.routes:2:1: import_file: " + d.path() +
                                                    "/nope.routes does not exist"));
  }
  void includeNeedsAQuotedPath() {
    Fixture f;
    SCRIPT_ASSERT_ERROR(f, "include_file common.routes\nroute { }",
                        "t.routes:1:14: expected the quoted name of a file after include_file");
    SCRIPT_ASSERT_ERROR(f, "route { }\n#!include_file\n", "t.routes:3:1: expected the quoted");
  }
  void includeOfADirectory() {
    ScratchDir d;
    Fixture f;
    d.write("sub/x.routes", "");
    Status st = f.compileError("include_file \"sub\"\nroute { }", d.path() + "/main.routes");
    CPPUNIT_ASSERT_MESSAGE(st.message(), contains(st.message(), "is not a regular file"));
  }
  void conditionalsDoNotCrossFiles() {
    ScratchDir d;
    Fixture f;
    d.write("open.routes", "#!ifdef X\n");
    Status st = f.compileError("include_file \"open.routes\"\nroute { }\n#!endif\n",
                               d.path() + "/main.routes");
    CPPUNIT_ASSERT_MESSAGE(st.message(),
                           contains(st.message(), d.path() + "/open.routes:1:1: #!ifdef is not "
                                                             "closed by #!endif in this file"));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(ScriptIncludeTest);

class ScriptDefineTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ScriptDefineTest);
  CPPUNIT_TEST(definesReplaceBareNames);
  CPPUNIT_TEST(notInsideStringsOrPseudoVariables);
  CPPUNIT_TEST(definesOfDefinesAndExpressions);
  CPPUNIT_TEST(definesNameRoutes);
  CPPUNIT_TEST(conditionalsChooseText);
  CPPUNIT_TEST(inactiveTextIsNotTokenized);
  CPPUNIT_TEST(undefTrydefRedefine);
  CPPUNIT_TEST(defineTwiceIsAnError);
  CPPUNIT_TEST(directiveErrors);
  CPPUNIT_TEST(valuelessDefineUsedAsAValue);
  CPPUNIT_TEST(defineThatRefersToItself);
  CPPUNIT_TEST(reservedWordsCannotBeDefined);
  CPPUNIT_TEST(errorsInAValuePointAtTheUse);
  CPPUNIT_TEST(settingsDefinesComeFirst);
  CPPUNIT_TEST(settingsDefineOfAReservedWord);
  CPPUNIT_TEST_SUITE_END();

 public:
  void definesReplaceBareNames() {
    Fixture f;
    Seen seen = f.run(
        "#!KAMAILIO\n"  // the config-type marker of a ported script is ignored
        "#!define GW \"sip:10.0.0.5:5080\"\n"
        "#!define LIMIT 70  # a comment ends the value\n"
        "route {\n"
        "  $du = GW;\n"
        "  probe(GW);\n"
        "  if (LIMIT > 69) probe(\"$du\", LIMIT);\n"
        "}\n");
    CPPUNIT_ASSERT(Seen({"sip:10.0.0.5:5080", "sip:10.0.0.5:5080"}) == seen);
  }
  void notInsideStringsOrPseudoVariables() {
    Fixture f;
    Seen seen = f.run(
        "#!define GW \"x\"\n"
        "route { $var(GW) = \"var\"; probe(\"GW $var(GW)\"); }\n");
    CPPUNIT_ASSERT(Seen({"GW var"}) == seen);
  }
  void definesOfDefinesAndExpressions() {
    Fixture f;
    Seen seen = f.run(
        "#!define BASE 5\n"
        "#!define TWICE (BASE * 2)\n"
        "#!define NEG -3\n"
        "route { $var(x) = TWICE + 1; $var(n) = NEG; probe(\"$var(x) $var(n)\"); }\n");
    CPPUNIT_ASSERT(Seen({"11 -3"}) == seen);
  }
  void definesNameRoutes() {
    Fixture f;
    Seen seen = f.run(
        "#!define TARGET relay\n"
        "route { route(TARGET); }\n"
        "route[relay] { probe(\"relay\"); }\n");
    CPPUNIT_ASSERT(Seen({"relay"}) == seen);
  }
  void conditionalsChooseText() {
    Fixture f;
    Seen seen = f.run(
        "#!define WITH_A\n"
        "route {\n"
        "#!ifdef WITH_A\n"
        "  probe(\"a\");\n"
        "#!ifdef WITH_B\n"
        "  probe(\"a and b\");\n"
        "#!else\n"
        "  probe(\"a not b\");\n"
        "#!endif\n"
        "#!else\n"
        "  probe(\"not a\");\n"
        "#!endif\n"
        "#!ifndef WITH_B\n"
        "  probe(\"no b\");\n"
        "#!endif\n"
        "}\n");
    CPPUNIT_ASSERT(Seen({"a", "a not b", "no b"}) == seen);
  }
  void inactiveTextIsNotTokenized() {
    Fixture f;
    Seen seen = f.run(
        "#!ifdef NEVER\n"
        "#!define GW 10.0.0.5\n"
        "  @ \"unterminated\n"
        "#!unknown_directive\n"
        "#!else\n"
        "route { probe(\"ok\"); }\n"
        "#!endif\n");
    CPPUNIT_ASSERT(Seen({"ok"}) == seen);
  }
  void undefTrydefRedefine() {
    Fixture f;
    Seen seen = f.run(
        "#!define A 1\n"
        "#!trydef A 2\n"
        "#!trydef B 3\n"
        "#!redefine C 4\n"
        "#!redefine C 5\n"
        "route {\n"
        "  probe(\"A\", A); probe(\"B\", B); probe(\"C\", C);\n"
        "#!undef A\n"
        "#!ifdef A\n"
        "  probe(\"still\");\n"
        "#!endif\n"
        "#!undef NEVER_DEFINED\n"
        "}\n");
    CPPUNIT_ASSERT(Seen({"A", "B", "C"}) == seen);
    // Which value won shows in $rc (probe returns its second argument).
    seen = f.run("#!define A 1\n#!trydef A 2\nroute { probe(\"x\", A); probe(\"$rc\"); }\n");
    CPPUNIT_ASSERT(Seen({"x", "1"}) == seen);
    seen = f.run("#!define A 1\n#!redefine A 7\nroute { probe(\"x\", A); probe(\"$rc\"); }\n");
    CPPUNIT_ASSERT(Seen({"x", "7"}) == seen);
  }
  void defineTwiceIsAnError() {
    Fixture f;
    SCRIPT_ASSERT_ERROR(f, "#!define A 1\n\n#!define A 2\nroute { }",
                        "t.routes:3:10: A is already defined (at t.routes:1:1); use #!redefine");
  }
  void directiveErrors() {
    Fixture f;
    SCRIPT_ASSERT_ERROR(f, "#!ifdfe X\n#!endif\nroute { }",
                        "t.routes:1:1: unknown directive #!ifdfe (did you mean 'ifdef'?)");
    SCRIPT_ASSERT_ERROR(f, "route { }\n#!else\n", "t.routes:2:1: #!else without #!ifdef");
    SCRIPT_ASSERT_ERROR(f, "route { }\n#!endif\n", "t.routes:2:1: #!endif without #!ifdef");
    SCRIPT_ASSERT_ERROR(f, "route { }\n#!ifndef X\n", "t.routes:2:1: #!ifndef is not closed");
    SCRIPT_ASSERT_ERROR(f, "#!ifdef X\n#!else\n#!else\n#!endif\nroute { }",
                        "t.routes:3:1: a second #!else for the #!ifdef at t.routes:1:1");
    SCRIPT_ASSERT_ERROR(f, "#!ifdef X\n#!endif X\nroute { }",
                        "t.routes:2:9: unexpected 'X' after #!endif");
    SCRIPT_ASSERT_ERROR(f, "#!define\nroute { }", "t.routes:1:9: expected a name after #!define");
    SCRIPT_ASSERT_ERROR(f, "#!define 5 x\nroute { }", "expected a name after #!define");
    SCRIPT_ASSERT_ERROR(f, "#!\nroute { }", "t.routes:1:1: expected a directive name");
  }
  void valuelessDefineUsedAsAValue() {
    Fixture f;
    SCRIPT_ASSERT_ERROR(f, "#!define DEBUG\nroute {\n  if (DEBUG) { }\n}",
                        "t.routes:3:7: DEBUG is defined without a value (at t.routes:1:1); only "
                        "#!ifdef DEBUG can test it");
  }
  void defineThatRefersToItself() {
    Fixture f;
    SCRIPT_ASSERT_ERROR(f, "#!define A B\n#!define B (A + 1)\nroute { $var(x) = A; }",
                        "t.routes:3:19: define A refers to itself (A -> B -> A)");
  }
  void reservedWordsCannotBeDefined() {
    Fixture f;
    SCRIPT_ASSERT_ERROR(f, "#!define exit 1\nroute { }",
                        "t.routes:1:10: 'exit' is a word of the script language");
    SCRIPT_ASSERT_ERROR(f, "#!define NULL 0\nroute { }", "'NULL' is a word of the script");
  }
  void errorsInAValuePointAtTheUse() {
    Fixture f;
    SCRIPT_ASSERT_ERROR(f, "#!define BAD $nosuch\nroute {\n  if (BAD == 1) { }\n}",
                        "t.routes:3:7: unknown pseudo-variable $nosuch");
    // An address alone is a value of its own now (src_ip == GW); with a port it is not.
    SCRIPT_ASSERT_ERROR(f, "#!define GW 10.0.0.5:5080\nroute { }",
                        "quote text, e.g. #!define GW \"10.0.0.5\"");
    CPPUNIT_ASSERT(Seen({"gw"}) == f.run("#!define GW 192.0.2.0/24\n"
                                         "route { if (src_ip == GW) probe(\"gw\"); }"));
  }
  void settingsDefinesComeFirst() {
    Fixture f;
    f.options.preprocess.defines.push_back(
        script::stringDefine("GW", "sip:192.0.2.50", "/etc/sipline/sipline.cfg:12"));
    f.options.preprocess.defines.push_back(script::integerDefine("PORT", -7, "s.cfg:13"));
    Seen seen = f.run(
        "#!ifndef GW\n"
        "#!define GW \"sip:127.0.0.1\"\n"
        "#!endif\n"
        "#!trydef PORT 5060\n"
        "route { $du = GW; probe(\"$du\", PORT); probe(\"$rc\"); }\n");
    CPPUNIT_ASSERT(Seen({"sip:192.0.2.50", "-7"}) == seen);
    SCRIPT_ASSERT_ERROR(f, "#!define GW \"x\"\nroute { }",
                        "t.routes:1:10: GW is already defined (at /etc/sipline/sipline.cfg:12)");
  }
  void settingsDefineOfAReservedWord() {
    Fixture f;
    f.options.preprocess.defines.push_back(script::integerDefine("route", 1, "s.cfg:4"));
    SCRIPT_ASSERT_ERROR(f, "route { }", "s.cfg:4: 'route' is a word of the script language");
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(ScriptDefineTest);

}  // namespace sipline
