#include "modules/textops/textops.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "core/parser/sip_message.h"

namespace sipline {
namespace {

const std::string kRequest =
    "OPTIONS sip:b@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
    "From: <sip:a@example.com>;tag=1\r\n"
    "To: <sip:b@example.com>\r\n"
    "Call-ID: c1\r\n"
    "CSeq: 1 OPTIONS\r\n"
    "X-Trace: one\r\n"
    "Subject: hello\r\n"
    "s: again\r\n"
    "Content-Length: 0\r\n\r\n";

std::string built(SipMessage& msg) {
  std::string out;
  CPPUNIT_ASSERT(msg.build(out));
  return out;
}

}  // namespace

class TextopsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(TextopsTest);
  CPPUNIT_TEST(headerLineNeedsANameAndNoLineBreaks);
  CPPUNIT_TEST(appendAndInsert);
  CPPUNIT_TEST(removeCountsCompactFormsAndIsIdempotent);
  CPPUNIT_TEST(presence);
  CPPUNIT_TEST_SUITE_END();

 public:
  void headerLineNeedsANameAndNoLineBreaks() {
    CPPUNIT_ASSERT_EQUAL(std::string("X-A: 1\r\n"), headerLine("X-A: 1"));
    CPPUNIT_ASSERT_EQUAL(std::string("X-A: 1\r\n"), headerLine("X-A: 1\r\n"));
    CPPUNIT_ASSERT(headerLine(": no name").empty());
    CPPUNIT_ASSERT(headerLine("no colon").empty());
    CPPUNIT_ASSERT(headerLine("Bad Name: x").empty());
    CPPUNIT_ASSERT(headerLine("X-A: 1\r\nVia: injected").empty());
  }
  void appendAndInsert() {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(kRequest) == ParseError::kOk);
    CPPUNIT_ASSERT(appendHeaderLine(msg, "X-Last: z"));
    CPPUNIT_ASSERT(insertHeaderLine(msg, "X-First: a"));
    CPPUNIT_ASSERT(!appendHeaderLine(msg, "garbage"));
    std::string out = built(msg);
    CPPUNIT_ASSERT_EQUAL(std::string("OPTIONS sip:b@example.com SIP/2.0\r\nX-First: a\r\nVia:"),
                         out.substr(0, 51));
    CPPUNIT_ASSERT(out.find("Content-Length: 0\r\nX-Last: z\r\n\r\n") != std::string::npos);
    SipMessage again;
    CPPUNIT_ASSERT(again.parse(out) == ParseError::kOk);
  }
  void removeCountsCompactFormsAndIsIdempotent() {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(kRequest) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(2, removeHeaders(msg, "Subject"));  // "Subject" and "s"
    CPPUNIT_ASSERT_EQUAL(2, removeHeaders(msg, "s"));        // twice: still one removal each
    CPPUNIT_ASSERT_EQUAL(1, removeHeaders(msg, "x-trace"));
    CPPUNIT_ASSERT_EQUAL(0, removeHeaders(msg, "X-None"));
    std::string out = built(msg);
    CPPUNIT_ASSERT(out.find("Subject") == std::string::npos);
    CPPUNIT_ASSERT(out.find("s: again") == std::string::npos);
    CPPUNIT_ASSERT(out.find("X-Trace") == std::string::npos);
    CPPUNIT_ASSERT(out.find("CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n") != std::string::npos);
  }
  void presence() {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(kRequest) == ParseError::kOk);
    CPPUNIT_ASSERT(hasHeader(msg, "subject"));
    CPPUNIT_ASSERT(hasHeader(msg, "s"));
    CPPUNIT_ASSERT(hasHeader(msg, "X-TRACE"));
    CPPUNIT_ASSERT(!hasHeader(msg, "Route"));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(TextopsTest);

}  // namespace sipline
