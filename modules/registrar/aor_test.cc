#include "modules/registrar/aor.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace sipline::registrar {
namespace {

std::string aorOf(const std::string& text, AorOptions o = AorOptions()) {
  std::string out;
  AorError e = aorFromText(text, o, out);
  return e == AorError::kOk ? out : std::string("error: ") + aorErrorText(e);
}

}  // namespace

class AorTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(AorTest);
  CPPUNIT_TEST(userAtDomainWithoutPortOrParams);
  CPPUNIT_TEST(domainIsLowerCasedUserIsNot);
  CPPUNIT_TEST(sipAndSipsGiveTheSameAor);
  CPPUNIT_TEST(escapedUnreservedCharactersAreDecoded);
  CPPUNIT_TEST(escapedReservedCharactersStayEscapedInUpperCase);
  CPPUNIT_TEST(escapedNulDoesNotShortenTheAor);
  CPPUNIT_TEST(nameAddrFormsAreAccepted);
  CPPUNIT_TEST(withoutDomainOnlyTheUser);
  CPPUNIT_TEST(caseInsensitiveLowersTheUser);
  CPPUNIT_TEST(realmPrefixIsStripped);
  CPPUNIT_TEST(nonSipSchemesAreRefused);
  CPPUNIT_TEST(noUserIsRefused);
  CPPUNIT_TEST(garbageIsRefused);
  CPPUNIT_TEST(tooLongIsRefused);
  CPPUNIT_TEST(malformedEscapeIsKeptAsWritten);
  CPPUNIT_TEST_SUITE_END();

 public:
  void userAtDomainWithoutPortOrParams() {
    CPPUNIT_ASSERT_EQUAL(std::string("alice@example.com"),
                         aorOf("sip:alice@example.com:5070;transport=tcp"));
  }
  void domainIsLowerCasedUserIsNot() {
    CPPUNIT_ASSERT_EQUAL(std::string("Alice@example.com"), aorOf("sip:Alice@EXAMPLE.com"));
  }
  void sipAndSipsGiveTheSameAor() {
    CPPUNIT_ASSERT_EQUAL(aorOf("sip:bob@example.com"), aorOf("sips:bob@example.com"));
  }
  void escapedUnreservedCharactersAreDecoded() {
    // RFC 3261 §19.1.4: %61 is 'a'; the comparison of sip:%61lice@ and sip:alice@ is equal.
    CPPUNIT_ASSERT_EQUAL(std::string("alice@example.com"), aorOf("sip:%61lice@example.com"));
    CPPUNIT_ASSERT_EQUAL(std::string("a-b.c@example.com"), aorOf("sip:a%2db%2Ec@example.com"));
  }
  void escapedReservedCharactersStayEscapedInUpperCase() {
    CPPUNIT_ASSERT_EQUAL(std::string("a%2Bb@example.com"), aorOf("sip:a%2bb@example.com"));
    // '+' written plainly differs from its escape.
    CPPUNIT_ASSERT_EQUAL(std::string("a+b@example.com"), aorOf("sip:a+b@example.com"));
  }
  void escapedNulDoesNotShortenTheAor() {
    // RFC 4475 escnull: the AOR keeps what follows the escaped NUL.
    std::string aor = aorOf("sip:null-%00-null@example.com");
    CPPUNIT_ASSERT_EQUAL(std::string("null-%00-null@example.com"), aor);
    CPPUNIT_ASSERT_EQUAL(std::string::npos, aor.find('\0'));
  }
  void nameAddrFormsAreAccepted() {
    CPPUNIT_ASSERT_EQUAL(std::string("alice@example.com"),
                         aorOf("\"Alice\" <sip:alice@example.com>;tag=x"));
    CPPUNIT_ASSERT_EQUAL(std::string("alice@example.com"), aorOf("  <sip:alice@example.com>  "));
  }
  void withoutDomainOnlyTheUser() {
    AorOptions o;
    o.use_domain = false;
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), aorOf("sip:alice@example.com", o));
  }
  void caseInsensitiveLowersTheUser() {
    AorOptions o;
    o.case_sensitive = false;
    CPPUNIT_ASSERT_EQUAL(std::string("alice@example.com"), aorOf("sip:ALICE@example.com", o));
    CPPUNIT_ASSERT_EQUAL(std::string("alice@example.com"), aorOf("sip:%41lice@example.com", o));
  }
  void realmPrefixIsStripped() {
    AorOptions o;
    o.realm_prefix = "sip.";
    CPPUNIT_ASSERT_EQUAL(std::string("alice@example.com"), aorOf("sip:alice@SIP.example.com", o));
    // The prefix alone is not stripped to nothing.
    CPPUNIT_ASSERT_EQUAL(std::string("alice@sip."), aorOf("sip:alice@sip.", o));
  }
  void nonSipSchemesAreRefused() {
    CPPUNIT_ASSERT_EQUAL(std::string("error: ") + aorErrorText(AorError::kNotSip),
                         aorOf("isbn:2983792873"));
    CPPUNIT_ASSERT_EQUAL(std::string("error: ") + aorErrorText(AorError::kNotSip),
                         aorOf("tel:+15551234"));
  }
  void noUserIsRefused() {
    CPPUNIT_ASSERT_EQUAL(std::string("error: ") + aorErrorText(AorError::kNoUser),
                         aorOf("sip:example.com"));
  }
  void garbageIsRefused() {
    CPPUNIT_ASSERT_EQUAL(std::string("error: ") + aorErrorText(AorError::kBadUri),
                         aorOf("<sip:alice@example.com"));
    CPPUNIT_ASSERT_EQUAL(std::string("error: ") + aorErrorText(AorError::kBadUri), aorOf(""));
  }
  void tooLongIsRefused() {
    AorOptions o;
    o.max_len = 10;
    CPPUNIT_ASSERT_EQUAL(std::string("error: ") + aorErrorText(AorError::kTooLong),
                         aorOf("sip:alice@example.com", o));
  }
  void malformedEscapeIsKeptAsWritten() {
    std::string out;
    appendCanonicalUser("a%4", true, out);
    CPPUNIT_ASSERT_EQUAL(std::string("a%4"), out);
    out.clear();
    appendCanonicalUser("%zz%", true, out);
    CPPUNIT_ASSERT_EQUAL(std::string("%zz%"), out);
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(AorTest);

}  // namespace sipline::registrar
