#include "core/sip/reply.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace sipline {
namespace {

const char kRequest[] =
    "INVITE sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
    "Via: SIP/2.0/UDP 10.0.0.9:5070;branch=z9hG4bK0\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:alice@example.org>;tag=ft\r\n"
    "To: <sip:bob@example.com>\r\n"
    "Call-ID: abc@host\r\n"
    "CSeq: 7 INVITE\r\n"
    "Contact: <sip:alice@10.0.0.1>\r\n"
    "Content-Length: 0\r\n\r\n";

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

class ReplyTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ReplyTest);
  CPPUNIT_TEST(copiesTheDialogHeadersAndAddsAToTag);
  CPPUNIT_TEST(topViaGetsReceivedWhenTheSourceDiffers);
  CPPUNIT_TEST(forcedRportAnswersTheSourcePort);
  CPPUNIT_TEST(destinationSetListsTheRequestUriAndEveryBranchWithItsQ);
  CPPUNIT_TEST(untouchedRequestUriIsNoDestinationSet);
  CPPUNIT_TEST_SUITE_END();

 public:
  void copiesTheDialogHeadersAndAddsAToTag() {
    SipMessage req;
    CPPUNIT_ASSERT(req.parse(kRequest) == ParseError::kOk);
    SockAddr src;
    CPPUNIT_ASSERT(SockAddr::fromNumeric("10.0.0.1", 5060, src));
    std::string r = buildReply(req, src, 404, "Not Found");
    CPPUNIT_ASSERT(r.rfind("SIP/2.0 404 Not Found\r\n", 0) == 0);
    CPPUNIT_ASSERT(has(r, "Via: SIP/2.0/UDP 10.0.0.9:5070;branch=z9hG4bK0\r\n"));
    CPPUNIT_ASSERT(has(r, "To: <sip:bob@example.com>;tag=" + statelessToTag(req) + "\r\n"));
    CPPUNIT_ASSERT(has(r, "CSeq: 7 INVITE\r\n"));
    CPPUNIT_ASSERT(!has(r, "Contact:"));
    CPPUNIT_ASSERT(has(r, "Content-Length: 0\r\n\r\n"));
  }

  void topViaGetsReceivedWhenTheSourceDiffers() {
    SipMessage req;
    CPPUNIT_ASSERT(req.parse(kRequest) == ParseError::kOk);
    SockAddr src;
    CPPUNIT_ASSERT(SockAddr::fromNumeric("192.0.2.5", 40000, src));
    std::string r = buildReply(req, src, 200, "OK");
    CPPUNIT_ASSERT_MESSAGE(
        r, has(r, "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;received=192.0.2.5\r\n"));
    CPPUNIT_ASSERT_MESSAGE(r, !has(r, "rport="));
  }

  void forcedRportAnswersTheSourcePort() {
    SipMessage req;
    CPPUNIT_ASSERT(req.parse(kRequest) == ParseError::kOk);
    SockAddr src;
    CPPUNIT_ASSERT(SockAddr::fromNumeric("192.0.2.5", 40000, src));
    std::string r = buildReply(req, src, 200, "OK", "", "", true);
    CPPUNIT_ASSERT_MESSAGE(r, has(r, "rport=40000"));
    CPPUNIT_ASSERT_MESSAGE(r, has(r, "received=192.0.2.5"));
  }

  void destinationSetListsTheRequestUriAndEveryBranchWithItsQ() {
    SipMessage req;
    CPPUNIT_ASSERT(req.parse(kRequest) == ParseError::kOk);
    ReceiveInfo rcv;
    MsgContext ctx(req, rcv, kRequestRoute);
    CPPUNIT_ASSERT(ctx.setRuri("sip:bob@10.0.0.7:5062").isOk());
    ctx.ruri_q = 800;
    Branch second;
    second.uri = "sip:bob@10.0.0.8";
    second.q = 25;
    CPPUNIT_ASSERT(ctx.appendBranch(second).isOk());
    Branch third;
    third.uri = "sip:bob@10.0.0.9;transport=tcp";
    CPPUNIT_ASSERT(ctx.appendBranch(third).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("Contact: <sip:bob@10.0.0.7:5062>;q=0.8, "
                                     "<sip:bob@10.0.0.8>;q=0.025, "
                                     "<sip:bob@10.0.0.9;transport=tcp>\r\n"),
                         destinationSetContacts(ctx));
    ctx.ruri_q = 1000;
    CPPUNIT_ASSERT(has(destinationSetContacts(ctx), "<sip:bob@10.0.0.7:5062>;q=1, "));
  }

  void untouchedRequestUriIsNoDestinationSet() {
    SipMessage req;
    CPPUNIT_ASSERT(req.parse(kRequest) == ParseError::kOk);
    ReceiveInfo rcv;
    MsgContext ctx(req, rcv, kRequestRoute);
    CPPUNIT_ASSERT_EQUAL(std::string(), destinationSetContacts(ctx));
    Branch b;
    b.uri = "sip:bob@10.0.0.8";
    CPPUNIT_ASSERT(ctx.appendBranch(b).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("Contact: <sip:bob@example.com>, <sip:bob@10.0.0.8>\r\n"),
                         destinationSetContacts(ctx));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ReplyTest);

}  // namespace sipline
