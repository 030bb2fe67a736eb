// Digest nonces that carry their own state (RFC 7616 §3.3 leaves the format to the server):
// expiry time, a serial naming the nonce-count slot (nonce_table.h), the epoch of this
// server run and what the challenge offered (algorithms, qop), signed with HMAC-SHA256 over a
// server secret. Verifying one needs no I/O and no
// shared state beyond the secret, which the master draws before fork so every worker agrees.
//
// Layout: expiry (8 bytes, big-endian unix seconds) | serial (8) | epoch (4) | offer (1:
// NonceOffer) | MAC (18: the first bytes of HMAC-SHA256 over the 21 bytes before it), 39 bytes
// as unpadded base64url: 52 characters of [A-Za-z0-9_-], nothing that needs quoting or
// escaping in a header. The signed offer is what stops a downgrade: a response may only use
// an algorithm and qop that the challenge of its nonce offered.
// A new random epoch per run makes every nonce of an earlier run foreign even with a fixed
// secret: the nonce-count table starts empty after a restart, so an old nonce could
// otherwise be replayed once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "modules/auth/api.h"

namespace sipline::auth {

inline constexpr std::size_t kNonceLength = 52;

// What the challenge that issued a nonce offered. One byte in the nonce: bits 0-2 the
// algorithms (bit = crypto::DigestAlgorithm value), bit 4 qop "auth", bit 5 qop "auth-int".
struct NonceOffer {
  std::uint8_t algorithms = 0;
  bool qop_auth = false;
  bool qop_auth_int = false;

  bool offers(crypto::DigestAlgorithm a) const {
    return (algorithms >> static_cast<unsigned>(a)) & 1u;
  }
  bool qopOffered() const { return qop_auth || qop_auth_int; }
  std::uint8_t toByte() const;
  static NonceOffer fromByte(std::uint8_t b);
};

// What verify() read from a nonce (meaningful unless the nonce is foreign).
struct NonceInfo {
  std::uint64_t serial = 0;
  NonceOffer offer;
};

class NonceCodec {
 public:
  // secret: the key bytes; "" draws 32 random bytes (OpenSSL RAND_bytes). The epoch is
  // always random. Fails only when the random generator does.
  Status init(std::string_view secret);
  // Same with a chosen epoch (tests: two codecs of "one run").
  Status init(std::string_view secret, std::uint32_t epoch);

  std::string issue(std::int64_t expires, std::uint64_t serial, const NonceOffer& offer) const;

  // kValid (info set), kExpired (expires < now; info set), or kForeign for anything not made
  // by issue() of this codec: wrong length or alphabet, bad MAC, other epoch.
  NonceState verify(std::string_view nonce, std::int64_t now, NonceInfo& info) const;

  bool ready() const { return ready_; }

 private:
  void mac(const unsigned char* data, std::size_t n, unsigned char out[32]) const;
  std::string key_;
  std::uint32_t epoch_ = 0;
  bool ready_ = false;
};

// Unpadded base64url (RFC 4648 §5). decode: false on a character outside the alphabet or a
// length that no encoding has.
std::string base64UrlEncode(const unsigned char* data, std::size_t n);
bool base64UrlDecode(std::string_view text, std::string& out);

}  // namespace sipline::auth
