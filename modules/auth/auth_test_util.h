// Test-only helpers for the auth unit tests: requests with chosen credentials, a service on a
// small shm segment with a settable clock and bound statistics, replies captured instead of
// sent, and the client side of digest (computing a phone's response with core/crypto).
#pragma once

#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "core/crypto/digest.h"
#include "core/shm/segment.h"
#include "core/sip/msg_context.h"
#include "core/transport/listener.h"
#include "core/transport/send.h"
#include "modules/auth/auth_service.h"

namespace sipline::auth::testing {

// A request with extra header lines (each without CRLF) and a body.
inline std::string requestText(const std::string& method, const std::vector<std::string>& headers,
                               const std::string& body = "",
                               const std::string& ruri = "sip:example.com") {
  std::string m = method + " " + ruri +
                  " SIP/2.0\r\n"
                  "Via: SIP/2.0/UDP 192.0.2.7:5099;branch=z9hG4bKauth1\r\n"
                  "Max-Forwards: 70\r\n"
                  "From: <sip:alice@example.com>;tag=f1\r\n"
                  "To: <sip:alice@example.com>\r\n"
                  "Call-ID: auth-1@192.0.2.7\r\n"
                  "CSeq: 1 " +
                  method + "\r\n";
  for (const std::string& h : headers) m += h + "\r\n";
  m += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return m;
}

// What a phone answers to a challenge.
struct ClientAnswer {
  crypto::DigestAlgorithm algorithm = crypto::DigestAlgorithm::kMd5;
  std::string username = "alice";
  std::string realm = "example.com";
  std::string password = "secret";
  std::string method = "REGISTER";
  std::string uri = "sip:example.com";
  std::string nonce;
  std::string qop = "auth";
  std::string nc = "00000001";
  std::string cnonce = "0a4f113b";
  std::string body;
  bool send_algorithm = true;
  bool upper_case = false;  // response in upper-case hex
  std::string header = "Authorization";
};

inline std::string responseFor(const ClientAnswer& a) {
  std::string ha1 = crypto::digestHa1(a.algorithm, a.username, a.realm, a.password);
  crypto::DigestInput in;
  in.ha1 = ha1;
  in.method = a.method;
  in.uri = a.uri;
  in.nonce = a.nonce;
  in.nc = a.nc;
  in.cnonce = a.cnonce;
  in.qop = a.qop;
  in.body = a.body;
  return crypto::digestResponse(a.algorithm, in);
}

inline std::string credentialsLine(const ClientAnswer& a) {
  std::string response = responseFor(a);
  if (a.upper_case) {
    for (char& c : response) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  std::string h = a.header + ": Digest username=\"" + a.username + "\", realm=\"" + a.realm +
                  "\", nonce=\"" + a.nonce + "\", uri=\"" + a.uri + "\", response=\"" + response +
                  "\"";
  if (a.send_algorithm) h += ", algorithm=" + std::string(crypto::digestAlgorithmName(a.algorithm));
  if (!a.qop.empty()) h += ", qop=" + a.qop + ", nc=" + a.nc + ", cnonce=\"" + a.cnonce + "\"";
  return h;
}

class Captured : public SendCapture {
 public:
  void captured(const Listener&, const SockAddr&, std::string_view data) override {
    sent.emplace_back(data);
  }
  std::vector<std::string> sent;
};

class AuthHarness {
 public:
  explicit AuthHarness(std::int64_t slots = NonceTable::kMinSlots,
                       const std::string& secret = "harness-secret") {
    seg_ = std::move(shm::Segment::create(8 << 20).value());
    service.clock = [this] { return now; };
    service.accept({crypto::DigestAlgorithm::kMd5, crypto::DigestAlgorithm::kSha256,
                    crypto::DigestAlgorithm::kSha512_256});
    bindStats();
    CPPUNIT_ASSERT(service.init(*seg_, secret, slots).isOk());
    listener_.text = "udp:127.0.0.1:5060";
    rcv_.listener = &listener_;
    CPPUNIT_ASSERT(SockAddr::fromNumeric("192.0.2.7", 5099, rcv_.src));
    setSendCapture(&capture);
  }
  ~AuthHarness() { setSendCapture(nullptr); }

  MsgContext& parse(const std::string& text) {
    text_ = std::make_unique<std::string>(text);
    msg_ = std::make_unique<SipMessage>();
    CPPUNIT_ASSERT_MESSAGE(text, msg_->parse(*text_) == ParseError::kOk);
    ctx_ = std::make_unique<MsgContext>(*msg_, rcv_, kRequestRoute);
    return *ctx_;
  }
  MsgContext& ctx() { return *ctx_; }

  // preAuth + postAuth with the HA1 of `password` for the algorithm the credentials name.
  int authorize(const std::string& text, const std::string& password = "secret",
                HeaderType type = HeaderType::kAuthorization, const std::string& realm = "") {
    parse(text);
    Credentials c;
    int rc = service.preAuth(*ctx_, realm, type, c);
    if (rc != kAuthorized || c.header == nullptr) return rc;
    return service.postAuth(*ctx_, c,
                            crypto::digestHa1(c.algorithm, c.username, c.realm, password));
  }

  // A nonce as a challenge offering `algorithms` and `qop` would give it; by default every
  // algorithm and both qop values.
  std::string nonce(const AlgorithmList& algorithms = {crypto::DigestAlgorithm::kMd5,
                                                       crypto::DigestAlgorithm::kSha256,
                                                       crypto::DigestAlgorithm::kSha512_256},
                    QopOffer qop = QopOffer{true, true}) {
    return service.newNonce(nonceOfferFor(qop, algorithms));
  }

  std::string lastSent() const { return capture.sent.empty() ? "" : capture.sent.back(); }

  std::uint64_t stat(const StatCounter& c) const { return c.get(); }

  AuthService service;
  Captured capture;
  std::int64_t now = 1700000000;

 private:
  void bindStats() {
    StatCounter* all[] = {&service.stats.challenges,       &service.stats.authorized,
                          &service.stats.invalid_password, &service.stats.stale,
                          &service.stats.reused,           &service.stats.malformed,
                          &service.stats.nonce_slots};
    for (std::size_t i = 0; i < std::size(all); ++i) all[i]->bindForTest(&slots_[i]);
  }
  std::unique_ptr<shm::Segment> seg_;
  std::atomic<std::uint64_t> slots_[7] = {};
  Listener listener_;
  ReceiveInfo rcv_;
  std::unique_ptr<std::string> text_;
  std::unique_ptr<SipMessage> msg_;
  std::unique_ptr<MsgContext> ctx_;
};

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace sipline::auth::testing
