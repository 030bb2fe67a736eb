// The small pieces: the 200's Contact lines and Date, q formatting, header params, the source
// URI kept for NAT, method bits, and RFC 3261/5626 binding equality.
#include "modules/registrar/reply_headers.h"

#include <cppunit/extensions/HelperMacros.h>

#include "core/parser/header_values.h"
#include "modules/registrar/contact_match.h"
#include "modules/registrar/register_request.h"

namespace sipline::registrar {

class RegistrarPiecesTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(RegistrarPiecesTest);
  CPPUNIT_TEST(qValues);
  CPPUNIT_TEST(contactLineCarriesEverythingTheUaNeeds);
  CPPUNIT_TEST(expiredBindingsAreLeftOut);
  CPPUNIT_TEST(dateIsRfc1123Gmt);
  CPPUNIT_TEST(headerParamsHonourQuotes);
  CPPUNIT_TEST(sourceUris);
  CPPUNIT_TEST(methodBits);
  CPPUNIT_TEST(bindingEquality);
  CPPUNIT_TEST_SUITE_END();

 public:
  void qValues() {
    CPPUNIT_ASSERT_EQUAL(std::string("1"), formatQ(1000));
    CPPUNIT_ASSERT_EQUAL(std::string("0.5"), formatQ(500));
    CPPUNIT_ASSERT_EQUAL(std::string("0.025"), formatQ(25));
    CPPUNIT_ASSERT_EQUAL(std::string("0.001"), formatQ(1));
    CPPUNIT_ASSERT_EQUAL(std::string("0"), formatQ(0));
    std::uint16_t q = 0;
    CPPUNIT_ASSERT(parseQValue(formatQ(125), q));  // what we write parses back
    CPPUNIT_ASSERT_EQUAL(std::uint16_t{125}, q);
  }

  void contactLineCarriesEverythingTheUaNeeds() {
    usrloc::Contact c;
    c.uri = "sip:a@10.0.0.1;ob";
    c.expires = 1300;
    c.q = 700;
    c.instance = "urn:uuid:1234";
    c.reg_id = 2;
    c.received = "sip:192.0.2.1:4000";
    std::string out;
    appendContactLines(out, {c}, 1000, "received");
    CPPUNIT_ASSERT_EQUAL(std::string("Contact: <sip:a@10.0.0.1;ob>;expires=300;q=0.7;"
                                     "+sip.instance=\"<urn:uuid:1234>\";reg-id=2;"
                                     "received=\"sip:192.0.2.1:4000\"\r\n"),
                         out);
    out.clear();
    c.q = -1;
    c.instance.clear();
    appendContactLines(out, {c}, 1000, "");
    CPPUNIT_ASSERT_EQUAL(std::string("Contact: <sip:a@10.0.0.1;ob>;expires=300\r\n"), out);
  }

  void expiredBindingsAreLeftOut() {
    usrloc::Contact c;
    c.uri = "sip:a@10.0.0.1";
    c.expires = 1000;
    std::string out;
    appendContactLines(out, {c}, 1000, "received");
    CPPUNIT_ASSERT(out.empty());
  }

  void dateIsRfc1123Gmt() {
    std::string out;
    appendDateLine(out, 1289690940);  // RFC 4475's date
    CPPUNIT_ASSERT_EQUAL(std::string("Date: Sat, 13 Nov 2010 23:29:00 GMT\r\n"), out);
    out.clear();
    appendDateLine(out, 0);
    CPPUNIT_ASSERT_EQUAL(std::string("Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n"), out);
    appendDateLine(out, 0);  // the same second again: appended, not replaced
    CPPUNIT_ASSERT_EQUAL(std::string("Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n"
                                     "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n"),
                         out);
    out.clear();
    appendDateLine(out, 1289690941);
    CPPUNIT_ASSERT_EQUAL(std::string("Date: Sat, 13 Nov 2010 23:29:01 GMT\r\n"), out);
  }

  void headerParamsHonourQuotes() {
    std::string_view v;
    CPPUNIT_ASSERT(headerParam("a=1;+sip.instance=\"<urn:x;y>\";reg-id=3", "+SIP.instance", v));
    CPPUNIT_ASSERT_EQUAL(std::string("\"<urn:x;y>\""), std::string(v));
    CPPUNIT_ASSERT(headerParam("a=1;+sip.instance=\"<urn:x;y>\";reg-id=3", "reg-id", v));
    CPPUNIT_ASSERT_EQUAL(std::string("3"), std::string(v));
    CPPUNIT_ASSERT(headerParam("lr; ob", "ob", v));
    CPPUNIT_ASSERT(v.empty());
    CPPUNIT_ASSERT(!headerParam("a=\"reg-id=1\"", "reg-id", v));
    CPPUNIT_ASSERT(!headerParam("", "x", v));
  }

  void sourceUris() {
    SockAddr a;
    CPPUNIT_ASSERT(SockAddr::fromNumeric("192.0.2.1", 5062, a));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:192.0.2.1:5062"), sourceUri(a, Proto::kUdp));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:192.0.2.1:5062;transport=tls"),
                         sourceUri(a, Proto::kTls));
    CPPUNIT_ASSERT(SockAddr::fromNumeric("2001:db8::7", 5060, a));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:[2001:db8::7]:5060;transport=tcp"),
                         sourceUri(a, Proto::kTcp));
  }

  void methodBits() {
    CPPUNIT_ASSERT_EQUAL(0u, methodBit(Method::kOther));
    CPPUNIT_ASSERT(methodBit(Method::kInvite) != methodBit(Method::kMessage));
    CPPUNIT_ASSERT(methodBit(Method::kPublish) != 0);
  }

  void bindingEquality() {
    CPPUNIT_ASSERT(sameContactUri("sip:a@EXAMPLE.com;lr", "sip:%61@example.com;lr"));
    CPPUNIT_ASSERT(!sameContactUri("sip:a@example.com", "sip:a@example.com:5060"));
    CPPUNIT_ASSERT(!sameContactUri("sip:a@example.com;transport=tcp", "sip:a@example.com"));
    CPPUNIT_ASSERT(sameContactUri("mailto:a@example.com", "mailto:a@example.com"));
    CPPUNIT_ASSERT(!sameContactUri("mailto:a@example.com", "mailto:A@example.com"));
    // RFC 5626: instance and reg-id decide when both have them.
    CPPUNIT_ASSERT(
        sameBinding("sip:a@1.1.1.1", "urn:uuid:AB", 1, "sip:a@2.2.2.2", "urn:uuid:ab", 1));
    CPPUNIT_ASSERT(
        !sameBinding("sip:a@1.1.1.1", "urn:uuid:ab", 1, "sip:a@1.1.1.1", "urn:uuid:ab", 2));
    CPPUNIT_ASSERT(sameBinding("sip:a@1.1.1.1", "urn:uuid:ab", 1, "sip:a@1.1.1.1", "", 0));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(RegistrarPiecesTest);

}  // namespace sipline::registrar
