// Pseudo-variables and transformations as the routing script uses them: lexed, compiled and
// run, including the load-time errors with their positions.
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "core/script/pvar_test_util.h"
#include "core/script/script.h"

namespace sipline {

namespace {

struct Runner {
  CommandRegistry commands;
  Runner() {
    Status st = registerCoreCommands(commands);
    CPPUNIT_ASSERT(st.isOk());
  }
  Status compileError(const std::string& text) {
    Result<ScriptPtr> s = Script::compile(text, "t.routes", commands, nullptr);
    return s.isOk() ? Status::ok() : s.status();
  }
  // Runs the request route on the test INVITE; returns its context's message for reading.
  void run(pvartest::TestMsg& m, const std::string& text) {
    Result<ScriptPtr> s = Script::compile(text, "t.routes", commands, nullptr);
    CPPUNIT_ASSERT_MESSAGE(s.isOk() ? "" : s.status().message(), s.isOk());
    s.value()->runRequest(m.ctx());
  }
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

#define ASSERT_SCRIPT_ERROR(runner, script, fragment)                          \
  do {                                                                         \
    Status st_ = (runner).compileError(script);                                \
    CPPUNIT_ASSERT_MESSAGE(std::string("compiled: ") + (script), !st_.isOk()); \
    CPPUNIT_ASSERT_MESSAGE(st_.message(), contains(st_.message(), fragment));  \
  } while (0)

}  // namespace

class PvarScriptTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(PvarScriptTest);
  CPPUNIT_TEST(avpAssignmentsInTheScript);
  CPPUNIT_TEST(avpDeletionWithNull);
  CPPUNIT_TEST(openSips1xAvpNamesAreTheName);
  CPPUNIT_TEST(transformationsInExpressions);
  CPPUNIT_TEST(writablePseudoVariablesInTheScript);
  CPPUNIT_TEST(transformedReferenceIsReadOnly);
  CPPUNIT_TEST(loadErrorsCarryThePosition);
  CPPUNIT_TEST(runtimeAssignmentErrorsLeaveTheValue);
  CPPUNIT_TEST_SUITE_END();

