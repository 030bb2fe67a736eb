#include "modules/auth/auth_service.h"

#include <ctime>

#include "core/base/log.h"
#include "core/base/strings.h"
#include "core/sip/reply.h"
#include "modules/auth/credential_text.h"

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

// Null when the nonce's challenge offered this algorithm and qop, else what it did not offer.
// A challenge with qop requires one of its values (RFC 7616 §3.4: no RFC 2069 fallback, which
// would drop the cnonce and the body protection of auth-int); qop in an answer to a challenge
// without qop is stronger, not weaker, and passes.
const char* notOffered(const NonceOffer& offer, crypto::DigestAlgorithm a, std::string_view qop) {
  if (!offer.offers(a)) return "an algorithm its challenge did not offer";
  if (!offer.qopOffered()) return nullptr;
  if (qop.empty()) return "no qop although its challenge asked for one";
  bool ok = (qop == "auth" && offer.qop_auth) || (qop == "auth-int" && offer.qop_auth_int);
  return ok ? nullptr : "a qop its challenge did not offer";
}

}  // namespace

NonceOffer nonceOfferFor(const QopOffer& qop, const AlgorithmList& algorithms) {
  NonceOffer o;
  for (crypto::DigestAlgorithm a : algorithms) o.algorithms |= static_cast<std::uint8_t>(bit(a));
  o.qop_auth = qop.auth;
  o.qop_auth_int = qop.auth_int;
  return o;
}

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
  // Hosts compare case-insensitively (RFC 3261 §19.1.4), and the HA1s are stored with the
  // lower-cased domain: Example.COM must get realm "example.com".
  std::string host = toLower(na->uri.host);
  const std::string prefix = toLower(config.realm_prefix);
  if (!prefix.empty() && host.size() > prefix.size() &&
      host.compare(0, prefix.size(), prefix) == 0) {
    host.erase(0, prefix.size());
  }
  return host;
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
      // Broken credentials for a proxy further on are not ours to refuse; ours, or ones whose
      // realm cannot be read, get the 400 when nothing usable follows.
      std::string r;
      if (!readRealmLeniently(h.body, r) || r == realm) malformed = true;
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
  if (!alg.has_value()) return reject(ctx, "credentials with an unknown algorithm");
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
  // A downgrade (another algorithm than offered, qop dropped) is malformed: 400, as for an
  // unknown algorithm. Our nonce (even expired) names its challenge's offer; a foreign one
  // cannot, and there only the configured algorithms pass (its best outcome is stale anyway).
  NonceInfo info;
  out.nonce = codec_.verify(d.nonce, now(), info);
  if (out.nonce == NonceState::kForeign) {
    if ((config.accepted & bit(out.algorithm)) == 0) {
      return reject(ctx, "credentials with an algorithm not offered");
    }
  } else if (const char* what = notOffered(info.offer, out.algorithm, d.qop)) {
    return reject(ctx, (std::string("credentials with ") + what).c_str());
  }
  return kAuthorized;
}

int AuthService::postAuth(MsgContext& ctx, const Credentials& c, std::string_view ha1) {
  SipMessage& m = ctx.msg();
  if (exempt(m)) return kAuthorized;
  if (c.header == nullptr) return kError;
  const AuthHeader& d = c.digest;
  const std::string who = printableForLog(c.username) + "@" + printableForLog(c.realm);
  // Verified here (not taken from preAuth): the HMAC is cheap, a nonce that expired while the
  // back-end looked the user up is expired, and the offer check must hold whatever the
  // back-end did with `c` in between. A mismatch here counts as a wrong password.
  NonceInfo info;
  NonceState state = codec_.verify(d.nonce, now(), info);
  const char* downgrade =
      state == NonceState::kForeign ? nullptr : notOffered(info.offer, c.algorithm, d.qop);
  bool usable =
      downgrade == nullptr && ha1.size() == crypto::digestHexLength(c.algorithm) && isHex(ha1);
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
    // RFC 7616 §3.4: the hash takes the values unquoted, quoted-pairs decoded too.
    std::string uri, nonce, cnonce;
    if (d.has_escapes) {
      uri = unquoted(d, d.uri);
      nonce = unquoted(d, d.nonce);
      cnonce = unquoted(d, d.cnonce);
      in.uri = uri;
      in.nonce = nonce;
      in.cnonce = cnonce;
    }
    in.qop = d.qop;
    in.body = m.body();
    match = crypto::constantTimeEqualsHex(crypto::digestResponse(c.algorithm, in), d.response);
  }
  if (!match) {
    stats.invalid_password.inc();
    const char* why = downgrade != nullptr ? downgrade
                      : usable             ? ""
                                           : "the stored HA1 does not fit the algorithm";
    AUTH_LOG(LogLevel::kInfo, "auth: wrong response for %s from %s (Call-ID %.*s)%s%s", who.c_str(),
             source(ctx).c_str(), SL_SV(m.callId()), *why != 0 ? ": " : "", why);
    return kInvalidPassword;
  }
  // The digest is right; now the nonce.
  int rc = kAuthorized;
  if (state != NonceState::kValid || table_ == nullptr) {
    rc = kStaleNonce;
  } else {
    std::uint32_t nc = 0;
    bool has_qop = !d.qop.empty();
    if (has_qop) parseNonceCount(d.nc, nc);
    NcResult r = table_->use(info.serial, nc, has_qop);
    rc = r == NcResult::kOk ? kAuthorized : r == NcResult::kReplay ? kNonceReused : kStaleNonce;
  }
  if (rc == kAuthorized) {
    stats.authorized.inc();
    ctx.auth.credentials = c.header;
    ctx.auth.username = c.username;
    ctx.auth.realm = c.realm;
    AUTH_LOG(LogLevel::kDbg, "auth: %s authorized (Call-ID %.*s)", who.c_str(), SL_SV(m.callId()));
    return rc;
  }
  ctx.auth.stale = true;
  if (rc == kStaleNonce) {
    stats.stale.inc();
    AUTH_LOG(LogLevel::kDbg, "auth: stale nonce for %s (Call-ID %.*s)", who.c_str(),
             SL_SV(m.callId()));
  } else {
    stats.reused.inc();
    AUTH_LOG(LogLevel::kNotice, "auth: replayed nonce-count for %s from %s (Call-ID %.*s)",
             who.c_str(), source(ctx).c_str(), SL_SV(m.callId()));
  }
  return rc;
}

std::string AuthService::newNonce(const NonceOffer& offer) {
  std::uint64_t serial = table_ != nullptr ? table_->issue() : 0;
  return codec_.issue(now() + config.nonce_expire, serial, offer);
}

bool AuthService::challenge(MsgContext& ctx, bool proxy, std::string_view realm_arg,
                            const QopOffer& qop, const AlgorithmList& algorithms,
                            std::string& why) {
  if (ctx.replied) {
    why = "the request was answered already (no challenge after it)";
    return false;
  }
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
  std::string nonce = newNonce(nonceOfferFor(qop, algorithms));
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
