#include "core/sip/uri_rewrite.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "core/sip/msg_context.h"

namespace sipline {
namespace {

std::string rewritten(std::string_view uri, UriPart part, std::string_view value) {
  Result<std::string> r = rewriteUriPart(uri, part, value);
  CPPUNIT_ASSERT_MESSAGE(std::string(value) + ": " + r.status().message(), r.isOk());
  return r.value();
}

std::string refused(std::string_view uri, UriPart part, std::string_view value) {
  Result<std::string> r = rewriteUriPart(uri, part, value);
  CPPUNIT_ASSERT_MESSAGE(std::string(value) + " was accepted", !r.isOk());
  return r.status().message();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

const char kUri[] = "sip:alice:secret@example.com:5070;transport=udp;maddr=10.0.0.9?subject=hi";

const char kInvite[] =
    "INVITE sip:alice@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
    "From: <sip:bob@example.org>;tag=ft\r\n"
    "To: <sip:alice@example.com>\r\n"
    "Call-ID: c1\r\n"
    "CSeq: 1 INVITE\r\n"
    "Content-Length: 0\r\n\r\n";

}  // namespace

class UriRewriteTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(UriRewriteTest);
  CPPUNIT_TEST(userKeepsPasswordParamsAndHeaders);
  CPPUNIT_TEST(emptyUserRemovesTheUserinfo);
  CPPUNIT_TEST(userPassReplacesTheWholeUserinfo);
  CPPUNIT_TEST(hostDropsMaddr);
  CPPUNIT_TEST(hostPortReplacesBoth);
  CPPUNIT_TEST(portCanBeSetAndRemoved);
  CPPUNIT_TEST(wholeUriMustParse);
  CPPUNIT_TEST(valuesCannotSmuggleOtherParts);
  CPPUNIT_TEST(telUriHasOnlyANumber);
  CPPUNIT_TEST(prefixAndStrip);
  CPPUNIT_TEST(badOriginalUriIsAnError);
  CPPUNIT_TEST(requestUriOfTheMessageChangesAndReverts);
  CPPUNIT_TEST(replyHasNoRequestUri);
  CPPUNIT_TEST_SUITE_END();

