// Tests of headerTypeFromName()/headerTypeName() and methodFromName()/methodName().
#include "core/parser/header_type.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "core/parser/method.h"

namespace sipline {

class HeaderTypeTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(HeaderTypeTest);
  CPPUNIT_TEST(longNamesAnyCase);
  CPPUNIT_TEST(compactForms);
  CPPUNIT_TEST(unknownNamesAreOther);
  CPPUNIT_TEST(namesRoundTrip);
  CPPUNIT_TEST(methodsAreCaseSensitive);
  CPPUNIT_TEST_SUITE_END();

 public:
  void longNamesAnyCase() {
    CPPUNIT_ASSERT(headerTypeFromName("Via") == HeaderType::kVia);
    CPPUNIT_ASSERT(headerTypeFromName("VIA") == HeaderType::kVia);
    CPPUNIT_ASSERT(headerTypeFromName("call-id") == HeaderType::kCallId);
    CPPUNIT_ASSERT(headerTypeFromName("CALL-ID") == HeaderType::kCallId);
    CPPUNIT_ASSERT(headerTypeFromName("cseq") == HeaderType::kCSeq);
    CPPUNIT_ASSERT(headerTypeFromName("MaX-fOrWaRdS") == HeaderType::kMaxForwards);
    CPPUNIT_ASSERT(headerTypeFromName("www-authenticate") == HeaderType::kWwwAuthenticate);
    CPPUNIT_ASSERT(headerTypeFromName("Proxy-Authorization") == HeaderType::kProxyAuthorization);
    CPPUNIT_ASSERT(headerTypeFromName("Record-Route") == HeaderType::kRecordRoute);
    CPPUNIT_ASSERT(headerTypeFromName("Route") == HeaderType::kRoute);
    CPPUNIT_ASSERT(headerTypeFromName("Refer-To") == HeaderType::kReferTo);
    CPPUNIT_ASSERT(headerTypeFromName("Referred-By") == HeaderType::kReferredBy);
    CPPUNIT_ASSERT(headerTypeFromName("path") == HeaderType::kPath);
    CPPUNIT_ASSERT(headerTypeFromName("P-Asserted-Identity") == HeaderType::kPAssertedIdentity);
  }

  void compactForms() {
    struct Case {
      const char* name;
      HeaderType type;
    } cases[] = {{"i", HeaderType::kCallId},
                 {"m", HeaderType::kContact},
                 {"e", HeaderType::kContentEncoding},
                 {"l", HeaderType::kContentLength},
                 {"c", HeaderType::kContentType},
                 {"f", HeaderType::kFrom},
                 {"s", HeaderType::kSubject},
                 {"k", HeaderType::kSupported},
                 {"t", HeaderType::kTo},
                 {"v", HeaderType::kVia},
                 {"o", HeaderType::kEvent},
                 {"r", HeaderType::kReferTo},
                 {"b", HeaderType::kReferredBy},
                 {"u", HeaderType::kAllowEvents},
                 {"x", HeaderType::kSessionExpires},
                 {"y", HeaderType::kIdentity},
                 {"V", HeaderType::kVia},
                 {"I", HeaderType::kCallId},
                 {"a", HeaderType::kOther},
                 {"z", HeaderType::kOther}};
    for (const Case& c : cases) {
      CPPUNIT_ASSERT_MESSAGE(c.name, headerTypeFromName(c.name) == c.type);
    }
  }

  void unknownNamesAreOther() {
    CPPUNIT_ASSERT(headerTypeFromName("") == HeaderType::kOther);
    CPPUNIT_ASSERT(headerTypeFromName("X-Custom") == HeaderType::kOther);
    CPPUNIT_ASSERT(headerTypeFromName("Vias") == HeaderType::kOther);
    CPPUNIT_ASSERT(headerTypeFromName("Call_ID") == HeaderType::kOther);
    CPPUNIT_ASSERT(headerTypeFromName(std::string(300, 'a')) == HeaderType::kOther);
    CPPUNIT_ASSERT(headerTypeFromName(std::string_view("Via\0", 4)) == HeaderType::kOther);
  }

  void namesRoundTrip() {
    for (int i = 1; i < static_cast<int>(HeaderType::kCount); ++i) {
      const auto type = static_cast<HeaderType>(i);
      const std::string_view name = headerTypeName(type);
      CPPUNIT_ASSERT_MESSAGE(std::string(name), headerTypeFromName(name) == type);
    }
    CPPUNIT_ASSERT(headerTypeName(HeaderType::kOther).empty());
    CPPUNIT_ASSERT(headerTypeName(HeaderType::kCount).empty());
  }

  void methodsAreCaseSensitive() {
    for (int i = 1; i <= static_cast<int>(Method::kPublish); ++i) {
      const auto m = static_cast<Method>(i);
      CPPUNIT_ASSERT(methodFromName(methodName(m)) == m);
    }
    CPPUNIT_ASSERT(methodFromName("invite") == Method::kOther);
    CPPUNIT_ASSERT(methodFromName("Invite") == Method::kOther);
    CPPUNIT_ASSERT(methodFromName("RE%47IST%45R") == Method::kOther);  // RFC 4475 esc02
    CPPUNIT_ASSERT(methodFromName("") == Method::kOther);
    CPPUNIT_ASSERT(methodFromName("INVITEX") == Method::kOther);
    CPPUNIT_ASSERT(methodName(Method::kOther).empty());
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HeaderTypeTest);

}  // namespace sipline
