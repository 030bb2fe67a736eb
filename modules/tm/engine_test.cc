// The engine against a real shm segment, with every packet captured instead of sent and the
// timers driven by hand: the RFC 3261 flows of a stateful proxy, one step at a time.
#include "modules/tm/engine.h"

#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <string>
#include <vector>

#include "core/base/clock.h"
#include "core/shm/segment.h"
#include "modules/tm/engine_test_util.h"

namespace sipline::tm {
using namespace testing;  // NOLINT(google-build-using-namespace): test helpers

class TmEngineTest : public CppUnit::TestFixture, protected EngineHarness {
  CPPUNIT_TEST_SUITE(TmEngineTest);
  CPPUNIT_TEST(inviteGoesOutWithOurViaAndTheCallerGets100);
  CPPUNIT_TEST(localRepliesCarryTheForcedRport);
  CPPUNIT_TEST(appendedReplyHeadersStayWithTheTransaction);
  CPPUNIT_TEST(provisionalGoesUpWithoutOurVia);
  CPPUNIT_TEST(busyIsAckedHopByHopThenRelayed);
  CPPUNIT_TEST(retransmittedInviteGetsTheLastReply);
  CPPUNIT_TEST(ackOfOurFinalIsAbsorbedAndTheTableEmpties);
  CPPUNIT_TEST(inviteIsRetransmittedUntilAProvisional);
  CPPUNIT_TEST(noFinalInTimeGives408AndCancelsARingingBranch);
  CPPUNIT_TEST(cancelIsAnsweredAndRelayedThen487GoesUp);
  CPPUNIT_TEST(cancelBeforeAProvisionalWaitsForIt);
  CPPUNIT_TEST(cancelAfterATimeoutIsRetransmittedUntilAnswered);
  CPPUNIT_TEST(cancelWithoutItsInviteIsRelayedAndItsReplyComesBack);
  CPPUNIT_TEST(parallelForkingRelaysTheAnswerAndCancelsTheOther);
  CPPUNIT_TEST(bestFinalIsChosenWhenEveryBranchFails);
  CPPUNIT_TEST(challengesOfEveryBranchAreMerged);
  CPPUNIT_TEST(serviceUnavailableGoesUpAs500);
  CPPUNIT_TEST(nonInviteFinalIsRelayedOnceAndKeptForRetransmissions);
  CPPUNIT_TEST(replyOfAnotherServerStartIsNotOurs);
  CPPUNIT_TEST(methodCountsFollowTheTransactions);
  CPPUNIT_TEST(fullSharedMemoryAnswers500);
  CPPUNIT_TEST(localRequestReportsItsFinalReply);
  CPPUNIT_TEST(localRequestWithoutAnswerReports408);
  CPPUNIT_TEST(redirectListsTheDestinationSetAsContacts);
  CPPUNIT_TEST(pathOfTheRequestUriBecomesItsRoute);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override { startEngine(); }
  void tearDown() override { stopEngine(); }

  // A request from the caller through the request route: t_relay() (and the end of the
  // script). Returns t_relay's rc.
  int relayRequest(const std::string& text, std::vector<std::string> extra_branches = {},
                   const std::string& ruri_path = "") {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(text) == ParseError::kOk);
    ReceiveInfo rcv{&proxySocket(), addr("192.0.2.1", 5060), Proto::kUdp};
    if (engine_->absorbRequest(msg, rcv)) return 100;
    MsgContext ctx(msg, rcv, kRequestRoute);
    ctx.ruri_path = ruri_path;
    for (const std::string& uri : extra_branches) {
      Branch b;
      b.uri = uri;
      CPPUNIT_ASSERT(ctx.appendBranch(b).isOk());
    }
    int rc = engine_->relay(ctx);
    engine_->requestDone(ctx);
    return rc;
  }

