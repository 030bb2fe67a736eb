// Nonces: what issue() makes verifies with the same secret and epoch only, expires, and any
// change to it makes it foreign; base64url is strict.
#include "modules/auth/nonce.h"

#include <cppunit/extensions/HelperMacros.h>

#include <set>
#include <string>

namespace sipline::auth {
namespace {

NonceOffer offerOf(std::uint8_t algorithms, bool auth, bool auth_int) {
  NonceOffer o;
  o.algorithms = algorithms;
  o.qop_auth = auth;
  o.qop_auth_int = auth_int;
  return o;
}
const NonceOffer kOffer = offerOf(0x7, true, false);

}  // namespace

class NonceTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(NonceTest);
  CPPUNIT_TEST(issuedNonceVerifiesWithItsSerial);
  CPPUNIT_TEST(nonceUsesOnlyTokenCharacters);
  CPPUNIT_TEST(expiredAfterItsTime);
  CPPUNIT_TEST(everyTamperedCharacterIsForeign);
  CPPUNIT_TEST(otherSecretIsForeign);
  CPPUNIT_TEST(otherEpochIsForeign);
  CPPUNIT_TEST(randomSecretsDiffer);
  CPPUNIT_TEST(garbageIsForeign);
  CPPUNIT_TEST(offerIsSignedAndReadBack);
  CPPUNIT_TEST(uninitialisedCodecTrustsNothing);
  CPPUNIT_TEST(base64UrlRoundTrip);
  CPPUNIT_TEST(base64UrlRejectsBadText);
  CPPUNIT_TEST_SUITE_END();

