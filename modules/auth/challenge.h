// The challenge side: what www_challenge()/proxy_challenge() offer (qop and algorithms, as
// written in the script or the `algorithms` parameter) and the WWW-Authenticate /
// Proxy-Authenticate lines of the 401/407 (RFC 7616 §3.3, RFC 8760 §2.4): one line per
// algorithm in the configured order, all with the same nonce, since a client answers the
// first one it supports.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/crypto/digest.h"

namespace sipline::auth {

struct QopOffer {
  bool auth = false;
  bool auth_int = false;
  bool any() const { return auth || auth_int; }
};

// "" (none), "auth", "auth-int", "auth,auth-int" (either order, spaces allowed around the
// comma), and the 1.6-era "0" (none) and "1" (auth).
Result<QopOffer> parseQopOffer(std::string_view text);

using AlgorithmList = std::vector<crypto::DigestAlgorithm>;
// "MD5,SHA-256,SHA-512-256": names separated by commas (spaces allowed), case-insensitive,
// at least one, no repeats, no "-sess" variants.
Result<AlgorithmList> parseAlgorithmList(std::string_view text);

struct ChallengeSpec {
  bool proxy = false;  // Proxy-Authenticate (407) instead of WWW-Authenticate (401)
  std::string_view realm;
  std::string_view nonce;
  QopOffer qop;
  const AlgorithmList* algorithms = nullptr;
  bool stale = false;
};
// The header lines, each ending in CRLF:
//   WWW-Authenticate: Digest realm="r", nonce="n", stale=true, qop="auth", algorithm=MD5
// The realm is quoted with '"' and '\' escaped (it may come from the request's domain).
std::string challengeHeaders(const ChallengeSpec& spec);

}  // namespace sipline::auth
