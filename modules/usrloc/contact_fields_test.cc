// Tests of storableText/storableContact: what reaches shared memory and PostgreSQL is valid
// UTF-8 within its column's limit, whatever bytes a phone sent.
#include "modules/usrloc/contact_fields.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace sipline::usrloc {

class ContactFieldsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ContactFieldsTest);
  CPPUNIT_TEST(validUtf8IsKeptAsItIs);
  CPPUNIT_TEST(cutNeverSplitsACharacter);
  CPPUNIT_TEST(invalidBytesAndNulBecomeQuestionMarks);
  CPPUNIT_TEST(overlongsSurrogatesAndTruncatedSequencesAreInvalid);
  CPPUNIT_TEST(storableContactCleansEveryTextField);
  CPPUNIT_TEST_SUITE_END();

 public:
  void validUtf8IsKeptAsItIs() {
    const std::string ua = "Linphone/5.0 (Gerät \xe2\x82\xac \xf0\x9f\x93\x9e)";
    CPPUNIT_ASSERT_EQUAL(ua, storableText(ua, 255));
    CPPUNIT_ASSERT_EQUAL(std::string(), storableText("", 255));
  }

  void cutNeverSplitsACharacter() {
    std::string e140;
    for (int i = 0; i < 140; ++i) e140 += "\xc3\xa9";  // 140 x é: 280 bytes
    std::string cut = storableText(e140, 255);
    CPPUNIT_ASSERT_EQUAL(std::size_t{254}, cut.size());  // 127 whole characters
    CPPUNIT_ASSERT_EQUAL(e140.substr(0, 254), cut);
    CPPUNIT_ASSERT_EQUAL(std::string("ab"), storableText("abc", 2));
  }

  void invalidBytesAndNulBecomeQuestionMarks() {
    // Latin-1 "Gerät" and a raw NUL: PostgreSQL would refuse both (SQLSTATE 22021).
    CPPUNIT_ASSERT_EQUAL(std::string("Ger?t"), storableText("Ger\xe4t", 255));
    CPPUNIT_ASSERT_EQUAL(std::string("a?b"), storableText(std::string("a\0b", 3), 255));
    CPPUNIT_ASSERT_EQUAL(std::string("??"), storableText("\xff\xfe", 255));
  }

  void overlongsSurrogatesAndTruncatedSequencesAreInvalid() {
    CPPUNIT_ASSERT_EQUAL(std::string("??"), storableText("\xc0\xaf", 255));       // overlong '/'
    CPPUNIT_ASSERT_EQUAL(std::string("???"), storableText("\xed\xa0\x80", 255));  // surrogate
    CPPUNIT_ASSERT_EQUAL(std::string("x??"), storableText("x\xe2\x82", 255));     // cut short
    CPPUNIT_ASSERT_EQUAL(std::string("????"), storableText("\xf4\x90\x80\x80", 255));  // > U+10FFFF
  }

  void storableContactCleansEveryTextField() {
    FieldLimits limits;
    for (std::size_t& n : limits.text) n = 255;
    Contact c;
    c.uri = "sip:alice@10.0.0.1";
    c.callid = "id\xff";
    c.user_agent = "UA\xe9";
    c.instance = "<urn:uuid:1>";
    c.q = 500;
    Contact s = storableContact(c, limits);
    CPPUNIT_ASSERT_EQUAL(c.uri, s.uri);
    CPPUNIT_ASSERT_EQUAL(std::string("id?"), s.callid);
    CPPUNIT_ASSERT_EQUAL(std::string("UA?"), s.user_agent);
    CPPUNIT_ASSERT_EQUAL(c.instance, s.instance);
    CPPUNIT_ASSERT_EQUAL(500, s.q);
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(ContactFieldsTest);

}  // namespace sipline::usrloc
