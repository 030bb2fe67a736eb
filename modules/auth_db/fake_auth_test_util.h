// Tests only: a stand-in for the auth module's service (modules/auth/api.h) that really checks
// the digest response (core/crypto/digest.h) but keeps no nonce state (a test can force the
// nonce outcome), plus requests carrying credentials computed for a user and password, and a
// harness that parses them into a MsgContext. auth_db's tests depend only on api.h.
#pragma once

#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/crypto/digest.h"
#include "core/sip/msg_context.h"
#include "modules/auth/api.h"

namespace sipline::auth_db::testing {

class FakeAuthApi final : public auth::Api {
 public:
  std::string default_realm = "example.com";
  int pre_calls = 0;
  int post_calls = 0;
  std::string last_ha1;              // what the back-end passed to the last postAuth()
  std::optional<int> nonce_outcome;  // kStaleNonce / kNonceReused after a right response

  // Set: realmFor() follows auth's rule (the To host for a REGISTER, else the From host,
  // without this prefix); unset: default_realm.
  std::optional<std::string> realm_prefix;

  std::string_view realmPrefix() const override {
    return realm_prefix.has_value() ? std::string_view(*realm_prefix) : std::string_view();
  }

  std::string realmFor(MsgContext& ctx, std::string_view realm) const override {
    if (!realm.empty()) return std::string(realm);
    if (!realm_prefix.has_value()) return default_realm;
    SipMessage& m = ctx.msg();
    const NameAddr* na = m.method() == Method::kRegister ? m.to() : m.from();
    if (na == nullptr || !na->uri_ok) return std::string();
    std::string host(na->uri.host);
    const std::string& p = *realm_prefix;
    if (!p.empty() && host.size() > p.size() && host.compare(0, p.size(), p) == 0) {
      host.erase(0, p.size());
    }
    return host;
  }

  int preAuth(MsgContext& ctx, std::string_view realm, HeaderType type,
              auth::Credentials& out) override {
    ++pre_calls;
    Method m = ctx.msg().method();
    if (m == Method::kAck || m == Method::kCancel) return auth::kAuthorized;
    AuthHeader a;
    FieldState st = ctx.msg().auth(type, realm, a);
    if (st == FieldState::kAbsent) return auth::kNoCredentials;
    if (st == FieldState::kBad) return auth::kError;
    std::optional<crypto::DigestAlgorithm> alg = crypto::parseDigestAlgorithm(a.algorithm);
    if (!alg.has_value()) return auth::kError;
    for (const HeaderField& h : ctx.msg().headers()) {
      if (h.type == type && h.body.find(a.response) != std::string_view::npos) out.header = &h;
    }
    out.digest = a;
    out.username = std::string(a.username);
    out.user = out.username.substr(0, out.username.find('@'));
    out.realm = std::string(a.realm);
    out.algorithm = *alg;
    out.nonce = auth::NonceState::kValid;
    return auth::kAuthorized;
  }

  int postAuth(MsgContext& ctx, const auth::Credentials& c, std::string_view ha1) override {
    ++post_calls;
    last_ha1 = std::string(ha1);
    Method m = ctx.msg().method();
    if (m == Method::kAck || m == Method::kCancel) return auth::kAuthorized;
    if (ha1.size() != crypto::digestHexLength(c.algorithm)) return auth::kInvalidPassword;
    crypto::DigestInput in;
    in.ha1 = ha1;
    in.method = ctx.msg().methodText();
    in.uri = c.digest.uri;
    in.nonce = c.digest.nonce;
    in.nc = c.digest.nc;
    in.cnonce = c.digest.cnonce;
    in.qop = c.digest.qop;
    std::string expected = crypto::digestResponse(c.algorithm, in);
    if (!crypto::constantTimeEqualsHex(expected, c.digest.response)) {
      return auth::kInvalidPassword;
    }
    if (nonce_outcome.has_value()) {
      ctx.auth.stale = true;
      return *nonce_outcome;
    }
    ctx.auth.credentials = c.header;
    return auth::kAuthorized;
  }
};

// The Authorization (or Proxy-Authorization) line of a phone that knows `password`.
inline std::string credentialsLine(const std::string& header, const std::string& method,
                                   const std::string& uri, const std::string& username,
                                   const std::string& realm, const std::string& password,
                                   crypto::DigestAlgorithm alg = crypto::DigestAlgorithm::kMd5) {
  std::string ha1 = crypto::digestHa1(alg, username, realm, password);
  crypto::DigestInput in;
  in.ha1 = ha1;
  in.method = method;
  in.uri = uri;
  in.nonce = "n0nce";
  in.nc = "00000001";
  in.cnonce = "c0ffee";
  in.qop = "auth";
  std::string response = crypto::digestResponse(alg, in);
  return header + ": Digest username=\"" + username + "\", realm=\"" + realm +
         "\", nonce=\"n0nce\", uri=\"" + uri + "\", response=\"" + response +
         "\", algorithm=" + std::string(crypto::digestAlgorithmName(alg)) +
         ", qop=auth, nc=00000001, cnonce=\"c0ffee\"\r\n";
}

inline std::string requestText(const std::string& method, const std::string& from,
                               const std::string& to, const std::string& extra) {
  std::string ruri = method == "REGISTER" ? "sip:example.com" : to;
  return method + " " + ruri +
         " SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 192.0.2.7:5099;branch=z9hG4bKauthdb\r\n"
         "Max-Forwards: 70\r\n"
         "From: <" +
         from +
         ">;tag=f1\r\n"
         "To: <" +
         to +
         ">\r\n"
         "Call-ID: authdb-1@192.0.2.7\r\n"
         "CSeq: 1 " +
         method + "\r\n" + extra + "Content-Length: 0\r\n\r\n";
}

// Owns the text, the parsed message and its context.
class Request {
 public:
  explicit Request(const std::string& text) : text_(text) {
    CPPUNIT_ASSERT_MESSAGE(text, msg_.parse(text_) == ParseError::kOk);
    ctx_ = std::make_unique<MsgContext>(msg_, rcv_, kRequestRoute);
  }
  MsgContext& ctx() { return *ctx_; }

 private:
  std::string text_;
  SipMessage msg_;
  ReceiveInfo rcv_;
  std::unique_ptr<MsgContext> ctx_;
};

// Records the replies authorize() sends.
struct ReplyRecorder {
  std::vector<int> codes;
  bool operator()(MsgContext& ctx, int code, std::string_view) {
    codes.push_back(code);
    ctx.replied = true;
    return true;
  }
};

}  // namespace sipline::auth_db::testing
