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

std::string withBody(const std::string& content_type_lines, const std::string& body) {
  return "MESSAGE sip:b@example.com SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
         "From: <sip:a@example.com>;tag=1\r\n"
         "To: <sip:b@example.com>\r\n"
         "Call-ID: c1\r\n"
         "CSeq: 1 MESSAGE\r\n" +
         content_type_lines + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

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
  CPPUNIT_TEST(appendAfterAndInsertBeforeANamedHeader);
  CPPUNIT_TEST(removeCountsCompactFormsAndIsIdempotent);
  CPPUNIT_TEST(removingAHeaderASubstitutionChangedIsRefused);
  CPPUNIT_TEST(presence);
  CPPUNIT_TEST(contentTypeIgnoresCaseAndParameters);
  CPPUNIT_TEST(contentTypeLooksIntoMultipartBodies);
  CPPUNIT_TEST(contentTypeNeedsOneWellFormedHeader);
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
  // append_hf(txt, hdr) / insert_hf(txt, hdr): next to the first header of that name.
  void appendAfterAndInsertBeforeANamedHeader() {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(kRequest) == ParseError::kOk);
    CPPUNIT_ASSERT(appendHeaderLineAfter(msg, "X-After: 1", "Call-ID"));
    CPPUNIT_ASSERT(insertHeaderLineBefore(msg, "X-Before: 2", "subject"));
    // "s" is Subject's compact form: the first of the two is the anchor.
    CPPUNIT_ASSERT(appendHeaderLineAfter(msg, "X-After-S: 3", "s"));
    // Without the anchor: after the last header, before the first one.
    CPPUNIT_ASSERT(appendHeaderLineAfter(msg, "X-Last: 4", "X-Missing"));
    CPPUNIT_ASSERT(insertHeaderLineBefore(msg, "X-First: 5", "X-Missing"));
    CPPUNIT_ASSERT(!insertHeaderLineBefore(msg, "garbage", "Subject"));
    CPPUNIT_ASSERT(!appendHeaderLineAfter(msg, "garbage", "X-Missing"));
    std::string out = built(msg);
    CPPUNIT_ASSERT(out.find("Call-ID: c1\r\nX-After: 1\r\nCSeq:") != std::string::npos);
    CPPUNIT_ASSERT(out.find("X-Trace: one\r\nX-Before: 2\r\nSubject: hello\r\nX-After-S: 3\r\n"
                            "s: again\r\n") != std::string::npos);
    CPPUNIT_ASSERT(out.find("Content-Length: 0\r\nX-Last: 4\r\n\r\n") != std::string::npos);
    CPPUNIT_ASSERT(out.find("SIP/2.0\r\nX-First: 5\r\nVia:") != std::string::npos);
    CPPUNIT_ASSERT(out.find("garbage") == std::string::npos);
  }
  // subst on Subject, then remove_hf("Subject"): the removal overlapped the substitution's
  // edit and the message could not be built any more (the request was not relayed).
  void removingAHeaderASubstitutionChangedIsRefused() {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(kRequest) == ParseError::kOk);
    std::size_t off = 0;
    const HeaderField* subject = msg.header(HeaderType::kSubject);
    CPPUNIT_ASSERT(subject != nullptr && msg.offsetOf(subject->body, off));
    msg.edits().replace(off, 5, "bye");  // "hello" -> "bye", as subst() records it
    CPPUNIT_ASSERT_EQUAL(-1, removeHeaders(msg, "Subject"));
    std::string out = built(msg);
    CPPUNIT_ASSERT(out.find("Subject: bye\r\n") != std::string::npos);
    CPPUNIT_ASSERT(out.find("s: again\r\n") != std::string::npos);  // all or nothing
    CPPUNIT_ASSERT_EQUAL(1, removeHeaders(msg, "X-Trace"));
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
  void contentTypeIgnoresCaseAndParameters() {
    std::string text = withBody("Content-Type: Application/SDP ; charset=utf-8\r\n", "v=0\r\n");
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(text) == ParseError::kOk);
    CPPUNIT_ASSERT(isContentType(msg, "application/sdp"));
    CPPUNIT_ASSERT(isContentType(msg, "APPLICATION/sdp"));
    CPPUNIT_ASSERT(!isContentType(msg, "application/sd"));
    CPPUNIT_ASSERT(!isContentType(msg, "text/plain"));
  }
  void contentTypeLooksIntoMultipartBodies() {
    std::string body =
        "--b1\r\n"
        "Content-Type: application/sdp\r\n\r\n"
        "v=0\r\n"
        "--b1\r\n"
        "Content-Type: application/isup;version=itu-t92+\r\n\r\n"
        "xyz\r\n"
        "--b1--\r\n";
    std::string text = withBody("Content-Type: multipart/mixed;boundary=b1\r\n", body);
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(text) == ParseError::kOk);
    CPPUNIT_ASSERT(isContentType(msg, "multipart/mixed"));
    CPPUNIT_ASSERT(isContentType(msg, "application/sdp"));
    CPPUNIT_ASSERT(isContentType(msg, "application/isup"));
    CPPUNIT_ASSERT(!isContentType(msg, "text/plain"));
    // A broken multipart has no parts to offer.
    std::string broken = withBody("Content-Type: multipart/mixed;boundary=b2\r\n", body);
    SipMessage bad;
    CPPUNIT_ASSERT(bad.parse(broken) == ParseError::kOk);
    CPPUNIT_ASSERT(!isContentType(bad, "application/sdp"));
    CPPUNIT_ASSERT(isContentType(bad, "multipart/mixed"));
  }
  void contentTypeNeedsOneWellFormedHeader() {
    SipMessage none;
    CPPUNIT_ASSERT(none.parse(kRequest) == ParseError::kOk);
    CPPUNIT_ASSERT(!isContentType(none, "application/sdp"));
    std::string twice =
        withBody("Content-Type: application/sdp\r\nContent-Type: application/sdp\r\n", "v=0\r\n");
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(twice) == ParseError::kOk);
    CPPUNIT_ASSERT(!isContentType(msg, "application/sdp"));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(TextopsTest);

}  // namespace sipline
