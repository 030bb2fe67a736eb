// The auth service ("auth"): digest authentication (RFC 7616, RFC 8760 for SIP) without a
// credential store. A back-end (auth_db; later others) checks a request in two steps:
//   preAuth()  finds the credentials for the realm and reads the nonce (signature, expiry,
//              slot) without any I/O;
//   postAuth() gets the subscriber's HA1 for the algorithm the phone chose, checks the
//              response in constant time, then the nonce: expired or not ours → stale, a
//              nonce-count not above the last one seen → reused (replay), else authorized.
// The nonce state lives in auth's shm; everything here is process-local values.
#pragma once

#include <string>
#include <string_view>

#include "core/crypto/digest.h"
#include "core/parser/auth_header.h"
#include "core/parser/header_type.h"
#include "core/sip/msg_context.h"

namespace sipline::auth {

// What www_authorize()/proxy_authorize() return to the script ($rc), as in OpenSIPS.
enum Rc : int {
  kAuthorized = 1,
  kUserUnknown = -1,      // no such subscriber (the script answers as for -2: no enumeration)
  kInvalidPassword = -2,  // the response does not match
  kStaleNonce = -3,       // right response, but the nonce expired or is not ours (restart)
  kNoCredentials = -4,    // no credentials for this realm: challenge
  kError = -5,            // malformed credentials (400 already sent), store unreachable, ...
  kNonceReused = -6,      // right response, but that nonce-count was seen already (replay)
};

// Where the nonce of some credentials stands, as preAuth() read it.
enum class NonceState : std::uint8_t {
  kValid,    // ours, unexpired: postAuth() still checks its nonce-count
  kExpired,  // ours, past nonce_expire
  kForeign,  // not signed with our secret (a restart with a new secret, a forgery)
};

// Credentials found by preAuth(). Views point into the request; valid while it is.
struct Credentials {
  const HeaderField* header = nullptr;  // the Authorization / Proxy-Authorization used
  AuthHeader digest;                    // its parsed value
  std::string username;                 // username parameter, quoted-pairs decoded
  std::string user;                     // username up to the first '@' ($au)
  std::string realm;                    // realm parameter (equals the realm asked for)
  crypto::DigestAlgorithm algorithm = crypto::DigestAlgorithm::kMd5;
  NonceState nonce = NonceState::kForeign;
};

class Api {
 public:
  virtual ~Api() = default;
  // The realm to use: `realm` when not empty, else the host of the To URI for a REGISTER and
  // of the From URI otherwise (as OpenSIPS).
  virtual std::string realmFor(MsgContext& ctx, std::string_view realm) const = 0;
  // The realm_prefix parameter: what realmFor() strips from a To/From host ("sip."), so that
  // other modules compare hosts with realms by the same rule.
  virtual std::string_view realmPrefix() const = 0;
  // Step 1, for `type` (kAuthorization for www_*, kProxyAuthorization for proxy_*). Returns
  // kAuthorized when the back-end should fetch the HA1 of (out.user, out.realm) and call
  // postAuth(); otherwise the final result: kNoCredentials (none for this realm), or kError
  // after answering 400 itself (malformed credentials, unknown algorithm or qop, missing
  // nonce/response/uri, nc or cnonce missing with a qop). ACK and CANCEL cannot be
  // challenged (RFC 3261 §22.1): for them it returns kAuthorized and postAuth() passes.
  virtual int preAuth(MsgContext& ctx, std::string_view realm, HeaderType type,
                      Credentials& out) = 0;
  // Step 2. ha1: the subscriber's stored HA1 for c.algorithm, lower- or upper-case hex; an
  // empty or wrongly sized one is a wrong password. Returns kAuthorized (and sets
  // ctx.auth.credentials), kInvalidPassword, kStaleNonce or kNonceReused (both set
  // ctx.auth.stale so the next challenge says stale=true). Counts the outcome in auth's
  // statistics; never logs the HA1 or the response.
  virtual int postAuth(MsgContext& ctx, const Credentials& c, std::string_view ha1) = 0;
};

}  // namespace sipline::auth