 public:
  void issuedNonceVerifiesWithItsSerial() {
    NonceCodec c;
    CPPUNIT_ASSERT(c.init("s3cret", 7).isOk());
    std::string n = c.issue(1000, 123456789012345ULL, kOffer);
    CPPUNIT_ASSERT_EQUAL(kNonceLength, n.size());
    NonceInfo info;
    CPPUNIT_ASSERT(c.verify(n, 999, info) == NonceState::kValid);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{123456789012345ULL}, info.serial);
    CPPUNIT_ASSERT(c.verify(n, 1000, info) == NonceState::kValid);  // good through its second
    // Serials differ, so do nonces.
    CPPUNIT_ASSERT(c.issue(1000, 1, kOffer) != c.issue(1000, 2, kOffer));
  }

  void nonceUsesOnlyTokenCharacters() {
    NonceCodec c;
    CPPUNIT_ASSERT(c.init("").isOk());
    for (std::uint64_t s = 0; s < 200; ++s) {
      for (char ch : c.issue(1700000000 + static_cast<std::int64_t>(s), s * 7919, kOffer)) {
        bool ok = std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
        CPPUNIT_ASSERT_MESSAGE(std::string(1, ch), ok);
      }
    }
  }

  void expiredAfterItsTime() {
    NonceCodec c;
    CPPUNIT_ASSERT(c.init("k", 1).isOk());
    std::string n = c.issue(500, 3, kOffer);
    NonceInfo info;
    CPPUNIT_ASSERT(c.verify(n, 501, info) == NonceState::kExpired);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{3}, info.serial);
  }

  void everyTamperedCharacterIsForeign() {
    NonceCodec c;
    CPPUNIT_ASSERT(c.init("k", 1).isOk());
    std::string n = c.issue(500, 3, kOffer);
    NonceInfo info;
    for (std::size_t i = 0; i < n.size(); ++i) {
      std::string t = n;
      t[i] = t[i] == 'A' ? 'B' : 'A';
      CPPUNIT_ASSERT_MESSAGE(t, c.verify(t, 0, info) == NonceState::kForeign);
    }
    // A nonce moved in time by its holder: the MAC covers the expiry.
    CPPUNIT_ASSERT(c.verify(n.substr(0, n.size() - 1), 0, info) == NonceState::kForeign);
    CPPUNIT_ASSERT(c.verify(n + "A", 0, info) == NonceState::kForeign);
  }

  void otherSecretIsForeign() {
    NonceCodec a, b;
    CPPUNIT_ASSERT(a.init("one", 1).isOk());
    CPPUNIT_ASSERT(b.init("two", 1).isOk());
    NonceInfo info;
    CPPUNIT_ASSERT(b.verify(a.issue(500, 3, kOffer), 0, info) == NonceState::kForeign);
  }

  void otherEpochIsForeign() {
    // A restart with the same configured secret: old nonces no longer count.
    NonceCodec a, b;
    CPPUNIT_ASSERT(a.init("same", 1).isOk());
    CPPUNIT_ASSERT(b.init("same", 2).isOk());
    NonceInfo info;
    CPPUNIT_ASSERT(b.verify(a.issue(500, 3, kOffer), 0, info) == NonceState::kForeign);
    NonceCodec again;
    CPPUNIT_ASSERT(again.init("same", 1).isOk());
    CPPUNIT_ASSERT(again.verify(a.issue(500, 3, kOffer), 0, info) == NonceState::kValid);
  }

  void randomSecretsDiffer() {
    NonceCodec a, b;
    CPPUNIT_ASSERT(a.init("", 5).isOk());
    CPPUNIT_ASSERT(b.init("", 5).isOk());
    NonceInfo info;
    CPPUNIT_ASSERT(b.verify(a.issue(500, 3, kOffer), 0, info) == NonceState::kForeign);
    CPPUNIT_ASSERT(a.verify(a.issue(500, 3, kOffer), 0, info) == NonceState::kValid);
  }

  // The offer byte travels in the nonce and is covered by the MAC: a client cannot widen it.
  void offerIsSignedAndReadBack() {
    NonceCodec c;
    CPPUNIT_ASSERT(c.init("k", 1).isOk());
    for (std::uint8_t algs = 0; algs < 8; ++algs) {
      for (int q = 0; q < 4; ++q) {
        NonceOffer o = offerOf(algs, (q & 1) != 0, (q & 2) != 0);
        NonceInfo info;
        CPPUNIT_ASSERT(c.verify(c.issue(500, 9, o), 0, info) == NonceState::kValid);
        CPPUNIT_ASSERT_EQUAL(int{algs}, int{info.offer.algorithms});
        CPPUNIT_ASSERT_EQUAL(o.qop_auth, info.offer.qop_auth);
        CPPUNIT_ASSERT_EQUAL(o.qop_auth_int, info.offer.qop_auth_int);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{9}, info.serial);
      }
    }
    NonceOffer md5_only =
        offerOf(1u << static_cast<unsigned>(crypto::DigestAlgorithm::kMd5), false, false);
    CPPUNIT_ASSERT(md5_only.offers(crypto::DigestAlgorithm::kMd5));
    CPPUNIT_ASSERT(!md5_only.offers(crypto::DigestAlgorithm::kSha256));
    CPPUNIT_ASSERT(!md5_only.qopOffered());
    // Flip the offer byte (raw byte 20) to "everything": the MAC no longer fits.
    std::string raw;
    CPPUNIT_ASSERT(base64UrlDecode(c.issue(500, 9, md5_only), raw));
    CPPUNIT_ASSERT_EQUAL(std::size_t{39}, raw.size());
    raw[20] = static_cast<char>(0x37);
    std::string forged =
        base64UrlEncode(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
    NonceInfo info;
    CPPUNIT_ASSERT(c.verify(forged, 0, info) == NonceState::kForeign);
  }

  void garbageIsForeign() {
    NonceCodec c;
    CPPUNIT_ASSERT(c.init("k", 1).isOk());
    NonceInfo info;
    const char* bad[] = {"",
                         "abc",
                         "0123456789abcdef0123456789abcdef",
                         "################################################",
                         "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                         "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="};
    for (const char* n : bad) {
      CPPUNIT_ASSERT_MESSAGE(n, c.verify(n, 0, info) == NonceState::kForeign);
    }
  }

  void uninitialisedCodecTrustsNothing() {
    NonceCodec ready, none;
    CPPUNIT_ASSERT(ready.init("k", 0).isOk());
    NonceInfo info;
    CPPUNIT_ASSERT(!none.ready());
    CPPUNIT_ASSERT(none.verify(ready.issue(500, 1, kOffer), 0, info) == NonceState::kForeign);
  }

  void base64UrlRoundTrip() {
    std::string all;
    for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
    for (std::size_t n = 0; n <= all.size(); n += 17) {
      std::string text = base64UrlEncode(reinterpret_cast<const unsigned char*>(all.data()), n);
      CPPUNIT_ASSERT(text.find_first_of("+/=") == std::string::npos);
      std::string back;
      CPPUNIT_ASSERT(base64UrlDecode(text, back));
      CPPUNIT_ASSERT(back == all.substr(0, n));
    }
    const unsigned char abc[] = {'f', 'o', 'o', 'b'};
    CPPUNIT_ASSERT_EQUAL(std::string("Zm9vYg"), base64UrlEncode(abc, 4));
  }

  void base64UrlRejectsBadText() {
    std::string out;
    CPPUNIT_ASSERT(!base64UrlDecode("Zm9vY", out));   // a length no encoding has
    CPPUNIT_ASSERT(!base64UrlDecode("Zm9v+g", out));  // standard alphabet, not url
    CPPUNIT_ASSERT(!base64UrlDecode("Zm9vYh", out));  // non-zero leftover bits
    CPPUNIT_ASSERT(base64UrlDecode("Zm9vYg", out));
    CPPUNIT_ASSERT_EQUAL(std::string("foob"), out);
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(NonceTest);

}  // namespace sipline::auth
