#include "core/sip/via_ops.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "core/parser/sip_message.h"

namespace sipline {
namespace {

Via parsedVia(const char* value, std::vector<Via>& storage) {
  storage.clear();
  CPPUNIT_ASSERT(parseViaList(value, storage) == ParseError::kOk);
  return storage.at(0);
}

SockAddr addr(const char* ip, std::uint16_t port) {
  SockAddr a;
  CPPUNIT_ASSERT(SockAddr::fromNumeric(ip, port, a));
  return a;
}

}  // namespace

class ViaOpsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ViaOpsTest);
  CPPUNIT_TEST(forcedRportIsAddedWithReceived);
  CPPUNIT_TEST(forcedRportFillsAnEmptyRportOnce);
  CPPUNIT_TEST(receivedAndRportTheSenderWroteAreReplacedBySource);
  CPPUNIT_TEST(withoutForceNothingChangesForASourceThatMatches);
  CPPUNIT_TEST(replyGoesToTheSourcePortWhenForced);
  CPPUNIT_TEST(statelessViaUsesTheAdvertisedAddress);
  CPPUNIT_TEST_SUITE_END();

 public:
  void forcedRportIsAddedWithReceived() {
    std::vector<Via> vias;
    Via v = parsedVia("SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1", vias);
    std::optional<std::string> out = annotatedVia(v, addr("10.0.0.1", 40000), true);
    CPPUNIT_ASSERT(out.has_value());
    // RFC 3581 §4: with rport, received is added even when the address matches sent-by.
    CPPUNIT_ASSERT_EQUAL(
        std::string("SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport=40000;received=10.0.0.1"),
        *out);
  }
  void forcedRportFillsAnEmptyRportOnce() {
    std::vector<Via> vias;
    Via v = parsedVia("SIP/2.0/UDP 10.0.0.1:5060;rport;branch=z9hG4bK1", vias);
    std::optional<std::string> out = annotatedVia(v, addr("192.0.2.4", 1234), true);
    CPPUNIT_ASSERT_EQUAL(
        std::string("SIP/2.0/UDP 10.0.0.1:5060;rport=1234;branch=z9hG4bK1;received=192.0.2.4"),
        *out);
    // Filled with the source already (a request annotated here before): nothing changes.
    Via filled = parsedVia("SIP/2.0/UDP 10.0.0.1:5060;rport=1234;received=10.0.0.1", vias);
    CPPUNIT_ASSERT(!annotatedVia(filled, addr("10.0.0.1", 1234), true).has_value());
  }
  void receivedAndRportTheSenderWroteAreReplacedBySource() {
    // RFC 3261 §18.2.1: received is the packet's source; a client sends rport without a
    // value (RFC 3581 §3). Forged ones would send the replies elsewhere.
    std::vector<Via> vias;
    Via v = parsedVia("SIP/2.0/UDP 192.0.2.1:5070;received=127.0.0.2;rport=49876;branch=z9hG4bK1",
                      vias);
    std::optional<std::string> out = annotatedVia(v, addr("127.0.0.1", 40000));
    CPPUNIT_ASSERT(out.has_value());
    CPPUNIT_ASSERT_EQUAL(
        std::string("SIP/2.0/UDP 192.0.2.1:5070;rport=40000;branch=z9hG4bK1;received=127.0.0.1"),
        *out);
    SockAddr to;
    std::vector<Via> again;
    Via fixed = parsedVia(out->c_str(), again);
    CPPUNIT_ASSERT(replyDestinationForRequest(fixed, addr("127.0.0.1", 40000), to));
    CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1:40000"), to.toString());
    // Even where sent-by is the source (no received needed), a wrong one is replaced; a
    // right one stays.
    Via same = parsedVia("SIP/2.0/UDP 10.0.0.1:5060;received=10.9.9.9", vias);
    CPPUNIT_ASSERT_EQUAL(std::string("SIP/2.0/UDP 10.0.0.1:5060;received=10.0.0.1"),
                         *annotatedVia(same, addr("10.0.0.1", 5060)));
    Via right = parsedVia("SIP/2.0/UDP 10.0.0.1:5060;received=10.0.0.1", vias);
    CPPUNIT_ASSERT(!annotatedVia(right, addr("10.0.0.1", 5060)).has_value());
  }
  void withoutForceNothingChangesForASourceThatMatches() {
    std::vector<Via> vias;
    Via v = parsedVia("SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1", vias);
    CPPUNIT_ASSERT(!annotatedVia(v, addr("10.0.0.1", 40000)).has_value());
  }
  void replyGoesToTheSourcePortWhenForced() {
    std::vector<Via> vias;
    Via v = parsedVia("SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK1", vias);
    SockAddr out;
    CPPUNIT_ASSERT(replyDestinationForRequest(v, addr("192.0.2.4", 40000), out));
    CPPUNIT_ASSERT_EQUAL(std::uint16_t(5070), out.port());
    CPPUNIT_ASSERT(replyDestinationForRequest(v, addr("192.0.2.4", 40000), out, true));
    CPPUNIT_ASSERT_EQUAL(std::uint16_t(40000), out.port());
    CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.4"), out.ip());
  }
  void statelessViaUsesTheAdvertisedAddress() {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse("OPTIONS sip:a@h SIP/2.0\r\n"
                             "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n"
                             "From: <sip:b@h>;tag=1\r\nTo: <sip:a@h>\r\nCall-ID: c\r\n"
                             "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n") == ParseError::kOk);
    Listener l;
    l.via_host = "127.0.0.1";
    l.via_port = 5060;
    std::string plain = statelessVia(msg, l, "sip:a@h");
    CPPUNIT_ASSERT(plain.rfind("Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK", 0) == 0);
    std::string adv = statelessVia(msg, l, "sip:a@h", "sip.example.com", 0);
    CPPUNIT_ASSERT(adv.rfind("Via: SIP/2.0/UDP sip.example.com:5060;branch=", 0) == 0);
    std::string both = statelessVia(msg, l, "sip:a@h", "[2001:db8::1]", 5080);
    CPPUNIT_ASSERT(both.rfind("Via: SIP/2.0/UDP [2001:db8::1]:5080;branch=", 0) == 0);
    // The branch does not depend on the advertised address.
    CPPUNIT_ASSERT_EQUAL(plain.substr(plain.find("branch=")), both.substr(both.find("branch=")));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(ViaOpsTest);

}  // namespace sipline
