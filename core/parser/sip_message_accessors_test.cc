// SipMessage typed accessors (Contact, name-addr lists, scalars, tokens, auth, ...), the
// edit helpers added for the proxy core (replaceRequestUri twice, insertHeaderAtTop,
// replaceBody) and the ParseLimits boundaries.
#include <cppunit/extensions/HelperMacros.h>

#include <deque>
#include <string>
#include <utility>
#include <vector>

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

std::string s(std::string_view v) { return std::string(v); }

const char kHead[] =
    "INVITE sip:u@h SIP/2.0\n"
    "Via: SIP/2.0/UDP a;branch=z9hG4bK1\n"
    "To: <sip:b@h>\n"
    "From: <sip:a@h>;tag=1\n"
    "Call-ID: c1\n"
    "CSeq: 1 INVITE\n";

std::string msgWith(std::string_view headers, std::string_view body = "") {
  return crlf(std::string(kHead) + std::string(headers) + "\n") + std::string(body);
}

// Keeps a message alive for the rest of the test run (the parsed views point into it).
std::string_view keep(std::string text) {
  static std::deque<std::string> kept;
  return kept.emplace_back(std::move(text));
}

}  // namespace

class SipMessageAccessorsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SipMessageAccessorsTest);
  CPPUNIT_TEST(contactsAcrossHeaders);
  CPPUNIT_TEST(contactStarAndBadContacts);
  CPPUNIT_TEST(nameAddrListsInOrder);
  CPPUNIT_TEST(singleValuedScalars);
  CPPUNIT_TEST(tokensAcrossHeaders);
  CPPUNIT_TEST(authByRealm);
  CPPUNIT_TEST(otherSingleHeaders);
  CPPUNIT_TEST(requestUriWithHeadersIsRejected);
  CPPUNIT_TEST(replaceRequestUriTwiceKeepsTheLast);
  CPPUNIT_TEST(insertHeaderAtTop);
  CPPUNIT_TEST(replaceBodyFixesContentLength);
  CPPUNIT_TEST(replaceBodyAddsMissingHeaders);
  CPPUNIT_TEST(limitsAtTheirBoundaries);
  CPPUNIT_TEST(repeatedContactExpiresKeepsTheFirst);
  CPPUNIT_TEST_SUITE_END();

 public:
  void contactsAcrossHeaders() {
    const std::string m = msgWith(
        "Contact: <sip:x@h>;expires=30, \"Q\" <sip:y@h>;q=0.7\nm: sip:z@h\nContent-Length: 0\n");
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    const ContactList* c = msg.contacts();
    CPPUNIT_ASSERT(c != nullptr && !c->star);
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, c->items.size());
    CPPUNIT_ASSERT_EQUAL(30u, c->items[0].expires.value);
    CPPUNIT_ASSERT_EQUAL(std::uint16_t{700}, c->items[1].q);
    CPPUNIT_ASSERT_EQUAL(s("z"), s(c->items[2].addr.uri.user));
    CPPUNIT_ASSERT(msg.contacts() == c);  // cached
  }

  // fuzz/regressions/fuzz_message-contact-expires-bad-keeps-value: the first expires counts.
  void repeatedContactExpiresKeepsTheFirst() {
    SipMessage msg;
    std::string m =
        msgWith("Contact: <sip:u@h>;expires=60;expires=4294967296\nContent-Length: 0\n");
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    const Contact& c = msg.contacts()->items.at(0);
    CPPUNIT_ASSERT(c.expires.state == FieldState::kOk);
    CPPUNIT_ASSERT_EQUAL(60u, c.expires.value);
    m = msgWith("Contact: <sip:u@h>;expires=4294967296;expires=60\nContent-Length: 0\n");
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    const Contact& bad = msg.contacts()->items.at(0);
    CPPUNIT_ASSERT(bad.expires.state == FieldState::kBad);
    CPPUNIT_ASSERT_EQUAL(0u, bad.expires.value);
  }

  void contactStarAndBadContacts() {
    SipMessage msg;
    std::string m = msgWith("Contact: *\nExpires: 0\n");
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.contacts() != nullptr && msg.contacts()->star);
    m = msgWith("Contact: *\nContact: <sip:a@h>\n");
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.contacts() == nullptr);
    m = msgWith("Contact: <sip:a@h>;q=1.1\n");
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.contacts() == nullptr);
    m = msgWith("");
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.contacts() == nullptr);
  }

  void nameAddrListsInOrder() {
    const std::string m = msgWith(
        "Route: <sip:p1;lr>, <sip:p2;lr>\nRecord-Route: <sip:rr1;lr>\nRoute: <sip:p3;lr>\n"
        "P-Asserted-Identity: \"A\" <sip:a@h>, <tel:+15551234>\nPath: <sip:pa;lr>\n"
        "Diversion: <sip:d@h>;reason=unconditional\nRefer-To: <sip:t@h?Replaces=x>\n"
        "Referred-By: <sip:r@h>\nReply-To: Bob <sip:bob@h>\n");
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    const std::vector<NameAddr>* r = msg.routes();
    CPPUNIT_ASSERT(r != nullptr && r->size() == 3);
    CPPUNIT_ASSERT_EQUAL(s("p3"), s((*r)[2].uri.host));
    CPPUNIT_ASSERT(msg.recordRoutes() != nullptr && msg.recordRoutes()->size() == 1);
    const std::vector<NameAddr>* pai = msg.nameAddrs(HeaderType::kPAssertedIdentity);
    CPPUNIT_ASSERT(pai != nullptr && pai->size() == 2);
    CPPUNIT_ASSERT((*pai)[1].uri.scheme == SipUri::Scheme::kTel);
    CPPUNIT_ASSERT(msg.nameAddrs(HeaderType::kPath) != nullptr);
    const std::vector<NameAddr>* div = msg.nameAddrs(HeaderType::kDiversion);
    CPPUNIT_ASSERT(div != nullptr && s((*div)[0].params) == "reason=unconditional");
    CPPUNIT_ASSERT_EQUAL(s("Replaces=x"), s(msg.singleNameAddr(HeaderType::kReferTo)->uri.headers));
    CPPUNIT_ASSERT(msg.singleNameAddr(HeaderType::kReferredBy) != nullptr);
    CPPUNIT_ASSERT_EQUAL(s("Bob"), s(msg.singleNameAddr(HeaderType::kReplyTo)->display));
    CPPUNIT_ASSERT(msg.nameAddrs(HeaderType::kServiceRoute) == nullptr);  // absent
    CPPUNIT_ASSERT(msg.nameAddrs(HeaderType::kSubject) == nullptr);       // not a list type

    const std::string bad = msgWith("Route: <sip:p1;lr>\nRoute: <sip:p2;lr>,,\n");
    CPPUNIT_ASSERT(msg.parse(bad) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.routes() == nullptr);
  }

  void singleValuedScalars() {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(keep(msgWith("Expires: 3600\nMin-Expires: 60\n"))) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.expires().ok() && msg.expires().value == 3600);
    CPPUNIT_ASSERT(msg.minExpires().ok() && msg.minExpires().value == 60);
    CPPUNIT_ASSERT(msg.parse(keep(msgWith("Expires: 4294967296\n"))) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.expires().state == FieldState::kBad);
    CPPUNIT_ASSERT(msg.minExpires().state == FieldState::kAbsent);
    CPPUNIT_ASSERT(msg.parse(keep(msgWith("Expires: 1\nExpires: 2\n"))) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.expires().state == FieldState::kBad);  // repeated
  }

  void tokensAcrossHeaders() {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(keep(msgWith("Supported: 100rel\nk: timer, path\nAllow: INVITE, BYE\n"
                                          "Require:\nAccept: application/sdp;q=0.5\n"
                                          "Allow-Events: presence, dialog\n"))) == ParseError::kOk);
    std::vector<std::string_view> t;
    CPPUNIT_ASSERT(msg.tokens(HeaderType::kSupported, t) == FieldState::kOk);
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, t.size());
    CPPUNIT_ASSERT(msg.hasToken(HeaderType::kSupported, "path"));
    CPPUNIT_ASSERT(!msg.hasToken(HeaderType::kSupported, "gruu"));
    CPPUNIT_ASSERT(msg.hasToken(HeaderType::kAllow, "BYE"));
    CPPUNIT_ASSERT(msg.hasToken(HeaderType::kAllowEvents, "dialog"));
    t.clear();
    CPPUNIT_ASSERT(msg.tokens(HeaderType::kRequire, t) == FieldState::kOk && t.empty());
    CPPUNIT_ASSERT(msg.tokens(HeaderType::kUnsupported, t) == FieldState::kAbsent);
    std::vector<MediaRange> a;
    CPPUNIT_ASSERT(msg.accept(a) == FieldState::kOk && a.size() == 1 && a[0].q == 500);
    CPPUNIT_ASSERT(msg.parse(keep(msgWith("Require: a b\n"))) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.tokens(HeaderType::kRequire, t) == FieldState::kBad);
  }

  void authByRealm() {
    SipMessage msg;
    CPPUNIT_ASSERT(
        msg.parse(keep(msgWith("Proxy-Authorization: Digest realm=\"one\", nonce=\"1\"\n"
                               "Proxy-Authorization: Digest realm=,\n"
                               "Proxy-Authorization: Digest realm=\"two\", nonce=\"2\"\n"))) ==
        ParseError::kOk);
    AuthHeader a;
    CPPUNIT_ASSERT(msg.auth(HeaderType::kProxyAuthorization, "two", a) == FieldState::kOk);
    CPPUNIT_ASSERT_EQUAL(s("2"), s(a.nonce));
    CPPUNIT_ASSERT(msg.auth(HeaderType::kProxyAuthorization, "", a) == FieldState::kOk);
    CPPUNIT_ASSERT_EQUAL(s("1"), s(a.nonce));
    CPPUNIT_ASSERT(msg.auth(HeaderType::kProxyAuthorization, "three", a) == FieldState::kBad);
    CPPUNIT_ASSERT(msg.auth(HeaderType::kAuthorization, "", a) == FieldState::kAbsent);
  }

  void otherSingleHeaders() {
    SipMessage msg;
    CPPUNIT_ASSERT(
        msg.parse(keep(msgWith("Event: dialog;id=5\nSession-Expires: 1800;refresher=uac\n"
                               "Retry-After: 30 (busy)\nDate: Sat, 13 Nov 2010 23:29:00 GMT\n"
                               "c: text/plain;charset=utf-8\n"))) == ParseError::kOk);
    EventHeader e;
    CPPUNIT_ASSERT(msg.event(e) == FieldState::kOk && s(e.id) == "5");
    SessionExpires se;
    CPPUNIT_ASSERT(msg.sessionExpires(se) == FieldState::kOk && se.delta == 1800);
    RetryAfter ra;
    CPPUNIT_ASSERT(msg.retryAfter(ra) == FieldState::kOk && s(ra.comment) == "busy");
    std::time_t t = 0;
    CPPUNIT_ASSERT(msg.date(t) == FieldState::kOk && t == 1289690940);
    CPPUNIT_ASSERT(msg.contentType() != nullptr && msg.contentType()->is("text", "plain"));
    CPPUNIT_ASSERT(msg.parse(keep(msgWith("Event: a\nEvent: b\nContent-Type: x\n"))) ==
                   ParseError::kOk);
    CPPUNIT_ASSERT(msg.event(e) == FieldState::kBad);
    CPPUNIT_ASSERT(msg.sessionExpires(se) == FieldState::kAbsent);
    CPPUNIT_ASSERT(msg.contentType() == nullptr);
  }

  void requestUriWithHeadersIsRejected() {
    SipMessage msg;
    std::string m = msgWith("");
    m.replace(m.find("sip:u@h"), 7, "sip:u@h?Subject=x");
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.requestUri() == nullptr);
  }

  void replaceRequestUriTwiceKeepsTheLast() {
    const std::string m = msgWith("Content-Length: 0\n");
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    msg.replaceRequestUri("sip:first@x");
    msg.replaceRequestUri("sip:second@y:5070");
    std::string out;
    CPPUNIT_ASSERT(msg.build(out));
    const std::string first_line = "INVITE sip:second@y:5070 SIP/2.0\r\n";
    CPPUNIT_ASSERT_EQUAL(first_line, out.substr(0, first_line.size()));
    CPPUNIT_ASSERT_EQUAL(m.size() - 7 + 17, out.size());
  }

  void insertHeaderAtTop() {
    const std::string m = msgWith("Record-Route: <sip:old;lr>\nContent-Length: 0\n");
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    msg.insertHeaderAtTop(HeaderType::kVia, "Via: SIP/2.0/UDP me;branch=z9hG4bKx\r\n");
    msg.insertHeaderAtTop(HeaderType::kRecordRoute, "Record-Route: <sip:me;lr>\r\n");
    std::string out;
    CPPUNIT_ASSERT(msg.build(out));
    SipMessage again;
    CPPUNIT_ASSERT(again.parse(out) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(s("me"), s(again.topVia()->host));
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, again.vias()->size());
    CPPUNIT_ASSERT_EQUAL(s("me"), s((*again.recordRoutes())[0].uri.host));
    CPPUNIT_ASSERT_EQUAL(s("old"), s((*again.recordRoutes())[1].uri.host));

    // No Record-Route yet: goes above the first header.
    const std::string plain = msgWith("Content-Length: 0\n");
    CPPUNIT_ASSERT(msg.parse(plain) == ParseError::kOk);
    msg.insertHeaderAtTop(HeaderType::kRecordRoute, "Record-Route: <sip:me;lr>\r\n");
    CPPUNIT_ASSERT(msg.build(out));
    const std::string top = "INVITE sip:u@h SIP/2.0\r\nRecord-Route: <sip:me;lr>\r\nVia:";
    CPPUNIT_ASSERT_EQUAL(top, out.substr(0, top.size()));
  }

  void replaceBodyFixesContentLength() {
    const std::string m = msgWith("Content-Type: application/sdp\nContent-Length: 4\n", "abcd");
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.replaceBody("first"));
    CPPUNIT_ASSERT(msg.replaceBody("hello world", "text/plain"));  // replaces the first call
    std::string out;
    CPPUNIT_ASSERT(msg.build(out));
    SipMessage again;
    CPPUNIT_ASSERT(again.parse(out) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(s("hello world"), s(again.body()));
    CPPUNIT_ASSERT(again.contentType()->is("text", "plain"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, again.headerCount(HeaderType::kContentLength));

    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.replaceBody(""));  // no body: Content-Type goes, Content-Length: 0
    CPPUNIT_ASSERT(msg.build(out));
    CPPUNIT_ASSERT(again.parse(out) == ParseError::kOk);
    CPPUNIT_ASSERT(again.body().empty());
    CPPUNIT_ASSERT(again.header(HeaderType::kContentType) == nullptr);
    CPPUNIT_ASSERT_EQUAL(s("0"), s(again.header(HeaderType::kContentLength)->body));
  }

  void replaceBodyAddsMissingHeaders() {
    const std::string m = msgWith("");  // no Content-Length, no body
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.replaceBody("v=0\r\n", "application/sdp"));
    std::string out;
    CPPUNIT_ASSERT(msg.build(out));
    SipMessage again;
    CPPUNIT_ASSERT(again.parse(out) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(s("v=0\r\n"), s(again.body()));
    CPPUNIT_ASSERT_EQUAL(s("5"), s(again.header(HeaderType::kContentLength)->body));
    CPPUNIT_ASSERT(again.contentType()->is("application", "sdp"));
    SipMessage bad;
    CPPUNIT_ASSERT(bad.parse("garbage") != ParseError::kOk);
    CPPUNIT_ASSERT(!bad.replaceBody("x"));
  }

  void limitsAtTheirBoundaries() {
    const std::string m = msgWith("X: a\n b\nContent-Length: 0\n");  // 7 headers, one folded
    SipMessage msg;
    ParseLimits l;
    l.max_message = m.size();
    CPPUNIT_ASSERT(msg.parse(m, l) == ParseError::kOk);
    l.max_message = m.size() - 1;
    CPPUNIT_ASSERT(msg.parse(m, l) == ParseError::kTooLarge);
    l = ParseLimits();
    l.max_headers = 7;  // the folded header counts once
    CPPUNIT_ASSERT(msg.parse(m, l) == ParseError::kOk);
    l.max_headers = 6;
    CPPUNIT_ASSERT(msg.parse(m, l) == ParseError::kTooManyHeaders);
    l = ParseLimits();
    l.max_header_len = 24;  // "INVITE sip:u@h SIP/2.0" is 22; "X: a\r\n b\r\n" is 10
    CPPUNIT_ASSERT(msg.parse(m, l) == ParseError::kHeaderTooLong);  // the Via line is longer
    l.max_header_len = 21;
    CPPUNIT_ASSERT(msg.parse(m, l) == ParseError::kHeaderTooLong);  // the first line
    l = ParseLimits();
    l.max_header_len = 40;
    const std::string open = crlf(std::string(kHead)) + "X: " + std::string(100, 'a');
    CPPUNIT_ASSERT(msg.parse(open, l) == ParseError::kHeaderTooLong);  // no line end at all
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SipMessageAccessorsTest);

}  // namespace sipline
