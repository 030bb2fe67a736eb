#include "modules/textops/substitute.h"

#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <string>
#include <vector>

#include "core/parser/sip_message.h"
#include "modules/textops/textops.h"

namespace sipline {
namespace {

const std::string kSdp =
    "v=0\r\n"
    "o=- 1 1 IN IP4 10.0.0.1\r\n"
    "s=-\r\n"
    "c=IN IP4 10.0.0.1\r\n"
    "t=0 0\r\n"
    "m=audio 4000 RTP/AVP 0\r\n";

const std::string kInvite =
    "INVITE sip:bob@10.0.0.1 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n"
    "From: <sip:alice@10.0.0.1>;tag=1\r\n"
    "To: <sip:bob@example.com>\r\n"
    "Call-ID: c1\r\n"
    "CSeq: 1 INVITE\r\n"
    "Subject: hello world\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: " +
    std::to_string(kSdp.size()) + "\r\n\r\n" + kSdp;

// Substitutions live as long as the test (they are not movable).
const Substitution& compiled(const std::string& expr) {
  static std::vector<std::unique_ptr<Substitution>> kept;
  kept.push_back(std::make_unique<Substitution>());
  Status st = kept.back()->compile(expr);
  CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
  return *kept.back();
}

std::string built(SipMessage& msg) {
  std::string out;
  CPPUNIT_ASSERT(msg.build(out));
  return out;
}

// The built message must parse, and its Content-Length must match its body.
void assertWellFramed(const std::string& wire) {
  SipMessage again;
  CPPUNIT_ASSERT_MESSAGE(wire, again.parse(wire) == ParseError::kOk);
  std::size_t blank = wire.find("\r\n\r\n");
  CPPUNIT_ASSERT_EQUAL(wire.size() - blank - 4, again.body().size());
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

class SubstituteTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SubstituteTest);
  CPPUNIT_TEST(firstMatchInTheHeadersOnly);
  CPPUNIT_TEST(globalReachesHeadersAndBodyAndFixesContentLength);
  CPPUNIT_TEST(firstLineIsNeverTouched);
  CPPUNIT_TEST(consecutiveBodySubstitutionsAccumulate);
  CPPUNIT_TEST(noMatchChangesNothing);
  CPPUNIT_TEST(expanderProvidesTheText);
  CPPUNIT_TEST(replaceFirstAndAll);
  CPPUNIT_TEST(bodyOnlyFunctionsLeaveTheHeaders);
  CPPUNIT_TEST(searchAppendInsertsAfterTheFirstMatch);
  CPPUNIT_TEST(conflictingEditsAreReported);
  CPPUNIT_TEST(aMatchInRemovedOrChangedHeaderTextIsRefusedAndTheMessageStaysSendable);
  CPPUNIT_TEST_SUITE_END();

