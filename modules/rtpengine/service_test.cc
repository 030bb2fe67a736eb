#include "modules/rtpengine/service.h"

#include <cppunit/extensions/HelperMacros.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sipline::rtpengine {
namespace {

// A loopback ng "relay" run by a thread: answers each request with reply(request dict).
class FakeRelay {
 public:
  using Reply = std::function<std::string(const Bencode&)>;
  explicit FakeRelay(Reply reply) : reply_(std::move(reply)) {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    SockAddr::fromNumeric("127.0.0.1", 0, addr_);
    bind(fd_, addr_.sa(), addr_.len);
    addr_.len = sizeof(addr_.ss);
    getsockname(fd_, addr_.sa(), &addr_.len);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeRelay() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  std::string url() const { return "udp:127.0.0.1:" + std::to_string(addr_.port()); }
  std::vector<std::string> commands() {
    std::vector<std::string> out;
    for (const Bencode& b : seen()) out.emplace_back(b.getString("command"));
    return out;
  }
  std::vector<Bencode> seen() {
    std::lock_guard<std::mutex> lock(mutex_);
    return seen_;
  }

 private:
  void serve() {
    char buf[65536];
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      SockAddr from;
      from.len = sizeof(from.ss);
      ssize_t n = recvfrom(fd_, buf, sizeof(buf), 0, from.sa(), &from.len);
      if (n <= 0) continue;
      std::string req(buf, static_cast<std::size_t>(n));
      std::size_t sp = req.find(' ');
      Result<Bencode> d = decodeBencode(req.substr(sp + 1));
      if (!d.isOk()) continue;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        seen_.push_back(d.value());
      }
      std::string out = req.substr(0, sp) + " " + reply_(d.value());
      sendto(fd_, out.data(), out.size(), 0, from.sa(), from.len);
    }
  }

  Reply reply_;
  int fd_ = -1;
  SockAddr addr_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<Bencode> seen_;
  std::thread thread_;
};

const std::string kSdp =
    "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 0\r\n";
const std::string kRelaySdp =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 30000 RTP/AVP 0\r\n";

std::string message(const std::string& first_line, const std::string& cseq, bool to_tag, bool sdp) {
  std::string m = first_line +
                  "\r\n"
                  "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
                  "From: <sip:alice@example.com>;tag=ftag\r\n"
                  "To: <sip:bob@example.com>" +
                  std::string(to_tag ? ";tag=ttag" : "") +
                  "\r\n"
                  "Call-ID: svc-1@x\r\n"
                  "CSeq: " +
                  cseq + "\r\n";
  if (sdp) m += "Content-Type: application/sdp\r\n";
  m += "Content-Length: " + std::to_string(sdp ? kSdp.size() : 0) + "\r\n\r\n" + (sdp ? kSdp : "");
  return m;
}

std::string okSdp(const Bencode&) {
  return "d6:result2:ok3:sdp" + std::to_string(kRelaySdp.size()) + ":" + kRelaySdp + "e";
}

// One message in a context, as a command sees it.
struct Ctx {
  explicit Ctx(std::string t) : text(std::move(t)) {
    CPPUNIT_ASSERT_MESSAGE(text, msg.parse(text) == ParseError::kOk);
    SockAddr::fromNumeric("192.0.2.1", 5060, rcv.src);
    ctx = std::make_unique<MsgContext>(msg, rcv, kRequestRoute);
  }
  std::string body() {
    std::string out;
    CPPUNIT_ASSERT(msg.build(out));
    return out.substr(out.find("\r\n\r\n") + 4);
  }
  std::string text;
  SipMessage msg;
  ReceiveInfo rcv;
  std::unique_ptr<MsgContext> ctx;
};

}  // namespace

class RtpengineServiceTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(RtpengineServiceTest);
  CPPUNIT_TEST(offerReplacesTheSdpAndCounts);
  CPPUNIT_TEST(errorReplyFailsWithoutTouchingTheMessage);
  CPPUNIT_TEST(malformedReplyFailsCleanly);
  CPPUNIT_TEST(manageDispatchesByMessage);
  CPPUNIT_TEST(manageSendsALateOfferWhenTheAnswerIsRefused);
  CPPUNIT_TEST(useSetAppliesToItsMessageOnly);
  CPPUNIT_TEST(silentRelayCountsFailoverAndDown);
  CPPUNIT_TEST_SUITE_END();

 public:
  void offerReplacesTheSdpAndCounts() {
    FakeRelay relay(okSdp);
    Service& s = make(relay.url());
    Ctx c(message("INVITE sip:bob@example.com SIP/2.0", "1 INVITE", false, true));
    CPPUNIT_ASSERT(s.run(Op::kOffer, *c.ctx, parseNgFlags("trust-address").value()));
    CPPUNIT_ASSERT_EQUAL(kRelaySdp, c.body());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, s.counters().offers.get());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, s.counters().errors.get());
    CPPUNIT_ASSERT_EQUAL(std::string("svc-1@x"),
                         std::string(relay.seen().at(0).getString("call-id")));
  }

  void errorReplyFailsWithoutTouchingTheMessage() {
    FakeRelay relay(
        [](const Bencode&) { return std::string("d6:result5:error12:error-reason7:no sparee"); });
    Service& s = make(relay.url());
    Ctx c(message("INVITE sip:bob@example.com SIP/2.0", "1 INVITE", false, true));
    CPPUNIT_ASSERT(!s.run(Op::kOffer, *c.ctx, NgFlags{}));
    CPPUNIT_ASSERT_EQUAL(kSdp, c.body());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, s.counters().errors.get());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, s.counters().offers.get());
    CPPUNIT_ASSERT(s.sets().status(0).up);  // an answering relay is not down
  }

  void malformedReplyFailsCleanly() {
    for (std::string bad :
         {"", "garbage", "d6:result2:ok", "d6:result2:oke", "le", "d3:sdpi5e6:result2:oke"}) {
      FakeRelay relay([bad](const Bencode&) { return bad; });
      Service& s = make(relay.url());
      Ctx c(message("INVITE sip:bob@example.com SIP/2.0", "1 INVITE", false, true));
      CPPUNIT_ASSERT_MESSAGE(bad, !s.run(Op::kOffer, *c.ctx, NgFlags{}));
      CPPUNIT_ASSERT_EQUAL(kSdp, c.body());
    }
  }

  void manageDispatchesByMessage() {
    FakeRelay relay([](const Bencode& req) {
      return req.getString("command") == "delete" ? std::string("d6:result2:oke") : okSdp(req);
    });
    Service& s = make(relay.url());
    NgFlags none;
    Ctx invite(message("INVITE sip:bob@example.com SIP/2.0", "1 INVITE", false, true));
    CPPUNIT_ASSERT(s.manage(*invite.ctx, none));
    Ctx ringing(message("SIP/2.0 183 Progress", "1 INVITE", true, true));
    CPPUNIT_ASSERT(s.manage(*ringing.ctx, none));
    Ctx late(message("INVITE sip:bob@example.com SIP/2.0", "2 INVITE", false, false));
    CPPUNIT_ASSERT(s.manage(*late.ctx, none));  // nothing to do
    Ctx ack(message("ACK sip:bob@example.com SIP/2.0", "1 ACK", true, true));
    CPPUNIT_ASSERT(s.manage(*ack.ctx, none));
    Ctx bye(message("BYE sip:bob@example.com SIP/2.0", "2 BYE", true, false));
    CPPUNIT_ASSERT(s.manage(*bye.ctx, none));
    Ctx busy(message("SIP/2.0 486 Busy", "1 INVITE", true, false));
    CPPUNIT_ASSERT(s.manage(*busy.ctx, none));
    Ctx options(message("OPTIONS sip:bob@example.com SIP/2.0", "3 OPTIONS", false, false));
    CPPUNIT_ASSERT(s.manage(*options.ctx, none));
    CPPUNIT_ASSERT((relay.commands() ==
                    std::vector<std::string>{"offer", "answer", "answer", "delete", "delete"}));
  }

  void manageSendsALateOfferWhenTheAnswerIsRefused() {
    FakeRelay relay([](const Bencode& req) {
      return req.getString("command") == "answer"
                 ? std::string("d6:result5:error12:error-reason15:Unknown call-ide")
                 : okSdp(req);
    });
    Service& s = make(relay.url());
    Ctx ok(message("SIP/2.0 200 OK", "1 INVITE", true, true));
    CPPUNIT_ASSERT(s.manage(*ok.ctx, NgFlags{}));
    CPPUNIT_ASSERT((relay.commands() == std::vector<std::string>{"answer", "offer"}));
    // The callee offers: its tag is the from-tag.
    CPPUNIT_ASSERT_EQUAL(std::string("ttag"),
                         std::string(relay.seen().at(1).getString("from-tag")));
    CPPUNIT_ASSERT_EQUAL(kRelaySdp, ok.body());
  }

  void useSetAppliesToItsMessageOnly() {
    FakeRelay one(okSdp);
    FakeRelay two(okSdp);
    Service& s = make("1 == " + one.url() + "; 2 == " + two.url());
    Ctx a(message("INVITE sip:bob@example.com SIP/2.0", "1 INVITE", false, true));
    CPPUNIT_ASSERT_EQUAL(1u, s.setFor(*a.ctx));  // no set 0: the first one
    CPPUNIT_ASSERT(!s.useSet(*a.ctx, 3).isOk());
    CPPUNIT_ASSERT(s.useSet(*a.ctx, 2).isOk());
    CPPUNIT_ASSERT(s.run(Op::kOffer, *a.ctx, NgFlags{}));
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, one.seen().size());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, two.seen().size());
    Ctx b(message("INVITE sip:bob@example.com SIP/2.0", "2 INVITE", false, true));
    CPPUNIT_ASSERT_EQUAL(1u, s.setFor(*b.ctx));
  }

  void silentRelayCountsFailoverAndDown() {
    FakeRelay live(okSdp);
    int silent = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    SockAddr a;
    SockAddr::fromNumeric("127.0.0.1", 0, a);
    bind(silent, a.sa(), a.len);
    a.len = sizeof(a.ss);
    getsockname(silent, a.sa(), &a.len);
    Service& s = make("udp:127.0.0.1:" + std::to_string(a.port()) + "=1000 " + live.url() + "=1");
    Ctx c(message("INVITE sip:bob@example.com SIP/2.0", "1 INVITE", false, true));
    CPPUNIT_ASSERT(s.run(Op::kOffer, *c.ctx, NgFlags{}));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, s.counters().failovers.get());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, s.counters().relays_down.get());
    Json shown = s.miShow();
    CPPUNIT_ASSERT_EQUAL(std::string("down"), shown["relays"][0]["state"].get<std::string>());
    CPPUNIT_ASSERT_EQUAL(std::string("up"), shown["relays"][1]["state"].get<std::string>());
    CPPUNIT_ASSERT(s.miEnable(live.url(), false).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("disabled"),
                         s.miShow()["relays"][1]["state"].get<std::string>());
    CPPUNIT_ASSERT(!s.miEnable("udp:127.0.0.1:1", true).isOk());
    close(silent);
  }

 private:
  Service& make(const std::string& sock) {
    service_ = std::make_unique<Service>();
    service_->config().sock = sock;
    service_->config().tout_ms = 100;
    service_->config().retr = 0;
    Counters& k = service_->counters();
    StatCounter* all[] = {&k.offers, &k.answers,   &k.deletes,
                          &k.errors, &k.failovers, &k.relays_down};
    for (std::size_t i = 0; i < 6; ++i) {
      slots_[i] = 0;
      all[i]->bindForTest(&slots_[i]);
    }
    Status st = service_->initForTest();
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
    return *service_;
  }

  std::unique_ptr<Service> service_;
  std::atomic<std::uint64_t> slots_[6];
};
CPPUNIT_TEST_SUITE_REGISTRATION(RtpengineServiceTest);

}  // namespace sipline::rtpengine
