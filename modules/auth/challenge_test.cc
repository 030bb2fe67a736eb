// What a challenge offers: qop and algorithm lists as written in the script, and the header
// lines of the 401/407.
#include "modules/auth/challenge.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace sipline::auth {

using crypto::DigestAlgorithm;

class ChallengeTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ChallengeTest);
  CPPUNIT_TEST(qopVariants);
  CPPUNIT_TEST(badQopIsRefused);
  CPPUNIT_TEST(algorithmListKeepsOrder);
  CPPUNIT_TEST(badAlgorithmListsAreRefused);
  CPPUNIT_TEST(oneLinePerAlgorithmSameNonce);
  CPPUNIT_TEST(staleAndQopVariants);
  CPPUNIT_TEST(proxyChallengeHeaderName);
  CPPUNIT_TEST(realmIsQuotedSafely);
  CPPUNIT_TEST_SUITE_END();

 public:
  void qopVariants() {
    struct Case {
      const char* text;
      bool auth, auth_int;
    } cases[] = {{"", false, false},
                 {"0", false, false},
                 {"1", true, false},
                 {"auth", true, false},
                 {"auth-int", false, true},
                 {"auth,auth-int", true, true},
                 {"auth-int, auth", true, true},
                 {" auth ", true, false}};
    for (const Case& c : cases) {
      Result<QopOffer> q = parseQopOffer(c.text);
      CPPUNIT_ASSERT_MESSAGE(c.text, q.isOk());
      CPPUNIT_ASSERT_MESSAGE(c.text, q.value().auth == c.auth && q.value().auth_int == c.auth_int);
    }
  }

  void badQopIsRefused() {
    const char* bad[] = {"2", "Auth", "auth-conf", "auth,auth", "auth,", ",auth", "auth;auth-int"};
    for (const char* b : bad) {
      Result<QopOffer> q = parseQopOffer(b);
      CPPUNIT_ASSERT_MESSAGE(b, !q.isOk());
    }
    CPPUNIT_ASSERT(parseQopOffer("auth-conf").status().message().find("auth-conf") !=
                   std::string::npos);
  }

  void algorithmListKeepsOrder() {
    Result<AlgorithmList> l = parseAlgorithmList("SHA-512-256, sha-256 ,MD5");
    CPPUNIT_ASSERT(l.isOk());
    CPPUNIT_ASSERT(l.value() == AlgorithmList({DigestAlgorithm::kSha512_256,
                                               DigestAlgorithm::kSha256, DigestAlgorithm::kMd5}));
    Result<AlgorithmList> one = parseAlgorithmList("MD5");
    CPPUNIT_ASSERT(one.isOk() && one.value().size() == 1);
  }

  void badAlgorithmListsAreRefused() {
    const char* bad[] = {"", "MD5,", "MD5,,SHA-256", "MD5-sess", "SHA-1", "MD5,md5", "SHA256"};
    for (const char* b : bad) {
      Result<AlgorithmList> l = parseAlgorithmList(b);
      CPPUNIT_ASSERT_MESSAGE(b, !l.isOk());
    }
  }

  static ChallengeSpec spec(const AlgorithmList& algs) {
    ChallengeSpec s;
    s.realm = "example.com";
    s.nonce = "N0nce";
    s.qop.auth = true;
    s.algorithms = &algs;
    return s;
  }

  void oneLinePerAlgorithmSameNonce() {
    AlgorithmList algs{DigestAlgorithm::kMd5, DigestAlgorithm::kSha256,
                       DigestAlgorithm::kSha512_256};
    CPPUNIT_ASSERT_EQUAL(
        std::string("WWW-Authenticate: Digest realm=\"example.com\", nonce=\"N0nce\", "
                    "qop=\"auth\", algorithm=MD5\r\n"
                    "WWW-Authenticate: Digest realm=\"example.com\", nonce=\"N0nce\", "
                    "qop=\"auth\", algorithm=SHA-256\r\n"
                    "WWW-Authenticate: Digest realm=\"example.com\", nonce=\"N0nce\", "
                    "qop=\"auth\", algorithm=SHA-512-256\r\n"),
        challengeHeaders(spec(algs)));
    AlgorithmList reversed{DigestAlgorithm::kSha256, DigestAlgorithm::kMd5};
    std::string h = challengeHeaders(spec(reversed));
    CPPUNIT_ASSERT(h.find("SHA-256") < h.find("MD5"));
  }

  void staleAndQopVariants() {
    AlgorithmList md5{DigestAlgorithm::kMd5};
    ChallengeSpec s = spec(md5);
    s.stale = true;
    s.qop = QopOffer{true, true};
    CPPUNIT_ASSERT_EQUAL(std::string("WWW-Authenticate: Digest realm=\"example.com\", "
                                     "nonce=\"N0nce\", stale=true, qop=\"auth,auth-int\", "
                                     "algorithm=MD5\r\n"),
                         challengeHeaders(s));
    s.stale = false;
    s.qop = QopOffer{};
    CPPUNIT_ASSERT_EQUAL(std::string("WWW-Authenticate: Digest realm=\"example.com\", "
                                     "nonce=\"N0nce\", algorithm=MD5\r\n"),
                         challengeHeaders(s));
    s.qop = QopOffer{false, true};
    CPPUNIT_ASSERT(challengeHeaders(s).find("qop=\"auth-int\",") != std::string::npos);
  }

  void proxyChallengeHeaderName() {
    AlgorithmList md5{DigestAlgorithm::kMd5};
    ChallengeSpec s = spec(md5);
    s.proxy = true;
    CPPUNIT_ASSERT(challengeHeaders(s).rfind("Proxy-Authenticate: Digest realm=", 0) == 0);
  }

  void realmIsQuotedSafely() {
    AlgorithmList md5{DigestAlgorithm::kMd5};
    ChallengeSpec s = spec(md5);
    s.realm = "a\"b\\c";
    CPPUNIT_ASSERT(challengeHeaders(s).find("realm=\"a\\\"b\\\\c\",") != std::string::npos);
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(ChallengeTest);

}  // namespace sipline::auth
