// The request-URI rewriting commands through compiled scripts (the rewriting itself is tested
// in core/sip/uri_rewrite_test.cc).
#include <cppunit/extensions/HelperMacros.h>

#include "core/script/core_commands_test_util.h"

namespace sipline {

using testing::CoreCommandFixture;

class CoreUriCommandsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(CoreUriCommandsTest);
  CPPUNIT_TEST(eachRewriteChangesItsPart);
  CPPUNIT_TEST(aliasesDoTheSame);
  CPPUNIT_TEST(prefixStripAndStripTail);
  CPPUNIT_TEST(revertUriRestoresTheReceivedUri);
  CPPUNIT_TEST(rewrittenUriIsWhatLeaves);
  CPPUNIT_TEST(badDynamicValuesFailAndKeepTheUri);
  CPPUNIT_TEST(badConstantsAreRefusedAtLoad);
  CPPUNIT_TEST(notAllowedInReplyRoutes);
  CPPUNIT_TEST_SUITE_END();

 public:
  void eachRewriteChangesItsPart() {
    CoreCommandFixture f;
    f.run(
        "route {\n"
        "  rewriteuser(\"bob\"); probe(\"$ru\");\n"
        "  rewriteuserpass(\"bob:pw\"); probe(\"$ru\");\n"
        "  rewritehost(\"10.0.0.2\"); probe(\"$ru\");\n"
        "  rewriteport(\"5090\"); probe(\"$ru\");\n"
        "  rewriteport(\"\"); probe(\"$ru\");\n"
        "  rewritehostport(\"gw.example.net:5080\"); probe(\"$ru\");\n"
        "  rewriteuser(\"\"); probe(\"$ru\");\n"
        "  rewriteuri(\"sip:carol@example.org\"); probe(\"$ru|$rU|$rd\");\n"
        "}\n");
    std::vector<std::string> want = {
        "sip:bob@example.com:5070;transport=udp", "sip:bob:pw@example.com:5070;transport=udp",
        "sip:bob:pw@10.0.0.2:5070;transport=udp", "sip:bob:pw@10.0.0.2:5090;transport=udp",
        "sip:bob:pw@10.0.0.2;transport=udp",      "sip:bob:pw@gw.example.net:5080;transport=udp",
        "sip:gw.example.net:5080;transport=udp",  "sip:carol@example.org|carol|example.org",
    };
    CPPUNIT_ASSERT(want == f.seen);
  }
  void aliasesDoTheSame() {
    CoreCommandFixture f;
    f.run(
        "route {\n"
        "  setuser(\"u\"); setuserpass(\"u:p\"); sethost(\"h.example\"); setport(\"1234\");\n"
        "  probe(\"$ru\");\n"
        "  sethostport(\"g.example\"); probe(\"$ru\");\n"
        "  seturi(\"sip:x@y\"); probe(\"$ru\");\n"
        "}\n");
    std::vector<std::string> want = {"sip:u:p@h.example:1234;transport=udp",
                                     "sip:u:p@g.example;transport=udp", "sip:x@y"};
    CPPUNIT_ASSERT(want == f.seen);
  }
  void prefixStripAndStripTail() {
    CoreCommandFixture f;
    f.run(
        "route {\n"
        "  rewriteuser(\"0049301234\");\n"
        "  strip(4); probe(\"$rU\");\n"
        "  prefix(\"+49\"); probe(\"$rU\");\n"
        "  strip_tail(2); probe(\"$rU\");\n"
        "  $var(n) = 1; strip($var(n)); probe(\"$rU\");\n"
        "  strip(100); probe(\"$ru\");\n"
        "  prefix(\"$fU-\"); probe(\"$rU\");\n"
        "}\n");
    std::vector<std::string> want = {
        "301234", "+49301234", "+493012", "493012", "sip:example.com:5070;transport=udp", "bob-"};
    CPPUNIT_ASSERT(want == f.seen);
  }
  void revertUriRestoresTheReceivedUri() {
    CoreCommandFixture f;
    f.run(
        "route {\n"
        "  rewritehostport(\"10.9.9.9:5099\"); prefix(\"x\");\n"
        "  revert_uri(); probe(\"$ru\");\n"
        "  revert_uri(); probe(\"$rU\");\n"
        "}\n");
    std::vector<std::string> want = {"sip:alice@example.com:5070;transport=udp", "alice"};
    CPPUNIT_ASSERT(want == f.seen);
    CPPUNIT_ASSERT_EQUAL(std::string(testing::kCoreTestInvite), f.built());
  }
  void rewrittenUriIsWhatLeaves() {
    CoreCommandFixture f;
    f.run("route { rewritehost(\"10.0.0.2\"); strip_tail(2); }");
    CPPUNIT_ASSERT(f.built().rfind("INVITE sip:ali@10.0.0.2:5070;transport=udp SIP/2.0\r\n", 0) ==
                   0);
  }
  void badDynamicValuesFailAndKeepTheUri() {
    CoreCommandFixture f;
    f.run(
        "route {\n"
        "  $var(h) = \"bad host\";\n"
        "  if (!rewritehost(\"$var(h)\")) probe(\"host refused\");\n"
        "  $var(n) = \"many\";\n"
        "  if (!strip($var(n))) probe(\"strip refused\");\n"
        "  $var(n) = -1;\n"
        "  if (!strip_tail($var(n))) probe(\"negative refused\");\n"
        "  $var(u) = \"mailto:x\";\n"
        "  if (!rewriteuri(\"$var(u)\")) probe(\"uri refused\");\n"
        "  probe(\"$ru\");\n"
        "}\n");
    std::vector<std::string> want = {"host refused", "strip refused", "negative refused",
                                     "uri refused", "sip:alice@example.com:5070;transport=udp"};
    CPPUNIT_ASSERT(want == f.seen);
  }
  void badConstantsAreRefusedAtLoad() {
    CoreCommandFixture f;
    SL_ASSERT_LOAD_ERROR(f, "route { rewritehost(\"bad host\"); }",
                         "t.routes:1:21: rewritehost(): ");
    SL_ASSERT_LOAD_ERROR(f, "route { sethost(\"h;maddr=1.2.3.4\"); }", "is not a valid host");
    SL_ASSERT_LOAD_ERROR(f, "route { rewriteport(\"port\"); }", "not a valid");
    SL_ASSERT_LOAD_ERROR(f, "route { rewritehostport(\"h:0\"); }", "not a valid URI");
    SL_ASSERT_LOAD_ERROR(f, "route { rewriteuser(\"a@b\"); }", "rewriteuser(): ");
    SL_ASSERT_LOAD_ERROR(f, "route { rewriteuserpass(\":pw\"); }", "has a password but no user");
    SL_ASSERT_LOAD_ERROR(f, "route { rewriteuri(\"http://example.com\"); }", "not a valid URI");
    SL_ASSERT_LOAD_ERROR(f, "route { prefix(\"\"); }", "the prefix is empty");
    SL_ASSERT_LOAD_ERROR(f, "route { prefix(\"a@\"); }", "prefix(): ");
    SL_ASSERT_LOAD_ERROR(f, "route { strip(-1); }", "must not be negative");
    SL_ASSERT_LOAD_ERROR(f, "route { strip_tail(\"two\"); }", "must be an integer");
    SL_ASSERT_LOAD_ERROR(f, "route { revert_uri(1); }", "takes 0 argument(s)");
  }
  void notAllowedInReplyRoutes() {
    CoreCommandFixture f;
    for (const char* name : {"rewriteuri(\"sip:a@b\")", "prefix(\"1\")", "strip(1)", "revert_uri()",
                             "sethostport(\"h\")"}) {
      std::string script = std::string("route { }\nonreply_route { ") + name + "; }";
      std::string err = f.loadError(script);
      CPPUNIT_ASSERT_MESSAGE(script, testing::contains(err, "is not allowed in onreply_route"));
    }
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(CoreUriCommandsTest);

}  // namespace sipline
