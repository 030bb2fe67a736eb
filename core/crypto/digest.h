// HTTP Digest hashing (RFC 7616 §3.4, RFC 8760 for SIP): the algorithms, HA1 from a password,
// and the request-digest a client sends. Shared by the auth module (checking responses),
// auth_db (calculate_ha1) and siplinectl (storing HA1 for every algorithm). Hashes are lower-
// case hex, as the subscriber table and the response parameter carry them. OpenSSL EVP; no
// allocation beyond the returned strings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sipline::crypto {

enum class DigestAlgorithm : std::uint8_t { kMd5, kSha256, kSha512_256 };
inline constexpr int kDigestAlgorithmCount = 3;

// "MD5", "SHA-256", "SHA-512-256" (the names of the algorithm parameter).
std::string_view digestAlgorithmName(DigestAlgorithm a);
// Case-insensitive; "" (absent) is MD5 (RFC 7616 §3.3). nullopt for anything else, and for
// the "-sess" variants, which SIP does not use (RFC 8760 §2.2).
std::optional<DigestAlgorithm> parseDigestAlgorithm(std::string_view name);
// Hex digits in a hash of that algorithm: 32 or 64.
std::size_t digestHexLength(DigestAlgorithm a);

// H(data) in lower-case hex.
std::string digestHex(DigestAlgorithm a, std::string_view data);
// HA1 = H(username ":" realm ":" password).
std::string digestHa1(DigestAlgorithm a, std::string_view username, std::string_view realm,
                      std::string_view password);

// What the response is computed over (RFC 7616 §3.4.1). qop "" is the RFC 2069 form
// H(HA1:nonce:HA2); "auth" and "auth-int" use nc and cnonce. body only matters for auth-int.
struct DigestInput {
  std::string_view ha1;  // hex, as stored
  std::string_view method;
  std::string_view uri;  // the uri parameter, as sent
  std::string_view nonce;
  std::string_view nc;
  std::string_view cnonce;
  std::string_view qop;
  std::string_view body;
};
std::string digestResponse(DigestAlgorithm a, const DigestInput& in);

// Compares two strings in time that depends only on their lengths (responses, HA1s).
bool constantTimeEquals(std::string_view a, std::string_view b);
// Same, ignoring ASCII case (hex responses may come in upper case). Only meaningful for hex
// text: the caller checks that the client's value is hex first.
bool constantTimeEqualsHex(std::string_view a, std::string_view b);

}  // namespace sipline::crypto
