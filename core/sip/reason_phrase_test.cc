#include "core/sip/reason_phrase.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace sipline {

class ReasonPhraseTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ReasonPhraseTest);
  CPPUNIT_TEST(knownCodesHaveTheirRfcPhrase);
  CPPUNIT_TEST(otherCodesHaveTheirClassPhrase);
  CPPUNIT_TEST_SUITE_END();

 public:
  void knownCodesHaveTheirRfcPhrase() {
    CPPUNIT_ASSERT_EQUAL(std::string("Busy Here"), std::string(reasonPhrase(486)));
    CPPUNIT_ASSERT_EQUAL(std::string("Request Timeout"), std::string(reasonPhrase(408)));
    CPPUNIT_ASSERT_EQUAL(std::string("Service Unavailable"), std::string(reasonPhrase(503)));
    CPPUNIT_ASSERT_EQUAL(std::string("Decline"), std::string(reasonPhrase(603)));
    CPPUNIT_ASSERT_EQUAL(std::string("Moved Temporarily"), std::string(reasonPhrase(302)));
    CPPUNIT_ASSERT_EQUAL(std::string("Trying"), std::string(reasonPhrase(100)));  // the ends
    CPPUNIT_ASSERT_EQUAL(std::string("Not Acceptable"), std::string(reasonPhrase(606)));
  }
  void otherCodesHaveTheirClassPhrase() {
    CPPUNIT_ASSERT_EQUAL(std::string("Client Error"), std::string(reasonPhrase(499)));
    CPPUNIT_ASSERT_EQUAL(std::string("Server Error"), std::string(reasonPhrase(580)));
    CPPUNIT_ASSERT_EQUAL(std::string("Unknown"), std::string(reasonPhrase(0)));
    CPPUNIT_ASSERT_EQUAL(std::string("Unknown"), std::string(reasonPhrase(700)));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(ReasonPhraseTest);

}  // namespace sipline
