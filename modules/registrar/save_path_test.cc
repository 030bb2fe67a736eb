// save(): what a binding keeps besides its URI: Path (RFC 3327) in its three modes, the
// source address for NAT (received), RFC 5626 instance and reg-id, User-Agent, socket, Allow
// methods and branch flags; and only-request-contacts.
#include <cppunit/extensions/HelperMacros.h>

#include "modules/registrar/registrar_test_util.h"
#include "modules/registrar/save.h"

namespace sipline::registrar {

using testing::contains;
using testing::registerText;
using testing::RegistrarHarness;

namespace {
const char kPath[] = "Path: <sip:edge.example.net;lr>";
}

class SavePathTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SavePathTest);
  CPPUNIT_TEST(pathIsStoredAndEchoedWhenSupported);
  CPPUNIT_TEST(pathIsNotEchoedWithoutSupported);
  CPPUNIT_TEST(pathOffNeverEchoes);
  CPPUNIT_TEST(pathStrictWithoutSupportedIs420);
  CPPUNIT_TEST(pathStrictWithSupportedIsStored);
  CPPUNIT_TEST(severalPathHeadersAreJoinedInOrder);
  CPPUNIT_TEST(malformedPathIs400);
  CPPUNIT_TEST(pathReceivedTakesTheFirstHopsReceivedParam);
  CPPUNIT_TEST(pathReceivedThatIsNoUriIsIgnored);
  CPPUNIT_TEST(sourceIsStoredWhenItDiffersFromTheContact);
  CPPUNIT_TEST(sameIpOtherPortCountsOnlyInDiffIpPortMode);
  CPPUNIT_TEST(noReceivedWhenTheContactIsTheSource);
  CPPUNIT_TEST(tcpSourceKeepsItsTransport);
  CPPUNIT_TEST(ipv6SourceIsBracketed);
  CPPUNIT_TEST(noReceivedBehindAPath);
  CPPUNIT_TEST(storeReceivedOffKeepsNone);
  CPPUNIT_TEST(emptyReceivedParamLeavesItOutOfTheReply);
  CPPUNIT_TEST(instanceAndRegIdAreStoredAndEchoed);
  CPPUNIT_TEST(sameInstanceAndRegIdReplaceTheFlow);
  CPPUNIT_TEST(regIdWithoutInstanceIsIgnored);
  CPPUNIT_TEST(badRegIdIs400);
  CPPUNIT_TEST(attributesAreStored);
  CPPUNIT_TEST(withoutAllowEveryMethodIsAllowed);
  CPPUNIT_TEST(onlyRequestContactsListsOnlyThose);
  CPPUNIT_TEST_SUITE_END();

 public:
  void pathIsStoredAndEchoedWhenSupported() {
    RegistrarHarness h;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@10.0.0.5>", kPath, "Supported: path"}));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    CPPUNIT_ASSERT_EQUAL(std::string("<sip:edge.example.net;lr>"), h.bindings()[0].path);
    CPPUNIT_ASSERT(contains(r.headers, "Path: <sip:edge.example.net;lr>\r\n"));
  }

  void pathIsNotEchoedWithoutSupported() {
    RegistrarHarness h;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@10.0.0.5>", kPath}));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    CPPUNIT_ASSERT_EQUAL(std::string("<sip:edge.example.net;lr>"), h.bindings()[0].path);
    CPPUNIT_ASSERT(!contains(r.headers, "Path:"));
  }

  void pathOffNeverEchoes() {
    RegistrarHarness h;
    h.options.limits.path_mode = PathMode::kOff;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@10.0.0.5>", kPath, "Supported: path"}));
    CPPUNIT_ASSERT(!contains(r.headers, "Path:"));
    CPPUNIT_ASSERT(!h.bindings()[0].path.empty());
  }

  void pathStrictWithoutSupportedIs420() {
    RegistrarHarness h;
    h.options.limits.path_mode = PathMode::kStrict;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@10.0.0.5>", kPath}));
    CPPUNIT_ASSERT_EQUAL(420, r.code);
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(kSaveBadRequest), r.rc);
    CPPUNIT_ASSERT(contains(r.headers, "Unsupported: path\r\n"));
    CPPUNIT_ASSERT(contains(r.headers, "Path: <sip:edge.example.net;lr>\r\n"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, h.ul.aorCount());
  }

  void pathStrictWithSupportedIsStored() {
    RegistrarHarness h;
    h.options.limits.path_mode = PathMode::kStrict;
    SaveReply r =
        h.save(registerText({"Contact: <sip:alice@10.0.0.5>", kPath, "Supported: timer, path"}));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    CPPUNIT_ASSERT(contains(r.headers, "Path: "));
  }

  void severalPathHeadersAreJoinedInOrder() {
    RegistrarHarness h;
    h.save(registerText({"Contact: <sip:alice@10.0.0.5>", "Path: <sip:p1.example.net;lr>",
                         "Path: <sip:p2.example.net;lr>, <sip:p3.example.net;lr>"}));
    CPPUNIT_ASSERT_EQUAL(
        std::string("<sip:p1.example.net;lr>,<sip:p2.example.net;lr>,<sip:p3.example.net;lr>"),
        h.bindings()[0].path);
  }

  void malformedPathIs400() {
    RegistrarHarness h;
    SaveReply r =
        h.save(registerText({"Contact: <sip:alice@10.0.0.5>", "Path: <sip:p1.example.net;lr"}));
    CPPUNIT_ASSERT_EQUAL(400, r.code);
  }

  void pathReceivedTakesTheFirstHopsReceivedParam() {
    RegistrarHarness h;
    h.options.limits.path_received = true;
    h.save(registerText(
        {"Contact: <sip:alice@10.0.0.5>",
         "Path: <sip:lb.example.net;lr;received=sip:203.0.113.9:40000%3Btransport%3Dtcp>"}));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:203.0.113.9:40000;transport=tcp"),
                         h.bindings()[0].received);
  }

  void pathReceivedThatIsNoUriIsIgnored() {
    RegistrarHarness h;  // from 192.0.2.7:5099
    h.options.limits.path_received = true;
    SaveReply r = h.save(registerText(
        {"Contact: <sip:alice@10.0.0.5>",
         "Path: <sip:lb.example.net;lr;received=sip:1.2.3.4%0D%0AX-Injected:%20yes>"}));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    CPPUNIT_ASSERT(!contains(r.headers, "X-Injected"));
    CPPUNIT_ASSERT(h.bindings()[0].received.find('\n') == std::string::npos);
    CPPUNIT_ASSERT(h.bindings()[0].received.find("1.2.3.4") == std::string::npos);
  }

  void sourceIsStoredWhenItDiffersFromTheContact() {
    RegistrarHarness h;  // from 192.0.2.7:5099
    SaveReply r = h.save(registerText({"Contact: <sip:alice@10.0.0.5:5060>"}));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:192.0.2.7:5099"), h.bindings()[0].received);
    CPPUNIT_ASSERT(contains(r.headers, ";received=\"sip:192.0.2.7:5099\"\r\n"));
    RegistrarHarness g;  // a host name is not the source either
    g.save(registerText({"Contact: <sip:alice@phone.example.com:5099>"}));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:192.0.2.7:5099"), g.bindings()[0].received);
  }

  void sameIpOtherPortCountsOnlyInDiffIpPortMode() {
    RegistrarHarness h;  // a UA sending from another port than it listens on (sipp)
    h.save(registerText({"Contact: <sip:alice@192.0.2.7:6000>"}));
    CPPUNIT_ASSERT(h.bindings()[0].received.empty());
    RegistrarHarness g;
    g.options.limits.received_mode = ReceivedMode::kDiffIpPort;
    g.save(registerText({"Contact: <sip:alice@192.0.2.7:6000>"}));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:192.0.2.7:5099"), g.bindings()[0].received);
  }

  void noReceivedWhenTheContactIsTheSource() {
    RegistrarHarness h;
    h.options.limits.received_mode = ReceivedMode::kDiffIpPort;
    h.from("192.0.2.7", 5060);
    h.save(registerText({"Contact: <sip:alice@192.0.2.7>"}));
    CPPUNIT_ASSERT(h.bindings()[0].received.empty());
    h.save(registerText({"Contact: <sip:alice@192.0.2.7:5060;transport=UDP>"},
                        "<sip:alice@example.com>", "c2@x"));
    CPPUNIT_ASSERT(h.bindings()[1].received.empty());
  }

  void tcpSourceKeepsItsTransport() {
    RegistrarHarness h;
    h.options.limits.received_mode = ReceivedMode::kDiffIpPort;
    h.from("192.0.2.7", 40312, Proto::kTcp);
    h.save(registerText({"Contact: <sip:alice@192.0.2.7:5060;transport=tcp>"}));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:192.0.2.7:40312;transport=tcp"),
                         h.bindings()[0].received);
    RegistrarHarness g;
    g.options.limits.received_mode = ReceivedMode::kDiffIpPort;
    g.from("192.0.2.7", 5060, Proto::kTcp);
    g.save(registerText({"Contact: <sip:alice@192.0.2.7:5060>"}));  // says UDP
    CPPUNIT_ASSERT_EQUAL(std::string("sip:192.0.2.7:5060;transport=tcp"), g.bindings()[0].received);
  }

  void ipv6SourceIsBracketed() {
    RegistrarHarness h;
    h.from("2001:db8::1", 5060);
    h.save(registerText({"Contact: <sip:alice@10.0.0.5>"}));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:[2001:db8::1]:5060"), h.bindings()[0].received);
    RegistrarHarness g;
    g.from("2001:db8::1", 5060);
    g.save(registerText({"Contact: <sip:alice@[2001:db8::1]>"}));
    CPPUNIT_ASSERT(g.bindings()[0].received.empty());
  }

  void noReceivedBehindAPath() {
    RegistrarHarness h;  // the source is the edge proxy, not the phone
    h.save(registerText({"Contact: <sip:alice@10.0.0.5>", kPath}));
    CPPUNIT_ASSERT(h.bindings()[0].received.empty());
  }

  void storeReceivedOffKeepsNone() {
    RegistrarHarness h;
    h.options.limits.received_mode = ReceivedMode::kOff;
    h.save(registerText({"Contact: <sip:alice@10.0.0.5>"}));
    CPPUNIT_ASSERT(h.bindings()[0].received.empty());
  }

  void emptyReceivedParamLeavesItOutOfTheReply() {
    RegistrarHarness h;
    h.options.received_param = "";
    SaveReply r = h.save(registerText({"Contact: <sip:alice@10.0.0.5>"}));
    CPPUNIT_ASSERT(!h.bindings()[0].received.empty());
    CPPUNIT_ASSERT(!contains(r.headers, "received"));
  }

  void instanceAndRegIdAreStoredAndEchoed() {
    RegistrarHarness h;
    SaveReply r =
        h.save(registerText({"Contact: "
                             "<sip:alice@10.0.0.5;ob>;+sip.instance=\"<urn:uuid:00000000-0000-1000-"
                             "8000-AABBCCDDEEFF>\";reg-id=1"}));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    usrloc::Contact c = h.bindings()[0];
    CPPUNIT_ASSERT_EQUAL(std::string("urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF"), c.instance);
    CPPUNIT_ASSERT_EQUAL(1, c.reg_id);
    CPPUNIT_ASSERT(contains(
        r.headers, ";+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>\";reg-id=1"));
  }

  void sameInstanceAndRegIdReplaceTheFlow() {
    // RFC 5626 §6: a new Contact URI for the same instance and reg-id replaces the binding.
    RegistrarHarness h;
    const std::string inst = ";+sip.instance=\"<urn:uuid:0000-1>\"";
    h.save(registerText({"Contact: <sip:alice@10.0.0.5:5060>" + inst + ";reg-id=1",
                         "Contact: <sip:alice@10.0.0.5:5062>" + inst + ";reg-id=2"}));
    h.save(registerText({"Contact: <sip:alice@10.0.0.99:7000>" + inst + ";reg-id=1"},
                        "<sip:alice@example.com>", "other@x"));
    std::vector<usrloc::Contact> b = h.bindings();
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, b.size());
    bool new_flow = false, old_flow_2 = false;
    for (const usrloc::Contact& c : b) {
      if (c.reg_id == 1) new_flow = c.callid == "other@x";
      if (c.reg_id == 2) old_flow_2 = c.callid == "reg-1@192.0.2.7";
    }
    CPPUNIT_ASSERT(new_flow && old_flow_2);
  }

  void regIdWithoutInstanceIsIgnored() {
    RegistrarHarness h;
    h.save(registerText({"Contact: <sip:alice@10.0.0.5>;reg-id=1"}));
    CPPUNIT_ASSERT_EQUAL(0, h.bindings()[0].reg_id);
  }

  void badRegIdIs400() {
    RegistrarHarness h;
    SaveReply r = h.save(
        registerText({"Contact: <sip:alice@10.0.0.5>;+sip.instance=\"<urn:uuid:1>\";reg-id=0"}));
    CPPUNIT_ASSERT_EQUAL(400, r.code);
    r = h.save(
        registerText({"Contact: <sip:alice@10.0.0.5>;+sip.instance=\"<urn:uuid:1>\";reg-id=x"}));
    CPPUNIT_ASSERT_EQUAL(400, r.code);
  }

  void attributesAreStored() {
    RegistrarHarness h;
    Listener l;
    l.text = "udp:127.0.0.1:5060";
    h.arrivedOn(&l);
    h.save(registerText({"Contact: <sip:alice@10.0.0.5>", "User-Agent: Phone/1.0 (test)",
                         "Allow: INVITE, ACK, CANCEL", "Allow: BYE, FOO"}),
           std::nullopt, 0x24);
    usrloc::Contact c = h.bindings()[0];
    CPPUNIT_ASSERT_EQUAL(std::string("Phone/1.0 (test)"), c.user_agent);
    CPPUNIT_ASSERT_EQUAL(std::string("udp:127.0.0.1:5060"), c.socket);
    CPPUNIT_ASSERT_EQUAL(0x24u, c.cflags);
    std::uint32_t want = methodBit(Method::kInvite) | methodBit(Method::kAck) |
                         methodBit(Method::kCancel) | methodBit(Method::kBye);
    CPPUNIT_ASSERT_EQUAL(want, c.methods);
  }

  void withoutAllowEveryMethodIsAllowed() {
    RegistrarHarness h;
    h.save(registerText({"Contact: <sip:alice@10.0.0.5>"}));
    CPPUNIT_ASSERT_EQUAL(0xffffffffu, h.bindings()[0].methods);
  }

  void onlyRequestContactsListsOnlyThose() {
    RegistrarHarness h;
    h.save(registerText({"Contact: <sip:alice@10.0.0.5>"}));
    h.options.only_request_contacts = true;
    SaveReply r =
        h.save(registerText({"Contact: <sip:alice@10.0.0.6>"}, "<sip:alice@example.com>", "b@x"));
    CPPUNIT_ASSERT(contains(r.headers, "10.0.0.6"));
    CPPUNIT_ASSERT(!contains(r.headers, "10.0.0.5"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, h.bindings().size());
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(SavePathTest);

}  // namespace sipline::registrar