 public:
  void avpAssignmentsInTheScript() {
    Runner r;
    pvartest::TestMsg m(pvartest::inviteText());
    r.run(m,
          "route {\n"
          "  $avp(gw) = \"10.0.0.1\";\n"
          "  $avp(gw) = \"10.0.0.2\";\n"
          "  $avp(gw) = $si;\n"
          "  $avp(gw)[1] = \"10.0.0.22\";\n"
          "  $var(pvs_first) = $avp(gw);\n"
          "  $var(pvs_second) = $(avp(gw)[1]);\n"
          "  $var(pvs_all) = $avp(gw)[*];\n"
          "  $avp(s) = \"a\"; $avp(s) += \"b\";\n"  // a new value: the newest plus "b"
          "}\n");
    CPPUNIT_ASSERT_EQUAL(std::string("ab, a"), m.str("avp(s)[*]"));
    CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.7"), m.str("var(pvs_first)"));
    CPPUNIT_ASSERT_EQUAL(std::string("10.0.0.22"), m.str("var(pvs_second)"));
    CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.7, 10.0.0.22, 10.0.0.1"), m.str("var(pvs_all)"));
    CPPUNIT_ASSERT_EQUAL(3, m.ctx().avps.count("gw"));
  }
  // OpenSIPS 1.x scripts write $avp(s:name) and $avp(i:number); avpops (avp_db_load of
  // "$avp(s:callfwd)") and a script writing $avp(callfwd) must mean the same AVP.
  void openSips1xAvpNamesAreTheName() {
    Runner r;
    pvartest::TestMsg m(pvartest::inviteText());
    r.run(m,
          "route {\n"
          "  $avp(s:callfwd) = \"sip:carol@example.net\";\n"
          "  $avp(i:5) = 7;\n"
          "  $var(o1) = $avp(callfwd) + \" \" + $avp(s:callfwd) + \" \" + $avp(5);\n"
          "}\n");
    CPPUNIT_ASSERT_EQUAL(std::string("sip:carol@example.net sip:carol@example.net 7"),
                         m.str("var(o1)"));
    CPPUNIT_ASSERT_EQUAL(1, m.ctx().avps.count("callfwd"));
  }
  void avpDeletionWithNull() {
    Runner r;
    pvartest::TestMsg m(pvartest::inviteText());
    r.run(m,
          "route {\n"
          "  $avp(a) = 1; $avp(a) = 2; $avp(a) = 3; $avp(a) = 4; $avp(b) = \"keep\";\n"
          "  $avp(a) = NULL;\n"     // deletes 4
          "  $avp(a)[1] = NULL;\n"  // deletes 2
          "  $var(pvs_left) = $avp(a)[*];\n"
          "  $(avp(a)[*]) = NULL;\n"  // deletes the rest
          "  $avp(b)[*] = NULL;\n"
          "  $avp(c) = 1; $avp(c)[*] = \"only\";\n"
          "}\n");
    CPPUNIT_ASSERT_EQUAL(std::string("3, 1"), m.str("var(pvs_left)"));
    CPPUNIT_ASSERT_EQUAL(0, m.ctx().avps.count("a"));
    CPPUNIT_ASSERT_EQUAL(0, m.ctx().avps.count("b"));
    CPPUNIT_ASSERT_EQUAL(std::string("only"), m.str("avp(c)[*]"));
  }
  void transformationsInExpressions() {
    Runner r;
    pvartest::TestMsg m(pvartest::inviteText());
    r.run(m,
          "route {\n"
          "  $var(pvs_user) = $(ru{uri.user}{s.toupper});\n"
          "  if ($(rU{s.len}) == 5 && $(si{ip.isprivate}) == 0) { $var(pvs_cond) = \"yes\"; }\n"
          "  $var(pvs_tag) = $(hdr(From){param.value,tag});\n"
          "  $var(pvs_md5) = $(ci{s.md5});\n"
          "}\n");
    CPPUNIT_ASSERT_EQUAL(std::string("ALICE"), m.str("var(pvs_user)"));
    CPPUNIT_ASSERT_EQUAL(std::string("yes"), m.str("var(pvs_cond)"));
    CPPUNIT_ASSERT_EQUAL(std::string("ft1"), m.str("var(pvs_tag)"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{32}, m.str("var(pvs_md5)").size());
  }
  void writablePseudoVariablesInTheScript() {
    Runner r;
    pvartest::TestMsg m(pvartest::inviteText());
    r.run(m,
          "route {\n"
          "  $bf = 5;\n"
          "  $rU = \"carol\";\n"
          "  $rp = 5090;\n"
          "  $du = \"sip:10.9.9.9\";\n"
          "  $fs = \"\";\n"
          "}\n");
    CPPUNIT_ASSERT_EQUAL(std::uint32_t{5}, m.ctx().bflags);
    CPPUNIT_ASSERT_EQUAL(std::string("carol"), m.str("rU"));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{5090}, m.num("rp"));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:10.9.9.9"), m.str("du"));
    CPPUNIT_ASSERT(m.isNull("fs"));
  }
  void transformedReferenceIsReadOnly() {
    Runner r;
    ASSERT_SCRIPT_ERROR(r, "route { $(ru{uri.user}) = \"x\"; }", "is read-only");
    ASSERT_SCRIPT_ERROR(r, "route { $rP = \"tcp\"; }", "$rP is read-only");
  }
  void loadErrorsCarryThePosition() {
    Runner r;
    ASSERT_SCRIPT_ERROR(r, "route {\n  $var(x) = $(ru{s.lenn});\n}",
                        "t.routes:2:13: unknown transformation {s.lenn} (did you mean 's.len'?)");
    ASSERT_SCRIPT_ERROR(r, "route {\n  if ($(ru{s.substr,1}) == \"a\") { }\n}",
                        "t.routes:2:7: transformation {s.substr,1}: {s.substr} takes 2");
    ASSERT_SCRIPT_ERROR(r, "route { $var(x) = $ru[1]; }", "allowed only on $hdr and $avp");
    ASSERT_SCRIPT_ERROR(r, "route { $avp(x)[y] = 1; }", "bad index [y]");
    ASSERT_SCRIPT_ERROR(r, "route { xlog(\"L_INFO\", \"$(ru{uri.hots})\"); }",
                        "did you mean 'uri.host'?");
  }
  void runtimeAssignmentErrorsLeaveTheValue() {
    Runner r;
    pvartest::TestMsg m(pvartest::inviteText());
    r.run(m,
          "route {\n"
          "  $bf = 3;\n"
          "  $bf = \"lots\";\n"                  // refused at run time
          "  $fs = \"udp:192.0.2.250:5060\";\n"  // not ours
          "  $avp(none)[2] = 1;\n"               // no such value
          "}\n");
    CPPUNIT_ASSERT_EQUAL(std::uint32_t{3}, m.ctx().bflags);
    CPPUNIT_ASSERT(m.isNull("fs"));
    CPPUNIT_ASSERT_EQUAL(0, m.ctx().avps.count("none"));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(PvarScriptTest);

}  // namespace sipline
