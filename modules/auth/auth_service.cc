#include "modules/auth/auth_service.h"

#include <ctime>

#include "core/base/log.h"
#include "core/sip/reply.h"

namespace sipline::auth {
namespace {

// Outcomes of single requests: at most 10 lines a second per call site. Only names and
// addresses, never a response, HA1 or password.
#define AUTH_LOG(level, ...)                                                  \
  do {                                                                        \
    static ::sipline::LogRateLimit auth_rate_limit_;                          \
    if (static_cast<int>(level) <= static_cast<int>(::sipline::logLevel()) && \
        auth_rate_limit_.allow()) {                                           \
      ::sipline::logWrite(level, __VA_ARGS__);                                \
    }                                                                         \
  } while (0)

bool isHex(std::string_view s) {
  for (char c : s) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!ok) return false;
  }
  return true;
}

std::string lowerHex(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// A quoted parameter with its quoted-pairs decoded.
std::string unquoted(const AuthHeader& a, std::string_view s) {
  if (!a.has_escapes || s.find('\\') == std::string_view::npos) return std::string(s);
  std::string out(s.size(), '\0');
  out.resize(unquoteTo(s, out.data()));
  return out;
}

bool exempt(const SipMessage& m) {
  return m.method() == Method::kAck || m.method() == Method::kCancel;
}

std::uint32_t bit(crypto::DigestAlgorithm a) { return 1u << static_cast<unsigned>(a); }

std::string source(MsgContext& ctx) { return ctx.rcv().src.toString(); }

}  // namespace

Status AuthService::init(shm::Segment& segment, std::string_view secret, std::int64_t nonce_slots) {
  Status st = codec_.init(secret);
  if (!st.isOk()) return st;
  if (nonce_slots < NonceTable::kMinSlots || nonce_slots > NonceTable::kMaxSlots) {
    return Status::invalidArgument("auth: nonce_slots must be " +
                                   std::to_string(NonceTable::kMinSlots) + ".." +
                                   std::to_string(NonceTable::kMaxSlots));
  }
  Result<std::unique_ptr<NonceTable>> t =
      NonceTable::create(segment, static_cast<std::uint64_t>(nonce_slots));
  if (!t.isOk()) return t.status();
  table_ = std::move(t.value());
  stats.nonce_slots.set(table_->size());
  return Status::ok();
}

void AuthService::accept(const AlgorithmList& list) {
  for (crypto::DigestAlgorithm a : list) config.accepted |= bit(a);
}

std::int64_t AuthService::now() const {
  return clock ? clock() : static_cast<std::int64_t>(std::time(nullptr));
}

std::string AuthService::realmFor(MsgContext& ctx, std::string_view realm) const {
  if (!realm.empty()) return std::string(realm);
  SipMessage& m = ctx.msg();
  const NameAddr* na = m.method() == Method::kRegister ? m.to() : m.from();
  if (na == nullptr || !na->uri_ok) return std::string();
  std::string_view host = na->uri.host;
  const std::string& prefix = config.realm_prefix;
  if (!prefix.empty() && host.size() > prefix.size() && host.substr(0, prefix.size()) == prefix) {
    host.remove_prefix(prefix.size());
  }
  return std::string(host);
}

int AuthService::reject(MsgContext& ctx, const char* what) {
  stats.malformed.inc();
  AUTH_LOG(LogLevel::kInfo, "auth: %s from %s (Call-ID %.*s): 400", what, source(ctx).c_str(),
           SL_SV(ctx.msg().callId()));
  if (!sendReply(ctx, 400, "Bad Request")) {
    AUTH_LOG(LogLevel::kErr, "auth: the 400 for bad credentials could not be sent (Call-ID %.*s)",
             SL_SV(ctx.msg().callId()));
  }
  return kError;
}

int AuthService::preAuth(MsgContext& ctx, std::string_view realm_arg, HeaderType type,
                         Credentials& out) {
  out = Credentials();
  SipMessage& m = ctx.msg();
  if (!m.isRequest()) return kError;
  if (exempt(m)) return kAuthorized;  // RFC 3261 §22.1: ACK and CANCEL cannot be challenged
  std::string realm = realmFor(ctx, realm_arg);
  bool malformed = false;
  for (const HeaderField& h : m.headers()) {
    if (h.type != type) continue;
    AuthHeader a;
    if (parseAuthHeader(h.body, a) != ParseError::kOk) {
      malformed = true;
      continue;
    }
    // Another scheme (RFC 4475 regaut01) is no credentials for us: the phone gets a challenge.
    if (!a.is_digest) continue;
    std::string r = unquoted(a, a.realm);
    if (r != realm) continue;
    out.header = &h;
    out.digest = a;
    out.realm = std::move(r);
    break;
  }
  if (out.header == nullptr) {
    return malformed ? reject(ctx, "malformed credentials") : kNoCredentials;
  }
  const AuthHeader& d = out.digest;
  out.username = unquoted(d, d.username);
  if (out.username.empty() || d.nonce.empty() || d.uri.empty() || d.response.empty()) {
    return reject(ctx, "credentials without username, nonce, uri or response");
  }
  std::optional<crypto::DigestAlgorithm> alg = crypto::parseDigestAlgorithm(d.algorithm);
  if (!alg.has_value() || (config.accepted & bit(*alg)) == 0) {
    return reject(ctx, "credentials with an algorithm not offered");
  }
  out.algorithm = *alg;
  if (!d.qop.empty()) {
    std::uint32_t nc = 0;
    if (d.qop != "auth" && d.qop != "auth-int") {
      return reject(ctx, "credentials with an unknown qop");
    }
    if (!parseNonceCount(d.nc, nc) || d.cnonce.empty()) {
      return reject(ctx, "credentials with a qop but no valid nc or cnonce");
    }
  }
  if (d.response.size() != crypto::digestHexLength(out.algorithm) || !isHex(d.response)) {
    return reject(ctx, "credentials whose response is not a hash of their algorithm");
  }
  out.user = out.username.substr(0, out.username.find('@'));
  std::uint64_t serial = 0;
  out.nonce = codec_.verify(d.nonce, now(), serial);
  return kAuthorized;
}