  bool absorbed(const std::string& text) {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(text) == ParseError::kOk);
    ReceiveInfo rcv{&proxySocket(), addr("192.0.2.1", 5060), Proto::kUdp};
    return engine_->absorbRequest(msg, rcv);
  }

  // The timer process's clock runs ahead of the real one here, and never backwards (as in
  // the server): each call goes on from where the previous one stopped.
  void runTimersFor(std::int64_t ms) {
    std::int64_t start = std::max(clock_, monotonicMs());
    for (std::int64_t t = 0; t <= ms; t += 10) engine_->onTimer(start + t);
    clock_ = start + ms;
  }

  // The request sent downstream (the only one of `sent` with a request line to 127.0.0.2).
  static const Sent& downstream(const std::vector<Sent>& sent, const std::string& method) {
    for (const Sent& s : sent) {
      if (s.firstLine().rfind(method + " ", 0) == 0) return s;
    }
    CPPUNIT_FAIL("no " + method + " sent");
    return sent.front();
  }

  void inviteGoesOutWithOurViaAndTheCallerGets100() {
    CPPUNIT_ASSERT_EQUAL(1, relayRequest(invite("z9hG4bKa1")));
    std::vector<Sent> sent = capture_.take();
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, sent.size());
    // The INVITE first; the 100 once it went somewhere.
    CPPUNIT_ASSERT_EQUAL(std::string("SIP/2.0 100 Trying"), sent[1].firstLine());
    CPPUNIT_ASSERT(sent[1].to == addr("192.0.2.1", 5060));
    const Sent& inv = sent[0];
    CPPUNIT_ASSERT(inv.to == addr("127.0.0.2", 5070));
    CPPUNIT_ASSERT(has(inv.data, "Via: SIP/2.0/UDP 127.0.0.9:5060;branch=z9hG4bKT"));
    CPPUNIT_ASSERT(has(inv.data, "branch=z9hG4bKa1;rport=5060;received=192.0.2.1"));
    CPPUNIT_ASSERT(has(inv.data, "Max-Forwards: 69"));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, engine_->inUse());
  }

  // force_rport() (or a stream) on a Via without rport: the replies generated here record the
  // source port as the relayed ones do (RFC 3581 §4), not only go there.
  void localRepliesCarryTheForcedRport() {
    std::string text = invite("z9hG4bKfr");
    text.erase(text.find(";rport"), 6);
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(text) == ParseError::kOk);
    ReceiveInfo rcv{&proxySocket(), addr("192.0.2.1", 5062), Proto::kUdp};
    MsgContext ctx(msg, rcv, kRequestRoute);
    ctx.force_rport = true;
    CPPUNIT_ASSERT_EQUAL(1, engine_->relay(ctx));
    engine_->requestDone(ctx);
    std::vector<Sent> sent = capture_.take();
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, sent.size());
    CPPUNIT_ASSERT_EQUAL(std::string("SIP/2.0 100 Trying"), sent[1].firstLine());
    CPPUNIT_ASSERT(sent[1].to == addr("192.0.2.1", 5062));
    CPPUNIT_ASSERT(has(sent[1].data, "branch=z9hG4bKfr;rport=5062;received=192.0.2.1"));
    // A final generated here later (no answer in time) too.
    runTimersFor(3100);  // fr_inv_timeout 3 s
    std::vector<Sent> out = capture_.take();
    bool timeout_up = false;
    for (const Sent& s : out) {
      if (s.firstLine().rfind("SIP/2.0 408", 0) != 0) continue;
      timeout_up = true;
      CPPUNIT_ASSERT(s.to == addr("192.0.2.1", 5062));
      CPPUNIT_ASSERT(has(s.data, "branch=z9hG4bKfr;rport=5062;received=192.0.2.1"));
    }
    CPPUNIT_ASSERT(timeout_up);
  }

  // append_to_reply() before t_relay(): the 408 tm makes later carries the header (OpenSIPS
  // keeps it with the request); the automatic 100 Trying does not.
  void appendedReplyHeadersStayWithTheTransaction() {
    std::string text = invite("z9hG4bKar");
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(text) == ParseError::kOk);
    ReceiveInfo rcv{&proxySocket(), addr("192.0.2.1", 5060), Proto::kUdp};
    MsgContext ctx(msg, rcv, kRequestRoute);
    ctx.reply_headers = "X-Kept: 1\r\n";
    CPPUNIT_ASSERT_EQUAL(1, engine_->relay(ctx));
    engine_->requestDone(ctx);
    std::vector<Sent> sent = capture_.take();
    CPPUNIT_ASSERT_EQUAL(std::string("SIP/2.0 100 Trying"), sent.back().firstLine());
    CPPUNIT_ASSERT(!has(sent.back().data, "X-Kept"));
    runTimersFor(3100);  // fr_inv_timeout 3 s
    bool timeout_up = false;
    for (const Sent& s : capture_.take()) {
      if (s.firstLine() != "SIP/2.0 408 Request Timeout") continue;
      timeout_up = true;
      CPPUNIT_ASSERT(has(s.data, "\r\nX-Kept: 1\r\n"));
    }
    CPPUNIT_ASSERT(timeout_up);
  }

  void provisionalGoesUpWithoutOurVia() {
    relayRequest(invite("z9hG4bKa2"));
    Sent inv = downstream(capture_.take(), "INVITE");
    CPPUNIT_ASSERT(reply(replyTo(inv.data, 100, "Trying")));
    CPPUNIT_ASSERT(capture_.take().empty());  // 100 is hop by hop
    CPPUNIT_ASSERT(reply(replyTo(inv.data, 180, "Ringing")));
    std::vector<Sent> up = capture_.take();
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, up.size());
    CPPUNIT_ASSERT_EQUAL(std::string("SIP/2.0 180 Ringing"), up[0].firstLine());
    CPPUNIT_ASSERT(!has(up[0].data, "127.0.0.9"));
    CPPUNIT_ASSERT(up[0].to == addr("192.0.2.1", 5060));
  }

  void busyIsAckedHopByHopThenRelayed() {
    relayRequest(invite("z9hG4bKa3"));
    Sent inv = downstream(capture_.take(), "INVITE");
    CPPUNIT_ASSERT(reply(replyTo(inv.data, 486, "Busy Here")));
    std::vector<Sent> out = capture_.take();
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, out.size());
    const Sent& ack = downstream(out, "ACK");
    CPPUNIT_ASSERT(ack.to == addr("127.0.0.2", 5070));
    SipMessage inv_msg, ack_msg;
    CPPUNIT_ASSERT(inv_msg.parse(inv.data) == ParseError::kOk);
    CPPUNIT_ASSERT(ack_msg.parse(ack.data) == ParseError::kOk);
    CPPUNIT_ASSERT(inv_msg.topVia()->branch == ack_msg.topVia()->branch);
    CPPUNIT_ASSERT(has(ack.data, ";tag=callee"));
    bool up = false;
    for (const Sent& s : out) up |= s.firstLine() == "SIP/2.0 486 Busy Here";
    CPPUNIT_ASSERT(up);
    // The retransmitted 486 is ACKed again, not relayed again.
    CPPUNIT_ASSERT(reply(replyTo(inv.data, 486, "Busy Here")));
    out = capture_.take();
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, out.size());
    CPPUNIT_ASSERT(out[0].firstLine().rfind("ACK ", 0) == 0);
  }

  void retransmittedInviteGetsTheLastReply() {
    std::string text = invite("z9hG4bKa4");
    relayRequest(text);
    capture_.take();
    CPPUNIT_ASSERT_EQUAL(100, relayRequest(text));  // absorbed before the script
    std::vector<Sent> out = capture_.take();
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, out.size());
    CPPUNIT_ASSERT_EQUAL(std::string("SIP/2.0 100 Trying"), out[0].firstLine());
  }

  void ackOfOurFinalIsAbsorbedAndTheTableEmpties() {
    std::string text = invite("z9hG4bKa5");
    relayRequest(text);
    Sent inv = downstream(capture_.take(), "INVITE");
    reply(replyTo(inv.data, 404, "Not Found"));
    capture_.take();
    std::string ack =
        "ACK sip:bob@127.0.0.2:5070 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa5;rport\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:alice@a.example>;tag=fa\r\n"
        "To: <sip:bob@b.example>;tag=callee\r\nCall-ID: z9hG4bKa5@a\r\n"
        "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n";
    CPPUNIT_ASSERT(absorbed(ack));
    CPPUNIT_ASSERT(absorbed(ack));  // its retransmission too
    runTimersFor(100);
    CPPUNIT_ASSERT(capture_.take().empty());  // no timer G after the ACK
    runTimersFor(1200);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, engine_->inUse());
  }

  void inviteIsRetransmittedUntilAProvisional() {
    relayRequest(invite("z9hG4bKa6"));
    Sent inv = downstream(capture_.take(), "INVITE");
    runTimersFor(350);  // T1=100: at 100 and 300
    std::vector<Sent> out = capture_.take();
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, out.size());
    CPPUNIT_ASSERT_EQUAL(inv.data, out[0].data);
    reply(replyTo(inv.data, 180, "Ringing"));
    capture_.take();
    runTimersFor(800);
    CPPUNIT_ASSERT(capture_.take().empty());
  }

  void noFinalInTimeGives408AndCancelsARingingBranch() {
    relayRequest(invite("z9hG4bKa7"));
    Sent inv = downstream(capture_.take(), "INVITE");
    reply(replyTo(inv.data, 180, "Ringing"));
    capture_.take();
    runTimersFor(3100);  // fr_inv_timeout 3 s
    std::vector<Sent> out = capture_.take();
    bool cancel = false, timeout = false;
    for (const Sent& s : out) {
      cancel |= s.firstLine().rfind("CANCEL sip:bob@127.0.0.2:5070", 0) == 0;
      timeout |= s.firstLine() == "SIP/2.0 408 Request Timeout";
    }
    CPPUNIT_ASSERT(cancel);
    CPPUNIT_ASSERT(timeout);
  }

  void cancelIsAnsweredAndRelayedThen487GoesUp() {
    relayRequest(invite("z9hG4bKa8"));
    Sent inv = downstream(capture_.take(), "INVITE");
    reply(replyTo(inv.data, 180, "Ringing"));
    capture_.take();
    std::string cancel = invite("z9hG4bKa8", "sip:bob@127.0.0.2:5070", "CANCEL");
    CPPUNIT_ASSERT_EQUAL(1, relayRequest(cancel));
    std::vector<Sent> out = capture_.take();
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, out.size());
    CPPUNIT_ASSERT_EQUAL(std::string("SIP/2.0 200 OK"), out[0].firstLine());
    CPPUNIT_ASSERT(has(out[0].data, "CSeq: 1 CANCEL"));
    const Sent& down = downstream(out, "CANCEL");
    SipMessage im, cm;
    CPPUNIT_ASSERT(im.parse(inv.data) == ParseError::kOk);
    CPPUNIT_ASSERT(cm.parse(down.data) == ParseError::kOk);
    CPPUNIT_ASSERT(im.topVia()->branch == cm.topVia()->branch);
    reply(replyTo(down.data, 200, "OK"));  // the CANCEL's own 200 stops there
    CPPUNIT_ASSERT(capture_.take().empty());
    reply(replyTo(inv.data, 487, "Request Terminated"));
    out = capture_.take();
    bool up = false;
    for (const Sent& s : out) up |= s.firstLine() == "SIP/2.0 487 Request Terminated";
    CPPUNIT_ASSERT(up);
  }

  void cancelBeforeAProvisionalWaitsForIt() {
    relayRequest(invite("z9hG4bKa9"));
    Sent inv = downstream(capture_.take(), "INVITE");
    relayRequest(invite("z9hG4bKa9", "sip:bob@127.0.0.2:5070", "CANCEL"));
    std::vector<Sent> out = capture_.take();
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, out.size());  // only the 200 (RFC 3261 §9.1)
    reply(replyTo(inv.data, 100, "Trying"));
    out = capture_.take();
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, out.size());
    CPPUNIT_ASSERT(out[0].firstLine().rfind("CANCEL ", 0) == 0);
  }

  void cancelAfterATimeoutIsRetransmittedUntilAnswered() {
    relayRequest(invite("z9hG4bKc1"));
    Sent inv = downstream(capture_.take(), "INVITE");
    reply(replyTo(inv.data, 180, "Ringing"));
    capture_.take();
    runTimersFor(3050);  // fr_inv_timeout: CANCEL + 408
    std::vector<Sent> out = capture_.take();
    Sent cancel = downstream(out, "CANCEL");
    runTimersFor(250);  // T1 = 100: the CANCEL again (it may have been lost)
    out = capture_.take();
    CPPUNIT_ASSERT(!out.empty());
    CPPUNIT_ASSERT_EQUAL(cancel.data, downstream(out, "CANCEL").data);
    reply(replyTo(cancel.data, 200, "OK"));
    capture_.take();
    runTimersFor(400);
    for (const Sent& x : capture_.take()) {  // the 408 may be resent (no ACK here): no CANCEL
      CPPUNIT_ASSERT_MESSAGE(x.firstLine(), x.firstLine().rfind("CANCEL", 0) != 0);
    }
    // A 180 that still comes is not relayed up (the caller has its 408).
    reply(replyTo(inv.data, 180, "Ringing"));
    CPPUNIT_ASSERT(capture_.take().empty());
  }

  void cancelWithoutItsInviteIsRelayedAndItsReplyComesBack() {
    std::string cancel = invite("z9hG4bKc2", "sip:bob@127.0.0.2:5070", "CANCEL");
    CPPUNIT_ASSERT_EQUAL(1, relayRequest(cancel));
    Sent down = downstream(capture_.take(), "CANCEL");
    CPPUNIT_ASSERT(reply(replyTo(down.data, 481, "Call/Transaction Does Not Exist")));
    std::vector<Sent> out = capture_.take();
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, out.size());
    CPPUNIT_ASSERT_EQUAL(std::string("SIP/2.0 481 Call/Transaction Does Not Exist"),
                         out[0].firstLine());
  }

  void parallelForkingRelaysTheAnswerAndCancelsTheOther() {
    relayRequest(invite("z9hG4bKb1"), {"sip:carol@127.0.0.3:5080"});
    std::vector<Sent> out = capture_.take();
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, out.size());  // two INVITEs + 100
    Sent to_bob = out[0], to_carol = out[1];
    CPPUNIT_ASSERT(to_carol.to == addr("127.0.0.3", 5080));
    CPPUNIT_ASSERT(has(to_carol.data, "INVITE sip:carol@127.0.0.3:5080 SIP/2.0"));
    reply(replyTo(to_bob.data, 180, "Ringing"));
    reply(replyTo(to_carol.data, 180, "Ringing", "carol"));
    capture_.take();
    reply(replyTo(to_carol.data, 200, "OK", "carol"));
    out = capture_.take();
    bool ok_up = false, cancel_bob = false;
    for (const Sent& s : out) {
      ok_up |= s.firstLine() == "SIP/2.0 200 OK" && s.to == addr("192.0.2.1", 5060);
      cancel_bob |= s.firstLine() == "CANCEL sip:bob@127.0.0.2:5070 SIP/2.0";
    }
    CPPUNIT_ASSERT(ok_up);
    CPPUNIT_ASSERT(cancel_bob);
    reply(replyTo(to_bob.data, 487, "Request Terminated"));
    out = capture_.take();
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, out.size());  // the ACK only: the call is answered
    CPPUNIT_ASSERT(out[0].firstLine().rfind("ACK ", 0) == 0);
    runTimersFor(1500);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, engine_->inUse());
  }

  void bestFinalIsChosenWhenEveryBranchFails() {
    relayRequest(invite("z9hG4bKb2"), {"sip:carol@127.0.0.3:5080"});
    std::vector<Sent> out = capture_.take();
    reply(replyTo(out[0].data, 500, "Oops"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, capture_.take().size());  // ACK; nothing goes up yet
    reply(replyTo(out[1].data, 486, "Busy Here", "carol"));
    out = capture_.take();
    bool busy = false;
    for (const Sent& s : out) busy |= s.firstLine() == "SIP/2.0 486 Busy Here";
    CPPUNIT_ASSERT(busy);
  }

  void challengesOfEveryBranchAreMerged() {
    relayRequest(invite("z9hG4bKb3"), {"sip:carol@127.0.0.3:5080"});
    std::vector<Sent> out = capture_.take();
    std::string r1 = replyTo(out[0].data, 407, "Proxy Authentication Required");
    std::string r2 = replyTo(out[1].data, 407, "Proxy Authentication Required", "carol");
    r1.insert(r1.size() - 2, "Proxy-Authenticate: Digest realm=\"one\", nonce=\"1\"\r\n");
    r2.insert(r2.size() - 2, "Proxy-Authenticate: Digest realm=\"two\", nonce=\"2\"\r\n");
    reply(r1);
    reply(r2);
    out = capture_.take();
    const Sent* up = nullptr;
    for (const Sent& s : out) {
      if (s.firstLine().rfind("SIP/2.0 407", 0) == 0) up = &s;
    }
    CPPUNIT_ASSERT(up != nullptr);
    CPPUNIT_ASSERT(has(up->data, "realm=\"one\""));
    CPPUNIT_ASSERT(has(up->data, "realm=\"two\""));
  }

  void serviceUnavailableGoesUpAs500() {
    relayRequest(invite("z9hG4bKb4"));
    Sent inv = downstream(capture_.take(), "INVITE");
    reply(replyTo(inv.data, 503, "Service Unavailable"));
    std::vector<Sent> out = capture_.take();
    bool up = false;
    for (const Sent& s : out) up |= s.firstLine() == "SIP/2.0 500 Server Internal Error";
    CPPUNIT_ASSERT(up);
  }

  void nonInviteFinalIsRelayedOnceAndKeptForRetransmissions() {
    std::string bye = invite("z9hG4bKb5", "sip:bob@127.0.0.2:5070", "BYE");
    relayRequest(bye);
    std::vector<Sent> out = capture_.take();
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, out.size());  // no 100 for a BYE
    reply(replyTo(out[0].data, 200, "OK"));
    out = capture_.take();
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, out.size());
    reply(replyTo(downstream(std::vector<Sent>{Sent{addr("127.0.0.2", 5070), bye}}, "BYE").data,
                  200, "OK"));  // not ours (caller's Via on top): ignored
    CPPUNIT_ASSERT_EQUAL(100, relayRequest(bye));
    out = capture_.take();
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, out.size());
    CPPUNIT_ASSERT_EQUAL(std::string("SIP/2.0 200 OK"), out[0].firstLine());
    runTimersFor(700);  // wt_timer (J) 500 ms, K = T4
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, engine_->inUse());
  }

  // TsxTable::mayHold lets a request of a method without transactions skip the lookup: the
  // counts rise with a server transaction and fall when it is freed; local ones do not count.
  void methodCountsFollowTheTransactions() {
    TsxTable& table = *engine_->table();
    CPPUNIT_ASSERT(!table.mayHold(Method::kBye) && !table.mayHold(Method::kRegister));
    std::string bye = invite("z9hG4bKc1", "sip:bob@127.0.0.2:5070", "BYE");
    relayRequest(bye);
    std::vector<Sent> out = capture_.take();
    CPPUNIT_ASSERT(table.mayHold(Method::kBye));
    CPPUNIT_ASSERT(!table.mayHold(Method::kRegister) && !table.mayHold(Method::kInvite));
    reply(replyTo(out[0].data, 200, "OK"));
    capture_.take();
    CPPUNIT_ASSERT_EQUAL(100, relayRequest(bye));  // still found while it lives
    capture_.take();
    Result<Transaction*> local = table.createLocal(7);
    CPPUNIT_ASSERT(local.isOk());
    table.unref(local.value());
    CPPUNIT_ASSERT(!table.mayHold(Method::kOther));
    runTimersFor(700);
    CPPUNIT_ASSERT(!table.mayHold(Method::kBye));
  }

  void replyOfAnotherServerStartIsNotOurs() {
    std::string r =
        "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.9:5060;branch=z9hG4bKT1.0.1.0\r\n"
        "Via: SIP/2.0/UDP 192.0.2.1\r\nFrom: <sip:a@a>;tag=1\r\nTo: <sip:b@b>;tag=2\r\n"
        "Call-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    CPPUNIT_ASSERT(!reply(r));
  }

  void fullSharedMemoryAnswers500() {
    // Leave less than a transaction needs.
    std::vector<void*> filler;
    while (true) {
      void* p = segment_->manager()->allocate(256, std::nothrow);
      if (p == nullptr) break;
      filler.push_back(p);
    }
    CPPUNIT_ASSERT_EQUAL(-1, relayRequest(invite("z9hG4bKb6")));
    std::vector<Sent> out = capture_.take();
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, out.size());
    CPPUNIT_ASSERT(out[0].firstLine().rfind("SIP/2.0 500 ", 0) == 0);
    for (void* p : filler) segment_->manager()->deallocate(p);
    // Room again: the next call works.
    CPPUNIT_ASSERT_EQUAL(1, relayRequest(invite("z9hG4bKb7")));
  }

  static void recordReply(const LocalReply& r, std::uint64_t param) {
    reports().push_back({r.code, static_cast<int>(param)});
  }
  static std::vector<std::pair<int, int>>& reports() {
    static std::vector<std::pair<int, int>> r;
    return r;
  }

  void localRequestReportsItsFinalReply() {
    reports().clear();
    std::uint16_t cb = engine_->registerCallback(&TmEngineTest::recordReply);
    LocalRequest req;
    req.method = "OPTIONS";
    req.ruri = "sip:gw@127.0.0.4:5090";
    CPPUNIT_ASSERT(engine_->send(req, cb, 42).isOk());
    std::vector<Sent> out = capture_.take();
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, out.size());
    CPPUNIT_ASSERT(out[0].to == addr("127.0.0.4", 5090));
    SipMessage m;
    CPPUNIT_ASSERT(m.parse(out[0].data) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, m.vias()->size());  // ours only, no placeholder
    reply(replyTo(out[0].data, 200, "OK"));
    CPPUNIT_ASSERT(capture_.take().empty());  // nothing relayed anywhere
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, reports().size());
    CPPUNIT_ASSERT_EQUAL(200, reports()[0].first);
    CPPUNIT_ASSERT_EQUAL(42, reports()[0].second);
    runTimersFor(700);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, engine_->inUse());
  }

  void pathOfTheRequestUriBecomesItsRoute() {
    // What registrar lookup() sets for a binding registered through an edge proxy (RFC 3327).
    CPPUNIT_ASSERT_EQUAL(1, relayRequest(invite("z9hG4bKp1"), {"sip:carol@127.0.0.3:5080"},
                                         "<sip:127.0.0.2:5070;lr>"));
    std::vector<Sent> out = capture_.take();
    int with_route = 0, without = 0;
    for (const Sent& s : out) {
      if (s.firstLine().rfind("INVITE ", 0) != 0) continue;
      (has(s.data, "Route: <sip:127.0.0.2:5070;lr>\r\n") ? with_route : without)++;
    }
    CPPUNIT_ASSERT_EQUAL(1, with_route);  // branch 0 only: the other has no Path
    CPPUNIT_ASSERT_EQUAL(1, without);
  }

  void redirectListsTheDestinationSetAsContacts() {
    const std::string text = invite("z9hG4bKr1");  // the message views it: must outlive msg
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(text) == ParseError::kOk);
    ReceiveInfo rcv{&proxySocket(), addr("192.0.2.1", 5060), Proto::kUdp};
    MsgContext ctx(msg, rcv, kRequestRoute);
    CPPUNIT_ASSERT(ctx.setRuri("sip:bob@10.0.0.7:5062").isOk());
    ctx.ruri_q = 1000;
    Branch b;
    b.uri = "sip:bob@10.0.0.8";
    b.q = 500;
    CPPUNIT_ASSERT(ctx.appendBranch(b).isOk());
    CPPUNIT_ASSERT_EQUAL(1, engine_->reply(ctx, 302, "Moved Temporarily"));
    engine_->requestDone(ctx);
    std::vector<Sent> out = capture_.take();
    CPPUNIT_ASSERT(!out.empty());
    const Sent& last = out.back();  // after the 100 Trying of the new INVITE transaction
    CPPUNIT_ASSERT_EQUAL(std::string("SIP/2.0 302 Moved Temporarily"), last.firstLine());
    CPPUNIT_ASSERT_MESSAGE(last.data, has(last.data,
                                          "Contact: <sip:bob@10.0.0.7:5062>;q=1, "
                                          "<sip:bob@10.0.0.8>;q=0.5\r\n"));
    CPPUNIT_ASSERT(last.to == addr("192.0.2.1", 5060));
  }

  void localRequestWithoutAnswerReports408() {
    reports().clear();
    std::uint16_t cb = engine_->registerCallback(&TmEngineTest::recordReply);
    LocalRequest req;
    req.method = "OPTIONS";
    req.ruri = "sip:gw@127.0.0.4:5090";
    CPPUNIT_ASSERT(engine_->send(req, cb, 7).isOk());
    runTimersFor(1100);  // fr_timeout 1 s
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, reports().size());
    CPPUNIT_ASSERT_EQUAL(408, reports()[0].first);
    LocalRequest bad;
    CPPUNIT_ASSERT(!engine_->send(bad, cb, 1).isOk());
  }

 private:
  std::int64_t clock_ = 0;
};

CPPUNIT_TEST_SUITE_REGISTRATION(TmEngineTest);

}  // namespace sipline::tm
