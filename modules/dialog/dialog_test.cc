// The dialog service with a fake tm: an INVITE followed to confirmed (callee's tag, Contact
// and route set learnt from the 2xx), BYE from either side, a failed call, profiles and
// values, timeouts with BYEs built as RFC 3261 §12.2.1.1 says, watchers told exactly once.
#include "modules/dialog/dialog.h"

#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <string>
#include <vector>

#include "core/parser/sip_message.h"
#include "core/sip/msg_context.h"
#include "modules/dialog/kv_codec.h"

namespace sipline::dialog {
namespace {

class FakeTm : public tm::Api {
 public:
  std::uint16_t registerCallback(tm::LocalCallback) override { return 1; }
  Status send(const tm::LocalRequest& r, std::uint16_t, std::uint64_t) override {
    sent.push_back(r);
    return Status::ok();
  }
  std::uint8_t registerWatcher(tm::TsxWatcher*, bool) override { return 1; }
  Status watch(MsgContext&, std::uint8_t) override {
    ++watched;
    return Status::ok();
  }
  std::vector<tm::LocalRequest> sent;
  int watched = 0;
};

struct Ended {
  std::string call_id;
  std::string to_tag;
  std::string data;
  EndedBy by;
  int code;
  std::int64_t ended_ms;
};

class RecordingWatcher : public DialogWatcher {
 public:
  void onEnd(const DialogEnd& e) override {
    ends.push_back({std::string(e.call_id), std::string(e.to_tag), std::string(e.data), e.ended_by,
                    e.code, e.ended_ms});
  }
  std::vector<Ended> ends;
};

std::int64_t g_now_ms = 1'700'000'000'000;
std::int64_t fakeNow() { return g_now_ms; }

const char* kInvite =
    "INVITE sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
    "Record-Route: <sip:up.example.com;lr>\r\n"
    "From: <sip:alice@example.com>;tag=atag\r\n"
    "To: <sip:bob@example.com>\r\n"
    "Call-ID: call-1\r\n"
    "CSeq: 10 INVITE\r\n"
    "Contact: <sip:alice@10.0.0.1:5060>\r\n"
    "Content-Length: 0\r\n\r\n";

std::string reply(int code, const std::string& id, bool tag = true) {
  return "SIP/2.0 " + std::to_string(code) + " X\r\n" +
         "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
         "Record-Route: <sip:down.example.com;lr>\r\n"
         "Record-Route: <sip:us.example.com;lr;did=" +
         id +
         ">\r\n"
         "Record-Route: <sip:up.example.com;lr>\r\n"
         "From: <sip:alice@example.com>;tag=atag\r\n"
         "To: <sip:bob@example.com>" +
         (tag ? ";tag=btag" : "") +
         "\r\n"
         "Call-ID: call-1\r\n"
         "CSeq: 10 INVITE\r\n"
         "Contact: <sip:bob@10.0.0.2:5070>\r\n"
         "Content-Length: 0\r\n\r\n";
}

std::string inDialog(const std::string& method, bool from_callee, int cseq) {
  std::string from =
      from_callee ? "<sip:bob@example.com>;tag=btag" : "<sip:alice@example.com>;tag=atag";
  std::string to =
      from_callee ? "<sip:alice@example.com>;tag=atag" : "<sip:bob@example.com>;tag=btag";
  return method + " sip:x@10.0.0.9 SIP/2.0\r\n" +
         "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK2\r\n"
         "From: " +
         from + "\r\nTo: " + to + "\r\nCall-ID: call-1\r\nCSeq: " + std::to_string(cseq) + " " +
         method + "\r\nContent-Length: 0\r\n\r\n";
}

// A parsed request with its context.
struct Req {
  explicit Req(const std::string& text) : wire(text) {
    CPPUNIT_ASSERT(msg.parse(wire) == ParseError::kOk);
    ctx = std::make_unique<MsgContext>(msg, rcv, kRequestRoute);
  }
  std::string wire;
  SipMessage msg;
  ReceiveInfo rcv;
  std::unique_ptr<MsgContext> ctx;
};

}  // namespace

class DialogServiceTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DialogServiceTest);
  CPPUNIT_TEST(inviteIsFollowedToConfirmed);
  CPPUNIT_TEST(onlyInitialInvitesMakeDialogs);
  CPPUNIT_TEST(retransmittedInviteKeepsItsDialog);
  CPPUNIT_TEST(byeFromEitherSideEndsOnce);
  CPPUNIT_TEST(matchesByDidParamAndRefreshesTimeout);
  CPPUNIT_TEST(failedCallEndsWithItsCode);
  CPPUNIT_TEST(profilesCountMembers);
  CPPUNIT_TEST(valuesAreKept);
  CPPUNIT_TEST(timeoutSendsByesToBothSides);
  CPPUNIT_TEST(unansweredDialogIsDroppedAfterEarlyTimeout);
  CPPUNIT_TEST(inviteNeverRelayedByTmIsDroppedSoon);
  CPPUNIT_TEST(managementEndsOnlyConfirmedDialogs);
  CPPUNIT_TEST(unknownInDialogRequestMatchesNothing);
  CPPUNIT_TEST(fullSharedMemoryRefusesTheDialogAndCountsIt);
  CPPUNIT_TEST(answerWithoutRoomEndsTheDialogForItsWatchers);
  CPPUNIT_TEST(answerAfterTheDialogEndedUnansweredIsCountedLate);
  CPPUNIT_TEST(byeBeforeTheAnswerLeavesTheCallToItsInvite);
  CPPUNIT_TEST(retransmitted2xxAfterTheByeIsNoLateAnswer);
  CPPUNIT_TEST(earlyByeAnsweredAfterThe2xxCrossedItEndsTheCall);
  CPPUNIT_TEST(timeoutFiresNotBeforeItsMillisecond);
  CPPUNIT_TEST(byeBeforeTheLateLoadEndsTheLoadedDialogAtItsTime);
  CPPUNIT_TEST(byesFollowTheRouteSetsThroughTwoProxiesOnEachSide);
  CPPUNIT_TEST(strictRouterFirstHopBecomesTheRequestUri);
  CPPUNIT_TEST(watchFromInsideTmAttachCreatesTheDialog);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    seg_ = std::move(shm::Segment::create(4 << 20).value());
    svc_ = std::make_unique<Service>();
    svc_->config().hash_size = 64;
    svc_->config().profiles_with_value = "caller";
    svc_->config().profiles_no_value = "calls";
    svc_->setClockForTest(&fakeNow);
    Counters& c = svc_->counters();
    StatCounter* all[] = {&c.active,       &c.early,  &c.processed, &c.expired,
                          &c.late_answers, &c.failed, &c.no_memory, &c.db_errors};
    for (std::size_t i = 0; i < 8; ++i) {
      slots_[i] = 0;
      all[i]->bindForTest(&slots_[i]);
    }
    CPPUNIT_ASSERT(svc_->init(*seg_, &tm_).isOk());
    CPPUNIT_ASSERT(svc_->registerWatcher("acc", &watcher_).isOk());
  }
  void tearDown() override {
    svc_.reset();
    seg_.reset();
  }

  // INVITE with a dialog, answered; returns its id.
  std::uint64_t answeredCall(Req& invite) {
    CPPUNIT_ASSERT(svc_->createDialog(*invite.ctx, CreateFlags{true}) == 1);
    std::uint64_t id = invite.ctx->dialog;
    svc_->onInviteReply(id, 180, "Ringing", reply(180, std::to_string(id)), false);
    svc_->onInviteReply(id, 200, "OK", reply(200, std::to_string(id)), true);
    return id;
  }

  void inviteIsFollowedToConfirmed() {
    Req invite(kInvite);
    CPPUNIT_ASSERT_EQUAL(1, svc_->createDialog(*invite.ctx, CreateFlags{}));
    std::uint64_t id = invite.ctx->dialog;
    CPPUNIT_ASSERT(id != 0);
    CPPUNIT_ASSERT_EQUAL(1, tm_.watched);
    CPPUNIT_ASSERT_EQUAL(";did=" + std::to_string(id), invite.ctx->record_route.params);
    DialogInfo d;
    CPPUNIT_ASSERT(svc_->table().get(id, d));
    CPPUNIT_ASSERT(d.state == State::kUnconfirmed);
    CPPUNIT_ASSERT_EQUAL(std::string("<sip:up.example.com;lr>"), d.caller_route);
    svc_->onInviteReply(id, 180, "Ringing", reply(180, std::to_string(id)), false);
    CPPUNIT_ASSERT(svc_->table().get(id, d) && d.state == State::kEarly);
    svc_->onInviteReply(id, 200, "OK", reply(200, std::to_string(id)), true);
    CPPUNIT_ASSERT(svc_->table().get(id, d) && d.state == State::kConfirmed);
    CPPUNIT_ASSERT_EQUAL(std::string("btag"), d.to_tag);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:bob@10.0.0.2:5070"), d.callee_contact);
    CPPUNIT_ASSERT_EQUAL(std::string("<sip:down.example.com;lr>"), d.callee_route);
    CPPUNIT_ASSERT_EQUAL(g_now_ms, d.answered_ms);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, svc_->counters().active.get());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, svc_->counters().early.get());
  }

  void retransmittedInviteKeepsItsDialog() {
    Req first(kInvite);
    CPPUNIT_ASSERT_EQUAL(1, svc_->createDialog(*first.ctx, CreateFlags{}));
    Req again(kInvite);
    CPPUNIT_ASSERT_EQUAL(1, svc_->createDialog(*again.ctx, CreateFlags{true}));
    CPPUNIT_ASSERT_EQUAL(first.ctx->dialog, again.ctx->dialog);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, svc_->table().live());
    DialogInfo d;
    CPPUNIT_ASSERT(svc_->table().get(first.ctx->dialog, d));
    CPPUNIT_ASSERT((d.flags & kByeOnTimeout) != 0);
  }

  void onlyInitialInvitesMakeDialogs() {
    Req bye(inDialog("BYE", false, 11));
    CPPUNIT_ASSERT_EQUAL(-1, svc_->createDialog(*bye.ctx, CreateFlags{}));
    Req reinvite(inDialog("INVITE", false, 11));
    CPPUNIT_ASSERT_EQUAL(-1, svc_->createDialog(*reinvite.ctx, CreateFlags{}));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, svc_->table().live());
  }

  void byeFromEitherSideEndsOnce() {
    for (bool callee : {false, true}) {
      watcher_.ends.clear();
      Req invite(kInvite);
      std::uint64_t id = answeredCall(invite);
      CPPUNIT_ASSERT(svc_->watch(*invite.ctx, "acc", "cdr-data").isOk());
      Req bye(inDialog("BYE", callee, 11));
      CPPUNIT_ASSERT_EQUAL(1, svc_->matchDialog(*bye.ctx, ""));
      CPPUNIT_ASSERT_EQUAL(id, bye.ctx->dialog);
      Req again(inDialog("BYE", callee, 11));
      CPPUNIT_ASSERT_EQUAL(-1, svc_->matchDialog(*again.ctx, ""));
      CPPUNIT_ASSERT_EQUAL(std::size_t{1}, watcher_.ends.size());
      CPPUNIT_ASSERT(watcher_.ends[0].by == (callee ? EndedBy::kCallee : EndedBy::kCaller));
      CPPUNIT_ASSERT_EQUAL(std::string("cdr-data"), watcher_.ends[0].data);
      CPPUNIT_ASSERT_EQUAL(std::string("btag"), watcher_.ends[0].to_tag);
      CPPUNIT_ASSERT_EQUAL(200, watcher_.ends[0].code);
    }
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, svc_->table().live());
  }

  void matchesByDidParamAndRefreshesTimeout() {
    Req invite(kInvite);
    std::uint64_t id = answeredCall(invite);
    g_now_ms += 30'000;
    Req info(inDialog("INFO", true, 5));
    CPPUNIT_ASSERT_EQUAL(1, svc_->matchDialog(*info.ctx, "lr;did=" + std::to_string(id)));
    DialogInfo d;
    CPPUNIT_ASSERT(svc_->table().get(id, d));
    CPPUNIT_ASSERT_EQUAL(std::uint32_t{5}, d.callee_cseq);
    CPPUNIT_ASSERT_EQUAL(g_now_ms + svc_->config().default_timeout_s * 1000, d.timeout_at_ms);
    // A re-INVITE from the callee moves its remote target (RFC 3261 §12.2.2).
    std::string reinvite = inDialog("INVITE", true, 6);
    reinvite.insert(reinvite.find("Content-Length"), "Contact: <sip:bob@10.0.0.7:5080>\r\n");
    Req re(reinvite);
    CPPUNIT_ASSERT_EQUAL(1, svc_->matchDialog(*re.ctx, ""));
    CPPUNIT_ASSERT(svc_->table().get(id, d));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:bob@10.0.0.7:5080"), d.callee_contact);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@10.0.0.1:5060"), d.caller_contact);
    CPPUNIT_ASSERT_EQUAL(std::uint32_t{6}, d.callee_cseq);
    // A did naming another call is not trusted: Call-ID and tags must agree.
    Req other(inDialog("INFO", true, 7));
    CPPUNIT_ASSERT_EQUAL(1, svc_->matchDialog(*other.ctx, "did=" + std::to_string(id + 7)));
    CPPUNIT_ASSERT_EQUAL(id, other.ctx->dialog);
  }

  void failedCallEndsWithItsCode() {
    Req invite(kInvite);
    CPPUNIT_ASSERT_EQUAL(1, svc_->createDialog(*invite.ctx, CreateFlags{}));
    CPPUNIT_ASSERT(svc_->watch(*invite.ctx, "acc", "x").isOk());
    std::uint64_t id = invite.ctx->dialog;
    svc_->onInviteReply(id, 486, "Busy Here", reply(486, std::to_string(id)), true);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, watcher_.ends.size());
    CPPUNIT_ASSERT(watcher_.ends[0].by == EndedBy::kNone);
    CPPUNIT_ASSERT_EQUAL(486, watcher_.ends[0].code);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, svc_->counters().failed.get());
    svc_->onInviteReply(id, 486, "Busy Here", reply(486, std::to_string(id)), true);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, watcher_.ends.size());
  }

  void profilesCountMembers() {
    Req a(kInvite);
    CPPUNIT_ASSERT_EQUAL(1, svc_->createDialog(*a.ctx, CreateFlags{}));
    CPPUNIT_ASSERT(svc_->setProfile(*a.ctx, "caller", "alice"));
    CPPUNIT_ASSERT(!svc_->setProfile(*a.ctx, "caller", "alice"));  // once per value
    CPPUNIT_ASSERT(svc_->setProfile(*a.ctx, "calls", ""));
    CPPUNIT_ASSERT(svc_->isInProfile(*a.ctx, "caller", "alice", false));
    CPPUNIT_ASSERT(!svc_->isInProfile(*a.ctx, "caller", "bob", false));
    CPPUNIT_ASSERT(svc_->isInProfile(*a.ctx, "caller", "", true));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, svc_->profileSize("caller", "alice", false));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, svc_->profileSize("caller", "", true));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, svc_->profileSize("calls", "", true));
    CPPUNIT_ASSERT(svc_->unsetProfile(*a.ctx, "calls", ""));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, svc_->profileSize("calls", "", true));
    // The end of the dialog leaves the profile.
    CPPUNIT_ASSERT(svc_->endDialog(a.ctx->dialog, EndedBy::kCaller, 0, ""));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, svc_->profileSize("caller", "alice", false));
    bool has_value = false;
    CPPUNIT_ASSERT(svc_->checkProfile("caller", true, has_value).isOk() && has_value);
    CPPUNIT_ASSERT(!svc_->checkProfile("calls", true, has_value).isOk());
    CPPUNIT_ASSERT(svc_->checkProfile("nope", false, has_value).code() == Code::kNotFound);
  }

  void valuesAreKept() {
    Req a(kInvite);
    CPPUNIT_ASSERT(!svc_->storeValue(*a.ctx, "k", "v"));  // no dialog yet
    CPPUNIT_ASSERT_EQUAL(1, svc_->createDialog(*a.ctx, CreateFlags{}));
    CPPUNIT_ASSERT(svc_->storeValue(*a.ctx, "k", "v1"));
    CPPUNIT_ASSERT(svc_->storeValue(*a.ctx, "k", "v2"));
    CPPUNIT_ASSERT_EQUAL(std::string("v2"), svc_->fetchValue(*a.ctx, "k").value_or(""));
    CPPUNIT_ASSERT(!svc_->fetchValue(*a.ctx, "missing").has_value());
  }

  void timeoutSendsByesToBothSides() {
    Req invite(kInvite);
    CPPUNIT_ASSERT(svc_->setTimeout(*invite.ctx, 5) == false);  // no dialog yet
    std::uint64_t id = answeredCall(invite);
    CPPUNIT_ASSERT(svc_->setTimeout(*invite.ctx, 5));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{5}, svc_->timeoutOf(*invite.ctx));
    CPPUNIT_ASSERT(svc_->watch(*invite.ctx, "acc", "").isOk());
    g_now_ms += 4000;
    svc_->onTimerTick();
    CPPUNIT_ASSERT(tm_.sent.empty());
    g_now_ms += 1000;
    svc_->onTimerTick();
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, tm_.sent.size());
    const tm::LocalRequest& to_callee = tm_.sent[0];
    CPPUNIT_ASSERT_EQUAL(std::string("BYE"), to_callee.method);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:bob@10.0.0.2:5070"), to_callee.ruri);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:down.example.com;lr"), to_callee.dst);
    CPPUNIT_ASSERT_EQUAL(std::string("<sip:alice@example.com>;tag=atag"), to_callee.from);
    CPPUNIT_ASSERT_EQUAL(std::string("<sip:bob@example.com>;tag=btag"), to_callee.to);
    CPPUNIT_ASSERT_EQUAL(std::uint32_t{11}, to_callee.cseq);
    CPPUNIT_ASSERT_EQUAL(std::string("call-1"), to_callee.call_id);
    const tm::LocalRequest& to_caller = tm_.sent[1];
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@10.0.0.1:5060"), to_caller.ruri);
    CPPUNIT_ASSERT_EQUAL(std::string("Route: <sip:up.example.com;lr>\r\n"), to_caller.headers);
    CPPUNIT_ASSERT_EQUAL(std::string("<sip:bob@example.com>;tag=btag"), to_caller.from);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, watcher_.ends.size());
    CPPUNIT_ASSERT(watcher_.ends[0].by == EndedBy::kTimeout);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, svc_->counters().expired.get());
    DialogInfo d;
    CPPUNIT_ASSERT(!svc_->table().get(id, d));
  }

  void unansweredDialogIsDroppedAfterEarlyTimeout() {
    svc_->config().early_timeout_s = 10;
    Req invite(kInvite);
    CPPUNIT_ASSERT_EQUAL(1, svc_->createDialog(*invite.ctx, CreateFlags{true}));
    CPPUNIT_ASSERT(svc_->watch(*invite.ctx, "acc", "").isOk());
    // tm relays it: the transaction watcher attaches with the dialog's id.
    CPPUNIT_ASSERT_EQUAL(std::to_string(invite.ctx->dialog),
                         svc_->attach(*invite.ctx).value_or(""));
    g_now_ms += 9'000;
    svc_->onTimerTick();
    CPPUNIT_ASSERT(watcher_.ends.empty());
    g_now_ms += 1'000;
    svc_->onTimerTick();
    CPPUNIT_ASSERT(tm_.sent.empty());  // nobody to send BYE to
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, watcher_.ends.size());
    CPPUNIT_ASSERT(watcher_.ends[0].by == EndedBy::kNone);
    CPPUNIT_ASSERT_EQUAL(408, watcher_.ends[0].code);
  }

  void inviteNeverRelayedByTmIsDroppedSoon() {
    // create_dialog() and then sl_send_reply(): no transaction, so no reply will come; the
    // dialog must not hold its profile for early_timeout.
    Req invite(kInvite);
    CPPUNIT_ASSERT_EQUAL(1, svc_->createDialog(*invite.ctx, CreateFlags{}));
    CPPUNIT_ASSERT(svc_->setProfile(*invite.ctx, "calls", ""));
    CPPUNIT_ASSERT(svc_->watch(*invite.ctx, "acc", "").isOk());
    g_now_ms += kUnfollowedMs - 1;
    svc_->onTimerTick();
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, svc_->profileSize("calls", "", true));
    g_now_ms += 1;
    svc_->onTimerTick();
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, svc_->profileSize("calls", "", true));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, watcher_.ends.size());
    CPPUNIT_ASSERT(watcher_.ends[0].by == EndedBy::kNone);
  }

  void managementEndsOnlyConfirmedDialogs() {
    Req early(kInvite);
    CPPUNIT_ASSERT_EQUAL(1, svc_->createDialog(*early.ctx, CreateFlags{}));
    CPPUNIT_ASSERT(svc_->endByManagement(early.ctx->dialog).code() == Code::kFailedPrecondition);
    CPPUNIT_ASSERT(svc_->endByManagement(987654).code() == Code::kNotFound);
    svc_->endDialog(early.ctx->dialog, EndedBy::kNone, 487, "");
    Req invite(kInvite);
    std::uint64_t id = answeredCall(invite);
    CPPUNIT_ASSERT(svc_->watch(*invite.ctx, "acc", "").isOk());
    CPPUNIT_ASSERT(svc_->endByManagement(id).isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, tm_.sent.size());
    CPPUNIT_ASSERT(watcher_.ends.back().by == EndedBy::kManagement);
  }

  void unknownInDialogRequestMatchesNothing() {
    Req invite(kInvite);
    answeredCall(invite);
    Req stray(
        "BYE sip:x@10.0.0.9 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK9\r\n"
        "From: <sip:eve@example.com>;tag=e1\r\nTo: <sip:bob@example.com>;tag=btag\r\n"
        "Call-ID: call-1\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n");
    CPPUNIT_ASSERT_EQUAL(-1, svc_->matchDialog(*stray.ctx, "did=garbage;did="));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, stray.ctx->dialog);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, svc_->table().live());
  }

  // Takes every free byte of the segment (give them back with releaseShm()).
  std::vector<void*> fillShm() {
    std::vector<void*> taken;
    for (std::size_t chunk = 1 << 16; chunk >= 16; chunk /= 2) {
      for (int i = 0; i < 100000; ++i) {
        try {
          taken.push_back(shm::allocateBytes(seg_->manager(), chunk));
        } catch (const boost::interprocess::bad_alloc&) {
          break;
        }
      }
    }
    return taken;
  }
  void releaseShm(const std::vector<void*>& taken) {
    for (void* p : taken) shm::deallocateBytes(seg_->manager(), p);
  }

  void fullSharedMemoryRefusesTheDialogAndCountsIt() {
    std::vector<void*> taken = fillShm();
    Req invite(kInvite);
    CPPUNIT_ASSERT_EQUAL(-1, svc_->createDialog(*invite.ctx, CreateFlags{}));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, invite.ctx->dialog);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, svc_->counters().no_memory.get());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, svc_->table().live());
    releaseShm(taken);
    Req again(kInvite);
    CPPUNIT_ASSERT_EQUAL(1, svc_->createDialog(*again.ctx, CreateFlags{}));
  }

  void answerWithoutRoomEndsTheDialogForItsWatchers() {
    // A 2xx whose strings do not fit: the dialog must not stay confirmed without an answer
    // time and a timeout (it would never end, never leave its profile, never give a CDR).
    Req answered(kInvite);
    CPPUNIT_ASSERT_EQUAL(1, svc_->createDialog(*answered.ctx, CreateFlags{true}));
    CPPUNIT_ASSERT(svc_->setProfile(*answered.ctx, "calls", ""));
    CPPUNIT_ASSERT(svc_->watch(*answered.ctx, "acc", "a").isOk());
    std::string busy_invite = kInvite;
    busy_invite.replace(busy_invite.find("call-1"), 6, "call-2");
    Req busy(busy_invite);
    CPPUNIT_ASSERT_EQUAL(1, svc_->createDialog(*busy.ctx, CreateFlags{}));
    CPPUNIT_ASSERT(svc_->watch(*busy.ctx, "acc", "b").isOk());
    std::uint64_t id = answered.ctx->dialog;
    std::string ok = reply(200, std::to_string(id));
    std::string long_contact = "sip:bob@10.0.0.2:5070;x=" + std::string(400, 'x');
    ok.replace(ok.find("sip:bob@10.0.0.2:5070"), 21, long_contact);
    std::string long_reason(400, 'r');
    std::vector<void*> taken = fillShm();
    svc_->onInviteReply(id, 200, "OK", ok, true);
    svc_->onInviteReply(busy.ctx->dialog, 486, long_reason, reply(486, "0"), true);
    releaseShm(taken);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, watcher_.ends.size());
    CPPUNIT_ASSERT_EQUAL(std::string("a"), watcher_.ends[0].data);
    CPPUNIT_ASSERT(watcher_.ends[0].by == EndedBy::kNone);
    CPPUNIT_ASSERT_EQUAL(200, watcher_.ends[0].code);
    CPPUNIT_ASSERT_EQUAL(486, watcher_.ends[1].code);
    CPPUNIT_ASSERT(svc_->counters().no_memory.get() >= 1);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, svc_->table().live());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, svc_->profileSize("calls", "", true));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, svc_->counters().active.get());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, svc_->counters().early.get());
  }

  void answerAfterTheDialogEndedUnansweredIsCountedLate() {
    // tm's own 408 after fr_inv_timeout ends the dialog; the callee answers after all.
    Req invite(kInvite);
    CPPUNIT_ASSERT_EQUAL(1, svc_->createDialog(*invite.ctx, CreateFlags{}));
    CPPUNIT_ASSERT(svc_->watch(*invite.ctx, "acc", "").isOk());
    std::uint64_t id = invite.ctx->dialog;
    svc_->onInviteReply(id, 408, "Request Timeout", reply(408, std::to_string(id), false), true);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, watcher_.ends.size());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, svc_->counters().late_answers.get());
    svc_->onInviteReply(id, 200, "OK", reply(200, std::to_string(id)), false);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, svc_->counters().late_answers.get());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, watcher_.ends.size());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, svc_->table().live());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, svc_->counters().active.get());
    // A 2xx of a confirmed dialog (a retransmission, another fork) is no late answer.
    Req second(kInvite);
    std::uint64_t up = answeredCall(second);
    svc_->onInviteReply(up, 200, "OK", reply(200, std::to_string(up)), false);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, svc_->counters().late_answers.get());
  }

  void byeBeforeTheAnswerLeavesTheCallToItsInvite() {
    // A BYE before the answer (forged, or on an early dialog) ends nothing: the answered
    // call is still followed, its profile slot kept and its end reported.
    Req invite(kInvite);
    CPPUNIT_ASSERT_EQUAL(1, svc_->createDialog(*invite.ctx, CreateFlags{}));
    CPPUNIT_ASSERT(svc_->watch(*invite.ctx, "acc", "cdr").isOk());
    CPPUNIT_ASSERT(svc_->setProfile(*invite.ctx, "calls", ""));
    std::uint64_t id = invite.ctx->dialog;
    Req early_bye(inDialog("BYE", false, 11));
    CPPUNIT_ASSERT_EQUAL(1, svc_->matchDialog(*early_bye.ctx, ""));
    CPPUNIT_ASSERT(watcher_.ends.empty());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, svc_->profileSize("calls", "", true));
    svc_->onInviteReply(id, 200, "OK", reply(200, std::to_string(id)), true);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, svc_->counters().late_answers.get());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, svc_->counters().active.get());
    Req bye(inDialog("BYE", false, 12));
    CPPUNIT_ASSERT_EQUAL(1, svc_->matchDialog(*bye.ctx, ""));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, watcher_.ends.size());
    CPPUNIT_ASSERT(watcher_.ends[0].by == EndedBy::kCaller);  // kNone: ended unanswered
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, svc_->profileSize("calls", "", true));
  }

  void earlyByeAnsweredAfterThe2xxCrossedItEndsTheCall() {
    Req invite(kInvite);
    CPPUNIT_ASSERT_EQUAL(1, svc_->createDialog(*invite.ctx, CreateFlags{}));
    CPPUNIT_ASSERT(svc_->watch(*invite.ctx, "acc", "cdr").isOk());
    std::uint64_t id = invite.ctx->dialog;
    int watched = tm_.watched;
    Req bye(inDialog("BYE", false, 11));
    CPPUNIT_ASSERT_EQUAL(1, svc_->matchDialog(*bye.ctx, ""));
    CPPUNIT_ASSERT_EQUAL(watched + 1, tm_.watched);  // the early BYE is followed
    std::string data = svc_->attach(*bye.ctx).value_or("");
    CPPUNIT_ASSERT_EQUAL("bye-caller:" + std::to_string(id), data);
    auto byeReply = [&](int code) {
      svc_->onReply(
          tm::TsxEvent{code, "", "", Method::kBye, false, true, false, std::string_view(data)});
    };
    byeReply(481);  // a forged one: refused by the callee, nothing ends
    svc_->onInviteReply(id, 200, "OK", reply(200, std::to_string(id)), true);  // crossed it
    CPPUNIT_ASSERT(watcher_.ends.empty());
    byeReply(200);  // the callee took the BYE: the call it had just answered is over
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, watcher_.ends.size());
    CPPUNIT_ASSERT(watcher_.ends[0].by == EndedBy::kCaller);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, svc_->table().live());
  }

  void retransmitted2xxAfterTheByeIsNoLateAnswer() {
    Req invite(kInvite);
    std::uint64_t id = answeredCall(invite);
    Req bye(inDialog("BYE", true, 11));
    CPPUNIT_ASSERT_EQUAL(1, svc_->matchDialog(*bye.ctx, ""));
    svc_->onInviteReply(id, 200, "OK", reply(200, std::to_string(id)), false, true);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, svc_->counters().late_answers.get());
  }

  void timeoutFiresNotBeforeItsMillisecond() {
    g_now_ms = 1'700'000'000'999;  // late in its second: whole seconds would fire 999 ms early
    Req invite(kInvite);
    std::uint64_t id = answeredCall(invite);
    CPPUNIT_ASSERT(!svc_->setTimeout(*invite.ctx, kMaxTimeoutS + 1));  // ms would overflow
    CPPUNIT_ASSERT(svc_->setTimeout(*invite.ctx, 5));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{5}, svc_->timeoutOf(*invite.ctx));
    g_now_ms += 4'999;
    svc_->onTimerTick();
    CPPUNIT_ASSERT(tm_.sent.empty());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, svc_->timeoutOf(*invite.ctx));
    DialogInfo d;
    CPPUNIT_ASSERT(svc_->table().get(id, d));
    g_now_ms += 1;
    svc_->onTimerTick();
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, tm_.sent.size());
    CPPUNIT_ASSERT(!svc_->table().get(id, d));
  }

  void byeBeforeTheLateLoadEndsTheLoadedDialogAtItsTime() {
    // The DB was down at start: the last run's call is not in the table when its BYE comes.
    svc_->table().setLoadPending(true);
    std::int64_t bye_at = g_now_ms;
    Req bye(inDialog("BYE", true, 3));
    CPPUNIT_ASSERT_EQUAL(-1, svc_->matchDialog(*bye.ctx, "lr;did=77"));
    Req info(inDialog("INFO", true, 4));  // only BYEs are kept
    CPPUNIT_ASSERT_EQUAL(-1, svc_->matchDialog(*info.ctx, ""));
    g_now_ms += 60'000;
    DialogInfo loaded;
    loaded.id = (std::uint64_t{svc_->table().bucketOf("call-1")} << 32) | 77;
    loaded.state = State::kConfirmed;
    loaded.call_id = "call-1";
    loaded.from_tag = "atag";
    loaded.to_tag = "btag";
    loaded.created_ms = bye_at - 100'000;
    loaded.answered_ms = bye_at - 90'000;
    loaded.timeout_s = 43200;
    loaded.timeout_at_ms = bye_at + 43'000'000;
    loaded.watchers = encodeKv({{"acc", "cdr"}});
    CPPUNIT_ASSERT(svc_->table().insert(loaded, false).isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, svc_->endRememberedByes());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, watcher_.ends.size());
    CPPUNIT_ASSERT(watcher_.ends[0].by == EndedBy::kCallee);
    CPPUNIT_ASSERT_EQUAL(bye_at, watcher_.ends[0].ended_ms);
    CPPUNIT_ASSERT_EQUAL(std::string("cdr"), watcher_.ends[0].data);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, svc_->table().live());
    // Loaded: BYEs are no longer kept; while pending, the ring keeps the last kEarlyByes.
    CPPUNIT_ASSERT(!svc_->table().loadPending());
    CPPUNIT_ASSERT(!svc_->table().rememberBye({"c", "f", "t", 1}));
    svc_->table().setLoadPending(true);
    for (int i = 0; i < static_cast<int>(kEarlyByes) + 6; ++i) {
      CPPUNIT_ASSERT(svc_->table().rememberBye({"c" + std::to_string(i), "f", "t", i}));
    }
    std::vector<EarlyBye> kept = svc_->table().finishLoad();
    CPPUNIT_ASSERT_EQUAL(std::size_t{kEarlyByes}, kept.size());
    CPPUNIT_ASSERT_EQUAL(std::string("c6"), kept.front().call_id);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{kEarlyByes + 5}, kept.back().at_ms);
  }

  void byesFollowTheRouteSetsThroughTwoProxiesOnEachSide() {
    // Caller -> A -> B -> us -> C -> D -> callee. RFC 3261 §12.1.1/§12.1.2: towards the
    // caller the route set is the INVITE's Record-Route in order (B, A); towards the callee
    // the 2xx's entries above ours, reversed (C, D).
    std::string text = kInvite;
    text.replace(text.find("Record-Route: <sip:up.example.com;lr>"),
                 std::string("Record-Route: <sip:up.example.com;lr>").size(),
                 "Record-Route: <sip:b.up.example.com;lr>, <sip:a.up.example.com;lr>");
    Req invite(text);
    CPPUNIT_ASSERT_EQUAL(1, svc_->createDialog(*invite.ctx, CreateFlags{true}));
    std::uint64_t id = invite.ctx->dialog;
    std::string ok =
        "SIP/2.0 200 OK\r\n"
        "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
        "Record-Route: <sip:d.down.example.com;lr>, <sip:c.down.example.com;lr>\r\n"
        "Record-Route: <sip:us.example.com;lr;did=" +
        std::to_string(id) +
        ">\r\n"
        "Record-Route: <sip:b.up.example.com;lr>\r\n"
        "Record-Route: <sip:a.up.example.com;lr>\r\n"
        "From: <sip:alice@example.com>;tag=atag\r\n"
        "To: <sip:bob@example.com>;tag=btag\r\n"
        "Call-ID: call-1\r\nCSeq: 10 INVITE\r\n"
        "Contact: <sip:bob@10.0.0.2:5070>\r\nContent-Length: 0\r\n\r\n";
    svc_->onInviteReply(id, 200, "OK", ok, true);
    Req info(inDialog("INFO", true, 5));
    CPPUNIT_ASSERT_EQUAL(1, svc_->matchDialog(*info.ctx, ""));
    CPPUNIT_ASSERT(svc_->endByManagement(id).isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, tm_.sent.size());
    const tm::LocalRequest& to_callee = tm_.sent[0];
    CPPUNIT_ASSERT_EQUAL(std::string("sip:bob@10.0.0.2:5070"), to_callee.ruri);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:c.down.example.com;lr"), to_callee.dst);
    CPPUNIT_ASSERT_EQUAL(
        std::string("Route: <sip:c.down.example.com;lr>,<sip:d.down.example.com;lr>\r\n"),
        to_callee.headers);
    CPPUNIT_ASSERT_EQUAL(std::uint32_t{11}, to_callee.cseq);
    CPPUNIT_ASSERT_EQUAL(std::string("<sip:alice@example.com>;tag=atag"), to_callee.from);
    CPPUNIT_ASSERT_EQUAL(std::string("<sip:bob@example.com>;tag=btag"), to_callee.to);
    const tm::LocalRequest& to_caller = tm_.sent[1];
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@10.0.0.1:5060"), to_caller.ruri);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:b.up.example.com;lr"), to_caller.dst);
    CPPUNIT_ASSERT_EQUAL(
        std::string("Route: <sip:b.up.example.com;lr>,<sip:a.up.example.com;lr>\r\n"),
        to_caller.headers);
    CPPUNIT_ASSERT_EQUAL(std::uint32_t{6}, to_caller.cseq);
    CPPUNIT_ASSERT_EQUAL(std::string("<sip:bob@example.com>;tag=btag"), to_caller.from);
    CPPUNIT_ASSERT_EQUAL(std::string("<sip:alice@example.com>;tag=atag"), to_caller.to);
  }

  void strictRouterFirstHopBecomesTheRequestUri() {
    // RFC 3261 §12.2.1.1: a first route without lr is the request-URI; the rest of the route
    // set, then the remote target, go into Route.
    tm::LocalRequest r = inDialogRequest(
        "BYE", "sip:alice@10.0.0.1", "<sip:strict.example.com;transport=udp>, <sip:l.example;lr>");
    CPPUNIT_ASSERT_EQUAL(std::string("sip:strict.example.com;transport=udp"), r.ruri);
    CPPUNIT_ASSERT_EQUAL(std::string(""), r.dst);
    CPPUNIT_ASSERT_EQUAL(std::string("Route: <sip:l.example;lr>,<sip:alice@10.0.0.1>\r\n"),
                         r.headers);
    r = inDialogRequest("BYE", "sip:alice@10.0.0.1", "<sip:only.example.com>");
    CPPUNIT_ASSERT_EQUAL(std::string("sip:only.example.com"), r.ruri);
    CPPUNIT_ASSERT_EQUAL(std::string("Route: <sip:alice@10.0.0.1>\r\n"), r.headers);
    // lr in any case, with a value, among other params: loose.
    for (const char* route : {"<sip:p.example;LR>", "<sip:p.example;transport=tcp;lr=on>",
                              "\"a,b\" <sip:p.example;lr>"}) {
      r = inDialogRequest("BYE", "sip:alice@10.0.0.1", route);
      CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@10.0.0.1"), r.ruri);
      CPPUNIT_ASSERT_EQUAL("Route: " + std::string(route) + "\r\n", r.headers);
    }
    r = inDialogRequest("BYE", "sip:alice@10.0.0.1", "");
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@10.0.0.1"), r.ruri);
    CPPUNIT_ASSERT_EQUAL(std::string(""), r.dst);
    CPPUNIT_ASSERT_EQUAL(std::string(""), r.headers);
    // Through the service: the caller came through a strict router.
    std::string text = kInvite;
    text.replace(text.find("<sip:up.example.com;lr>"), 23, "<sip:strict.up.example.com>");
    Req invite(text);
    std::uint64_t id = answeredCall(invite);
    CPPUNIT_ASSERT(svc_->endByManagement(id).isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, tm_.sent.size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:strict.up.example.com"), tm_.sent[1].ruri);
    CPPUNIT_ASSERT_EQUAL(std::string("Route: <sip:alice@10.0.0.1:5060>\r\n"), tm_.sent[1].headers);
  }

  void watchFromInsideTmAttachCreatesTheDialog() {
    // acc's attach() (cdr_flag, no create_dialog() in the script) runs inside t_relay() and
    // asks for the dialog: it is made there, asks tm to follow the INVITE (tm attaches the
    // dialog's watcher next) and leaves its did in the rr params tm copies afterwards.
    Req invite(kInvite);
    invite.ctx->record_route.wanted = true;
    CPPUNIT_ASSERT(svc_->watch(*invite.ctx, "acc", "cdr").isOk());
    std::uint64_t id = invite.ctx->dialog;
    CPPUNIT_ASSERT(id != 0);
    CPPUNIT_ASSERT_EQUAL(1, tm_.watched);
    CPPUNIT_ASSERT_EQUAL(";did=" + std::to_string(id), invite.ctx->record_route.params);
    CPPUNIT_ASSERT_EQUAL(std::to_string(id), svc_->attach(*invite.ctx).value_or(""));
    DialogInfo d;
    CPPUNIT_ASSERT(svc_->table().get(id, d) && d.followed);
    svc_->onReply(tm::TsxEvent{200, "OK", reply(200, std::to_string(id)), Method::kInvite, false,
                               true, false, std::to_string(id)});
    CPPUNIT_ASSERT(svc_->table().get(id, d) && d.state == State::kConfirmed);
    Req bye(inDialog("BYE", false, 11));
    CPPUNIT_ASSERT_EQUAL(1, svc_->matchDialog(*bye.ctx, "lr;did=" + std::to_string(id)));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, watcher_.ends.size());
    CPPUNIT_ASSERT(watcher_.ends[0].by == EndedBy::kCaller);
    CPPUNIT_ASSERT_EQUAL(std::string("cdr"), watcher_.ends[0].data);
  }

 private:
  std::unique_ptr<shm::Segment> seg_;
  std::unique_ptr<Service> svc_;
  std::atomic<std::uint64_t> slots_[8];
  FakeTm tm_;
  RecordingWatcher watcher_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(DialogServiceTest);

}  // namespace sipline::dialog