 public:
  void userKeepsPasswordParamsAndHeaders() {
    CPPUNIT_ASSERT_EQUAL(
        std::string("sip:bob:secret@example.com:5070;transport=udp;maddr=10.0.0.9?subject=hi"),
        rewritten(kUri, UriPart::kUser, "bob"));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:bob@example.com"),
                         rewritten("sip:example.com", UriPart::kUser, "bob"));
    CPPUNIT_ASSERT_EQUAL(std::string("SIP:bob@h"), rewritten("SIP:a@h", UriPart::kUser, "bob"));
  }
  void emptyUserRemovesTheUserinfo() {
    CPPUNIT_ASSERT_EQUAL(
        std::string("sip:example.com:5070;transport=udp;maddr=10.0.0.9?subject=hi"),
        rewritten(kUri, UriPart::kUser, ""));
  }
  void userPassReplacesTheWholeUserinfo() {
    CPPUNIT_ASSERT_EQUAL(std::string("sip:carol:pw@example.com:5070;transport=udp;"
                                     "maddr=10.0.0.9?subject=hi"),
                         rewritten(kUri, UriPart::kUserPass, "carol:pw"));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:carol@h"),
                         rewritten("sip:a:b@h", UriPart::kUserPass, "carol"));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:h"), rewritten("sip:a:b@h", UriPart::kUserPass, ""));
    CPPUNIT_ASSERT(contains(refused("sip:a@h", UriPart::kUserPass, ":pw"), "no user"));
  }
  void hostDropsMaddr() {
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice:secret@10.1.1.1:5070;transport=udp?subject=hi"),
                         rewritten(kUri, UriPart::kHost, "10.1.1.1"));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a@[2001:db8::1];lr"),
                         rewritten("sip:a@h;maddr=1.2.3.4;lr", UriPart::kHost, "[2001:db8::1]"));
  }
  void hostPortReplacesBoth() {
    CPPUNIT_ASSERT_EQUAL(
        std::string("sip:alice:secret@gw.example.net:5080;transport=udp?subject=hi"),
        rewritten(kUri, UriPart::kHostPort, "gw.example.net:5080"));
    // Without a port in the value the old port goes too.
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a@gw"),
                         rewritten("sip:a@h:5070", UriPart::kHostPort, "gw"));
  }
  void portCanBeSetAndRemoved() {
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a@h:5090;lr"),
                         rewritten("sip:a@h:5070;lr", UriPart::kPort, "5090"));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a@h;lr"),
                         rewritten("sip:a@h:5070;lr", UriPart::kPort, ""));
    CPPUNIT_ASSERT(contains(refused("sip:a@h", UriPart::kPort, "70000"), "not a valid URI"));
    CPPUNIT_ASSERT(contains(refused("sip:a@h", UriPart::kPort, "50a"), "not a valid"));
  }
  void wholeUriMustParse() {
    CPPUNIT_ASSERT_EQUAL(std::string("sips:x@y"), rewritten(kUri, UriPart::kWhole, "sips:x@y"));
    CPPUNIT_ASSERT(contains(refused(kUri, UriPart::kWhole, "http://x"), "not a valid URI"));
    CPPUNIT_ASSERT(!rewriteUriPart(kUri, UriPart::kWhole, "").isOk());
  }
  void valuesCannotSmuggleOtherParts() {
    CPPUNIT_ASSERT(
        contains(refused("sip:a@h", UriPart::kHost, "evil;maddr=6.6.6.6"), "is not a valid host"));
    CPPUNIT_ASSERT(contains(refused("sip:a@h", UriPart::kHost, "h:5060"), "is not a valid host"));
    CPPUNIT_ASSERT(!rewriteUriPart("sip:a@h", UriPart::kUser, "x@y").isOk());
    CPPUNIT_ASSERT(contains(refused("sip:a@h", UriPart::kUser, "x:y"), "is not a valid user"));
    CPPUNIT_ASSERT(!rewriteUriPart("sip:a@h", UriPart::kUser, "a b").isOk());
    CPPUNIT_ASSERT(!rewriteUriPart("sip:a@h", UriPart::kHost, "").isOk());
    CPPUNIT_ASSERT(!rewriteUriPart("sip:a@h", UriPart::kHostPort, "h:1;x").isOk());
  }
  void telUriHasOnlyANumber() {
    CPPUNIT_ASSERT_EQUAL(std::string("tel:+4930123;phone-context=x"),
                         rewritten("tel:+1555;phone-context=x", UriPart::kUser, "+4930123"));
    CPPUNIT_ASSERT(contains(refused("tel:+1555", UriPart::kHost, "h"), "a tel: URI has no host"));
    CPPUNIT_ASSERT(!rewriteUriPart("tel:+1555", UriPart::kUser, "").isOk());
  }
  void prefixAndStrip() {
    CPPUNIT_ASSERT_EQUAL(std::string("sip:0049123@h;lr"),
                         prefixUriUser("sip:123@h;lr", "0049").value());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:pre@h"), prefixUriUser("sip:h", "pre").value());
    CPPUNIT_ASSERT(!prefixUriUser("sip:a@h", "@").isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:123@h"), stripUriUser("sip:0049123@h", 4, false).value());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:0049@h"), stripUriUser("sip:0049123@h", 3, true).value());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:h"), stripUriUser("sip:0049123@h", 7, false).value());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:h"), stripUriUser("sip:0049123@h", 99, true).value());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a@h"), stripUriUser("sip:a@h", 0, true).value());
  }
  void badOriginalUriIsAnError() {
    CPPUNIT_ASSERT(contains(refused("not a uri", UriPart::kUser, "a"), "does not parse"));
    CPPUNIT_ASSERT(!prefixUriUser("mailto:x", "1").isOk());
    CPPUNIT_ASSERT(!stripUriUser("", 1, false).isOk());
  }
  void requestUriOfTheMessageChangesAndReverts() {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(kInvite) == ParseError::kOk);
    ReceiveInfo rcv;
    MsgContext ctx(msg, rcv, kRequestRoute);
    CPPUNIT_ASSERT(rewriteRuriPart(ctx, UriPart::kHostPort, "10.0.0.2:5080").isOk());
    CPPUNIT_ASSERT(prefixRuriUser(ctx, "+").isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:+alice@10.0.0.2:5080"), std::string(ctx.ruri()));
    CPPUNIT_ASSERT(stripRuriUser(ctx, 1, false).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), std::string(ctx.ruriParsed()->user));
    // A refused rewrite leaves the request-URI as it was.
    CPPUNIT_ASSERT(!rewriteRuriPart(ctx, UriPart::kHost, "bad host").isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@10.0.0.2:5080"), std::string(ctx.ruri()));
    std::string out;
    CPPUNIT_ASSERT(msg.build(out));
    CPPUNIT_ASSERT(out.rfind("INVITE sip:alice@10.0.0.2:5080 SIP/2.0\r\n", 0) == 0);
    ctx.revertRuri();
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@example.com"), std::string(ctx.ruri()));
    CPPUNIT_ASSERT_EQUAL(std::string("example.com"), std::string(ctx.ruriParsed()->host));
    CPPUNIT_ASSERT(msg.build(out));
    CPPUNIT_ASSERT_EQUAL(std::string(kInvite), out);
    ctx.revertRuri();  // twice is harmless
    CPPUNIT_ASSERT(msg.build(out));
    CPPUNIT_ASSERT_EQUAL(std::string(kInvite), out);
  }
  void replyHasNoRequestUri() {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse("SIP/2.0 200 OK\r\n"
                             "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
                             "From: <sip:bob@example.org>;tag=ft\r\n"
                             "To: <sip:alice@example.com>;tag=tt\r\n"
                             "Call-ID: c1\r\n"
                             "CSeq: 1 INVITE\r\n"
                             "Content-Length: 0\r\n\r\n") == ParseError::kOk);
    ReceiveInfo rcv;
    MsgContext ctx(msg, rcv, kOnReplyRoute);
    Status st = rewriteRuriPart(ctx, UriPart::kUser, "bob");
    CPPUNIT_ASSERT(!st.isOk());
    CPPUNIT_ASSERT(contains(st.message(), "a reply has no request-URI"));
    CPPUNIT_ASSERT(!prefixRuriUser(ctx, "1").isOk());
    CPPUNIT_ASSERT(!stripRuriUser(ctx, 1, true).isOk());
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(UriRewriteTest);

}  // namespace sipline
