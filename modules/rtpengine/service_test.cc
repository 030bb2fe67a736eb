#include "modules/rtpengine/service.h"

#include <cppunit/extensions/HelperMacros.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
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

// The watcher side of tm and dialog: watch() succeeds (or not) and keeps what it was given.
struct FakeTm : tm::Api {
  std::uint16_t registerCallback(tm::LocalCallback) override { return 1; }
  Status send(const tm::LocalRequest&, std::uint16_t, std::uint64_t) override {
    return Status::ok();
  }
  std::uint8_t registerWatcher(tm::TsxWatcher* w, bool) override {
    watcher = w;
    return 1;
  }
  Status watch(MsgContext&, std::uint8_t) override {
    ++watched;
    return fail ? Status::noMemory("no room") : Status::ok();
  }
  tm::TsxWatcher* watcher = nullptr;
  int watched = 0;
  bool fail = false;
};

struct FakeDialog : dialog::Api {
  Status registerWatcher(const std::string&, dialog::DialogWatcher* w) override {
    watcher = w;
    return Status::ok();
  }
  Status watch(MsgContext&, const std::string&, std::string d) override {
    data = std::move(d);
    return Status::ok();
  }
  dialog::DialogWatcher* watcher = nullptr;
  std::string data;
};

tm::TsxEvent finalReply(int code, std::string_view data) {
  tm::TsxEvent e;
  e.code = code;
  e.method = Method::kInvite;
  e.first_final = true;
  e.data = data;
  return e;
}

dialog::DialogEnd ended(dialog::EndedBy by, std::string_view data) {
  dialog::DialogEnd e;
  e.call_id = "svc-1@x";
  e.from_tag = "ftag";
  e.ended_by = by;
  e.data = data;
  return e;
}

// Posted deletes arrive a little later: waits (bounded) until the relay saw `n` commands.
std::vector<std::string> commandsAfter(FakeRelay& relay, std::size_t n) {
  for (int i = 0; i < 100 && relay.commands().size() < n; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(30));  // and nothing more
  return relay.commands();
}

std::string okOrSdp(const Bencode& req) {
  return req.getString("command") == "delete" ? std::string("d6:result2:oke") : okSdp(req);
}

}  // namespace

class RtpengineServiceTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(RtpengineServiceTest);
  CPPUNIT_TEST(offerReplacesTheSdpAndCounts);
  CPPUNIT_TEST(errorReplyFailsWithoutTouchingTheMessage);
  CPPUNIT_TEST(fullRelayPassesANewCallToTheNext);
  CPPUNIT_TEST(malformedReplyFailsCleanly);
  CPPUNIT_TEST(manageDispatchesByMessage);
  CPPUNIT_TEST(manageSendsALateOfferWhenTheAnswerIsRefused);
  CPPUNIT_TEST(useSetAppliesToItsMessageOnly);
  CPPUNIT_TEST(laterMessagesFollowTheSetOfTheOffer);
  CPPUNIT_TEST(silentRelayCountsFailoverAndDown);
  CPPUNIT_TEST(tmWatcherDeletesAFailedCallOnce);
  CPPUNIT_TEST(manageLeavesAForkedBranchFailureToTm);
  CPPUNIT_TEST(manageStatelessFailureDeletesTheBranchOnly);
  CPPUNIT_TEST(manageKeepsABranchRouteOfferOnOneBranchFailure);
  CPPUNIT_TEST(branchRouteOfferIsDeletedWhenEveryBranchFailed);
  CPPUNIT_TEST(manageNeverDeletesOnAFailedReInvite);
  CPPUNIT_TEST(dialogEndDeletesUnlessTmDid);
  CPPUNIT_TEST(dialogEndDeletesWhenTmCouldNotFollow);
  CPPUNIT_TEST(shutdownLeavesTheSession);
  CPPUNIT_TEST(scriptDeleteIsNotRepeatedByTheWatchers);
  CPPUNIT_TEST(lateOfferIsRecordedAndOfferedWithoutAnError);
  CPPUNIT_TEST(knownCallIsNotReofferedOnAnAnswerError);
  CPPUNIT_TEST(callStaysOnItsRelayAfterRecovery);
  CPPUNIT_TEST(relaysDownIsCurrentWithoutCommands);
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

  // A relay at its limits (rtpengine's session, load, CPU or bandwidth limit, or out of ports)
  // refuses a new call: its offer goes to the set's next relay, and the full relay stays up.
  // Any other error, and any command of a call the relay holds already, fails there.
  void fullRelayPassesANewCallToTheNext() {
    for (std::string refusal :
         {std::string("d6:result5:error12:error-reason30:Parallel session limit reachede"),
          std::string("d6:result5:error12:error-reason16:Ran out of portse"),
          std::string("d6:result10:load limit7:message18:Load limit reachede")}) {
      FakeRelay full([refusal](const Bencode&) { return refusal; });
      FakeRelay spare(okOrSdp);
      Service& s = make(full.url() + "=1000 " + spare.url() + "=1");
      Ctx c(message("INVITE sip:bob@example.com SIP/2.0", "1 INVITE", false, true));
      CPPUNIT_ASSERT_MESSAGE(refusal, s.run(Op::kOffer, *c.ctx, NgFlags{}));
      CPPUNIT_ASSERT_EQUAL(kRelaySdp, c.body());
      CPPUNIT_ASSERT_EQUAL(std::size_t{1}, full.seen().size());
      CPPUNIT_ASSERT_EQUAL(std::size_t{1}, spare.seen().size());
      CPPUNIT_ASSERT_EQUAL(1, s.sets().relayOf("svc-1@x"));  // the call lives on the spare
      CPPUNIT_ASSERT(s.sets().status(0).up);
      CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, s.counters().errors.get());
      CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, s.counters().offers.get());
    }
    {
      // Every relay full: the command fails with the relay's reason; none is marked down.
      FakeRelay a([](const Bencode&) {
        return std::string("d6:result5:error12:error-reason30:Parallel session limit reachede");
      });
      FakeRelay b([](const Bencode&) {
        return std::string("d6:result5:error12:error-reason30:Parallel session limit reachede");
      });
      Service& s = make(a.url() + " " + b.url());
      Ctx c(message("INVITE sip:bob@example.com SIP/2.0", "1 INVITE", false, true));
      CPPUNIT_ASSERT(!s.run(Op::kOffer, *c.ctx, NgFlags{}));
      CPPUNIT_ASSERT_EQUAL(std::size_t{1}, a.seen().size());
      CPPUNIT_ASSERT_EQUAL(std::size_t{1}, b.seen().size());
      CPPUNIT_ASSERT_EQUAL(std::size_t{0}, s.relaysDown());
      CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, s.counters().errors.get());
    }
    {
      // Another error is the relay's verdict on this offer: no second relay is asked.
      FakeRelay picky([](const Bencode&) {
        return std::string("d6:result5:error12:error-reason17:Incomplete SDP xxe");
      });
      FakeRelay spare(okOrSdp);
      Service& s = make(picky.url() + "=1000 " + spare.url() + "=1");
      Ctx c(message("INVITE sip:bob@example.com SIP/2.0", "1 INVITE", false, true));
      CPPUNIT_ASSERT(!s.run(Op::kOffer, *c.ctx, NgFlags{}));
      CPPUNIT_ASSERT_EQUAL(std::size_t{0}, spare.seen().size());
    }
    {
      // A re-offer of a call that lives on the full relay stays there (a session elsewhere
      // would split the call).
      std::atomic<bool> refuse{false};
      FakeRelay full([&refuse](const Bencode& req) {
        return refuse ? std::string(
                            "d6:result5:error12:error-reason30:Parallel session limit reachede")
                      : okOrSdp(req);
      });
      FakeRelay spare(okOrSdp);
      Service& s = make(full.url() + "=1000 " + spare.url() + "=1");
      Ctx c(message("INVITE sip:bob@example.com SIP/2.0", "1 INVITE", false, true));
      CPPUNIT_ASSERT(s.run(Op::kOffer, *c.ctx, NgFlags{}));
      refuse = true;
      Ctx re(message("INVITE sip:bob@example.com SIP/2.0", "2 INVITE", true, true));
      CPPUNIT_ASSERT(!s.run(Op::kOffer, *re.ctx, NgFlags{}));
      CPPUNIT_ASSERT_EQUAL(std::size_t{0}, spare.seen().size());
    }
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
    // The 486 after the BYE's delete: the call is gone already (a stateless failure that
    // deletes: manageStatelessFailureDeletesTheBranchOnly).
    CPPUNIT_ASSERT(
        (relay.commands() == std::vector<std::string>{"offer", "answer", "answer", "delete"}));
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
    // The expected refusal is no error.
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, s.counters().errors.get());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, s.counters().answers.get());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, s.counters().offers.get());
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
    // Another call's message without rtpengine_use_set(): the default set.
    std::string other = message("INVITE sip:bob@example.com SIP/2.0", "1 INVITE", false, true);
    other.replace(other.find("svc-1@x"), 7, "svc-2@x");
    Ctx b(other);
    CPPUNIT_ASSERT_EQUAL(1u, s.setFor(*b.ctx));
  }

  // The answer, re-offer and delete of a call offered on set 2 go to set 2 without a new
  // rtpengine_use_set() (the default set's relay does not know the call), and the automatic
  // delete goes there too; an explicit rtpengine_use_set() for a message still wins.
  void laterMessagesFollowTheSetOfTheOffer() {
    FakeRelay one(okOrSdp);
    FakeRelay two(okOrSdp);
    FakeDialog dlg;
    Service& s = make("1 == " + one.url() + "; 2 == " + two.url(), nullptr, &dlg);
    Ctx offer(message("INVITE sip:bob@example.com SIP/2.0", "1 INVITE", false, true));
    CPPUNIT_ASSERT(s.useSet(*offer.ctx, 2).isOk());
    CPPUNIT_ASSERT(s.run(Op::kOffer, *offer.ctx, NgFlags{}));
    Ctx ok(message("SIP/2.0 200 OK", "1 INVITE", true, true));
    CPPUNIT_ASSERT_EQUAL(2u, s.setFor(*ok.ctx));
    CPPUNIT_ASSERT(s.run(Op::kAnswer, *ok.ctx, NgFlags{}));
    Ctx bye(message("BYE sip:bob@example.com SIP/2.0", "2 BYE", true, false));
    CPPUNIT_ASSERT(s.manage(*bye.ctx, NgFlags{}));
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, one.seen().size());
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, two.seen().size());
    CPPUNIT_ASSERT(dlg.data.rfind("2\n", 0) == 0);  // the watcher keeps the offer's set
    // A message that picks its set explicitly keeps it.
    Ctx again(message("INVITE sip:bob@example.com SIP/2.0", "3 INVITE", true, true));
    CPPUNIT_ASSERT(s.useSet(*again.ctx, 1).isOk());
    CPPUNIT_ASSERT_EQUAL(1u, s.setFor(*again.ctx));
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
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, s.relaysDown());
    Json shown = s.miShow();
    CPPUNIT_ASSERT_EQUAL(std::string("down"), shown["relays"][0]["state"].get<std::string>());
    CPPUNIT_ASSERT_EQUAL(std::string("up"), shown["relays"][1]["state"].get<std::string>());
    CPPUNIT_ASSERT(s.miEnable(live.url(), false).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("disabled"),
                         s.miShow()["relays"][1]["state"].get<std::string>());
    CPPUNIT_ASSERT(!s.miEnable("udp:127.0.0.1:1", true).isOk());
    close(silent);
  }

  // Review items 1 and 12: tm deletes a failed INVITE once; its dialog's end does not again.
  void tmWatcherDeletesAFailedCallOnce() {
    FakeRelay relay(okOrSdp);
    FakeTm tm;
    FakeDialog dlg;
    Service& s = make(relay.url(), &tm, &dlg);
    Ctx invite(message("INVITE sip:bob@example.com SIP/2.0", "1 INVITE", false, true));
    CPPUNIT_ASSERT(s.manage(*invite.ctx, NgFlags{}));
    CPPUNIT_ASSERT_EQUAL(1, tm.watched);
    CPPUNIT_ASSERT_EQUAL(std::string("0\nsvc-1@x\nftag\n1"), dlg.data);
    std::optional<std::string> kept = s.attach(*invite.ctx);
    CPPUNIT_ASSERT(kept.has_value());
    tm::TsxEvent ringing = finalReply(180, *kept);
    ringing.first_final = false;
    s.onReply(ringing);
    s.onReply(finalReply(486, *kept));
    s.onEnd(ended(dialog::EndedBy::kNone, dlg.data));
    CPPUNIT_ASSERT((commandsAfter(relay, 2) == std::vector<std::string>{"offer", "delete"}));
    Bencode del = relay.seen().at(1);
    CPPUNIT_ASSERT_EQUAL(std::string("svc-1@x"), std::string(del.getString("call-id")));
    CPPUNIT_ASSERT_EQUAL(std::string("ftag"), std::string(del.getString("from-tag")));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, s.counters().deletes.get());
  }

  // Review item 1: with tm, one fork's 486 deletes nothing; the other fork's 200 is answered.
  void manageLeavesAForkedBranchFailureToTm() {
    FakeRelay relay(okOrSdp);
    FakeTm tm;
    Service& s = make(relay.url(), &tm, nullptr);
    Ctx invite(message("INVITE sip:bob@example.com SIP/2.0", "1 INVITE", false, true));
    CPPUNIT_ASSERT(s.manage(*invite.ctx, NgFlags{}));
    Ctx busy(message("SIP/2.0 486 Busy", "1 INVITE", true, false));
    CPPUNIT_ASSERT(s.manage(*busy.ctx, NgFlags{}));
    Ctx ok(message("SIP/2.0 200 OK", "1 INVITE", true, true));
    CPPUNIT_ASSERT(s.manage(*ok.ctx, NgFlags{}));
    CPPUNIT_ASSERT((commandsAfter(relay, 2) == std::vector<std::string>{"offer", "answer"}));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, s.counters().deletes.get());
  }

  // Review item 1: without tm, the failure deletes with the branch's tags and via-branch.
  void manageStatelessFailureDeletesTheBranchOnly() {
    FakeRelay relay(okOrSdp);
    Service& s = make(relay.url());
    Ctx invite(message("INVITE sip:bob@example.com SIP/2.0", "1 INVITE", false, true));
    CPPUNIT_ASSERT(s.manage(*invite.ctx, NgFlags{}));
    // As relayed back: the proxy's own Via on top, the caller's (the offer's branch) second.
    std::string reply = message("SIP/2.0 486 Busy", "1 INVITE", true, false);
    reply.insert(reply.find("Via:"), "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKproxy\r\n");
    Ctx busy(reply);
    CPPUNIT_ASSERT(s.manage(*busy.ctx, NgFlags{}));
    CPPUNIT_ASSERT((commandsAfter(relay, 2) == std::vector<std::string>{"offer", "delete"}));
    Bencode del = relay.seen().at(1);
    CPPUNIT_ASSERT_EQUAL(std::string("ftag"), std::string(del.getString("from-tag")));
    CPPUNIT_ASSERT_EQUAL(std::string("ttag"), std::string(del.getString("to-tag")));
    CPPUNIT_ASSERT_EQUAL(std::string("z9hG4bK1"), std::string(del.getString("via-branch")));
    // A second failure reply (another branch, a retransmission): deleted already.
    CPPUNIT_ASSERT(s.manage(*busy.ctx, NgFlags{}));
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, commandsAfter(relay, 3).size());
    // A failure for a call this server never offered deletes nothing either.
    Ctx other(message("SIP/2.0 486 Busy", "1 INVITE", true, false));
    s.sets().forget("svc-1@x");
    CPPUNIT_ASSERT(s.manage(*other.ctx, NgFlags{}));
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, commandsAfter(relay, 3).size());
  }

  // An initial INVITE offered in a branch_route is a transaction's call, maybe
  // parallel-forked: one branch's 486 must not delete the session the other branches'
  // answers need (rtpengine ends the whole call on a branch delete), whether tm follows the
  // transaction or could not.
  void manageKeepsABranchRouteOfferOnOneBranchFailure() {
    for (bool tm_fails : {false, true}) manageKeepsABranchRouteOffer(tm_fails);
  }
  void manageKeepsABranchRouteOffer(bool tm_fails) {
    FakeRelay relay(okOrSdp);
    FakeTm tm;
    tm.fail = tm_fails;
    Service& s = make(relay.url(), &tm);
    Ctx invite(message("INVITE sip:bob@example.com SIP/2.0", "1 INVITE", false, true));
    MsgContext branch(invite.msg, invite.rcv, kBranchRoute);
    CPPUNIT_ASSERT(s.manage(branch, NgFlags{}));
    CPPUNIT_ASSERT_EQUAL(1, tm.watched);
    std::string reply = message("SIP/2.0 486 Busy", "1 INVITE", true, false);
    reply.insert(reply.find("Via:"), "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKproxy\r\n");
    Ctx busy(reply);
    CPPUNIT_ASSERT(s.manage(*busy.ctx, NgFlags{}));
    CPPUNIT_ASSERT((commandsAfter(relay, 2) == std::vector<std::string>{"offer"}));
    // Another branch's 200 is still the relay's answer.
    Ctx ok(message("SIP/2.0 200 OK", "1 INVITE", true, true));
    CPPUNIT_ASSERT(s.manage(*ok.ctx, NgFlags{}));
    CPPUNIT_ASSERT((commandsAfter(relay, 2) == std::vector<std::string>{"offer", "answer"}));
  }

  // The per-branch offers of a branch_route: tm follows the whole transaction from there,
  // so when every branch failed (the final >= 300 sent upstream) the session is deleted,
  // once, and no dialog is created from the branch's context.
  void branchRouteOfferIsDeletedWhenEveryBranchFailed() {
    FakeRelay relay(okOrSdp);
    FakeTm tm;
    FakeDialog dlg;
    Service& s = make(relay.url(), &tm, &dlg);
    Ctx invite(message("INVITE sip:bob@example.com SIP/2.0", "1 INVITE", false, true));
    MsgContext branch(invite.msg, invite.rcv, kBranchRoute);
    CPPUNIT_ASSERT(s.manage(branch, NgFlags{}));
    CPPUNIT_ASSERT(s.manage(branch, NgFlags{}));  // the second branch's offer
    CPPUNIT_ASSERT_EQUAL(2, tm.watched);
    CPPUNIT_ASSERT(dlg.data.empty());
    std::optional<std::string> kept = s.attach(branch);
    CPPUNIT_ASSERT(kept.has_value());
    s.onReply(finalReply(486, *kept));
    CPPUNIT_ASSERT(
        (commandsAfter(relay, 3) == std::vector<std::string>{"offer", "offer", "delete"}));
    Bencode del = relay.seen().at(2);
    CPPUNIT_ASSERT_EQUAL(std::string("svc-1@x"), std::string(del.getString("call-id")));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, s.counters().deletes.get());
  }

  // Review item 1: a failed re-INVITE (491, 488, 401) never ends an answered call's media.
  void manageNeverDeletesOnAFailedReInvite() {
    FakeRelay relay(okOrSdp);
    Service& s = make(relay.url());
    NgFlags none;
    Ctx invite(message("INVITE sip:bob@example.com SIP/2.0", "1 INVITE", false, true));
    CPPUNIT_ASSERT(s.manage(*invite.ctx, none));
    Ctx ok(message("SIP/2.0 200 OK", "1 INVITE", true, true));
    CPPUNIT_ASSERT(s.manage(*ok.ctx, none));
    Ctx reinvite(message("INVITE sip:bob@example.com SIP/2.0", "2 INVITE", true, true));
    CPPUNIT_ASSERT(s.manage(*reinvite.ctx, none));
    for (const char* line : {"SIP/2.0 491 Pending", "SIP/2.0 488 Not Here", "SIP/2.0 401 Auth"}) {
      Ctx failed(message(line, "2 INVITE", true, false));
      CPPUNIT_ASSERT(s.manage(*failed.ctx, none));
    }
    CPPUNIT_ASSERT(
        (commandsAfter(relay, 4) == std::vector<std::string>{"offer", "answer", "offer"}));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, s.counters().deletes.get());
  }

  void dialogEndDeletesUnlessTmDid() {
    FakeRelay relay(okOrSdp);
    FakeTm tm;
    FakeDialog dlg;
    Service& s = make(relay.url(), &tm, &dlg);
    Ctx invite(message("INVITE sip:bob@example.com SIP/2.0", "1 INVITE", false, true));
    CPPUNIT_ASSERT(s.manage(*invite.ctx, NgFlags{}));
    Ctx ok(message("SIP/2.0 200 OK", "1 INVITE", true, true));
    CPPUNIT_ASSERT(s.manage(*ok.ctx, NgFlags{}));
    s.onEnd(ended(dialog::EndedBy::kCallee, dlg.data));  // a BYE the script did not manage
    CPPUNIT_ASSERT(
        (commandsAfter(relay, 3) == std::vector<std::string>{"offer", "answer", "delete"}));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, s.counters().deletes.get());
    CPPUNIT_ASSERT_EQUAL(-1, s.sets().relayOf("svc-1@x"));  // forgotten
  }

  // Review item 12: tm could not follow the INVITE: the dialog's failed end deletes.
  void dialogEndDeletesWhenTmCouldNotFollow() {
    FakeRelay relay(okOrSdp);
    FakeTm tm;
    tm.fail = true;
    FakeDialog dlg;
    Service& s = make(relay.url(), &tm, &dlg);
    Ctx invite(message("INVITE sip:bob@example.com SIP/2.0", "1 INVITE", false, true));
    CPPUNIT_ASSERT(s.manage(*invite.ctx, NgFlags{}));
    CPPUNIT_ASSERT_EQUAL(std::string("0\nsvc-1@x\nftag\n0"), dlg.data);
    // manage on the failure deletes too: tm does not follow this call.
    Ctx busy(message("SIP/2.0 486 Busy", "1 INVITE", true, false));
    CPPUNIT_ASSERT(s.manage(*busy.ctx, NgFlags{}));
    CPPUNIT_ASSERT((commandsAfter(relay, 2) == std::vector<std::string>{"offer", "delete"}));
    // Without manage on the reply, the dialog's failed end is the one that deletes.
    FakeRelay relay2(okOrSdp);
    FakeTm tm2;
    tm2.fail = true;
    FakeDialog dlg2;
    Service& s2 = make(relay2.url(), &tm2, &dlg2);
    Ctx invite2(message("INVITE sip:bob@example.com SIP/2.0", "1 INVITE", false, true));
    CPPUNIT_ASSERT(s2.run(Op::kOffer, *invite2.ctx, NgFlags{}));
    s2.onEnd(ended(dialog::EndedBy::kNone, dlg2.data));
    CPPUNIT_ASSERT((commandsAfter(relay2, 2) == std::vector<std::string>{"offer", "delete"}));
    // Data persisted by an older version (no tm mark): deletes as well.
    s2.onEnd(ended(dialog::EndedBy::kNone, "0\nsvc-1@x\nftag"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, commandsAfter(relay2, 3).size());
  }

  // Review item 3: a server stop ends no call's media.
  void shutdownLeavesTheSession() {
    FakeRelay relay(okOrSdp);
    FakeTm tm;
    FakeDialog dlg;
    Service& s = make(relay.url(), &tm, &dlg);
    Ctx invite(message("INVITE sip:bob@example.com SIP/2.0", "1 INVITE", false, true));
    CPPUNIT_ASSERT(s.manage(*invite.ctx, NgFlags{}));
    s.onEnd(ended(dialog::EndedBy::kShutdown, dlg.data));
    CPPUNIT_ASSERT((commandsAfter(relay, 2) == std::vector<std::string>{"offer"}));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, s.counters().deletes.get());
  }

  // Review item 7: BYE through manage, then the dialog ends: one delete, counted once.
  void scriptDeleteIsNotRepeatedByTheWatchers() {
    FakeRelay relay(okOrSdp);
    FakeTm tm;
    FakeDialog dlg;
    Service& s = make(relay.url(), &tm, &dlg);
    Ctx invite(message("INVITE sip:bob@example.com SIP/2.0", "1 INVITE", false, true));
    CPPUNIT_ASSERT(s.manage(*invite.ctx, NgFlags{}));
    Ctx bye(message("BYE sip:bob@example.com SIP/2.0", "2 BYE", true, false));
    CPPUNIT_ASSERT(s.manage(*bye.ctx, NgFlags{}));
    s.onEnd(ended(dialog::EndedBy::kCaller, dlg.data));
    CPPUNIT_ASSERT((commandsAfter(relay, 3) == std::vector<std::string>{"offer", "delete"}));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, s.counters().deletes.get());
    // The same for a CANCEL followed by the transaction's 487.
    FakeRelay relay2(okOrSdp);
    FakeTm tm2;
    Service& s2 = make(relay2.url(), &tm2, nullptr);
    Ctx invite2(message("INVITE sip:bob@example.com SIP/2.0", "1 INVITE", false, true));
    CPPUNIT_ASSERT(s2.manage(*invite2.ctx, NgFlags{}));
    std::string kept = *s2.attach(*invite2.ctx);
    Ctx cancel(message("CANCEL sip:bob@example.com SIP/2.0", "1 CANCEL", false, false));
    CPPUNIT_ASSERT(s2.manage(*cancel.ctx, NgFlags{}));
    s2.onReply(finalReply(487, kept));
    CPPUNIT_ASSERT((commandsAfter(relay2, 3) == std::vector<std::string>{"offer", "delete"}));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, s2.counters().deletes.get());
  }

  // Review item 4: the INVITE without SDP is recorded; its 200 is offered at once (no
  // refused answer first, no error), the ACK answers.
  void lateOfferIsRecordedAndOfferedWithoutAnError() {
    FakeRelay relay(okOrSdp);
    FakeDialog dlg;
    Service& s = make(relay.url(), nullptr, &dlg);
    Ctx invite(message("INVITE sip:bob@example.com SIP/2.0", "1 INVITE", false, false));
    CPPUNIT_ASSERT(s.manage(*invite.ctx, NgFlags{}));
    CPPUNIT_ASSERT_EQUAL(std::string("0\nsvc-1@x\nftag\n0"), dlg.data);  // followed
    Ctx ok(message("SIP/2.0 200 OK", "1 INVITE", true, true));
    CPPUNIT_ASSERT(s.manage(*ok.ctx, NgFlags{}));
    Ctx ack(message("ACK sip:bob@example.com SIP/2.0", "1 ACK", true, true));
    CPPUNIT_ASSERT(s.manage(*ack.ctx, NgFlags{}));
    CPPUNIT_ASSERT((commandsAfter(relay, 2) == std::vector<std::string>{"offer", "answer"}));
    CPPUNIT_ASSERT_EQUAL(std::string("ttag"),
                         std::string(relay.seen().at(0).getString("from-tag")));
    CPPUNIT_ASSERT_EQUAL(std::string("ttag"),
                         std::string(relay.seen().at(1).getString("from-tag")));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, s.counters().errors.get());
    // A 200 retransmission is offered again (the same offer); a re-INVITE with SDP offers
    // and its 200 answers.
    Ctx again(message("SIP/2.0 200 OK", "1 INVITE", true, true));
    CPPUNIT_ASSERT(s.manage(*again.ctx, NgFlags{}));
    Ctx reinvite(message("INVITE sip:bob@example.com SIP/2.0", "2 INVITE", true, true));
    CPPUNIT_ASSERT(s.manage(*reinvite.ctx, NgFlags{}));
    Ctx reok(message("SIP/2.0 200 OK", "2 INVITE", true, true));
    CPPUNIT_ASSERT(s.manage(*reok.ctx, NgFlags{}));
    CPPUNIT_ASSERT((commandsAfter(relay, 5) ==
                    std::vector<std::string>{"offer", "answer", "offer", "offer", "answer"}));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, s.counters().errors.get());
  }

  // Review item 4: an offered call whose answer fails (load limit, error, unknown on another
  // relay) is not turned into a reversed late offer.
  void knownCallIsNotReofferedOnAnAnswerError() {
    for (std::string why : {"15:Unknown call-id", "10:load limit"}) {
      FakeRelay relay([why](const Bencode& req) {
        return req.getString("command") == "answer" ? "d6:result5:error12:error-reason" + why + "e"
                                                    : okSdp(req);
      });
      Service& s = make(relay.url());
      Ctx invite(message("INVITE sip:bob@example.com SIP/2.0", "1 INVITE", false, true));
      CPPUNIT_ASSERT(s.manage(*invite.ctx, NgFlags{}));
      Ctx ok(message("SIP/2.0 200 OK", "1 INVITE", true, true));
      CPPUNIT_ASSERT(!s.manage(*ok.ctx, NgFlags{}));
      CPPUNIT_ASSERT((relay.commands() == std::vector<std::string>{"offer", "answer"}));
      CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, s.counters().errors.get());
    }
  }

  // Review item 2: A silent at the offer, B takes the call; A back: answer and teardown
  // still reach B.
  void callStaysOnItsRelayAfterRecovery() {
    FakeRelay live(okOrSdp);
    int silent = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    SockAddr a;
    SockAddr::fromNumeric("127.0.0.1", 0, a);
    bind(silent, a.sa(), a.len);
    a.len = sizeof(a.ss);
    getsockname(silent, a.sa(), &a.len);
    FakeTm tm;
    Service& s = make("udp:127.0.0.1:" + std::to_string(a.port()) + "=1000 " + live.url() + "=1",
                      &tm, nullptr);
    Ctx invite(message("INVITE sip:bob@example.com SIP/2.0", "1 INVITE", false, true));
    CPPUNIT_ASSERT(s.manage(*invite.ctx, NgFlags{}));
    CPPUNIT_ASSERT_EQUAL(1, s.sets().relayOf("svc-1@x"));
    s.sets().markUp(0);  // A is back
    Ctx ok(message("SIP/2.0 200 OK", "1 INVITE", true, true));
    CPPUNIT_ASSERT(s.manage(*ok.ctx, NgFlags{}));
    s.onReply(finalReply(500, *s.attach(*invite.ctx)));  // (as if the call then failed)
    CPPUNIT_ASSERT(
        (commandsAfter(live, 3) == std::vector<std::string>{"offer", "answer", "delete"}));
    char buf[2048];
    int after_offer = 0;
    while (recv(silent, buf, sizeof(buf), MSG_DONTWAIT) > 0) ++after_offer;
    CPPUNIT_ASSERT_EQUAL(1, after_offer);  // A saw the offer only
    close(silent);
  }

  // Review item 10: a relay's disable time running out shows without any command.
  void relaysDownIsCurrentWithoutCommands() {
    FakeRelay relay(okOrSdp);
    Service& s = make(relay.url());
    s.sets().markDown(0, monotonicMs() - 60000 + 50);  // down for 50 more ms
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, s.relaysDown());
    std::this_thread::sleep_for(std::chrono::milliseconds(80));
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, s.relaysDown());
  }

 private:
  Service& make(const std::string& sock, tm::Api* tm = nullptr, dialog::Api* dlg = nullptr) {
    service_ = std::make_unique<Service>();
    service_->config().sock = sock;
    service_->config().tout_ms = 100;
    service_->config().retr = 0;
    Counters& k = service_->counters();
    StatCounter* all[] = {&k.offers, &k.answers, &k.deletes, &k.errors, &k.failovers};
    for (std::size_t i = 0; i < 5; ++i) {
      slots_[i] = 0;
      all[i]->bindForTest(&slots_[i]);
    }
    Status st = service_->initForTest(tm, dlg);
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
    return *service_;
  }

  std::unique_ptr<Service> service_;
  std::atomic<std::uint64_t> slots_[6];
};
CPPUNIT_TEST_SUITE_REGISTRATION(RtpengineServiceTest);

}  // namespace sipline::rtpengine
