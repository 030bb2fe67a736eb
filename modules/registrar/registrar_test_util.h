// Test-only helpers for the registrar's unit tests: REGISTER/INVITE texts with chosen headers,
// and a harness that runs save() (processRegister) and lookup() on them against a
// FakeUsrloc, from a chosen source address, keeping the last message and context for
// inspection.
#pragma once

#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/sip/msg_context.h"
#include "core/transport/listener.h"
#include "modules/registrar/fake_usrloc.h"
#include "modules/registrar/lookup.h"
#include "modules/registrar/save.h"

namespace sipline::registrar::testing {

// A REGISTER for `to` with Call-ID/CSeq and extra header lines (without CRLF).
inline std::string registerText(const std::vector<std::string>& headers,
                                const std::string& to = "<sip:alice@example.com>",
                                const std::string& callid = "reg-1@192.0.2.7", int cseq = 1) {
  std::string m =
      "REGISTER sip:example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.7:5099;branch=z9hG4bKreg" +
      std::to_string(cseq) +
      "\r\n"
      "Max-Forwards: 70\r\n"
      "From: " +
      to +
      ";tag=f1\r\n"
      "To: " +
      to +
      "\r\n"
      "Call-ID: " +
      callid +
      "\r\n"
      "CSeq: " +
      std::to_string(cseq) + " REGISTER\r\n";
  for (const std::string& h : headers) m += h + "\r\n";
  m += "Content-Length: 0\r\n\r\n";
  return m;
}

inline std::string inviteText(const std::string& ruri = "sip:alice@example.com",
                              const std::string& method = "INVITE", const std::string& extra = "") {
  return method + " " + ruri +
         " SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKinv\r\n"
         "Max-Forwards: 70\r\n"
         "From: <sip:bob@example.org>;tag=b1\r\n"
         "To: <" +
         ruri +
         ">\r\n"
         "Call-ID: inv-1@198.51.100.1\r\n"
         "CSeq: 1 " +
         method + "\r\n" + extra + "Content-Length: 0\r\n\r\n";
}

class RegistrarHarness {
 public:
  RegistrarHarness() {
    options.limits.aor.use_domain = true;
    CPPUNIT_ASSERT(SockAddr::fromNumeric("192.0.2.7", 5099, rcv_.src));
    Result<usrloc::Domain*> d = ul.domain("location");
    CPPUNIT_ASSERT(d.isOk());
    domain = d.value();
  }

  void from(const std::string& ip, std::uint16_t port, Proto proto = Proto::kUdp) {
    CPPUNIT_ASSERT(SockAddr::fromNumeric(ip, port, rcv_.src));
    rcv_.proto = proto;
  }
  void arrivedOn(const Listener* listener) { rcv_.listener = listener; }

  // Runs save() on text (which must parse); bflags as the script set them.
  SaveReply save(const std::string& text, std::optional<std::string> aor = std::nullopt,
                 std::uint32_t bflags = 0) {
    parse(text);
    ctx_->bflags = bflags;
    std::optional<std::string_view> aor_view;
    if (aor.has_value()) aor_view = *aor;
    return processRegister(*ctx_, ul, domain, options, aor_view, ul.now);
  }

  // Runs lookup() on text (an INVITE by default).
  int lookup(const std::string& text = inviteText(), const LookupOptions& lo = LookupOptions(),
             std::optional<std::string> aor = std::nullopt, const Listeners* sockets = nullptr) {
    parse(text);
    LookupOptions o = lo;
    o.aor.use_domain = ul.use_domain;
    std::optional<std::string_view> aor_view;
    if (aor.has_value()) aor_view = *aor;
    return lookupContacts(*ctx_, ul, domain, o, aor_view, ul.now, sockets);
  }

  void parse(const std::string& text) {
    text_ = std::make_unique<std::string>(text);
    msg_ = std::make_unique<SipMessage>();
    CPPUNIT_ASSERT_MESSAGE(text, msg_->parse(*text_) == ParseError::kOk);
    ctx_ = std::make_unique<MsgContext>(*msg_, rcv_, kRequestRoute);
  }

  // The bindings of aor as usrloc would give them (unexpired).
  std::vector<usrloc::Contact> bindings(const std::string& aor = "alice@example.com") {
    Result<std::vector<usrloc::Contact>> got = ul.get(domain, aor);
    CPPUNIT_ASSERT(got.isOk());
    return got.value();
  }

  // Puts a binding straight into the store (for lookup tests).
  void store(const std::string& aor, usrloc::Contact c) {
    if (c.expires == 0) c.expires = ul.now + 3600;
    ul.stored(aor).push_back(std::move(c));
  }

  MsgContext& ctx() { return *ctx_; }
  SipMessage& msg() { return *msg_; }
  std::string built() {
    std::string out;
    CPPUNIT_ASSERT(msg_->build(out));
    return out;
  }

  FakeUsrloc ul;
  usrloc::Domain* domain = nullptr;
  SaveOptions options;

 private:
  ReceiveInfo rcv_;
  std::unique_ptr<std::string> text_;
  std::unique_ptr<SipMessage> msg_;
  std::unique_ptr<MsgContext> ctx_;
};

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace sipline::registrar::testing
