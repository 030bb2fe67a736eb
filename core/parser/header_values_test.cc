// Tests of the simple header value parsers (header_values.h), auth (auth_header.h) and
// Contact (contact.h): valid forms and malformed input.
#include "core/parser/header_values.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

#include "core/parser/auth_header.h"
#include "core/parser/contact.h"

namespace sipline {
namespace {

std::string s(std::string_view v) { return std::string(v); }

}  // namespace

class HeaderValuesTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(HeaderValuesTest);
  CPPUNIT_TEST(deltaSecondsIsUint32);
  CPPUNIT_TEST(qValues);
  CPPUNIT_TEST(contentTypeWithBoundary);
  CPPUNIT_TEST(acceptRanges);
  CPPUNIT_TEST(tokenLists);
  CPPUNIT_TEST(eventPackageAndId);
  CPPUNIT_TEST(sessionExpiresRefresher);
  CPPUNIT_TEST(retryAfterCommentAndDuration);
  CPPUNIT_TEST(dateIsRfc1123Gmt);
  CPPUNIT_TEST(digestCredentials);
  CPPUNIT_TEST(digestChallenge);
  CPPUNIT_TEST(malformedAuth);
  CPPUNIT_TEST(contactStarExpiresAndQ);
  CPPUNIT_TEST(malformedContacts);
  CPPUNIT_TEST_SUITE_END();

 public:
  void deltaSecondsIsUint32() {
    std::uint32_t v = 0;
    CPPUNIT_ASSERT(parseDeltaSeconds(" 0003600 ", v) && v == 3600);
    CPPUNIT_ASSERT(parseDeltaSeconds("4294967295", v) && v == 4294967295u);
    CPPUNIT_ASSERT(!parseDeltaSeconds("4294967296", v));  // RFC 4475 scalar02
    CPPUNIT_ASSERT(!parseDeltaSeconds("100000000000000000000000000000", v));
    CPPUNIT_ASSERT(!parseDeltaSeconds("", v));
    CPPUNIT_ASSERT(!parseDeltaSeconds("-1", v));
    CPPUNIT_ASSERT(!parseDeltaSeconds("12a", v));
  }

  void qValues() {
    std::uint16_t q = 0;
    CPPUNIT_ASSERT(parseQValue("0.33", q) && q == 330);
    CPPUNIT_ASSERT(parseQValue("1", q) && q == 1000);
    CPPUNIT_ASSERT(parseQValue("1.000", q) && q == 1000);
    CPPUNIT_ASSERT(parseQValue("0", q) && q == 0);
    CPPUNIT_ASSERT(parseQValue("0.", q) && q == 0);
    CPPUNIT_ASSERT(parseQValue("0.001", q) && q == 1);
    for (const char* bad : {"", "1.5", "1.001", "0.1234", ".5", "2", "0,5", "q"}) {
      CPPUNIT_ASSERT_MESSAGE(bad, !parseQValue(bad, q));
    }
  }

  void contentTypeWithBoundary() {
    ContentType ct;
    CPPUNIT_ASSERT(parseContentType("multipart/mixed ; boundary=\"abc def\";x=1", ct) ==
                   ParseError::kOk);
    CPPUNIT_ASSERT(ct.is("Multipart", "MIXED"));
    CPPUNIT_ASSERT_EQUAL(s("abc def"), s(ct.boundary));
    CPPUNIT_ASSERT_EQUAL(s("boundary=\"abc def\";x=1"), s(ct.params));
    CPPUNIT_ASSERT(parseContentType("application / sdp", ct) == ParseError::kOk);
    CPPUNIT_ASSERT(ct.is("application", "sdp"));
    for (const char* bad : {"", "application", "application/", "/sdp", "a/b;", "a/b c", "a/b;=1"}) {
      CPPUNIT_ASSERT_MESSAGE(bad, parseContentType(bad, ct) == ParseError::kBadHeader);
    }
  }

  void acceptRanges() {
    std::vector<MediaRange> r;
    CPPUNIT_ASSERT(parseAccept("application/sdp;level=1, */*;q=0.1,text/*", r) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, r.size());
    CPPUNIT_ASSERT_EQUAL(std::uint16_t{1000}, r[0].q);
    CPPUNIT_ASSERT_EQUAL(std::uint16_t{100}, r[1].q);
    CPPUNIT_ASSERT_EQUAL(s("*"), s(r[2].subtype));
    r.clear();
    CPPUNIT_ASSERT(parseAccept("", r) == ParseError::kOk && r.empty());
    CPPUNIT_ASSERT(parseAccept("a/b,,c/d", r) == ParseError::kBadHeader);
    CPPUNIT_ASSERT(parseAccept("*/sdp", r) == ParseError::kBadHeader);
    CPPUNIT_ASSERT(parseAccept("a/b;q=2", r) == ParseError::kBadHeader);
  }

