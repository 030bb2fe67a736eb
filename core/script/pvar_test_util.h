// Test helper for the pseudo-variable and transformation tests: one parsed message with its
// MsgContext, and reading/writing pseudo-variables by their script text. Tests only.
#pragma once

#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/script/pvar.h"
#include "core/sip/msg_context.h"

namespace sipline::pvartest {

// Request and reply texts get their Content-Length from the body.
inline std::string sipMessage(std::string head, std::string_view body = "") {
  return head + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

class TestMsg {
 public:
  explicit TestMsg(std::string text, RouteType route = kRequestRoute) : text_(std::move(text)) {
    CPPUNIT_ASSERT_MESSAGE(text_, msg_.parse(text_) == ParseError::kOk);
    CPPUNIT_ASSERT(SockAddr::fromNumeric("192.0.2.7", 5099, rcv_.src));
    ctx_ = std::make_unique<MsgContext>(msg_, rcv_, route);
  }
  MsgContext& ctx() { return *ctx_; }
  ReceiveInfo& rcv() { return rcv_; }

  static script::PvarRef ref(std::string_view pvar) {
    Result<script::PvarRef> r = script::resolvePvar(pvar);
    CPPUNIT_ASSERT_MESSAGE(std::string(pvar) + ": " + r.status().message(), r.isOk());
    return r.value();
  }
  script::Value get(std::string_view pvar) { return ref(pvar).get(*ctx_); }
  // The value as text; null reads "<null>".
  std::string str(std::string_view pvar) { return get(pvar).toString(); }
  bool isNull(std::string_view pvar) { return get(pvar).isNull(); }
  std::int64_t num(std::string_view pvar) {
    script::Value v = get(pvar);
    CPPUNIT_ASSERT_MESSAGE(std::string(pvar) + " is not an integer: " + v.toString(), v.isInt());
    return v.i();
  }
  Status set(std::string_view pvar, const script::Value& v) {
    script::PvarRef r = ref(pvar);
    CPPUNIT_ASSERT_MESSAGE(std::string(pvar) + " is read-only", r.spec->set != nullptr);
    return r.spec->set(*ctx_, r, v);
  }

 private:
  std::string text_;
  SipMessage msg_;
  ReceiveInfo rcv_;
  std::unique_ptr<MsgContext> ctx_;
};

// The message of most tests.
inline std::string inviteText() {
  return sipMessage(
      "INVITE sip:alice@example.com:5070;transport=TCP;x=1 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
      "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK2\r\n"
      "v: SIP/2.0/UDP 10.0.0.3;branch=z9hG4bK3\r\n"
      "Max-Forwards: 70\r\n"
      "From: \"Bob B\" <sip:bob@example.org>;tag=ft1\r\n"
      "To: Alice <sip:alice@example.com>\r\n"
      "Call-ID: abc@host\r\n"
      "CSeq: 7 INVITE\r\n"
      "Contact: <sip:bob@10.0.0.1:5062>;expires=60\r\n"
      "User-Agent: tester/1.0\r\n"
      "X-Custom: one\r\n"
      "x-custom: two\r\n"
      "Proxy-Authorization: Digest username=\"bob@example.org\", realm=\"example.org\", "
      "nonce=\"n\", uri=\"sip:alice@example.com\", "
      "response=\"0123456789abcdef0123456789abcdef\"\r\n"
      "Content-Type: application/sdp\r\n",
      "v=0\r\n");
}

}  // namespace sipline::pvartest
