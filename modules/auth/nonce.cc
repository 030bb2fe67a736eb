#include "modules/auth/nonce.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstring>

namespace sipline::auth {
namespace {

constexpr std::size_t kSignedBytes = 21;  // expiry, serial, epoch, offer
constexpr std::size_t kMacBytes = 18;
constexpr std::size_t kRawBytes = kSignedBytes + kMacBytes;
static_assert(kRawBytes % 3 == 0 && kRawBytes * 4 / 3 == kNonceLength);

constexpr std::uint8_t kAlgorithmBits = 0x07;
constexpr std::uint8_t kQopAuthBit = 0x10;
constexpr std::uint8_t kQopAuthIntBit = 0x20;
static_assert(crypto::kDigestAlgorithmCount <= 3);

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

void putBe(unsigned char* p, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) {
    p[i] = static_cast<unsigned char>(v & 0xff);
    v >>= 8;
  }
}
std::uint64_t getBe(const unsigned char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

std::uint8_t NonceOffer::toByte() const {
  return static_cast<std::uint8_t>((algorithms & kAlgorithmBits) | (qop_auth ? kQopAuthBit : 0) |
                                   (qop_auth_int ? kQopAuthIntBit : 0));
}

NonceOffer NonceOffer::fromByte(std::uint8_t b) {
  NonceOffer o;
  o.algorithms = b & kAlgorithmBits;
  o.qop_auth = (b & kQopAuthBit) != 0;
  o.qop_auth_int = (b & kQopAuthIntBit) != 0;
  return o;
}

std::string base64UrlEncode(const unsigned char* data, std::size_t n) {
  std::string out;
  out.reserve((n * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    std::uint32_t v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (n - i == 1) {
    std::uint32_t v = data[i] << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (n - i == 2) {
    std::uint32_t v = (data[i] << 16) | (data[i + 1] << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

bool base64UrlDecode(std::string_view text, std::string& out) {
  out.clear();
  if (text.size() % 4 == 1) return false;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int s = sextet(c);
    if (s < 0) return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(s);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  // Leftover bits must be zero, so every byte string has exactly one encoding.
  return (acc & ((1u << bits) - 1)) == 0;
}

Status NonceCodec::init(std::string_view secret) {
  std::uint32_t epoch = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&epoch), sizeof epoch) != 1) {
    return Status::internal("auth: the random generator failed (nonce epoch)");
  }
  return init(secret, epoch);
}

Status NonceCodec::init(std::string_view secret, std::uint32_t epoch) {
  if (secret.empty()) {
    unsigned char random[32];
    if (RAND_bytes(random, sizeof random) != 1) {
      return Status::internal("auth: the random generator failed (nonce secret)");
    }
    key_.assign(reinterpret_cast<const char*>(random), sizeof random);
    OPENSSL_cleanse(random, sizeof random);
  } else {
    key_.assign(secret);
  }
  epoch_ = epoch;
  ready_ = true;
  return Status::ok();
}

void NonceCodec::mac(const unsigned char* data, std::size_t n, unsigned char out[32]) const {
  unsigned int len = 32;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), data, n, out, &len);
}

std::string NonceCodec::issue(std::int64_t expires, std::uint64_t serial,
                              const NonceOffer& offer) const {
  unsigned char raw[kRawBytes];
  putBe(raw, static_cast<std::uint64_t>(expires), 8);
  putBe(raw + 8, serial, 8);
  putBe(raw + 16, epoch_, 4);
  raw[20] = offer.toByte();
  unsigned char digest[32];
  mac(raw, kSignedBytes, digest);
  std::memcpy(raw + kSignedBytes, digest, kMacBytes);
  return base64UrlEncode(raw, kRawBytes);
}

NonceState NonceCodec::verify(std::string_view nonce, std::int64_t now, NonceInfo& info) const {
  std::string raw;
  if (!ready_ || nonce.size() != kNonceLength || !base64UrlDecode(nonce, raw) ||
      raw.size() != kRawBytes) {
    return NonceState::kForeign;
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  unsigned char digest[32];
  mac(bytes, kSignedBytes, digest);
  if (CRYPTO_memcmp(digest, bytes + kSignedBytes, kMacBytes) != 0) return NonceState::kForeign;
  if (getBe(bytes + 16, 4) != epoch_) return NonceState::kForeign;
  info.serial = getBe(bytes + 8, 8);
  info.offer = NonceOffer::fromByte(bytes[20]);
  auto expires = static_cast<std::int64_t>(getBe(bytes, 8));
  return expires < now ? NonceState::kExpired : NonceState::kValid;
}

}  // namespace sipline::auth
