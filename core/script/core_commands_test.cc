// The core commands for flags, branches, $du, sockets and rport, through compiled scripts.
#include "core/script/core_commands.h"

#include <cppunit/extensions/HelperMacros.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/script/core_commands_test_util.h"
#include "core/transport/listener.h"

namespace sipline {

using testing::CoreCommandFixture;

class CoreMessageCommandsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(CoreMessageCommandsTest);
  CPPUNIT_TEST(isMethodAndHasTotag);
  CPPUNIT_TEST(forwardFailsWithoutAUsableDestination);
  CPPUNIT_TEST(badMessageCommandArgumentsAreRefusedAtLoad);
  CPPUNIT_TEST_SUITE_END();

 public:
  void isMethodAndHasTotag() {
    CoreCommandFixture f;
    f.run(
        "route {\n"
        "  if (is_method(\"BYE|INVITE\")) probe(\"invite\");\n"
        "  if (!is_method(\"PUBLISH|FOO\")) probe(\"not publish\");\n"
        "  if (!has_totag()) probe(\"initial\");\n"
        "  xlog(\"L_DBG\", \"$rm\\n\");\n"
        "}\n");
    std::vector<std::string> want = {"invite", "not publish", "initial"};
    CPPUNIT_ASSERT(want == f.seen);
  }
  void forwardFailsWithoutAUsableDestination() {
    CoreCommandFixture f;
    MsgContext& ctx = f.run(
        "route {\n"
        "  if (!forward()) probe(\"request-URI host is a name\");\n"
        "  $var(d) = \"tcp:10.0.0.1:5060\";\n"
        "  if (!forward(\"$var(d)\")) probe(\"no tcp socket\");\n"
        "  $var(d) = \"udp:10.0.0.1:0\";\n"
        "  if (!forward(\"$var(d)\")) probe(\"bad port\");\n"
        "}\n");
    std::vector<std::string> want = {"request-URI host is a name", "no tcp socket", "bad port"};
    CPPUNIT_ASSERT(want == f.seen);
    CPPUNIT_ASSERT(!ctx.relayed);
  }
  void badMessageCommandArgumentsAreRefusedAtLoad() {
    CoreCommandFixture f;
    SL_ASSERT_LOAD_ERROR(f, "route { is_method(\"INVITE||BYE\"); }", "empty method name");
    SL_ASSERT_LOAD_ERROR(f, "route { is_method(\"$rm\"); }", "the method list must be a constant");
    SL_ASSERT_LOAD_ERROR(f, "route { forward(\"xyz:10.0.0.1\"); }", "unknown protocol 'xyz'");
    SL_ASSERT_LOAD_ERROR(f, "route { forward(\"udp:10.0.0.1:70000\"); }", "bad port '70000'");
    SL_ASSERT_LOAD_ERROR(f, "route { xlog(\"L_LOUD\", \"x\"); }", "level must be one of");
    SL_ASSERT_LOAD_ERROR(f, "route { has_totag(1); }", "takes 0 argument(s)");
    SL_ASSERT_LOAD_ERROR(f, "route { }\nfailure_route[f] { forward(); }",
                         "forward() is not allowed in failure_route");
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(CoreMessageCommandsTest);

class CoreFlagCommandsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(CoreFlagCommandsTest);
  CPPUNIT_TEST(branchZeroFlags);
  CPPUNIT_TEST(flagsOfAppendedBranches);
  CPPUNIT_TEST(dynamicBranchIndex);
  CPPUNIT_TEST(badFlagsAreRefusedAtLoad);
  CPPUNIT_TEST_SUITE_END();

 public:
  void branchZeroFlags() {
    CoreCommandFixture f;
    MsgContext& ctx = f.run(
        "route {\n"
        "  setbflag(2); setbflag(5, 0);\n"
        "  if (isbflagset(2) && isbflagset(5, 0)) probe(\"set\");\n"
        "  resetbflag(5);\n"
        "  if (!isbflagset(5)) probe(\"reset\");\n"
        "  if (!isflagset(2)) probe(\"message flags are apart\");\n"
        "}\n");
    std::vector<std::string> want = {"set", "reset", "message flags are apart"};
    CPPUNIT_ASSERT(want == f.seen);
    CPPUNIT_ASSERT_EQUAL(std::uint32_t(1u << 2), ctx.bflags);
    CPPUNIT_ASSERT_EQUAL(std::uint32_t(0), ctx.flags);
  }
  void flagsOfAppendedBranches() {
    CoreCommandFixture f;
    MsgContext& ctx = f.run(
        "route {\n"
        "  if (!setbflag(3, 1)) probe(\"no branch 1 yet\");\n"
        "  if (!isbflagset(3, 1)) probe(\"not set on a missing branch\");\n"
        "  append_branch(\"sip:carol@example.net\");\n"
        "  setbflag(3, 1);\n"
        "  if (isbflagset(3, 1) && !isbflagset(3)) probe(\"branch 1 only\");\n"
        "}\n");
    std::vector<std::string> want = {"no branch 1 yet", "not set on a missing branch",
                                     "branch 1 only"};
    CPPUNIT_ASSERT(want == f.seen);
    CPPUNIT_ASSERT_EQUAL(std::uint32_t(1u << 3), ctx.branches.at(0).bflags);
  }
  void dynamicBranchIndex() {
    CoreCommandFixture f;
    MsgContext& ctx = f.run(
        "route {\n"
        "  append_branch(\"sip:a@example.net\"); append_branch(\"sip:b@example.net\");\n"
        "  $var(i) = 2;\n"
        "  setbflag(7, $var(i));\n"
        "  $var(i) = \"x\";\n"
        "  if (!setbflag(7, $var(i))) probe(\"not a number\");\n"
        "}\n");
    CPPUNIT_ASSERT_EQUAL(std::uint32_t(1u << 7), ctx.branches.at(1).bflags);
    CPPUNIT_ASSERT_EQUAL(std::uint32_t(0), ctx.branches.at(0).bflags);
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), f.seen.size());
  }
  void badFlagsAreRefusedAtLoad() {
    CoreCommandFixture f;
    SL_ASSERT_LOAD_ERROR(f, "route { setbflag(32); }",
                         "t.routes:1:18: setbflag(): a flag is a number 0..31");
    SL_ASSERT_LOAD_ERROR(f, "route { isbflagset($var(f)); }", "a flag is a number 0..31");
    SL_ASSERT_LOAD_ERROR(f, "route { resetbflag(1, 12); }", "a branch index is a number 0..11");
    SL_ASSERT_LOAD_ERROR(f, "route { setbflag(1, \"one\"); }", "must be an integer");
    SL_ASSERT_LOAD_ERROR(f, "route { setbflag(); }", "takes 1 to 2 argument(s)");
    SL_ASSERT_LOAD_ERROR(f, "route { }\ntimer_route[t, 5] { setbflag(1); }",
                         "setbflag() is not allowed in timer_route");
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(CoreFlagCommandsTest);

class CoreBranchCommandsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(CoreBranchCommandsTest);
  CPPUNIT_TEST(appendBranchWithoutUriTakesOverBranchZero);
  CPPUNIT_TEST(appendBranchWithUriAndQ);
  CPPUNIT_TEST(branchesAreLimited);
  CPPUNIT_TEST(badDynamicUriOrQFailsAtRun);
  CPPUNIT_TEST(dstUriTests);
  CPPUNIT_TEST(badBranchArgumentsAreRefusedAtLoad);
  CPPUNIT_TEST_SUITE_END();

 public:
  void appendBranchWithoutUriTakesOverBranchZero() {
    CoreCommandFixture f;
    MsgContext& ctx = f.run(
        "route {\n"
        "  $du = \"sip:10.0.0.9:5060\"; setbflag(4);\n"
        "  append_branch();\n"
        "  if (!isdsturiset() && !isbflagset(4)) probe(\"branch 0 starts clean: $ru\");\n"
        "}\n");
    CPPUNIT_ASSERT_EQUAL(std::string("branch 0 starts clean: sip:alice@example.com:5070;"
                                     "transport=udp"),
                         f.seen.at(0));
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), ctx.branches.size());
    const Branch& b = ctx.branches[0];
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@example.com:5070;transport=udp"), b.uri);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:10.0.0.9:5060"), b.dst_uri);
    CPPUNIT_ASSERT_EQUAL(std::uint32_t(1u << 4), b.bflags);
    CPPUNIT_ASSERT_EQUAL(-1, b.q);
  }
  void appendBranchWithUriAndQ() {
    CoreCommandFixture f;
    MsgContext& ctx = f.run(
        "route {\n"
        "  $du = \"sip:10.0.0.9\";\n"
        "  append_branch(\"sip:carol@example.net\", \"0.5\");\n"
        "  $var(u) = \"sip:dave@example.net\";\n"
        "  $var(q) = \"1\";\n"
        "  append_branch(\"$var(u)\", \"$var(q)\");\n"
        "  append_branch(\"sip:erin@example.net\", 0);\n"
        "  if (isdsturiset()) probe(\"branch 0 keeps its du\");\n"
        "}\n");
    CPPUNIT_ASSERT_EQUAL(std::size_t(3), ctx.branches.size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:carol@example.net"), ctx.branches[0].uri);
    CPPUNIT_ASSERT_EQUAL(500, ctx.branches[0].q);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:10.0.0.9"), ctx.branches[0].dst_uri);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:dave@example.net"), ctx.branches[1].uri);
    CPPUNIT_ASSERT_EQUAL(1000, ctx.branches[1].q);
    CPPUNIT_ASSERT_EQUAL(0, ctx.branches[2].q);
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), f.seen.size());
  }
  void branchesAreLimited() {
    CoreCommandFixture f;
    MsgContext& ctx = f.run(
        "route {\n"
        "  $var(i) = 0;\n"
        "  while ($var(i) < 20) {\n"
        "    if (!append_branch(\"sip:x@example.net\")) { probe(\"full at $var(i)\"); break; }\n"
        "    $var(i) = $var(i) + 1;\n"
        "  }\n"
        "}\n");
    CPPUNIT_ASSERT_EQUAL(std::string("full at 11"), f.seen.at(0));
    CPPUNIT_ASSERT_EQUAL(MsgContext::kMaxBranches - 1, ctx.branches.size());
  }
  void badDynamicUriOrQFailsAtRun() {
    CoreCommandFixture f;
    MsgContext& ctx = f.run(
        "route {\n"
        "  $var(u) = \"not a uri\";\n"
        "  if (!append_branch(\"$var(u)\")) probe(\"bad uri\");\n"
        "  $var(q) = \"2\";\n"
        "  if (!append_branch(\"sip:a@b\", \"$var(q)\")) probe(\"bad q\");\n"
        "}\n");
    std::vector<std::string> want = {"bad uri", "bad q"};
    CPPUNIT_ASSERT(want == f.seen);
    CPPUNIT_ASSERT(ctx.branches.empty());
  }
  void dstUriTests() {
    CoreCommandFixture f;
    MsgContext& ctx = f.run(
        "route {\n"
        "  if (!isdsturiset()) probe(\"unset\");\n"
        "  $du = \"sip:10.0.0.9\";\n"
        "  if (isdsturiset()) probe(\"set\");\n"
        "  resetdsturi();\n"
        "  if (!isdsturiset()) probe(\"reset\");\n"
        "}\n");
    std::vector<std::string> want = {"unset", "set", "reset"};
    CPPUNIT_ASSERT(want == f.seen);
    CPPUNIT_ASSERT(ctx.dst_uri.empty());
  }
  void badBranchArgumentsAreRefusedAtLoad() {
    CoreCommandFixture f;
    SL_ASSERT_LOAD_ERROR(f, "route { append_branch(\"carol\"); }",
                         "t.routes:1:23: append_branch(): not a valid SIP URI: \"carol\"");
    SL_ASSERT_LOAD_ERROR(f, "route { append_branch(\"sip:c@d\", \"1.5\"); }",
                         "q must be a value from 0 to 1");
    SL_ASSERT_LOAD_ERROR(f, "route { append_branch(\"sip:c@d\", \"0.1234\"); }", "q must be");
    SL_ASSERT_LOAD_ERROR(f, "route { }\nonreply_route { append_branch(); }",
                         "append_branch() is not allowed in onreply_route");
    SL_ASSERT_LOAD_ERROR(f, "route { isdsturiset(1); }", "takes 0 argument(s)");
    SL_ASSERT_LOAD_ERROR(f, "route { }\nonreply_route { resetdsturi(); }",
                         "resetdsturi() is not allowed in onreply_route");
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(CoreBranchCommandsTest);

class CoreSocketCommandsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(CoreSocketCommandsTest);
  CPPUNIT_TEST(forceRportMarksTheContext);
  CPPUNIT_TEST(advertisedAddressAndPort);
  CPPUNIT_TEST(badDynamicAdvertisedValuesFailAtRun);
  CPPUNIT_TEST(sendSocketIsCheckedAgainstBoundSockets);
  CPPUNIT_TEST(sendSocketUnknownAtRunFails);
  CPPUNIT_TEST(badSocketArgumentsAreRefusedAtLoad);
  CPPUNIT_TEST_SUITE_END();

 public:
  void forceRportMarksTheContext() {
    CoreCommandFixture f;
    CPPUNIT_ASSERT(!f.run("route { exit; }").force_rport);
    CPPUNIT_ASSERT(f.run("route { force_rport(); }").force_rport);
  }
  void advertisedAddressAndPort() {
    CoreCommandFixture f;
    MsgContext& ctx = f.run(
        "route { set_advertised_address(\"SIP.Example.COM\"); "
        "set_advertised_port(5080); }");
    CPPUNIT_ASSERT_EQUAL(std::string("sip.example.com"), ctx.advertised_address);
    CPPUNIT_ASSERT_EQUAL(std::uint16_t(5080), ctx.advertised_port);
    MsgContext& v6 = f.run("route { set_advertised_address(\"[2001:DB8::1]\"); }");
    CPPUNIT_ASSERT_EQUAL(std::string("[2001:db8::1]"), v6.advertised_address);
    MsgContext& reset =
        f.run("route { set_advertised_address(\"192.0.2.1\"); set_advertised_address(\"\"); }");
    CPPUNIT_ASSERT(reset.advertised_address.empty());
  }
  void badDynamicAdvertisedValuesFailAtRun() {
    CoreCommandFixture f;
    MsgContext& ctx = f.run(
        "route {\n"
        "  $var(a) = \"bad host!\"; $var(p) = 70000;\n"
        "  if (!set_advertised_address(\"$var(a)\")) probe(\"address\");\n"
        "  if (!set_advertised_port($var(p))) probe(\"port\");\n"
        "  $var(a) = \"ok.example.com\"; $var(p) = 5070;\n"
        "  set_advertised_address(\"$var(a)\"); set_advertised_port($var(p));\n"
        "}\n");
    std::vector<std::string> want = {"address", "port"};
    CPPUNIT_ASSERT(want == f.seen);
    CPPUNIT_ASSERT_EQUAL(std::string("ok.example.com"), ctx.advertised_address);
    CPPUNIT_ASSERT_EQUAL(std::uint16_t(5070), ctx.advertised_port);
  }
  void sendSocketIsCheckedAgainstBoundSockets() {
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CPPUNIT_ASSERT(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    socklen_t len = sizeof(a);
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    std::string port = std::to_string(ntohs(a.sin_port));
    ::close(fd);
    Result<SocketSpec> spec = parseSocketSpec("udp:127.0.0.1:" + port);
    CPPUNIT_ASSERT(spec.isOk());

    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(testing::kCoreTestInvite) == ParseError::kOk);
    ReceiveInfo rcv;
    MsgContext ctx(msg, rcv, kRequestRoute);
    BindContext bc(SourcePos{"t.routes", 3, 3}, "force_send_socket", nullptr);
    ScriptArg arg;
    arg.text = "udp:127.0.0.1:" + port;
    arg.pos = SourcePos{"t.routes", 3, 21};

    // Before the sockets are bound (the first start) the name is looked up when used.
    Listeners set;
    Result<BoundCallPtr> deferred = bindForceSendSocket({arg}, bc, set);
    CPPUNIT_ASSERT(deferred.isOk());
    CPPUNIT_ASSERT_EQUAL(-1, deferred.value()->run(ctx).rc);
    CPPUNIT_ASSERT(ctx.send_socket == nullptr);
    CPPUNIT_ASSERT(set.bindAll({spec.value()}).isOk());
    CPPUNIT_ASSERT_EQUAL(1, deferred.value()->run(ctx).rc);
    CPPUNIT_ASSERT(ctx.send_socket == &set.all()[0]);

    // With the sockets bound, the name is checked at load.
    ctx.send_socket = nullptr;
    Result<BoundCallPtr> checked = bindForceSendSocket({arg}, bc, set);
    CPPUNIT_ASSERT(checked.isOk());
    CPPUNIT_ASSERT_EQUAL(1, checked.value()->run(ctx).rc);
    CPPUNIT_ASSERT(ctx.send_socket == &set.all()[0]);
    arg.text = "udp:127.0.0.2:" + port;
    Result<BoundCallPtr> unknown = bindForceSendSocket({arg}, bc, set);
    CPPUNIT_ASSERT(!unknown.isOk());
    CPPUNIT_ASSERT_MESSAGE(unknown.status().message(),
                           testing::contains(unknown.status().message(),
                                             "t.routes:3:21: force_send_socket(): socket "
                                             "udp:127.0.0.2:" +
                                                 port + " is not one of ours"));
    set.closeAll();
  }
  void sendSocketUnknownAtRunFails() {
    // The unit runner binds no listeners: the name is looked up at run time, and fails.
    CPPUNIT_ASSERT(listeners().all().empty());
    CoreCommandFixture f;
    MsgContext& ctx =
        f.run("route { if (!force_send_socket(\"udp:127.0.0.1:5060\")) probe(\"unknown\"); }");
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), f.seen.size());
    CPPUNIT_ASSERT(ctx.send_socket == nullptr);
  }
  void badSocketArgumentsAreRefusedAtLoad() {
    CoreCommandFixture f;
    SL_ASSERT_LOAD_ERROR(f, "route { force_send_socket(\"127.0.0.1\"); }",
                         "t.routes:1:27: force_send_socket(): socket '127.0.0.1'");
    SL_ASSERT_LOAD_ERROR(f, "route { force_send_socket(\"$var(s)\"); }",
                         "the socket must be a constant");
    SL_ASSERT_LOAD_ERROR(f, "route { force_send_socket(\"udp:127.0.0.1 as 1.2.3.4\"); }",
                         "no 'as' part here");
    SL_ASSERT_LOAD_ERROR(f, "route { set_advertised_address(\"bad host!\"); }",
                         "set_advertised_address(): \"bad host!\"");
    SL_ASSERT_LOAD_ERROR(f, "route { set_advertised_address(\"h.example.com:5060\"); }",
                         "use set_advertised_port()");
    SL_ASSERT_LOAD_ERROR(f, "route { set_advertised_port(0); }", "a port is a number 1..65535");
    SL_ASSERT_LOAD_ERROR(f, "route { set_advertised_port(65536); }", "1..65535");
    SL_ASSERT_LOAD_ERROR(f, "route { }\nonreply_route { force_rport(); }",
                         "force_rport() is not allowed in onreply_route");
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(CoreSocketCommandsTest);

}  // namespace sipline
