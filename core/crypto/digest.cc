#include "core/crypto/digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/base/strings.h"

namespace sipline::crypto {
namespace {

const EVP_MD* evpOf(DigestAlgorithm a) {
  switch (a) {
    case DigestAlgorithm::kMd5:
      return EVP_md5();
    case DigestAlgorithm::kSha256:
      return EVP_sha256();
    case DigestAlgorithm::kSha512_256:
      return EVP_sha512_256();
  }
  return EVP_md5();
}

void appendHexBytes(std::string& out, const unsigned char* p, unsigned n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (unsigned i = 0; i < n; ++i) {
    out += kDigits[p[i] >> 4];
    out += kDigits[p[i] & 0xf];
  }
}

// H() over several pieces joined by ':' without building the joined string.
std::string hashJoined(DigestAlgorithm a, std::initializer_list<std::string_view> parts) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_MD_CTX* c = EVP_MD_CTX_new();
  bool ok = c != nullptr && EVP_DigestInit_ex(c, evpOf(a), nullptr) == 1;
  bool first = true;
  for (std::string_view p : parts) {
    if (!first) ok = ok && EVP_DigestUpdate(c, ":", 1) == 1;
    first = false;
    ok = ok && EVP_DigestUpdate(c, p.data(), p.size()) == 1;
  }
  ok = ok && EVP_DigestFinal_ex(c, md, &len) == 1;
  EVP_MD_CTX_free(c);
  std::string out;
  if (!ok) return out;  // only on allocation failure in OpenSSL: never matches anything
  out.reserve(len * 2);
  appendHexBytes(out, md, len);
  return out;
}

}  // namespace

std::string_view digestAlgorithmName(DigestAlgorithm a) {
  switch (a) {
    case DigestAlgorithm::kMd5:
      return "MD5";
    case DigestAlgorithm::kSha256:
      return "SHA-256";
    case DigestAlgorithm::kSha512_256:
      return "SHA-512-256";
  }
  return "MD5";
}

std::optional<DigestAlgorithm> parseDigestAlgorithm(std::string_view name) {
  if (name.empty() || iequals(name, "MD5")) return DigestAlgorithm::kMd5;
  if (iequals(name, "SHA-256")) return DigestAlgorithm::kSha256;
  if (iequals(name, "SHA-512-256")) return DigestAlgorithm::kSha512_256;
  return std::nullopt;
}

std::size_t digestHexLength(DigestAlgorithm a) { return a == DigestAlgorithm::kMd5 ? 32 : 64; }

std::string digestHex(DigestAlgorithm a, std::string_view data) { return hashJoined(a, {data}); }

std::string digestHa1(DigestAlgorithm a, std::string_view username, std::string_view realm,
                      std::string_view password) {
  return hashJoined(a, {username, realm, password});
}

std::string digestResponse(DigestAlgorithm a, const DigestInput& in) {
  std::string ha2 = iequals(in.qop, "auth-int")
                        ? hashJoined(a, {in.method, in.uri, digestHex(a, in.body)})
                        : hashJoined(a, {in.method, in.uri});
  if (in.qop.empty()) return hashJoined(a, {in.ha1, in.nonce, ha2});
  return hashJoined(a, {in.ha1, in.nonce, in.nc, in.cnonce, in.qop, ha2});
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool constantTimeEqualsHex(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>((a[i] | 0x20) ^ (b[i] | 0x20));
  }
  return diff == 0;
}

}  // namespace sipline::crypto
