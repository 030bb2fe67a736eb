#include "core/transport/sock_addr.h"

#include <arpa/inet.h>
#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace sipline {

class SockAddrTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SockAddrTest);
  CPPUNIT_TEST(ipv4TextMatchesInetNtopForEveryByteValue);
  CPPUNIT_TEST(ipv6AndUriForms);
  CPPUNIT_TEST(noAddressHasNoText);
  CPPUNIT_TEST_SUITE_END();

 public:
  void ipv4TextMatchesInetNtopForEveryByteValue() {
    // The hand-made IPv4 text against the C library's, with each byte taking every value
    // in each position (the others kept at values of a different digit count).
    const unsigned char others[] = {7, 42, 255};
    for (int pos = 0; pos < 4; ++pos) {
      for (unsigned other : others) {
        for (unsigned v = 0; v < 256; ++v) {
          SockAddr a;
          auto* sin = reinterpret_cast<sockaddr_in*>(&a.ss);
          sin->sin_family = AF_INET;
          auto* b = reinterpret_cast<unsigned char*>(&sin->sin_addr);
          for (int i = 0; i < 4; ++i) b[i] = static_cast<unsigned char>(i == pos ? v : other);
          a.len = sizeof(sockaddr_in);
          char want[INET_ADDRSTRLEN];
          CPPUNIT_ASSERT(inet_ntop(AF_INET, &sin->sin_addr, want, sizeof want) != nullptr);
          CPPUNIT_ASSERT_EQUAL(std::string(want), a.ip());
        }
      }
    }
    SockAddr a;
    CPPUNIT_ASSERT(SockAddr::fromNumeric("0.0.0.0", 5060, a));
    CPPUNIT_ASSERT_EQUAL(std::string("0.0.0.0"), a.ip());
    CPPUNIT_ASSERT(SockAddr::fromNumeric("255.255.255.255", 1, a));
    CPPUNIT_ASSERT_EQUAL(std::string("255.255.255.255"), a.ip());
    CPPUNIT_ASSERT(SockAddr::fromNumeric("10.0.100.9", 5061, a));
    CPPUNIT_ASSERT_EQUAL(std::string("10.0.100.9"), a.ip());
    CPPUNIT_ASSERT_EQUAL(std::string("10.0.100.9"), a.ipForUri());
    CPPUNIT_ASSERT_EQUAL(std::string("10.0.100.9:5061"), a.toString());
  }

  void ipv6AndUriForms() {
    SockAddr a;
    CPPUNIT_ASSERT(SockAddr::fromNumeric("2001:db8::1", 5060, a));
    CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::1"), a.ip());
    CPPUNIT_ASSERT_EQUAL(std::string("[2001:db8::1]"), a.ipForUri());
    CPPUNIT_ASSERT_EQUAL(std::string("[2001:db8::1]:5060"), a.toString());
    CPPUNIT_ASSERT(SockAddr::fromNumeric("::ffff:192.0.2.1", 7, a));
    CPPUNIT_ASSERT_EQUAL(std::string("::ffff:192.0.2.1"), a.ip());
  }

  void noAddressHasNoText() {
    SockAddr a;
    CPPUNIT_ASSERT_EQUAL(std::string(), a.ip());
    CPPUNIT_ASSERT_EQUAL(std::uint16_t{0}, a.port());
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SockAddrTest);

}  // namespace sipline
