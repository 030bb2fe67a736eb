#include "core/sip/record_route.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

namespace sipline {
namespace {

const char kInvite[] =
    "INVITE sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
    "Record-Route: <sip:10.0.0.1:5060;lr>\r\n"
    "From: <sip:alice@example.com>;tag=a1\r\n"
    "To: <sip:bob@example.com>\r\n"
    "Call-ID: rr-test\r\n"
    "CSeq: 1 INVITE\r\n"
    "Content-Length: 0\r\n\r\n";

Listener socketOf(const std::string& via_host, std::uint16_t port, Proto proto = Proto::kUdp) {
  Listener l;
  l.proto = proto;
  l.via_host = via_host;
  l.via_port = port;
  l.port = port;
  return l;
}

// A request received on `in` (nullptr: none) with the Record-Route wish set.
struct Fixture {
  SipMessage msg;
  ReceiveInfo rcv;
  MsgContext ctx;
  explicit Fixture(const Listener* in) : ctx(msg, rcv, kRequestRoute) {
    CPPUNIT_ASSERT(msg.parse(kInvite) == ParseError::kOk);
    rcv.listener = in;
  }
};

std::string checked(std::string_view text) {
  Result<std::string> r = recordRouteParams(text);
  CPPUNIT_ASSERT_MESSAGE(std::string(text), r.isOk());
  return r.value();
}

}  // namespace

class RecordRouteTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(RecordRouteTest);
  CPPUNIT_TEST(singleEntryCarriesSocketAddressLrAndParams);
  CPPUNIT_TEST(ipv6AddressIsBracketed);
  CPPUNIT_TEST(advertisedAddressOfTheSocketIsUsed);
  CPPUNIT_TEST(scriptAdvertisedAddressReplacesOnlyTheOutgoingSide);
  CPPUNIT_TEST(otherSocketGivesTwoEntriesOutgoingOnTop);
  CPPUNIT_TEST(otherAddressFamilyGivesTwoEntries);
  CPPUNIT_TEST(transportParamForNonUdpSockets);
  CPPUNIT_TEST(socketsAdvertisingTheSameAddressGiveOneEntry);
  CPPUNIT_TEST(nothingWithoutTheWish);
  CPPUNIT_TEST(secondRequestIsRefusedAndChangesNothing);
  CPPUNIT_TEST(addedParamsFollowOwnParamsWhicheverCameFirst);
  CPPUNIT_TEST(presetAddressIsUsedAndNeverDoubled);
  CPPUNIT_TEST(presetAfterRecordRouteIsRefused);
  CPPUNIT_TEST(paramsAreNormalisedAndChecked);
  CPPUNIT_TEST(presetIsCheckedAndCanonical);
  CPPUNIT_TEST(insertedAboveExistingRecordRouteAndParsesBack);
  CPPUNIT_TEST_SUITE_END();

