#include "core/sip/msg_context.h"

#include <cppunit/extensions/HelperMacros.h>

namespace sipline {
namespace {

const char kRequest[] =
    "INVITE sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
    "From: <sip:alice@example.org>;tag=ft\r\n"
    "To: <sip:bob@example.com>\r\n"
    "Call-ID: abc@host\r\n"
    "CSeq: 7 INVITE\r\n"
    "Content-Length: 0\r\n\r\n";

}  // namespace

class MsgContextTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(MsgContextTest);
  CPPUNIT_TEST(setRuriParsesTheNewUri);
  CPPUNIT_TEST(aBadUriLeavesThePreviousOne);
  CPPUNIT_TEST(revertBringsBackTheReceivedUri);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    CPPUNIT_ASSERT(msg_.parse(kRequest) == ParseError::kOk);
    CPPUNIT_ASSERT(SockAddr::fromNumeric("10.0.0.1", 5060, rcv_.src));
  }

  void setRuriParsesTheNewUri() {
    MsgContext ctx(msg_, rcv_, kRequestRoute);
    CPPUNIT_ASSERT(ctx.setRuri("sip:c@d").isOk());  // short: inside std::string's own buffer
    CPPUNIT_ASSERT_EQUAL(std::string("sip:c@d"), std::string(ctx.ruri()));
    CPPUNIT_ASSERT_EQUAL(std::string("d"), std::string(ctx.ruriParsed()->host));
    CPPUNIT_ASSERT(ctx.setRuri("sip:carol@gateway.example.net:5080;transport=udp").isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("carol"), std::string(ctx.ruriParsed()->user));
    CPPUNIT_ASSERT_EQUAL(5080, static_cast<int>(ctx.ruriParsed()->port));
  }

  void aBadUriLeavesThePreviousOne() {
    MsgContext ctx(msg_, rcv_, kRequestRoute);
    CPPUNIT_ASSERT(!ctx.setRuri("not a uri").isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:bob@example.com"), std::string(ctx.ruri()));
    CPPUNIT_ASSERT(ctx.setRuri("sip:c@d").isOk());
    Status st = ctx.setRuri("sip:@@");
    CPPUNIT_ASSERT(!st.isOk());
    CPPUNIT_ASSERT(st.message().find("sip:@@") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:c@d"), std::string(ctx.ruri()));
    CPPUNIT_ASSERT(ctx.ruriParsed() != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::string("c"), std::string(ctx.ruriParsed()->user));
  }

  void revertBringsBackTheReceivedUri() {
    MsgContext ctx(msg_, rcv_, kRequestRoute);
    CPPUNIT_ASSERT(ctx.setRuri("sip:c@d").isOk());
    ctx.revertRuri();
    CPPUNIT_ASSERT_EQUAL(std::string("sip:bob@example.com"), std::string(ctx.ruri()));
    CPPUNIT_ASSERT_EQUAL(std::string("example.com"), std::string(ctx.ruriParsed()->host));
  }

 private:
  SipMessage msg_;
  ReceiveInfo rcv_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(MsgContextTest);

}  // namespace sipline
