// readRealmLeniently() on broken headers, printableForLog() on hostile usernames.
#include "modules/auth/credential_text.h"

#include <cppunit/extensions/HelperMacros.h>

namespace sipline::auth {

class CredentialTextTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(CredentialTextTest);
  CPPUNIT_TEST(realmOfABrokenHeader);
  CPPUNIT_TEST(noRealmWhenTheTextStopsMakingSense);
  CPPUNIT_TEST(logTextHasNoControlCharacters);
  CPPUNIT_TEST_SUITE_END();

 public:
  void realmOfABrokenHeader() {
    std::string r;
    // Repeated parameter (parseAuthHeader refuses it), realm after it.
    CPPUNIT_ASSERT(
        readRealmLeniently("Digest username=\"a\", username=\"b\", REALM = \"down\\\"stream\"", r));
    CPPUNIT_ASSERT_EQUAL(std::string("down\"stream"), r);
    CPPUNIT_ASSERT(readRealmLeniently("Digest realm=tok.example,nonce=", r));
    CPPUNIT_ASSERT_EQUAL(std::string("tok.example"), r);
    // A "realm=" inside another parameter's quoted value is not the realm.
    CPPUNIT_ASSERT(readRealmLeniently("Digest username=\"x, realm=us\", realm=\"them\"", r));
    CPPUNIT_ASSERT_EQUAL(std::string("them"), r);
  }

  void noRealmWhenTheTextStopsMakingSense() {
    std::string r;
    const char* bad[] = {"",
                         "=",
                         "Digest",
                         "Digest username=\"a, realm=\"example.com\"",  // quote never closes
                         "Digest username, realm=\"x\"",                // no '=' after a name
                         "Digest username=\"a\", nonce=\"n\""};         // no realm at all
    for (const char* b : bad) CPPUNIT_ASSERT_MESSAGE(b, !readRealmLeniently(b, r));
  }

  void logTextHasNoControlCharacters() {
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), printableForLog("alice"));
    CPPUNIT_ASSERT_EQUAL(std::string("a\\x0d\\x0aauth: forged\\x1b[31m\\x5c"),
                         printableForLog("a\r\nauth: forged\x1b[31m\\"));
    CPPUNIT_ASSERT_EQUAL(std::string("\\x7f\\x00"), printableForLog(std::string_view("\x7f\0", 2)));
    CPPUNIT_ASSERT_EQUAL(std::string("abc..."), printableForLog("abcdef", 3));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(CredentialTextTest);

}  // namespace sipline::auth
