// Digest nonces that carry their own state (RFC 7616 §3.3 leaves the format to the server):
// expiry time, a serial naming the nonce-count slot (nonce_table.h) and the epoch of this
// server run, signed with HMAC-SHA256 over a server secret. Verifying one needs no I/O and no
// shared state beyond the secret, which the master draws before fork so every worker agrees.
//
// Layout: expiry (8 bytes, big-endian unix seconds) | serial (8) | epoch (4) | MAC (16: the
// first half of HMAC-SHA256 over the 20 bytes before it), 36 bytes as unpadded base64url: 48
// characters of [A-Za-z0-9_-], nothing that needs quoting or escaping in a header.
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

inline constexpr std::size_t kNonceLength = 48;

class NonceCodec {
 public:
  // secret: the key bytes; "" draws 32 random bytes (OpenSSL RAND_bytes). The epoch is
  // always random. Fails only when the random generator does.
  Status init(std::string_view secret);
  // Same with a chosen epoch (tests: two codecs of "one run").
  Status init(std::string_view secret, std::uint32_t epoch);

  std::string issue(std::int64_t expires, std::uint64_t serial) const;

  // kValid (serial set), kExpired (expires < now; serial set), or kForeign for anything not
  // made by issue() of this codec: wrong length or alphabet, bad MAC, other epoch.
  NonceState verify(std::string_view nonce, std::int64_t now, std::uint64_t& serial) const;

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