 public:
  void firstMatchInTheHeadersOnly() {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(kInvite) == ParseError::kOk);
    const Substitution& s = compiled("/10\\.0\\.0\\.1/192.0.2.1/");
    CPPUNIT_ASSERT_EQUAL(1, substituteInMessage(msg, s, nullptr));
    std::string out = built(msg);
    CPPUNIT_ASSERT(contains(out, "Via: SIP/2.0/UDP 192.0.2.1;branch"));
    CPPUNIT_ASSERT(contains(out, "From: <sip:alice@10.0.0.1>"));
    CPPUNIT_ASSERT(contains(out, "c=IN IP4 10.0.0.1"));
    assertWellFramed(out);
  }
  void globalReachesHeadersAndBodyAndFixesContentLength() {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(kInvite) == ParseError::kOk);
    const Substitution& s = compiled("/10\\.0\\.0\\.1/203.0.113.200/g");
    // Via, From, o= and c=.
    CPPUNIT_ASSERT_EQUAL(4, substituteInMessage(msg, s, nullptr));
    std::string out = built(msg);
    CPPUNIT_ASSERT(!contains(out.substr(out.find("\r\n")), "10.0.0.1"));
    CPPUNIT_ASSERT(contains(out, "c=IN IP4 203.0.113.200\r\n"));
    CPPUNIT_ASSERT(contains(out, "Content-Length: " + std::to_string(kSdp.size() + 2 * 5)));
    assertWellFramed(out);
  }
  void firstLineIsNeverTouched() {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(kInvite) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(4, substituteInMessage(msg, compiled("/10\\.0\\.0\\.1/x/g"), nullptr));
    CPPUNIT_ASSERT(built(msg).rfind("INVITE sip:bob@10.0.0.1 SIP/2.0\r\n", 0) == 0);
    SipMessage msg2;
    CPPUNIT_ASSERT(msg2.parse(kInvite) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(0, substituteInMessage(msg2, compiled("/^INVITE/BYE/"), nullptr));
  }
  void consecutiveBodySubstitutionsAccumulate() {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(kInvite) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(1, substituteInMessage(msg,
                                                compiled("/^c=IN IP4 [^\r]*/c=IN IP4 "
                                                         "198.51.100.7/"),
                                                nullptr));
    CPPUNIT_ASSERT_EQUAL(
        1, substituteInMessage(msg, compiled("/^m=audio 4000/m=audio 30000/"), nullptr));
    CPPUNIT_ASSERT_EQUAL(
        1, substituteInMessage(msg, compiled("/^Subject: .*$/Subject: hi\r/"), nullptr));
    std::string out = built(msg);
    CPPUNIT_ASSERT(contains(out, "c=IN IP4 198.51.100.7\r\n"));
    CPPUNIT_ASSERT(contains(out, "m=audio 30000 RTP/AVP 0\r\n"));
    CPPUNIT_ASSERT(contains(out, "Subject: hi\r\n"));
    assertWellFramed(out);
  }
  void noMatchChangesNothing() {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(kInvite) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(0, substituteInMessage(msg, compiled("/nowhere/x/g"), nullptr));
    CPPUNIT_ASSERT(msg.edits().empty());
    // Case matters without the i flag.
    CPPUNIT_ASSERT_EQUAL(0, substituteInMessage(msg, compiled("/^subject:/X:/"), nullptr));
    CPPUNIT_ASSERT_EQUAL(1, substituteInMessage(msg, compiled("/^subject:/X-Subject:/i"), nullptr));
    CPPUNIT_ASSERT(contains(built(msg), "X-Subject: hello world\r\n"));
  }
  void expanderProvidesTheText() {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(kInvite) == ParseError::kOk);
    const Substitution& s = compiled("/^(Subject: )[^\r]*/\\1$x/");
    Substitution::TextExpander expand = [](std::size_t, std::string& out) { out += "expanded"; };
    CPPUNIT_ASSERT_EQUAL(1, substituteInMessage(msg, s, &expand));
    CPPUNIT_ASSERT(contains(built(msg), "Subject: expanded\r\n"));
  }
  void replaceFirstAndAll() {
    Regex re;
    Regex::Options o;
    o.per_line = true;
    o.capture = true;
    CPPUNIT_ASSERT(re.compile("10\\.0\\.0\\.1", o).isOk());
    SipMessage first;
    CPPUNIT_ASSERT(first.parse(kInvite) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(1, replaceInMessage(first, re, "\\1 as is", false));
    CPPUNIT_ASSERT(contains(built(first), "Via: SIP/2.0/UDP \\1 as is;branch"));
    SipMessage all;
    CPPUNIT_ASSERT(all.parse(kInvite) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(4, replaceInMessage(all, re, "h", true));
    std::string out = built(all);
    CPPUNIT_ASSERT(contains(out, "c=IN IP4 h\r\n"));
    assertWellFramed(out);
    Regex nothing;
    CPPUNIT_ASSERT(nothing.compile("^zzz", o).isOk());
    CPPUNIT_ASSERT_EQUAL(0, replaceInMessage(all, nothing, "x", true));
  }
  // subst_body / replace_body / replace_body_all: 10.0.0.1 is in the Via and From too.
  void bodyOnlyFunctionsLeaveTheHeaders() {
    Regex re;
    Regex::Options o;
    o.per_line = true;
    o.capture = true;
    CPPUNIT_ASSERT(re.compile("10\\.0\\.0\\.1", o).isOk());
    SipMessage first;
    CPPUNIT_ASSERT(first.parse(kInvite) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(1, replaceInBody(first, re, "192.0.2.9", false));
    std::string out = built(first);
    CPPUNIT_ASSERT(contains(out, "Via: SIP/2.0/UDP 10.0.0.1;branch"));
    CPPUNIT_ASSERT(contains(out, "o=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 10.0.0.1\r\n"));
    assertWellFramed(out);
    SipMessage all;
    CPPUNIT_ASSERT(all.parse(kInvite) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(2, replaceInBody(all, re, "192.0.2.9", true));
    out = built(all);
    CPPUNIT_ASSERT(contains(out, "From: <sip:alice@10.0.0.1>"));
    CPPUNIT_ASSERT(contains(out, "c=IN IP4 192.0.2.9\r\n"));
    assertWellFramed(out);
    SipMessage subst;
    CPPUNIT_ASSERT(subst.parse(kInvite) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(
        2, substituteInBody(subst, compiled("/IN IP4 10\\.0/IN IP4 172.16/g"), nullptr));
    out = built(subst);
    CPPUNIT_ASSERT(contains(out, "Via: SIP/2.0/UDP 10.0.0.1;branch"));
    CPPUNIT_ASSERT(contains(out, "c=IN IP4 172.16.0.1\r\n"));
    assertWellFramed(out);
    // A match in the headers only is no match for the body functions.
    SipMessage none;
    CPPUNIT_ASSERT(none.parse(kInvite) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(0, substituteInBody(none, compiled("/^Subject/X/"), nullptr));
    Regex subject;
    CPPUNIT_ASSERT(subject.compile("^Subject", o).isOk());
    CPPUNIT_ASSERT_EQUAL(0, replaceInBody(none, subject, "X", true));
    CPPUNIT_ASSERT(none.edits().empty());
  }
  void searchAppendInsertsAfterTheFirstMatch() {
    Regex re;
    Regex::Options o;
    o.per_line = true;
    o.capture = true;
    CPPUNIT_ASSERT(re.compile("^Subject: hello", o).isOk());
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(kInvite) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(1, appendAfterMatch(msg, re, " there"));
    std::string out = built(msg);
    CPPUNIT_ASSERT(contains(out, "Subject: hello there world\r\n"));
    // In the body: Content-Length follows.
    Regex media;
    CPPUNIT_ASSERT(media.compile("^m=audio [0-9]+ RTP/AVP 0", o).isOk());
    CPPUNIT_ASSERT_EQUAL(1, appendAfterMatch(msg, media, " 8"));
    out = built(msg);
    CPPUNIT_ASSERT(contains(out, "m=audio 4000 RTP/AVP 0 8\r\n"));
    assertWellFramed(out);
    Regex nothing;
    CPPUNIT_ASSERT(nothing.compile("^zzz", o).isOk());
    CPPUNIT_ASSERT_EQUAL(0, appendAfterMatch(msg, nothing, "x"));
  }
  void conflictingEditsAreReported() {
    // Two overlapping edits in the body: the current body cannot be built.
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(kInvite) == ParseError::kOk);
    std::size_t body = 0;
    CPPUNIT_ASSERT(msg.offsetOf(msg.body(), body));
    msg.edits().replace(body, 5, "x");
    msg.edits().replace(body + 2, 5, "y");
    CPPUNIT_ASSERT_EQUAL(-1, substituteInMessage(msg, compiled("/m=audio/m=video/"), nullptr));
  }
  // remove_hf("Subject") then subst on Subject: the substitution used to report success
  // while its edit overlapped the removal, so the message could no longer be built and the
  // request was silently not relayed.
  void aMatchInRemovedOrChangedHeaderTextIsRefusedAndTheMessageStaysSendable() {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(kInvite) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(1, removeHeaders(msg, "Subject"));
    const std::size_t edits = msg.edits().size();
    CPPUNIT_ASSERT_EQUAL(
        -1, substituteInMessage(msg, compiled("/^Subject: hello/Subject: x/"), nullptr));
    // Global: the header match conflicts, so the body is left alone too.
    CPPUNIT_ASSERT_EQUAL(-1, substituteInMessage(msg, compiled("/hello|m=audio/X/g"), nullptr));
    Regex re;
    Regex::Options o;
    o.per_line = true;
    o.capture = true;
    CPPUNIT_ASSERT(re.compile("world", o).isOk());
    CPPUNIT_ASSERT_EQUAL(-1, replaceInMessage(msg, re, "x", false));
    CPPUNIT_ASSERT_EQUAL(edits, msg.edits().size());
    std::string out = built(msg);
    CPPUNIT_ASSERT(!contains(out, "Subject"));
    CPPUNIT_ASSERT(contains(out, "m=audio"));
    assertWellFramed(out);
    // A second substitution of text the first one changed conflicts the same way.
    SipMessage again;
    CPPUNIT_ASSERT(again.parse(kInvite) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(1, substituteInMessage(again, compiled("/hello world/hi/"), nullptr));
    CPPUNIT_ASSERT_EQUAL(-1, substituteInMessage(again, compiled("/world/earth/"), nullptr));
    out = built(again);
    CPPUNIT_ASSERT(contains(out, "Subject: hi\r\n"));
    assertWellFramed(out);
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(SubstituteTest);

}  // namespace sipline