 public:
  void singleEntryCarriesSocketAddressLrAndParams() {
    Listener s = socketOf("127.0.0.1", 5060);
    Fixture f(&s);
    CPPUNIT_ASSERT(requestRecordRoute(f.ctx, ";ftag=a1;nat=yes"));
    CPPUNIT_ASSERT_EQUAL(std::string("Record-Route: <sip:127.0.0.1:5060;lr;ftag=a1;nat=yes>\r\n"),
                         recordRouteLines(f.ctx, s));
  }
  void ipv6AddressIsBracketed() {
    Listener s = socketOf("[2001:db8::5]", 5062);
    Fixture f(&s);
    CPPUNIT_ASSERT(requestRecordRoute(f.ctx, ""));
    CPPUNIT_ASSERT_EQUAL(std::string("Record-Route: <sip:[2001:db8::5]:5062;lr>\r\n"),
                         recordRouteLines(f.ctx, s));
  }
  void advertisedAddressOfTheSocketIsUsed() {
    // "udp:10.1.1.1:5060 as 198.51.100.7:5080": the listener's via_host/via_port.
    Listener s = socketOf("198.51.100.7", 5080);
    s.ip = "10.1.1.1";
    s.port = 5060;
    Fixture f(&s);
    CPPUNIT_ASSERT(requestRecordRoute(f.ctx, ""));
    CPPUNIT_ASSERT_EQUAL(std::string("Record-Route: <sip:198.51.100.7:5080;lr>\r\n"),
                         recordRouteLines(f.ctx, s));
  }
  void scriptAdvertisedAddressReplacesOnlyTheOutgoingSide() {
    Listener in = socketOf("127.0.0.1", 5060);
    Listener out = socketOf("127.0.0.2", 5060);
    Fixture f(&in);
    f.ctx.advertised_address = "sip.example.com";
    f.ctx.advertised_port = 5099;
    CPPUNIT_ASSERT(requestRecordRoute(f.ctx, ""));
    CPPUNIT_ASSERT_EQUAL(std::string("Record-Route: <sip:sip.example.com:5099;lr;r2=on>\r\n"
                                     "Record-Route: <sip:127.0.0.1:5060;lr;r2=on>\r\n"),
                         recordRouteLines(f.ctx, out));
  }
  void otherSocketGivesTwoEntriesOutgoingOnTop() {
    // The callee's first hop is the top entry (the side it was sent from); the caller uses
    // the set reversed and reaches the side the request came in on.
    Listener in = socketOf("127.0.0.1", 5060);
    Listener out = socketOf("127.0.0.1", 5070);
    Fixture f(&in);
    CPPUNIT_ASSERT(requestRecordRoute(f.ctx, ";ftag=a1"));
    CPPUNIT_ASSERT_EQUAL(std::string("Record-Route: <sip:127.0.0.1:5070;lr;r2=on;ftag=a1>\r\n"
                                     "Record-Route: <sip:127.0.0.1:5060;lr;r2=on;ftag=a1>\r\n"),
                         recordRouteLines(f.ctx, out));
  }
  void otherAddressFamilyGivesTwoEntries() {
    Listener in = socketOf("192.0.2.1", 5060);
    Listener out = socketOf("[2001:db8::1]", 5060);
    Fixture f(&in);
    CPPUNIT_ASSERT(requestRecordRoute(f.ctx, ""));
    CPPUNIT_ASSERT_EQUAL(std::string("Record-Route: <sip:[2001:db8::1]:5060;lr;r2=on>\r\n"
                                     "Record-Route: <sip:192.0.2.1:5060;lr;r2=on>\r\n"),
                         recordRouteLines(f.ctx, out));
  }
  void transportParamForNonUdpSockets() {
    Listener in = socketOf("192.0.2.1", 5060, Proto::kUdp);
    Listener out = socketOf("192.0.2.1", 5061, Proto::kTls);
    Fixture f(&in);
    CPPUNIT_ASSERT(requestRecordRoute(f.ctx, ""));
    CPPUNIT_ASSERT_EQUAL(std::string("Record-Route: <sip:192.0.2.1:5061;transport=tls;lr;r2=on>\r\n"
                                     "Record-Route: <sip:192.0.2.1:5060;lr;r2=on>\r\n"),
                         recordRouteLines(f.ctx, out));
    Listener tcp = socketOf("192.0.2.1", 5060, Proto::kTcp);
    Fixture g(&tcp);
    CPPUNIT_ASSERT(requestRecordRoute(g.ctx, ""));
    CPPUNIT_ASSERT_EQUAL(std::string("Record-Route: <sip:192.0.2.1:5060;transport=tcp;lr>\r\n"),
                         recordRouteLines(g.ctx, tcp));
  }
  void socketsAdvertisingTheSameAddressGiveOneEntry() {
    Listener a = socketOf("198.51.100.7", 5060);
    Listener b = socketOf("198.51.100.7", 5060);
    Fixture f(&a);
    CPPUNIT_ASSERT(requestRecordRoute(f.ctx, ""));
    CPPUNIT_ASSERT_EQUAL(std::string("Record-Route: <sip:198.51.100.7:5060;lr>\r\n"),
                         recordRouteLines(f.ctx, b));
  }
  void nothingWithoutTheWish() {
    Listener s = socketOf("127.0.0.1", 5060);
    Fixture f(&s);
    addRecordRouteParams(f.ctx, ";nat=yes");  // params alone do not record-route
    CPPUNIT_ASSERT_EQUAL(std::string(), recordRouteLines(f.ctx, s));
    insertRecordRoute(f.ctx, s);
    CPPUNIT_ASSERT(f.msg.edits().empty());
  }
  void secondRequestIsRefusedAndChangesNothing() {
    Listener s = socketOf("127.0.0.1", 5060);
    Fixture f(&s);
    CPPUNIT_ASSERT(requestRecordRoute(f.ctx, ";a=1"));
    CPPUNIT_ASSERT(!requestRecordRoute(f.ctx, ";b=2"));
    CPPUNIT_ASSERT_EQUAL(std::string("Record-Route: <sip:127.0.0.1:5060;lr;a=1>\r\n"),
                         recordRouteLines(f.ctx, s));
  }
  void addedParamsFollowOwnParamsWhicheverCameFirst() {
    Listener s = socketOf("127.0.0.1", 5060);
    Fixture f(&s);
    addRecordRouteParams(f.ctx, ";before=1");
    CPPUNIT_ASSERT(requestRecordRoute(f.ctx, ";ftag=a1"));
    addRecordRouteParams(f.ctx, ";after=2");
    CPPUNIT_ASSERT_EQUAL(
        std::string("Record-Route: <sip:127.0.0.1:5060;lr;ftag=a1;before=1;after=2>\r\n"),
        recordRouteLines(f.ctx, s));
  }
  void presetAddressIsUsedAndNeverDoubled() {
    Listener in = socketOf("127.0.0.1", 5060);
    Listener out = socketOf("[::1]", 5070);
    Fixture f(&in);
    addRecordRouteParams(f.ctx, ";x=1");
    CPPUNIT_ASSERT(requestPresetRecordRoute(f.ctx, "proxy.example.com:5090", ";ftag=a1"));
    CPPUNIT_ASSERT(!requestRecordRoute(f.ctx, ""));
    CPPUNIT_ASSERT(!requestPresetRecordRoute(f.ctx, "other.example.com", ""));
    addRecordRouteParams(f.ctx, ";y=2");
    CPPUNIT_ASSERT_EQUAL(std::string("proxy.example.com:5090"),
                         std::string(recordRoutePresetOf(f.ctx.record_route)));
    CPPUNIT_ASSERT_EQUAL(std::string(";ftag=a1;x=1;y=2"),
                         std::string(recordRouteParamsOf(f.ctx.record_route)));
    CPPUNIT_ASSERT_EQUAL(
        std::string("Record-Route: <sip:proxy.example.com:5090;lr;ftag=a1;x=1;y=2>\r\n"),
        recordRouteLines(f.ctx, out));
  }
  void presetAfterRecordRouteIsRefused() {
    Listener s = socketOf("127.0.0.1", 5060);
    Fixture f(&s);
    CPPUNIT_ASSERT(requestRecordRoute(f.ctx, ""));
    CPPUNIT_ASSERT(!requestPresetRecordRoute(f.ctx, "proxy.example.com", ""));
    CPPUNIT_ASSERT(recordRoutePresetOf(f.ctx.record_route).empty());
    CPPUNIT_ASSERT_EQUAL(std::string("Record-Route: <sip:127.0.0.1:5060;lr>\r\n"),
                         recordRouteLines(f.ctx, s));
  }
  void paramsAreNormalisedAndChecked() {
    CPPUNIT_ASSERT_EQUAL(std::string(""), checked(""));
    CPPUNIT_ASSERT_EQUAL(std::string(";nat=yes"), checked("nat=yes"));
    CPPUNIT_ASSERT_EQUAL(std::string(";a;b=c"), checked(";a;b=c"));
    CPPUNIT_ASSERT_EQUAL(std::string(";v=%41[x]:y/z"), checked("v=%41[x]:y/z"));
    const std::vector<std::string> bad = {";",     "a;;b",      "a;",    "a=",  "=b",
                                          "a b",   "a=1\r\nX:", "a=<b",  "a,b", "%4",
                                          "a=%g1", "a=\"q\"",   "a=b=c", "a?b", "a@b"};
    for (const std::string& text : bad) {
      CPPUNIT_ASSERT_MESSAGE(text, !recordRouteParams(text).isOk());
    }
  }
  void presetIsCheckedAndCanonical() {
    Result<std::string> a = recordRoutePreset("1.2.3.4:5090");
    CPPUNIT_ASSERT(a.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("1.2.3.4:5090"), a.value());
    Result<std::string> b = recordRoutePreset("sip:[2001:DB8::1]:5070");
    CPPUNIT_ASSERT(b.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("[2001:db8::1]:5070"), b.value());
    Result<std::string> c = recordRoutePreset("Proxy.Example.com");
    CPPUNIT_ASSERT(c.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("proxy.example.com"), c.value());
    for (const char* text : {"", "1.2.3.4:99999", "a b", "host:port", "[::1", "h;lr"}) {
      CPPUNIT_ASSERT_MESSAGE(text, !recordRoutePreset(text).isOk());
    }
  }
  void insertedAboveExistingRecordRouteAndParsesBack() {
    Listener in = socketOf("127.0.0.1", 5060);
    Listener out = socketOf("127.0.0.1", 5070);
    Fixture f(&in);
    CPPUNIT_ASSERT(requestRecordRoute(f.ctx, ";ftag=a1"));
    insertRecordRoute(f.ctx, out);
    std::string wire;
    CPPUNIT_ASSERT(f.msg.build(wire));
    SipMessage relayed;
    CPPUNIT_ASSERT(relayed.parse(wire) == ParseError::kOk);
    const std::vector<NameAddr>* rr = relayed.recordRoutes();
    CPPUNIT_ASSERT(rr != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::size_t(3), rr->size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:127.0.0.1:5070;lr;r2=on;ftag=a1"),
                         std::string((*rr)[0].uri_text));
    CPPUNIT_ASSERT((*rr)[0].uri_ok && (*rr)[0].uri.lr && (*rr)[0].uri.port == 5070);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:127.0.0.1:5060;lr;r2=on;ftag=a1"),
                         std::string((*rr)[1].uri_text));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:10.0.0.1:5060;lr"), std::string((*rr)[2].uri_text));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(RecordRouteTest);

}  // namespace sipline
