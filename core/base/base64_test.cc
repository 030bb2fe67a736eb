#include "core/base/base64.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace sipline {

class Base64Test : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(Base64Test);
  CPPUNIT_TEST(roundTripsEveryLengthAndByte);
  CPPUNIT_TEST(knownVectors);
  CPPUNIT_TEST(malformedTextIsRefused);
  CPPUNIT_TEST_SUITE_END();

 public:
  void roundTripsEveryLengthAndByte() {
    std::string data;
    for (int i = 0; i < 300; ++i) {
      data.push_back(static_cast<char>((i * 7) & 0xff));
      std::string back;
      CPPUNIT_ASSERT(base64Decode(base64Encode(data), back));
      CPPUNIT_ASSERT(back == data);
    }
  }

  void knownVectors() {  // RFC 4648 §10
    const char* pairs[][2] = {{"", ""},
                              {"f", "Zg=="},
                              {"fo", "Zm8="},
                              {"foo", "Zm9v"},
                              {"foob", "Zm9vYg=="},
                              {"fooba", "Zm9vYmE="},
                              {"foobar", "Zm9vYmFy"}};
    for (const auto& p : pairs) {
      CPPUNIT_ASSERT_EQUAL(std::string(p[1]), base64Encode(p[0]));
      std::string back;
      CPPUNIT_ASSERT(base64Decode(p[1], back));
      CPPUNIT_ASSERT_EQUAL(std::string(p[0]), back);
    }
  }

  void malformedTextIsRefused() {
    std::string out;
    for (const char* bad : {"Zg=", "Zg===", "Z===", "Zm=v", "Zm9v\n", "Zm 9", "Zm9v====", "Zm9-"}) {
      CPPUNIT_ASSERT_MESSAGE(bad, !base64Decode(bad, out));
    }
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(Base64Test);

}  // namespace sipline
