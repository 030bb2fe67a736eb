// uriEquals() against the RFC 3261 §19.1.4 example lists, plus tel: (RFC 3966 §4), the
// unescaping helper (never recursive, RFC 4475 esc01), strict IPv6 and tel: parsing.
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "core/parser/uri.h"

namespace sipline {
namespace {

bool eq(const char* a, const char* b) {
  SipUri x, y;
  CPPUNIT_ASSERT_MESSAGE(a, parseUri(a, x) == ParseError::kOk);
  CPPUNIT_ASSERT_MESSAGE(b, parseUri(b, y) == ParseError::kOk);
  const bool r = uriEquals(x, y);
  CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(a) + " vs " + b + " (symmetric)", r, uriEquals(y, x));
  return r;
}

}  // namespace

class UriEqualsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(UriEqualsTest);
  CPPUNIT_TEST(rfc3261EquivalentPairs);
  CPPUNIT_TEST(rfc3261NonEquivalentPairs);
  CPPUNIT_TEST(escapedReservedCharactersStayDistinct);
  CPPUNIT_TEST(passwordAndSchemeMatter);
  CPPUNIT_TEST(telUrisCompareWithoutSeparators);
  CPPUNIT_TEST(repeatedParamCountsOnceAndIsReflexive);
  CPPUNIT_TEST(unescapeIsNotRecursive);
  CPPUNIT_TEST(ipv6MustBeRfc4291);
  CPPUNIT_TEST(telGlobalAndLocalNumbers);
  CPPUNIT_TEST_SUITE_END();

 public:
  void rfc3261EquivalentPairs() {
    CPPUNIT_ASSERT(
        eq("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"));
    CPPUNIT_ASSERT(eq("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"));
    CPPUNIT_ASSERT(eq("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"));
    CPPUNIT_ASSERT(eq("sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on"));
    CPPUNIT_ASSERT(eq("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
                      "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"));
    CPPUNIT_ASSERT(eq("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
                      "sip:alice@atlanta.com?priority=urgent&subject=project%20x"));
  }

  void rfc3261NonEquivalentPairs() {
    CPPUNIT_ASSERT(
        !eq("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"));
    CPPUNIT_ASSERT(!eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
    CPPUNIT_ASSERT(!eq("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"));
    CPPUNIT_ASSERT(!eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"));
    CPPUNIT_ASSERT(!eq("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"));
    CPPUNIT_ASSERT(!eq("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"));
    CPPUNIT_ASSERT(!eq("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"));
    CPPUNIT_ASSERT(!eq("sip:carol@chicago.com?Subject=next%20meeting",
                       "sip:carol@chicago.com?Subject=another%20meeting"));
    CPPUNIT_ASSERT(!eq("sip:a@h;maddr=1.2.3.4", "sip:a@h"));
    CPPUNIT_ASSERT(!eq("sip:a@h;user=phone", "sip:a@h"));
    CPPUNIT_ASSERT(!eq("sip:a@h;ttl=1", "sip:a@h;ttl=2"));
  }

  void escapedReservedCharactersStayDistinct() {
    CPPUNIT_ASSERT(eq("sip:a%62c@h", "sip:abc@h"));
    CPPUNIT_ASSERT(!eq("sip:a%3Bb@h", "sip:a;b@h"));   // ';' is reserved
    CPPUNIT_ASSERT(eq("sip:a%3bb@h", "sip:a%3Bb@h"));  // hex case does not matter
    CPPUNIT_ASSERT(!eq("sip:Abc@h", "sip:abc@h"));
  }

  void passwordAndSchemeMatter() {
    CPPUNIT_ASSERT(!eq("sip:a:pw@h", "sip:a@h"));
    CPPUNIT_ASSERT(!eq("sip:a:pw@h", "sip:a:PW@h"));
    CPPUNIT_ASSERT(!eq("sip:a@h", "sips:a@h"));
    CPPUNIT_ASSERT(eq("sip:a@[2001:DB8::1]", "sip:a@[2001:db8::1]"));
  }

  void telUrisCompareWithoutSeparators() {
    CPPUNIT_ASSERT(eq("tel:+1-201-555-0123", "tel:+12015550123"));
    CPPUNIT_ASSERT(eq("tel:7042;phone-context=example.com", "tel:70-42;Phone-Context=Example.com"));
    CPPUNIT_ASSERT(!eq("tel:+12015550123", "tel:+12015550124"));
    CPPUNIT_ASSERT(!eq("tel:+12015550123;ext=1", "tel:+12015550123"));
  }

  // fuzz/regressions/fuzz_uri-equals-repeated-param: uriEquals(u, u) was false for
  // "sip:h;transport=tcp;transport=udp" (the repeat was compared with the first occurrence).
  void repeatedParamCountsOnceAndIsReflexive() {
    const char* text = "sip:h;transport=tcp;transport=udp";
    SipUri u;
    CPPUNIT_ASSERT(parseUri(text, u) == ParseError::kOk);
    CPPUNIT_ASSERT(uriEquals(u, u));
    CPPUNIT_ASSERT(eq(text, text));
    CPPUNIT_ASSERT_EQUAL(std::string("tcp"), std::string(u.transport));  // first wins
    CPPUNIT_ASSERT(eq(text, "sip:h;transport=tcp"));
    CPPUNIT_ASSERT(!eq(text, "sip:h;transport=udp"));
    CPPUNIT_ASSERT(eq("sip:h;x=1;x=2", "sip:h;x=1"));
    CPPUNIT_ASSERT(eq("sip:h?a=1&a=1", "sip:h?a=1&a=1"));
    CPPUNIT_ASSERT(!eq("sip:h?a=1&a=1", "sip:h?a=1&a=2"));
  }

  void unescapeIsNotRecursive() {
    CPPUNIT_ASSERT_EQUAL(std::string("value%41"), unescapeUri("v%61lue%25%34%31"));
    CPPUNIT_ASSERT_EQUAL(std::string("a b"), unescapeUri("a%20b"));
    CPPUNIT_ASSERT_EQUAL(std::string("%zz%4"), unescapeUri("%zz%4"));  // invalid: kept
    CPPUNIT_ASSERT_EQUAL(std::string("n\0n", 3), unescapeUri("n%00n"));
    char buf[16];
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, unescapeUri("%41%42C", buf));
    CPPUNIT_ASSERT_EQUAL(std::string("ABC"), std::string(buf, 3));
  }

  void ipv6MustBeRfc4291() {
    for (const char* good : {"::", "::1", "2001:db8::10", "2001:db8::192.0.2.1", "::ffff:192.0.2.1",
                             "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:192.0.2.1", "fe80::"}) {
      CPPUNIT_ASSERT_MESSAGE(good, isIpv6Address(good));
    }
    for (const char* bad : {"", ":", "2001:db8:::192.0.2.1", "1:2:3:4:5:6:7:8:9", "1::2::3",
                            "12345::", "1:2:3:4:5:6:7", ":1::", "1:", "::1.2.3", "g::1"}) {
      CPPUNIT_ASSERT_MESSAGE(bad, !isIpv6Address(bad));
    }
    SipUri u;
    CPPUNIT_ASSERT(parseUri("sip:u@[2001:db8:::192.0.2.1]", u) == ParseError::kBadUri);
    CPPUNIT_ASSERT(parseUri("sip:2001:db8::10", u) == ParseError::kBadUri);  // RFC 5118 §4.2
  }

  void telGlobalAndLocalNumbers() {
    SipUri u;
    CPPUNIT_ASSERT(parseUri("tel:+1-201-555-0123;isub=1411;ext=22", u) == ParseError::kOk);
    CPPUNIT_ASSERT(u.tel_global);
    CPPUNIT_ASSERT_EQUAL(std::string("1411"), std::string(u.isub));
    CPPUNIT_ASSERT_EQUAL(std::string("22"), std::string(u.ext));
    CPPUNIT_ASSERT(parseUri("tel:863-1234;phone-context=+1-914-555", u) == ParseError::kOk);
    CPPUNIT_ASSERT(!u.tel_global);
    CPPUNIT_ASSERT_EQUAL(std::string("+1-914-555"), std::string(u.phone_context));
    CPPUNIT_ASSERT(parseUri("tel:*31#;phone-context=example.com", u) == ParseError::kOk);
    CPPUNIT_ASSERT(parseUri("tel:863-1234", u) == ParseError::kBadUri);  // no context
    CPPUNIT_ASSERT(parseUri("tel:+", u) == ParseError::kBadUri);
    CPPUNIT_ASSERT(parseUri("tel:+1x", u) == ParseError::kBadUri);
    CPPUNIT_ASSERT(parseUri("tel:+1;;", u) == ParseError::kBadUri);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(UriEqualsTest);

}  // namespace sipline
