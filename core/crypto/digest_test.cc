#include "core/crypto/digest.h"

#include <cppunit/extensions/HelperMacros.h>

namespace sipline::crypto {

class DigestTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DigestTest);
  CPPUNIT_TEST(rfc2617Example);
  CPPUNIT_TEST(rfc7616Sha256Example);
  CPPUNIT_TEST(sha512_256Lengths);
  CPPUNIT_TEST(algorithmNames);
  CPPUNIT_TEST(rfc2069FormWithoutQop);
  CPPUNIT_TEST(authIntHashesTheBody);
  CPPUNIT_TEST(constantTimeCompare);
  CPPUNIT_TEST_SUITE_END();

 public:
  // RFC 2617 §3.5: Mufasa / "Circle Of Life" / testrealm@host.com.
  void rfc2617Example() {
    std::string ha1 =
        digestHa1(DigestAlgorithm::kMd5, "Mufasa", "testrealm@host.com", "Circle Of Life");
    DigestInput in;
    in.ha1 = ha1;
    in.method = "GET";
    in.uri = "/dir/index.html";
    in.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
    in.nc = "00000001";
    in.cnonce = "0a4f113b";
    in.qop = "auth";
    CPPUNIT_ASSERT_EQUAL(std::string("6629fae49393a05397450978507c4ef1"),
                         digestResponse(DigestAlgorithm::kMd5, in));
  }
  // RFC 7616 §3.9.1, SHA-256 and MD5 of the same exchange.
  void rfc7616Sha256Example() {
    DigestInput in;
    in.method = "GET";
    in.uri = "/dir/index.html";
    in.nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
    in.nc = "00000001";
    in.cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
    in.qop = "auth";
    std::string sha =
        digestHa1(DigestAlgorithm::kSha256, "Mufasa", "http-auth@example.org", "Circle of Life");
    in.ha1 = sha;
    CPPUNIT_ASSERT_EQUAL(
        std::string("753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
        digestResponse(DigestAlgorithm::kSha256, in));
    std::string md5 =
        digestHa1(DigestAlgorithm::kMd5, "Mufasa", "http-auth@example.org", "Circle of Life");
    in.ha1 = md5;
    CPPUNIT_ASSERT_EQUAL(std::string("8ca523f5e9506fed4657c9700eebdbec"),
                         digestResponse(DigestAlgorithm::kMd5, in));
  }
  void sha512_256Lengths() {
    // FIPS 180-4 SHA-512/256 of "abc".
    CPPUNIT_ASSERT_EQUAL(
        std::string("53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23"),
        digestHex(DigestAlgorithm::kSha512_256, "abc"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{64}, digestHexLength(DigestAlgorithm::kSha512_256));
    CPPUNIT_ASSERT_EQUAL(std::size_t{32}, digestHexLength(DigestAlgorithm::kMd5));
    CPPUNIT_ASSERT_EQUAL(std::size_t{32}, digestHex(DigestAlgorithm::kMd5, "").size());
  }
  void algorithmNames() {
    CPPUNIT_ASSERT(parseDigestAlgorithm("") == DigestAlgorithm::kMd5);
    CPPUNIT_ASSERT(parseDigestAlgorithm("md5") == DigestAlgorithm::kMd5);
    CPPUNIT_ASSERT(parseDigestAlgorithm("sha-256") == DigestAlgorithm::kSha256);
    CPPUNIT_ASSERT(parseDigestAlgorithm("SHA-512-256") == DigestAlgorithm::kSha512_256);
    CPPUNIT_ASSERT(!parseDigestAlgorithm("MD5-sess").has_value());
    CPPUNIT_ASSERT(!parseDigestAlgorithm("SHA-1").has_value());
    for (auto a : {DigestAlgorithm::kMd5, DigestAlgorithm::kSha256, DigestAlgorithm::kSha512_256}) {
      CPPUNIT_ASSERT(parseDigestAlgorithm(digestAlgorithmName(a)) == a);
    }
  }
  // RFC 2069: response = H(HA1:nonce:H(method:uri)).
  void rfc2069FormWithoutQop() {
    DigestInput in;
    std::string ha1 = digestHa1(DigestAlgorithm::kMd5, "bob", "example.com", "pw");
    in.ha1 = ha1;
    in.method = "REGISTER";
    in.uri = "sip:example.com";
    in.nonce = "abc";
    std::string expect =
        digestHex(DigestAlgorithm::kMd5,
                  ha1 + ":abc:" + digestHex(DigestAlgorithm::kMd5, "REGISTER:sip:example.com"));
    CPPUNIT_ASSERT_EQUAL(expect, digestResponse(DigestAlgorithm::kMd5, in));
  }
  void authIntHashesTheBody() {
    DigestInput in;
    in.ha1 = "00000000000000000000000000000000";
    in.method = "INVITE";
    in.uri = "sip:a@b";
    in.nonce = "n";
    in.nc = "00000001";
    in.cnonce = "c";
    in.qop = "auth-int";
    in.body = "v=0\r\n";
    std::string with_body = digestResponse(DigestAlgorithm::kMd5, in);
    in.body = "v=1\r\n";
    CPPUNIT_ASSERT(with_body != digestResponse(DigestAlgorithm::kMd5, in));
    in.qop = "auth";
    std::string a = digestResponse(DigestAlgorithm::kMd5, in);
    in.body = "v=0\r\n";
    CPPUNIT_ASSERT_EQUAL(a, digestResponse(DigestAlgorithm::kMd5, in));
  }
  void constantTimeCompare() {
    CPPUNIT_ASSERT(constantTimeEquals("abc", "abc"));
    CPPUNIT_ASSERT(!constantTimeEquals("abc", "abd"));
    CPPUNIT_ASSERT(!constantTimeEquals("abc", "abcd"));
    CPPUNIT_ASSERT(constantTimeEqualsHex("6629FAE4", "6629fae4"));
    CPPUNIT_ASSERT(!constantTimeEqualsHex("6629fae4", "6629fae5"));
    CPPUNIT_ASSERT(!constantTimeEqualsHex("", "0"));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DigestTest);

}  // namespace sipline::crypto
