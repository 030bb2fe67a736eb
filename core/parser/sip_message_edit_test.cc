// Tests of the SipMessage edit helpers (removeTopVia, replaceRequestUri, appendHeader, ...)
// and build(): the output must be the original plus exactly the requested changes.
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "core/parser/sip_message.h"

namespace sipline {
namespace {

std::string crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

const char kTail[] =
    "To: <sip:b@h>\n"
    "From: <sip:a@h>;tag=1\n"
    "Call-ID: c1\n"
    "CSeq: 1 INVITE\n"
    "Content-Length: 2\n"
    "\n"
    "ab";

}  // namespace

class SipMessageEditTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SipMessageEditTest);
  CPPUNIT_TEST(buildWithoutEditsCopiesBuffer);
  CPPUNIT_TEST(removeTopViaRemovesWholeLineWhenAlone);
  CPPUNIT_TEST(removeTopViaRemovesFirstValueOfList);
  CPPUNIT_TEST(removeTopViaHandlesFoldedList);
  CPPUNIT_TEST(replaceRequestUriKeepsTheRest);
  CPPUNIT_TEST(appendHeaderGoesBeforeEmptyLine);
  CPPUNIT_TEST(insertAndRemoveHeaders);
  CPPUNIT_TEST(combinedEditsReparse);
  CPPUNIT_TEST_SUITE_END();

 public:
  void buildWithoutEditsCopiesBuffer() {
    const std::string m = crlf(std::string("INVITE sip:u@h SIP/2.0\nVia: SIP/2.0/UDP a\n") + kTail);
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    std::string out;
    CPPUNIT_ASSERT(msg.build(out));
    CPPUNIT_ASSERT_EQUAL(m, out);
  }

  void removeTopViaRemovesWholeLineWhenAlone() {
    const std::string m = crlf(std::string("INVITE sip:u@h SIP/2.0\n"
                                           "Via: SIP/2.0/UDP proxy;branch=z9hG4bK2\n"
                                           "Via: SIP/2.0/UDP client;branch=z9hG4bK1\n") +
                               kTail);
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.removeTopVia());
    std::string out;
    CPPUNIT_ASSERT(msg.build(out));
    CPPUNIT_ASSERT_EQUAL(crlf(std::string("INVITE sip:u@h SIP/2.0\n"
                                          "Via: SIP/2.0/UDP client;branch=z9hG4bK1\n") +
                              kTail),
                         out);
  }

  void removeTopViaRemovesFirstValueOfList() {
    const std::string m = crlf(std::string("INVITE sip:u@h SIP/2.0\n"
                                           "Via: SIP/2.0/UDP proxy;branch=z9hG4bK2 ,  "
                                           "SIP/2.0/UDP client;branch=z9hG4bK1\n") +
                               kTail);
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.removeTopVia());
    std::string out;
    CPPUNIT_ASSERT(msg.build(out));
    const std::string want = crlf(std::string("INVITE sip:u@h SIP/2.0\n"
                                              "Via: SIP/2.0/UDP client;branch=z9hG4bK1\n") +
                                  kTail);
    CPPUNIT_ASSERT_EQUAL(want, out);
    SipMessage again;
    CPPUNIT_ASSERT(again.parse(out) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("client"), std::string(again.topVia()->host));
  }

  void removeTopViaHandlesFoldedList() {
    const std::string m = crlf(std::string("INVITE sip:u@h SIP/2.0\n"
                                           "v:  SIP  / 2.0  / TCP     spindle   ;\n"
                                           "  branch  =   z9hG4bK9ikj8  ,\n"
                                           " SIP  /    2.0   / UDP  192.168.255.111   ; branch=\n"
                                           " z9hG4bK30239\n") +
                               kTail);
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.removeTopVia());
    std::string out;
    CPPUNIT_ASSERT(msg.build(out));
    SipMessage again;
    CPPUNIT_ASSERT(again.parse(out) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, again.vias()->size());
    CPPUNIT_ASSERT_EQUAL(std::string("192.168.255.111"), std::string(again.topVia()->host));
    CPPUNIT_ASSERT_EQUAL(std::string("z9hG4bK30239"), std::string(again.topVia()->branch));
  }

  void replaceRequestUriKeepsTheRest() {
    const std::string m =
        crlf(std::string("INVITE sip:u@h;lr SIP/2.0\nVia: SIP/2.0/UDP a\n") + kTail);
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    msg.replaceRequestUri("sip:alice@192.0.2.7:5070;transport=tcp");
    std::string out;
    CPPUNIT_ASSERT(msg.build(out));
    CPPUNIT_ASSERT_EQUAL(crlf(std::string("INVITE sip:alice@192.0.2.7:5070;transport=tcp SIP/2.0\n"
                                          "Via: SIP/2.0/UDP a\n") +
                              kTail),
                         out);
    // No-op on replies.
    const std::string r = crlf(std::string("SIP/2.0 200 OK\nVia: SIP/2.0/UDP a\n") + kTail);
    CPPUNIT_ASSERT(msg.parse(r) == ParseError::kOk);
    msg.replaceRequestUri("sip:x@y");
    CPPUNIT_ASSERT(msg.edits().empty());
  }

  void appendHeaderGoesBeforeEmptyLine() {
    const std::string m = crlf(std::string("INVITE sip:u@h SIP/2.0\nVia: SIP/2.0/UDP a\n") + kTail);
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    msg.appendHeader("X-One: 1\r\n");
    msg.appendHeader("X-Two: 2\r\n");
    std::string out;
    CPPUNIT_ASSERT(msg.build(out));
    const std::string want = crlf(
        "INVITE sip:u@h SIP/2.0\nVia: SIP/2.0/UDP a\nTo: <sip:b@h>\nFrom: <sip:a@h>;tag=1\n"
        "Call-ID: c1\nCSeq: 1 INVITE\nContent-Length: 2\nX-One: 1\nX-Two: 2\n\nab");
    CPPUNIT_ASSERT_EQUAL(want, out);
  }

  void insertAndRemoveHeaders() {
    const std::string m = crlf(std::string("INVITE sip:u@h SIP/2.0\nVia: SIP/2.0/UDP a\n"
                                           "Route: <sip:p1;lr>\nRoute: <sip:p2;lr>\n") +
                               kTail);
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    const HeaderField* via = msg.header(HeaderType::kVia);
    msg.insertHeaderBefore(*via, "Via: SIP/2.0/UDP me;branch=z9hG4bKnew\r\n");
    msg.insertHeaderBefore(*msg.header(HeaderType::kRoute), "Record-Route: <sip:me;lr>\r\n");
    msg.removeHeader(*msg.header(HeaderType::kRoute));
    std::string out;
    CPPUNIT_ASSERT(msg.build(out));
    const std::string want = crlf(std::string("INVITE sip:u@h SIP/2.0\n"
                                              "Via: SIP/2.0/UDP me;branch=z9hG4bKnew\n"
                                              "Via: SIP/2.0/UDP a\n"
                                              "Record-Route: <sip:me;lr>\n"
                                              "Route: <sip:p2;lr>\n") +
                                  kTail);
    CPPUNIT_ASSERT_EQUAL(want, out);
    // A HeaderField that is not from this message is ignored.
    HeaderField foreign;
    msg.removeHeader(foreign);
    msg.insertHeaderBefore(foreign, "X: 1\r\n");
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, msg.edits().size());
  }

  void combinedEditsReparse() {
    const std::string m = crlf(std::string("INVITE sip:u@h SIP/2.0\n"
                                           "Via: SIP/2.0/UDP p;branch=z9hG4bK2,SIP/2.0/UDP c\n"
                                           "Max-Forwards: 70\n") +
                               kTail);
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.removeTopVia());
    msg.replaceRequestUri("sip:v@w");
    const HeaderField* mf = msg.header(HeaderType::kMaxForwards);
    std::size_t off = 0;
    CPPUNIT_ASSERT(msg.offsetOf(mf->body, off));
    msg.edits().replace(off, mf->body.size(), "69");
    msg.appendHeader("X: y\r\n");
    std::string out;
    CPPUNIT_ASSERT(msg.build(out));
    SipMessage again;
    CPPUNIT_ASSERT(again.parse(out) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:v@w"), std::string(again.requestUriText()));
    CPPUNIT_ASSERT_EQUAL(69, again.maxForwards());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, again.vias()->size());
    CPPUNIT_ASSERT_EQUAL(std::string("c"), std::string(again.topVia()->host));
    CPPUNIT_ASSERT(again.header("X") != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::string("ab"), std::string(again.body()));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SipMessageEditTest);

}  // namespace sipline
