// What the engine tests share: a captured send path, the proxy's socket, and the requests
// and replies of a caller and a callee (modules/tm/*_test.cc).
#pragma once

#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <string>
#include <vector>

#include "core/config/socket_spec.h"
#include "core/parser/sip_message.h"
#include "core/shm/segment.h"
#include "core/transport/listener.h"
#include "core/transport/send.h"
#include "modules/tm/engine.h"

namespace sipline::tm::testing {

struct Sent {
  SockAddr to;
  std::string data;
  std::string firstLine() const { return data.substr(0, data.find("\r\n")); }
};

class Capture : public SendCapture {
 public:
  void captured(const Listener&, const SockAddr& to, std::string_view data) override {
    sent.push_back({to, std::string(data)});
  }
  std::vector<Sent> sent;
  std::vector<Sent> take() {
    std::vector<Sent> out;
    out.swap(sent);
    return out;
  }
};

inline const Listener& proxySocket() {
  static const Listener* l = [] {
    for (const Listener& x : listeners().all()) {
      if (x.text == "udp:127.0.0.9:5060") return &x;
    }
    std::vector<SocketSpec> specs{parseSocketSpec("udp:127.0.0.9:5060").value()};
    Status st = listeners().addUnbound(specs);
    CPPUNIT_ASSERT(st.isOk());
    return &listeners().all().back();
  }();
  return *l;
}

inline SockAddr addr(const char* ip, std::uint16_t port) {
  SockAddr a;
  SockAddr::fromNumeric(ip, port, a);
  return a;
}

inline std::string invite(const std::string& branch,
                          const std::string& ruri = "sip:bob@127.0.0.2:5070",
                          const std::string& method = "INVITE") {
  return method + " " + ruri + " SIP/2.0\r\n" + "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=" + branch +
         ";rport\r\n" +
         "Max-Forwards: 70\r\n"
         "From: <sip:alice@a.example>;tag=fa\r\n"
         "To: <sip:bob@b.example>\r\n"
         "Call-ID: " +
         branch + "@a\r\n" + "CSeq: 1 " + method + "\r\n" +
         "Contact: <sip:alice@192.0.2.1>\r\n"
         "Content-Length: 0\r\n\r\n";
}

// A reply to `request` as its next hop would send it.
inline std::string replyTo(const std::string& request, int code, const std::string& reason,
                           const std::string& to_tag = "callee") {
  SipMessage req;
  CPPUNIT_ASSERT(req.parse(request) == ParseError::kOk);
  std::string out = "SIP/2.0 " + std::to_string(code) + " " + reason + "\r\n";
  for (const HeaderField& h : req.headers()) {
    if (h.type == HeaderType::kVia || h.type == HeaderType::kFrom ||
        h.type == HeaderType::kCallId || h.type == HeaderType::kCSeq) {
      out.append(h.raw);
    } else if (h.type == HeaderType::kTo) {
      out += "To: " + std::string(h.body) + (code > 100 ? ";tag=" + to_tag : "") + "\r\n";
    }
  }
  out += "Content-Length: 0\r\n\r\n";
  return out;
}

inline bool has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

// An engine on its own shm segment with every packet captured: what a test fixture starts
// in setUp() and stops in tearDown(). Fast timers, so flows finish in milliseconds.
class EngineHarness {
 protected:
  void startEngine() {
    segment_ = std::move(shm::Segment::create(8 << 20).value());
    shm::setSegment(segment_.get());
    TmConfig cfg;
    cfg.t1_ms = 100;
    cfg.t2_ms = 400;
    cfg.t4_ms = 500;
    cfg.fr_ms = 1000;
    cfg.fr_inv_ms = 3000;
    cfg.wait_ms = 500;
    cfg.hash_size = 64;
    engine_ = std::make_unique<Engine>();
    CPPUNIT_ASSERT(engine_->init(*segment_, cfg).isOk());
    setSendCapture(&capture_);
    proxySocket();
  }

  void stopEngine() {
    setSendCapture(nullptr);
    engine_.reset();
    shm::setSegment(nullptr);
    segment_.reset();
  }

  // A reply from downstream; true when a transaction took it.
  bool reply(const std::string& text) {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(text) == ParseError::kOk);
    ReceiveInfo rcv{&proxySocket(), addr("127.0.0.2", 5070), Proto::kUdp};
    MsgContext ctx(msg, rcv, kOnReplyRoute);
    return engine_->takeReply(ctx);
  }

  std::unique_ptr<shm::Segment> segment_;
  std::unique_ptr<Engine> engine_;
  Capture capture_;
};

}  // namespace sipline::tm::testing
