// Every construct of the routing-script grammar, compiled and run on one INVITE: what each
// one does, as the man page (sipline.routes(5)) describes it.
#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

#include "core/script/script_test_util.h"
#include "core/transport/listener.h"

namespace sipline {

using scripttest::Fixture;
using Seen = std::vector<std::string>;

class ScriptGrammarTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ScriptGrammarTest);
  CPPUNIT_TEST(ifElseIfElseChains);
  CPPUNIT_TEST(singleStatementBranchesAndEmptyStatements);
  CPPUNIT_TEST(switchOnNumbersAndNegativeCases);
  CPPUNIT_TEST(breakInsideSwitchInsideWhileLeavesOnlyTheSwitch);
  CPPUNIT_TEST(whileThatNeverRuns);
  CPPUNIT_TEST(returnValueBecomesRc);
  CPPUNIT_TEST(returnWithoutValueAndFallingOffTheEnd);
  CPPUNIT_TEST(returnInMainRouteEndsTheScript);
  CPPUNIT_TEST(returnZeroFromARouteStopsTheScript);
  CPPUNIT_TEST(exitAndExitWithParentheses);
  CPPUNIT_TEST(dropStopsAndMarksTheMessage);
  CPPUNIT_TEST(assignmentAndAppend);
  CPPUNIT_TEST(appendErrorsAndOverflowLeaveTheVariable);
  CPPUNIT_TEST(arithmetic);
  CPPUNIT_TEST(bitOperatorsAndTheirPrecedence);
  CPPUNIT_TEST(plusConcatenatesWhenEitherSideIsAString);
  CPPUNIT_TEST(comparisonsNumericOrText);
  CPPUNIT_TEST(logicalOperatorsShortCircuit);
  CPPUNIT_TEST(notNegatesTheWholeComparisonAsInOpenSips);
  CPPUNIT_TEST(openSipsCoreKeywordsReadTheMessage);
  CPPUNIT_TEST(protoAfAndMsgLenCompareAsInOpenSips);
  CPPUNIT_TEST(unquotedAddressesAndNetworksCompareAsAddresses);
  CPPUNIT_TEST(badAddressComparisonsAreLoadErrors);
  CPPUNIT_TEST(regexMatchOperators);
  CPPUNIT_TEST(myselfComparesHostsAndUris);
  CPPUNIT_TEST(commentsOfEveryKind);
  CPPUNIT_TEST(nullLiteralComparesAndClears);
  CPPUNIT_TEST(hexNumbersAndEscapes);
  CPPUNIT_TEST(namedRoutesByNumber);
  CPPUNIT_TEST_SUITE_END();

 public:
  void ifElseIfElseChains() {
    Fixture f;
    Seen seen = f.run(
        "route {\n"
        "  if ($rU == \"bob\") probe(\"bob\");\n"
        "  else if ($rU == \"alice\") probe(\"alice\");\n"
        "  else probe(\"other\");\n"
        "  if ($rU == \"x\") { probe(\"x\"); } else if ($rU == \"y\") { probe(\"y\"); }\n"
        "  else { probe(\"neither\"); }\n"
        "}\n");
    CPPUNIT_ASSERT(Seen({"alice", "neither"}) == seen);
  }
  void singleStatementBranchesAndEmptyStatements() {
    Fixture f;
    Seen seen =
        f.run("route { ; if ($rm == \"INVITE\") ; else probe(\"no\"); {} probe(\"end\");; }");
    CPPUNIT_ASSERT(Seen({"end"}) == seen);
  }
  void switchOnNumbersAndNegativeCases() {
    Fixture f;
    Seen seen = f.run(
        "route {\n"
        "  $var(n) = -1;\n"
        "  switch ($var(n)) { case 1: probe(\"one\"); break; case -1: probe(\"minus one\"); }\n"
        "  switch ($cs) { case \"1\": probe(\"text one\"); break; default: probe(\"d\"); }\n"
        "}\n");
    CPPUNIT_ASSERT(Seen({"minus one", "text one"}) == seen);
  }
  void breakInsideSwitchInsideWhileLeavesOnlyTheSwitch() {
    Fixture f;
    Seen seen = f.run(
        "route {\n"
        "  $var(i) = 0; $var(hits) = 0;\n"
        "  while ($var(i) < 3) {\n"
        "    switch ($var(i)) { case 1: break; default: $var(hits) = $var(hits) + 1; }\n"
        "    $var(i) = $var(i) + 1;\n"
        "  }\n"
        "  probe(\"$var(i) $var(hits)\");\n"
        "}\n");
    CPPUNIT_ASSERT(Seen({"3 2"}) == seen);
  }
  void whileThatNeverRuns() {
    Fixture f;
    Seen seen = f.run("route { while ($rm == \"BYE\") { probe(\"never\"); } probe(\"after\"); }");
    CPPUNIT_ASSERT(Seen({"after"}) == seen);
  }
  void returnValueBecomesRc() {
    Fixture f;
    Seen seen = f.run(
        "route {\n"
        "  route(five); probe(\"rc=$rc\");\n"
        "  if (route(minus)) probe(\"wrong\"); else probe(\"false rc=$rc\");\n"
        "  $var(r) = 2; route(var); probe(\"rc=$rc\");\n"
        "}\n"
        "route[five] { return(5); }\n"
        "route[minus] { return(-2); }\n"
        "route[var] { return($var(r) * 10); }\n");
    CPPUNIT_ASSERT(Seen({"rc=5", "false rc=-2", "rc=20"}) == seen);
  }
  void returnWithoutValueAndFallingOffTheEnd() {
    Fixture f;
    Seen seen = f.run(
        "route { route(a); probe(\"a=$rc\"); route(b); probe(\"b=$rc\"); }\n"
        "route[a] { probe(\"x\", -4); return; }\n"
        "route[b] { probe(\"y\", -4); }\n");
    // `return;` and falling off the end both return 1.
    CPPUNIT_ASSERT(Seen({"x", "a=1", "y", "b=1"}) == seen);
  }
  void returnZeroFromARouteStopsTheScript() {
    Fixture f;
    Seen seen = f.run(
        "route { probe(\"a\"); if (route(zero)) probe(\"then\"); probe(\"after\"); }\n"
        "route[zero] { probe(\"in\"); return(0); }\n");
    CPPUNIT_ASSERT(Seen({"a", "in"}) == seen);
  }
  void returnInMainRouteEndsTheScript() {
    Fixture f;
    int rc = 0;
    Seen seen = f.run("route { probe(\"a\"); return(3); probe(\"b\"); }", &rc);
    CPPUNIT_ASSERT(Seen({"a"}) == seen);
    CPPUNIT_ASSERT_EQUAL(3, rc);
  }
  void exitAndExitWithParentheses() {
    Fixture f;
    CPPUNIT_ASSERT(Seen({"a"}) == f.run("route { probe(\"a\"); exit(); probe(\"b\"); }"));
    CPPUNIT_ASSERT(!f.dropped);
    CPPUNIT_ASSERT(Seen({"in"}) == f.run("route { route(r); probe(\"b\"); }\n"
                                         "route[r] { probe(\"in\"); exit; }"));
  }
  void dropStopsAndMarksTheMessage() {
    Fixture f;
    CPPUNIT_ASSERT(Seen({"a"}) == f.run("route { probe(\"a\"); drop; probe(\"b\"); }"));
    CPPUNIT_ASSERT(f.dropped);
    f.run("route { route(r); }\nroute[r] { drop(); }");
    CPPUNIT_ASSERT(f.dropped);
  }
  void assignmentAndAppend() {
    Fixture f;
    Seen seen = f.run(
        "route {\n"
        "  $var(s) = \"a\"; $var(s) += \"b\"; $var(s) += 3;\n"
        "  $var(n) = 40; $var(n) = $var(n) + 2;\n"
        "  $var(c) += 5; $var(c) += 2; $var(l) += \"x\"; $var(l) += \",y\";\n"
        "  $ru = \"sip:\" + $rU + \"@192.0.2.1\";\n"
        "  probe(\"$var(s) $var(n) $var(c) $var(l) $ru\");\n"
        "}\n");
    // += adds integers, joins texts, and starts from the value when the variable is unset.
    CPPUNIT_ASSERT(Seen({"ab3 42 7 x,y sip:alice@192.0.2.1"}) == seen);
  }
  void appendErrorsAndOverflowLeaveTheVariable() {
    Fixture f;
    Seen seen = f.run(
        "route {\n"
        "  $var(c) = 5; $var(c) += $avp(none);\n"
        "  $var(big) = 9223372036854775807; $var(big) += 1;\n"
        "  $var(m) = 0 - 9223372036854775807 - 2;\n"
        "  $var(p) = 9223372036854775807 * 2;\n"
        "  probe(\"$var(c) $var(big) $var(m) $var(p)\");\n"
        "}\n");
    // An integer plus NULL, and every overflow, is a run-time error: the variable keeps its
    // value (+=) or becomes NULL (=).
    CPPUNIT_ASSERT(Seen({"5 9223372036854775807 <null> <null>"}) == seen);
  }
  void arithmetic() {
    Fixture f;
    Seen seen = f.run(
        "route {\n"
        "  $var(a) = 7 / 2; $var(b) = 7 % 3; $var(c) = -$var(a) * 2 - 1; $var(d) = 2 + 3 * 4;\n"
        "  $var(e) = (2 + 3) * 4; $var(f) = 10 - 2 - 3;\n"
        "  probe(\"$var(a) $var(b) $var(c) $var(d) $var(e) $var(f)\");\n"
        "}\n");
    CPPUNIT_ASSERT(Seen({"3 1 -7 14 20 5"}) == seen);
  }
  void bitOperatorsAndTheirPrecedence() {
    Fixture f;
    Seen seen = f.run(
        "route {\n"
        "  $var(a) = 6 & 3; $var(b) = 4 | 1; $var(c) = 6 ^ 3; $var(d) = ~0;\n"
        "  $var(e) = 4 | 1 & 2;\n"  // one level, left to right: (4 | 1) & 2
        "  $var(g) = 1 + 2 & 2;\n"  // + binds tighter: (1 + 2) & 2
        "  probe(\"$var(a) $var(b) $var(c) $var(d) $var(e) $var(g)\");\n"
        "  if ($var(b) & 4 == 4) probe(\"bit test\");\n"  // & binds tighter than ==
        "}\n");
    CPPUNIT_ASSERT(Seen({"2 5 5 -1 0 2", "bit test"}) == seen);
  }
  void plusConcatenatesWhenEitherSideIsAString() {
    Fixture f;
    Seen seen = f.run(
        "route {\n"
        "  $var(a) = \"n\" + 1; $var(b) = 1 + \"2\"; $var(c) = $rU + \"@\" + $rd;\n"
        "  $var(d) = $cs + 1;\n"  // $cs is an integer
        "  probe(\"$var(a) $var(b) $var(c) $var(d)\");\n"
        "}\n");
    CPPUNIT_ASSERT(Seen({"n1 12 alice@example.com 2"}) == seen);
  }
  void comparisonsNumericOrText() {
    Fixture f;
    Seen seen = f.run(
        "route {\n"
        "  if (10 > 9) probe(\"numbers\");\n"
        "  if (\"10\" < \"9\") probe(\"texts\");\n"
        "  if (10 > \"9\") probe(\"mixed is numeric\");\n"
        "  if ($cs == \"1\" && $cs >= 1 && $cs <= 1 && $cs != 2) probe(\"cseq\");\n"
        "  if ($rm == \"invite\") probe(\"never: == is case-sensitive\");\n"
        "}\n");
    CPPUNIT_ASSERT(Seen({"numbers", "texts", "mixed is numeric", "cseq"}) == seen);
  }
  void logicalOperatorsShortCircuit() {
    Fixture f;
    Seen seen = f.run(
        "route {\n"
        "  if (probe(\"l1\", -1) && probe(\"r1\")) probe(\"no\");\n"
        "  if (probe(\"l2\") || probe(\"r2\")) probe(\"yes\");\n"
        "  if (!probe(\"l3\", -1) && !($rm != \"INVITE\")) probe(\"not\");\n"
        "}\n");
    CPPUNIT_ASSERT(Seen({"l1", "l2", "yes", "l3", "not"}) == seen);
  }
  void regexMatchOperators() {
    Fixture f;
    Seen seen = f.run(
        "route {\n"
        "  if ($ru =~ \"^sip:[a-z]+@example\\.com\") probe(\"match\");\n"
        "  if ($ru !~ \"^sips:\") probe(\"no match\");\n"
        "  $var(re) = \"ALICE\";\n"
        "  if ($rU =~ $var(re)) probe(\"dynamic, case-insensitive\");\n"
        "  if ($du =~ \".*\") probe(\"never: null matches nothing\");\n"
        "}\n");
    CPPUNIT_ASSERT(Seen({"match", "no match", "dynamic, case-insensitive"}) == seen);
  }
  // OpenSIPS 1.6's default script: if (!uri==myself) {...}, if (!$rU==NULL) {...}. The '!'
  // applies to the comparison; read as (!$ru) == myself the test was always false.
  void notNegatesTheWholeComparisonAsInOpenSips() {
    Fixture f;
    listeners().setAliases({"example.net"});
    Seen seen = f.run(
        "route {\n"
        "  if (!$ru == myself) probe(\"foreign domain\");\n"
        "  if (!$rU == NULL) probe(\"has a user\");\n"
        "  if (!$rU == \"alice\") probe(\"wrong: not alice\");\n"
        "  if (!$rm =~ \"^REG\") probe(\"not a REGISTER\");\n"
        "  if (!$rd != \"example.com\" && !probe(\"f\", -1)) probe(\"and\");\n"
        "  if (!(!$rU) == 0) probe(\"parenthesised\");\n"  // (!$rU) is 0: !(0 == 0)
        "  $var(n) = !$cs == 2;\n"
        "  probe(\"n=$var(n)\");\n"
        "}\n");
    listeners().setAliases({});
    CPPUNIT_ASSERT(Seen({"foreign domain", "has a user", "not a REGISTER", "f", "and", "n=1"}) ==
                   seen);
  }
  // The 1.6 default script: if (!uri==myself) { ... }; the book's uri==myself.
  void openSipsCoreKeywordsReadTheMessage() {
    Fixture f;
    listeners().setAliases({"example.com"});
    Seen seen = f.run(
        "route {\n"
        "  if (uri == myself) probe(\"uri is ours\");\n"
        "  if (!uri == myself) probe(\"wrong\");\n"
        "  if (method == \"INVITE\" && from_uri =~ \"^sip:bob@\") probe(\"invite from bob\");\n"
        "  if (to_uri == \"sip:alice@example.com\" && src_ip == \"192.0.2.7\") probe(\"to\");\n"
        "  if (src_port == 5099 && status == NULL) probe(\"port\");\n"
        "  probe(method);\n"  // a bare word argument is still a string
        "}\n");
    listeners().setAliases({});
    CPPUNIT_ASSERT(Seen({"uri is ours", "invite from bob", "to", "port", "method"}) == seen);
  }
  void myselfComparesHostsAndUris() {
    Fixture f;
    listeners().setAliases({"example.com"});
    Seen seen = f.run(
        "route {\n"
        "  if ($rd == myself) probe(\"host\");\n"
        "  if ($ru == myself) probe(\"uri\");\n"
        "  if (myself == $rd) probe(\"either side\");\n"
        "  if ($fd != myself) probe(\"from is foreign\");\n"
        "}\n");
    listeners().setAliases({});
    CPPUNIT_ASSERT(Seen({"host", "uri", "either side", "from is foreign"}) == seen);
  }
  void commentsOfEveryKind() {
    Fixture f;
    Seen seen = f.run(
        "# a line comment\n"
        "route { // another\n"
        "  /* a block\n"
        "     over lines */ probe(\"a#b//c\"); # not inside strings\n"
        "  probe(\"d\"); #! only at the start of a line is this a directive\n"
        "}\n");
    CPPUNIT_ASSERT(Seen({"a#b//c", "d"}) == seen);
  }
  void nullLiteralComparesAndClears() {
    Fixture f;
    Seen seen = f.run(
        "route {\n"
        "  if ($du == NULL) probe(\"no du\");\n"
        "  $du = \"sip:10.0.0.1\";\n"
        "  if ($du != NULL) probe(\"du set\");\n"
        "  $du = NULL;\n"
        "  if (NULL == $du) probe(\"du cleared\");\n"
        "  $var(x) = 5; $var(x) = NULL;\n"
        "  if ($var(x) == NULL) probe(\"var null\");\n"
        "  $var(e) = \"\";\n"
        "  if ($var(e) != NULL) probe(\"empty is not null\");\n"
        "}\n");
    CPPUNIT_ASSERT(Seen({"no du", "du set", "du cleared", "var null", "empty is not null"}) ==
                   seen);
    seen = f.run(
        "route {\n"
        "  $avp(a) = 1; $avp(a) = 2; $avp(a) = 3;\n"
        "  $avp(a) = NULL;\n"  // the newest value
        "  probe(\"$avp(a)\");\n"
        "  $avp(a)[*] = NULL;\n"  // all of them
        "  if ($avp(a) == NULL) probe(\"gone\");\n"
        "}\n");
    CPPUNIT_ASSERT(Seen({"2", "gone"}) == seen);
  }
  // OpenSIPS 1.x: proto == UDP, af == INET6 (bare names) and msg:len compared with numbers.
  void protoAfAndMsgLenCompareAsInOpenSips() {
    const std::string script =
        "route {\n"
        "  if (proto == UDP) probe(\"udp\");\n"
        "  if (proto == tcp || proto == TLS) probe(\"stream\");\n"
        "  if (proto != UDP) probe(\"not udp\");\n"
        "  if (af == INET) probe(\"v4\");\n"
        "  if (af == INET6) probe(\"v6\");\n"
        "  if (msg:len > 100 && msg:len < 65536) probe(\"len\");\n"
        "  if (msg:len >= 100000) probe(\"huge\");\n"
        "  if ($af == \"INET\") probe(\"$af\");\n"
        "}\n";
    Fixture f;
    CPPUNIT_ASSERT(Seen({"udp", "v4", "len", "INET"}) == f.run(script));
    f.src_ip = "2001:db8::7";
    f.proto = Proto::kTcp;
    CPPUNIT_ASSERT(Seen({"stream", "not udp", "v6", "len"}) == f.run(script));
    // Another bare name is still an error, not a silent string.
    CPPUNIT_ASSERT(!f.compileError("route { if (proto == FOO) probe(\"x\"); }").isOk());
    CPPUNIT_ASSERT(!f.compileError("route { if (af == INET4) probe(\"x\"); }").isOk());
  }
  // OpenSIPS 1.x: src_ip == 10.0.0.1, src_ip == 10.0.0.0/8, IPv6 and masks, unquoted.
  void unquotedAddressesAndNetworksCompareAsAddresses() {
    const std::string script =
        "route {\n"
        "  if (src_ip == 192.0.2.7) probe(\"exact\");\n"
        "  if (src_ip == 192.0.2.0/24) probe(\"/24\");\n"
        "  if ($si == 192.0.0.0/255.255.0.0) probe(\"mask\");\n"
        "  if (src_ip != 10.0.0.0/8) probe(\"not 10/8\");\n"
        "  if (10.0.0.0/8 == src_ip) probe(\"10/8 reversed\");\n"
        "  if (src_ip == 2001:db8::7) probe(\"v6 exact\");\n"
        "  if (src_ip == 2001:db8::/32) probe(\"v6 /32\");\n"
        "  if (src_ip == ::1) probe(\"loopback\");\n"
        "  if (src_ip == 0.0.0.0/0) probe(\"any v4\");\n"
        "  $var(gw) = 192.0.2.7;\n"
        "  if ($var(gw) == src_ip) probe(\"as text\");\n"
        "}\n";
    Fixture f;
    CPPUNIT_ASSERT(Seen({"exact", "/24", "mask", "not 10/8", "any v4", "as text"}) ==
                   f.run(script));
    f.src_ip = "2001:db8:0::7";  // another spelling of the same address
    CPPUNIT_ASSERT(Seen({"not 10/8", "v6 exact", "v6 /32"}) == f.run(script));
    f.src_ip = "::1";
    CPPUNIT_ASSERT(Seen({"not 10/8", "loopback"}) == f.run(script));
    // Not addresses: hex numbers, a name starting with hex letters, "case 1:".
    Fixture g;
    CPPUNIT_ASSERT(Seen({"hex", "case"}) ==
                   g.run("route {\n  if (0xff == 255) probe(\"hex\");\n"
                         "  $var(add) = 1;\n"
                         "  switch ($var(add)) {\n    case 1: probe(\"case\"); break;\n  }\n}\n"));
  }
  void badAddressComparisonsAreLoadErrors() {
    Fixture f;
    Status st = f.compileError("route { if (src_ip == 10.0.0.0/33) probe(\"x\"); }");
    CPPUNIT_ASSERT_MESSAGE(st.message(), scripttest::contains(st.message(), "bad network prefix"));
    CPPUNIT_ASSERT_MESSAGE(st.message(), scripttest::contains(st.message(), "t.routes:1:"));
    st = f.compileError("route { if (src_ip == ::1/255.0.0.0) probe(\"x\"); }");
    CPPUNIT_ASSERT_MESSAGE(st.message(), scripttest::contains(st.message(), "bad network mask"));
    st = f.compileError("route { if (src_ip < 10.0.0.1) probe(\"x\"); }");
    CPPUNIT_ASSERT_MESSAGE(st.message(),
                           scripttest::contains(st.message(), "only be compared with =="));
    // Not a dotted quad: as before, an error of the lexer.
    CPPUNIT_ASSERT(!f.compileError("route { if (src_ip == 10.0.1) probe(\"x\"); }").isOk());
  }
  void hexNumbersAndEscapes() {
    Fixture f;
    Seen seen = f.run("route { if (0x10 == 16) probe(\"hex\"); probe('q\\\"\\ttab'); }");
    CPPUNIT_ASSERT(Seen({"hex", "q\"\ttab"}) == seen);
  }
  void namedRoutesByNumber() {
    Fixture f;
    Seen seen = f.run(
        "route { route(2); route(\"named\"); }\nroute[2] { probe(\"two\"); }\n"
        "route[named] { probe(\"n\"); }");
    CPPUNIT_ASSERT(Seen({"two", "n"}) == seen);
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(ScriptGrammarTest);

}  // namespace sipline
