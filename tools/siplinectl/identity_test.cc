#include "tools/siplinectl/identity.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace sipline::ctl {
namespace {

std::string errorOf(const Status& st) {
  CPPUNIT_ASSERT_MESSAGE("expected an error", !st.isOk());
  CPPUNIT_ASSERT(st.code() == Code::kInvalidArgument);
  return st.message();
}

template <class T>
std::string errorOf(const Result<T>& r) {
  return errorOf(r.isOk() ? Status::ok() : r.status());
}

}  // namespace

class IdentityTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(IdentityTest);
  CPPUNIT_TEST(splitsAorAndLowerCasesTheDomain);
  CPPUNIT_TEST(userCharactersAndLength);
  CPPUNIT_TEST(domainsAreHostNamesOrIpv4);
  CPPUNIT_TEST(malformedAors);
  CPPUNIT_TEST(passwordsArePrintableAndBounded);
  CPPUNIT_TEST(emailAddresses);
  CPPUNIT_TEST_SUITE_END();

 public:
  void splitsAorAndLowerCasesTheDomain() {
    Result<Aor> a = parseAor("Alice.Smith@Example.COM");
    CPPUNIT_ASSERT(a.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("Alice.Smith"), a.value().user);  // users keep their case
    CPPUNIT_ASSERT_EQUAL(std::string("example.com"), a.value().domain);
    CPPUNIT_ASSERT_EQUAL(std::string("Alice.Smith@example.com"), a.value().text());
    CPPUNIT_ASSERT(parseAor("+4930123@10.0.0.1").isOk());
  }

  void userCharactersAndLength() {
    CPPUNIT_ASSERT(checkUser("a-b_c.d!e~f*g'h(i)j&k=l+m$n,o;p?q/r").isOk());
    CPPUNIT_ASSERT(checkUser(std::string(64, 'u')).isOk());
    CPPUNIT_ASSERT(errorOf(checkUser(std::string(65, 'u'))).find("longer than 64") !=
                   std::string::npos);
    CPPUNIT_ASSERT_EQUAL(std::string("the user name is empty"), errorOf(checkUser("")));
    for (const char* bad : {"a b", "a:b", "a%41", "a\"b", "a\\b", "a<b", "a\tb", "\xc3\xa9"}) {
      CPPUNIT_ASSERT_MESSAGE(bad, !checkUser(bad).isOk());
    }
    CPPUNIT_ASSERT(errorOf(checkUser("a:b")).find("contains ':'") != std::string::npos);
    // Control characters are shown escaped, never raw on the terminal.
    CPPUNIT_ASSERT(errorOf(checkUser("a\x1b")).find("\\x1b") != std::string::npos);
  }

  void domainsAreHostNamesOrIpv4() {
    for (const char* good :
         {"example.com", "sip-1.example.co.uk", "localhost", "127.0.0.1", "a.b-c.d9.x"}) {
      CPPUNIT_ASSERT_MESSAGE(good, parseDomain(good).isOk());
    }
    CPPUNIT_ASSERT_EQUAL(std::string("sip.example.com"), parseDomain("SIP.Example.Com").value());
    for (const char* bad : {"", "-a.com", "a-.com", "a..com", ".a.com", "a.com.", "a_b.com",
                            "1.2.3", "256.1.1.1", "a.1com", "[::1]", "exa mple.com"}) {
      CPPUNIT_ASSERT_MESSAGE(bad, !parseDomain(bad).isOk());
    }
    CPPUNIT_ASSERT(errorOf(parseDomain("example.com:5060")).find("without a port") !=
                   std::string::npos);
    CPPUNIT_ASSERT(
        parseDomain(std::string(61, 'a') + ".com").status().message().find("longer than 64") !=
        std::string::npos);
  }

  void malformedAors() {
    CPPUNIT_ASSERT_EQUAL(std::string("'alice' is not USER@DOMAIN"), errorOf(parseAor("alice")));
    CPPUNIT_ASSERT_EQUAL(std::string("'a@b@c.d' has more than one '@'"),
                         errorOf(parseAor("a@b@c.d")));
    CPPUNIT_ASSERT(errorOf(parseAor("sip:a@b.c")).find("without the sip: scheme") !=
                   std::string::npos);
    CPPUNIT_ASSERT_EQUAL(std::string("the user name is empty"), errorOf(parseAor("@b.c")));
    CPPUNIT_ASSERT_EQUAL(std::string("the domain is empty"), errorOf(parseAor("a@")));
  }

  void passwordsArePrintableAndBounded() {
    CPPUNIT_ASSERT(checkPassword("correct horse battery staple").isOk());
    CPPUNIT_ASSERT(checkPassword(std::string(64, 'p')).isOk());
    CPPUNIT_ASSERT(checkPassword("p\xc3\xa4ss").isOk());  // UTF-8
    CPPUNIT_ASSERT(!checkPassword(std::string(65, 'p')).isOk());
    CPPUNIT_ASSERT(!checkPassword("").isOk());
    // The message never repeats the password.
    const std::string m = errorOf(checkPassword("sec\tret"));
    CPPUNIT_ASSERT(m.find("control character") != std::string::npos);
    CPPUNIT_ASSERT(m.find("sec") == std::string::npos);
    CPPUNIT_ASSERT(!checkPassword(std::string("a\x7f")).isOk());
  }

  void emailAddresses() {
    CPPUNIT_ASSERT(checkEmail("alice@example.com").isOk());
    for (const char* bad : {"", "alice", "@example.com", "alice@", "a@b@c", "a b@c.d", "a\n@c.d"}) {
      CPPUNIT_ASSERT_MESSAGE(bad, !checkEmail(bad).isOk());
    }
    CPPUNIT_ASSERT(!checkEmail(std::string(120, 'a') + "@example.com").isOk());
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(IdentityTest);

}  // namespace sipline::ctl