int AuthService::postAuth(MsgContext& ctx, const Credentials& c, std::string_view ha1) {
  SipMessage& m = ctx.msg();
  if (exempt(m)) return kAuthorized;
  if (c.header == nullptr) return kError;
  const AuthHeader& d = c.digest;
  bool usable = ha1.size() == crypto::digestHexLength(c.algorithm) && isHex(ha1);
  bool match = false;
  if (usable) {
    std::string key = lowerHex(ha1);
    crypto::DigestInput in;
    in.ha1 = key;
    in.method = m.methodText();
    in.uri = d.uri;
    in.nonce = d.nonce;
    in.nc = d.nc;
    in.cnonce = d.cnonce;
    in.qop = d.qop;
    in.body = m.body();
    match = crypto::constantTimeEqualsHex(crypto::digestResponse(c.algorithm, in), d.response);
  }
  if (!match) {
    stats.invalid_password.inc();
    AUTH_LOG(LogLevel::kInfo, "auth: wrong response for %s@%s from %s (Call-ID %.*s)%s",
             c.username.c_str(), c.realm.c_str(), source(ctx).c_str(), SL_SV(m.callId()),
             usable ? "" : ": the stored HA1 does not fit the algorithm");
    return kInvalidPassword;
  }
  // The digest is right; now the nonce. Verified again for its serial: the HMAC is cheap
  // and a nonce that expired while the back-end looked the user up is expired.
  std::uint64_t serial = 0;
  NonceState state = codec_.verify(d.nonce, now(), serial);
  int rc = kAuthorized;
  if (state != NonceState::kValid || table_ == nullptr) {
    rc = kStaleNonce;
  } else {
    std::uint32_t nc = 0;
    bool has_qop = !d.qop.empty();
    if (has_qop) parseNonceCount(d.nc, nc);
    NcResult r = table_->use(serial, nc, has_qop);
    rc = r == NcResult::kOk ? kAuthorized : r == NcResult::kReplay ? kNonceReused : kStaleNonce;
  }
  if (rc == kAuthorized) {
    stats.authorized.inc();
    ctx.auth.credentials = c.header;
    AUTH_LOG(LogLevel::kDbg, "auth: %s@%s authorized (Call-ID %.*s)", c.username.c_str(),
             c.realm.c_str(), SL_SV(m.callId()));
    return rc;
  }
  ctx.auth.stale = true;
  if (rc == kStaleNonce) {
    stats.stale.inc();
    AUTH_LOG(LogLevel::kDbg, "auth: stale nonce for %s@%s (Call-ID %.*s)", c.username.c_str(),
             c.realm.c_str(), SL_SV(m.callId()));
  } else {
    stats.reused.inc();
    AUTH_LOG(LogLevel::kNotice, "auth: replayed nonce-count for %s@%s from %s (Call-ID %.*s)",
             c.username.c_str(), c.realm.c_str(), source(ctx).c_str(), SL_SV(m.callId()));
  }
  return rc;
}

std::string AuthService::newNonce() {
  std::uint64_t serial = table_ != nullptr ? table_->issue() : 0;
  return codec_.issue(now() + config.nonce_expire, serial);
}

bool AuthService::challenge(MsgContext& ctx, bool proxy, std::string_view realm_arg,
                            const QopOffer& qop, const AlgorithmList& algorithms,
                            std::string& why) {
  std::string realm = realmFor(ctx, realm_arg);
  if (realm.empty()) {
    why = "no realm: none given and no host in the ";
    why += ctx.msg().method() == Method::kRegister ? "To URI" : "From URI";
    return false;
  }
  if (table_ == nullptr) {
    why = "the auth module is not initialised";
    return false;
  }
  std::string nonce = newNonce();
  ChallengeSpec spec;
  spec.proxy = proxy;
  spec.realm = realm;
  spec.nonce = nonce;
  spec.qop = qop;
  spec.algorithms = &algorithms;
  spec.stale = ctx.auth.stale;
  std::string headers = challengeHeaders(spec);
  bool sent = proxy ? sendReply(ctx, 407, "Proxy Authentication Required", headers)
                    : sendReply(ctx, 401, "Unauthorized", headers);
  if (!sent) {
    why = proxy ? "the 407 could not be sent" : "the 401 could not be sent";
    return false;
  }
  stats.challenges.inc();
  return true;
}

}  // namespace sipline::auth
