#include "modules/tm/local_requests.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace sipline::tm {
namespace {

const char kInvite[] =
    "INVITE sip:bob@10.0.0.2 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKT1.2.3.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKcaller;received=192.0.2.9\r\n"
    "Route: <sip:10.0.0.3;lr>\r\n"
    "Route: <sip:10.0.0.4;lr>\r\n"
    "Max-Forwards: 69\r\n"
    "From: Alice <sip:alice@a.example>;tag=fa\r\n"
    "To: <sip:bob@b.example>\r\n"
    "Call-ID: call-1\r\n"
    "CSeq: 314 INVITE\r\n"
    "Contact: <sip:alice@192.0.2.9>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 4\r\n\r\nv=0\n";

const char kBusy[] =
    "SIP/2.0 486 Busy Here\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKT1.2.3.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKcaller;received=192.0.2.9\r\n"
    "From: Alice <sip:alice@a.example>;tag=fa\r\n"
    "To: <sip:bob@b.example>;tag=callee7\r\n"
    "Call-ID: call-1\r\n"
    "CSeq: 314 INVITE\r\n"
    "Content-Length: 0\r\n\r\n";

}  // namespace

class LocalRequestsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(LocalRequestsTest);
  CPPUNIT_TEST(cancelCopiesTheBranchIdentity);
  CPPUNIT_TEST(ackTakesToFromTheReply);
  CPPUNIT_TEST(bothParse);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override { CPPUNIT_ASSERT(inv_.parse(kInvite) == ParseError::kOk); }

  void cancelCopiesTheBranchIdentity() {
    std::string c = buildCancel(inv_);
    CPPUNIT_ASSERT_EQUAL(std::string("CANCEL sip:bob@10.0.0.2 SIP/2.0\r\n"), c.substr(0, 33));
    // Only our Via (§9.1: the CANCEL's Via is the top Via of the request it cancels).
    CPPUNIT_ASSERT(c.find("Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKT1.2.3.0\r\n") !=
                   std::string::npos);
    CPPUNIT_ASSERT(c.find("z9hG4bKcaller") == std::string::npos);
    CPPUNIT_ASSERT(c.find("Route: <sip:10.0.0.3;lr>\r\nRoute: <sip:10.0.0.4;lr>\r\n") !=
                   std::string::npos);
    CPPUNIT_ASSERT(c.find("CSeq: 314 CANCEL\r\n") != std::string::npos);
    CPPUNIT_ASSERT(c.find("To: <sip:bob@b.example>\r\n") != std::string::npos);
    CPPUNIT_ASSERT(c.find("Content-Type") == std::string::npos);
    CPPUNIT_ASSERT(c.find("Contact") == std::string::npos);
  }

  void ackTakesToFromTheReply() {
    SipMessage busy;
    CPPUNIT_ASSERT(busy.parse(kBusy) == ParseError::kOk);
    std::string a = buildAck(inv_, busy);
    CPPUNIT_ASSERT_EQUAL(std::string("ACK sip:bob@10.0.0.2 SIP/2.0\r\n"), a.substr(0, 30));
    CPPUNIT_ASSERT(a.find("To: <sip:bob@b.example>;tag=callee7\r\n") != std::string::npos);
    CPPUNIT_ASSERT(a.find("CSeq: 314 ACK\r\n") != std::string::npos);
    CPPUNIT_ASSERT(a.find("branch=z9hG4bKT1.2.3.0") != std::string::npos);
  }

  void bothParse() {
    SipMessage busy;
    CPPUNIT_ASSERT(busy.parse(kBusy) == ParseError::kOk);
    std::string c = buildCancel(inv_);
    std::string a = buildAck(inv_, busy);
    SipMessage mc, ma;
    CPPUNIT_ASSERT(mc.parse(c) == ParseError::kOk);
    CPPUNIT_ASSERT(ma.parse(a) == ParseError::kOk);
    CPPUNIT_ASSERT(mc.method() == Method::kCancel);
    CPPUNIT_ASSERT(ma.method() == Method::kAck);
    CPPUNIT_ASSERT_EQUAL(70, mc.maxForwards());
  }

 private:
  SipMessage inv_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(LocalRequestsTest);

}  // namespace sipline::tm