  void tokenLists() {
    std::vector<std::string_view> t;
    CPPUNIT_ASSERT(parseTokenList("100rel , timer,\r\n path", t) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, t.size());
    CPPUNIT_ASSERT_EQUAL(s("path"), s(t[2]));
    CPPUNIT_ASSERT(parseTokenList("", t) == ParseError::kOk);
    CPPUNIT_ASSERT(parseTokenList("a,,b", t) == ParseError::kBadHeader);
    CPPUNIT_ASSERT(parseTokenList("a b", t) == ParseError::kBadHeader);
    CPPUNIT_ASSERT(parseTokenList("a,", t) == ParseError::kBadHeader);
    CPPUNIT_ASSERT(tokenListContains("INVITE, ACK ,BYE", "ACK"));
    CPPUNIT_ASSERT(!tokenListContains("INVITE, ACK ,BYE", "ack"));
  }

  void eventPackageAndId() {
    EventHeader e;
    CPPUNIT_ASSERT(parseEvent("presence.winfo ; id=17;x", e) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(s("presence.winfo"), s(e.type));
    CPPUNIT_ASSERT_EQUAL(s("17"), s(e.id));
    CPPUNIT_ASSERT(parseEvent("", e) == ParseError::kBadHeader);
    CPPUNIT_ASSERT(parseEvent("refer;", e) == ParseError::kBadHeader);
    CPPUNIT_ASSERT(parseEvent("a b", e) == ParseError::kBadHeader);
  }

  void sessionExpiresRefresher() {
    SessionExpires se;
    CPPUNIT_ASSERT(parseSessionExpires("1800;refresher=UAS", se) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(1800u, se.delta);
    CPPUNIT_ASSERT(se.refresher == SessionExpires::Refresher::kUas);
    CPPUNIT_ASSERT(parseSessionExpires("90", se) == ParseError::kOk);
    CPPUNIT_ASSERT(se.refresher == SessionExpires::Refresher::kNone);
    CPPUNIT_ASSERT(parseSessionExpires("90;refresher=me", se) == ParseError::kBadHeader);
    CPPUNIT_ASSERT(parseSessionExpires("x", se) == ParseError::kBadHeader);
    CPPUNIT_ASSERT(parseSessionExpires("99999999999", se) == ParseError::kBadHeader);
  }

  void retryAfterCommentAndDuration() {
    RetryAfter ra;
    CPPUNIT_ASSERT(parseRetryAfter("18000 (in (a) meeting) ;duration=3600;x", ra) ==
                   ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(18000u, ra.delta);
    CPPUNIT_ASSERT_EQUAL(s("in (a) meeting"), s(ra.comment));
    CPPUNIT_ASSERT(ra.has_duration && ra.duration == 3600);
    CPPUNIT_ASSERT(parseRetryAfter("120", ra) == ParseError::kOk && ra.comment.empty());
    CPPUNIT_ASSERT(parseRetryAfter("949302838503028349304023988", ra) == ParseError::kBadHeader);
    CPPUNIT_ASSERT(parseRetryAfter("5 (open", ra) == ParseError::kBadHeader);
    CPPUNIT_ASSERT(parseRetryAfter("5;duration=x", ra) == ParseError::kBadHeader);
    CPPUNIT_ASSERT(parseRetryAfter("", ra) == ParseError::kBadHeader);
  }

  void dateIsRfc1123Gmt() {
    std::time_t t = 0;
    CPPUNIT_ASSERT(parseDate("Sat, 13 Nov 2010 23:29:00 GMT", t) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(static_cast<std::time_t>(1289690940), t);
    CPPUNIT_ASSERT(parseDate("Thu, 01 Jan 1970 00:00:00 GMT", t) == ParseError::kOk && t == 0);
    CPPUNIT_ASSERT(parseDate("Tue, 29 Feb 2000 12:00:00 GMT", t) == ParseError::kOk);
    for (const char* bad : {"Fri, 01 Jan 2010 16:00:00 EST", "Mon, 29 Feb 2001 00:00:00 GMT",
                            "Xyz, 01 Jan 2010 00:00:00 GMT", "Fri, 1 Jan 2010 16:00:00 GMT",
                            "Fri, 01 Jan 2010 24:00:00 GMT", "", "Fri, 01 Foo 2010 16:00:00 GMT"}) {
      CPPUNIT_ASSERT_MESSAGE(bad, parseDate(bad, t) == ParseError::kBadHeader);
    }
  }

  void digestCredentials() {
    AuthHeader a;
    CPPUNIT_ASSERT(parseAuthHeader("Digest username=\"bob\", realm=\"biloxi.com\",\r\n "
                                   "nonce=\"dcd98b\", uri=\"sip:bob@biloxi.com\", qop=auth, "
                                   "nc=00000001, cnonce=\"0a4f\", response=\"6629f\", "
                                   "opaque=\"5ccc\", algorithm=MD5",
                                   a) == ParseError::kOk);
    CPPUNIT_ASSERT(a.is_digest && !a.has_escapes);
    CPPUNIT_ASSERT_EQUAL(s("bob"), s(a.username));
    CPPUNIT_ASSERT_EQUAL(s("biloxi.com"), s(a.realm));
    CPPUNIT_ASSERT_EQUAL(s("sip:bob@biloxi.com"), s(a.uri));
    CPPUNIT_ASSERT_EQUAL(s("auth"), s(a.qop));
    CPPUNIT_ASSERT_EQUAL(s("00000001"), s(a.nc));
    CPPUNIT_ASSERT_EQUAL(s("0a4f"), s(a.cnonce));
    CPPUNIT_ASSERT_EQUAL(s("6629f"), s(a.response));
    CPPUNIT_ASSERT_EQUAL(s("5ccc"), s(a.opaque));
    CPPUNIT_ASSERT_EQUAL(s("MD5"), s(a.algorithm));
    CPPUNIT_ASSERT(parseAuthHeader("digest username=\"a\\\"b\"", a) == ParseError::kOk);
    CPPUNIT_ASSERT(a.has_escapes);
    char buf[8];
    CPPUNIT_ASSERT_EQUAL(s("a\"b"), std::string(buf, unquoteTo(a.username, buf)));
  }

  void digestChallenge() {
    AuthHeader a;
    CPPUNIT_ASSERT(parseAuthHeader("Digest realm=\"atlanta.com\", domain=\"sip:ss1.carrier.com\", "
                                   "qop=\"auth,auth-int\", nonce=\"f84f1\", stale=TRUE, "
                                   "algorithm=MD5, newparam=x",
                                   a) == ParseError::kOk);
    CPPUNIT_ASSERT(a.stale);
    CPPUNIT_ASSERT_EQUAL(s("auth,auth-int"), s(a.qop));
    CPPUNIT_ASSERT_EQUAL(s("sip:ss1.carrier.com"), s(a.domain));
    CPPUNIT_ASSERT(parseAuthHeader("Digest realm=\"r\", stale=false", a) == ParseError::kOk);
    CPPUNIT_ASSERT(!a.stale);
    CPPUNIT_ASSERT(parseAuthHeader("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", a) == ParseError::kOk);
    CPPUNIT_ASSERT(!a.is_digest);
    CPPUNIT_ASSERT_EQUAL(s("QWxhZGRpbjpvcGVuIHNlc2FtZQ=="), s(a.params));
  }

  void malformedAuth() {
    AuthHeader a;
    for (const char* bad : {"", "Digest", "Digest realm", "Digest realm=", "Digest realm=\"x",
                            "Digest realm=\"a\", realm=\"b\"", "Digest realm=\"a\",,nonce=\"n\"",
                            "Digest stale=maybe", "Digest realm=\"a\" nonce=\"b\"", "\"x\""}) {
      CPPUNIT_ASSERT_MESSAGE(bad, parseAuthHeader(bad, a) == ParseError::kBadHeader);
    }
  }

  void contactStarExpiresAndQ() {
    ContactList c;
    CPPUNIT_ASSERT(parseContactBody(" * ", c) == ParseError::kOk);
    CPPUNIT_ASSERT(c.star && c.items.empty());
    ContactList l;
    CPPUNIT_ASSERT(parseContactBody("<sip:a@h>;expires=60;q=0.5, \"B, b\" <sip:b@h;x>;q=1", l) ==
                   ParseError::kOk);
    CPPUNIT_ASSERT(parseContactBody("sip:c@h;expires=99999999999", l) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, l.items.size());
    CPPUNIT_ASSERT(l.items[0].expires.ok() && l.items[0].expires.value == 60);
    CPPUNIT_ASSERT(l.items[0].has_q && l.items[0].q == 500);
    CPPUNIT_ASSERT(l.items[1].expires.state == FieldState::kAbsent && l.items[1].q == 1000);
    CPPUNIT_ASSERT_EQUAL(s("B, b"), s(l.items[1].addr.display));
    CPPUNIT_ASSERT(l.items[2].expires.state == FieldState::kBad);
    CPPUNIT_ASSERT(!l.items[2].has_q && l.items[2].q == 1000);
  }

  void malformedContacts() {
    for (const char* bad : {"<sip:a@h>;q=2", "<sip:a@h>;q=0.1234", "*, <sip:a@h>", "<sip:a@h>,,",
                            "", "<sip:a@h>;;", "sip:a@h?x=1"}) {
      ContactList c;
      CPPUNIT_ASSERT_MESSAGE(bad, parseContactBody(bad, c) != ParseError::kOk);
    }
    ContactList c;
    CPPUNIT_ASSERT(parseContactBody("<sip:a@h>", c) == ParseError::kOk);
    CPPUNIT_ASSERT(parseContactBody("*", c) == ParseError::kBadHeader);  // star after values
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HeaderValuesTest);

}  // namespace sipline
