// Transaction watchers (api.h TsxWatcher): what dialog and acc see of a transaction. attach()
// runs once when the request is relayed or answered, with the script's state; every reply sent
// upstream reaches onReply() with the attached data; the first final is marked.
#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <string>
#include <vector>

#include "core/base/clock.h"
#include "core/script/command_registry.h"
#include "core/script/compiler.h"
#include "core/server/script_reload.h"
#include "core/shm/segment.h"
#include "modules/tm/engine.h"
#include "modules/tm/engine_test_util.h"

namespace sipline::tm {
using namespace testing;  // NOLINT(google-build-using-namespace): test helpers

namespace {

class RecordingWatcher : public TsxWatcher {
 public:
  explicit RecordingWatcher(std::string tag) : tag_(std::move(tag)) {}
  std::optional<std::string> attach(MsgContext& ctx) override {
    ++attached;
    if (decline) return std::nullopt;
    return tag_ + ":" + std::string(ctx.ruri());
  }
  void onReply(const TsxEvent& e) override {
    events.push_back(std::to_string(e.code) + " " + std::string(e.reason) + " " +
                     std::string(e.data) + (e.first_final ? " first" : "") +
                     (e.local ? " local" : "") + (e.canceled ? " canceled" : ""));
  }
  int attached = 0;
  bool decline = false;
  std::vector<std::string> events;

 private:
  std::string tag_;
};

}  // namespace

class TmWatchersTest : public CppUnit::TestFixture, protected EngineHarness {
  CPPUNIT_TEST_SUITE(TmWatchersTest);
  CPPUNIT_TEST(watchedTransactionReportsEveryReplyUpstream);
  CPPUNIT_TEST(unwatchedTransactionReportsNothing);
  CPPUNIT_TEST(everyTransactionWatcherMayDecline);
  CPPUNIT_TEST(localReplyAndCancelAreReported);
  CPPUNIT_TEST(watchAfterRelayAttachesAtOnce);
  CPPUNIT_TEST(attachMayAskForAnotherWatcher);
  CPPUNIT_TEST(watchingAgainReplacesWhatTheWatcherKeeps);
  CPPUNIT_TEST(watchersHearOfAReplyBeforeItLeaves);
  CPPUNIT_TEST(registrationIsBounded);
  CPPUNIT_TEST(watchInABranchRouteFollowsTheWholeTransaction);
  CPPUNIT_TEST(watchInAFailureRoutesBranchRouteFollowsTheNextRound);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override { startEngine(); }
  void tearDown() override {
    setScriptReloader(nullptr);
    reloader_.reset();
    stopEngine();
  }

  // The request route: `before` runs on the context first (watch()), then t_relay().
  template <class Fn>
  int relayWith(const std::string& text, Fn before, bool watch_after = false, std::uint8_t id = 0) {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(text) == ParseError::kOk);
    ReceiveInfo rcv{&proxySocket(), addr("192.0.2.1", 5060), Proto::kUdp};
    MsgContext ctx(msg, rcv, kRequestRoute);
    before(ctx);
    int rc = engine_->relay(ctx);
    if (watch_after) CPPUNIT_ASSERT(engine_->watch(ctx, id).isOk());
    engine_->requestDone(ctx);
    return rc;
  }

  std::string sentInvite() {
    for (const Sent& s : capture_.take()) {
      if (s.firstLine().rfind("INVITE ", 0) == 0) return s.data;
    }
    CPPUNIT_FAIL("no INVITE sent");
    return "";
  }

  void watchedTransactionReportsEveryReplyUpstream() {
    RecordingWatcher w("dlg");
    std::uint8_t id = engine_->registerWatcher(&w, false);
    CPPUNIT_ASSERT(id != 0);
    CPPUNIT_ASSERT_EQUAL(1, relayWith(invite("z9hG4bKw1"), [&](MsgContext& ctx) {
                           CPPUNIT_ASSERT(engine_->watch(ctx, id).isOk());
                         }));
    std::string inv = sentInvite();
    CPPUNIT_ASSERT(reply(replyTo(inv, 180, "Ringing")));
    CPPUNIT_ASSERT(reply(replyTo(inv, 200, "OK")));
    CPPUNIT_ASSERT(reply(replyTo(inv, 200, "OK", "other")));  // a second 2xx is relayed too
    CPPUNIT_ASSERT_EQUAL(1, w.attached);
    std::vector<std::string> want{
        "100 Trying dlg:sip:bob@127.0.0.2:5070 local", "180 Ringing dlg:sip:bob@127.0.0.2:5070",
        "200 OK dlg:sip:bob@127.0.0.2:5070 first", "200 OK dlg:sip:bob@127.0.0.2:5070"};
    CPPUNIT_ASSERT_EQUAL(want.size(), w.events.size());
    for (std::size_t i = 0; i < want.size(); ++i) CPPUNIT_ASSERT_EQUAL(want[i], w.events[i]);
  }

  void unwatchedTransactionReportsNothing() {
    RecordingWatcher w("dlg");
    CPPUNIT_ASSERT(engine_->registerWatcher(&w, false) != 0);
    relayWith(invite("z9hG4bKw2"), [](MsgContext&) {});
    CPPUNIT_ASSERT(reply(replyTo(sentInvite(), 486, "Busy Here")));
    CPPUNIT_ASSERT_EQUAL(0, w.attached);
    CPPUNIT_ASSERT(w.events.empty());
  }

  void everyTransactionWatcherMayDecline() {
    RecordingWatcher yes("acc"), no("other");
    no.decline = true;
    CPPUNIT_ASSERT(engine_->registerWatcher(&yes, true) != 0);
    CPPUNIT_ASSERT(engine_->registerWatcher(&no, true) != 0);
    relayWith(invite("z9hG4bKw3"), [](MsgContext&) {});
    CPPUNIT_ASSERT(reply(replyTo(sentInvite(), 486, "Busy Here")));
    CPPUNIT_ASSERT_EQUAL(1, yes.attached);
    CPPUNIT_ASSERT_EQUAL(1, no.attached);
    CPPUNIT_ASSERT(no.events.empty());
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, yes.events.size());
    CPPUNIT_ASSERT_EQUAL(std::string("486 Busy Here acc:sip:bob@127.0.0.2:5070 first"),
                         yes.events[1]);
  }

  void localReplyAndCancelAreReported() {
    RecordingWatcher w("acc");
    std::uint8_t id = engine_->registerWatcher(&w, false);
    // t_reply() from the script: attached at the reply.
    {
      std::string text = invite("z9hG4bKw4");
      SipMessage msg;
      CPPUNIT_ASSERT(msg.parse(text) == ParseError::kOk);
      ReceiveInfo rcv{&proxySocket(), addr("192.0.2.1", 5060), Proto::kUdp};
      MsgContext ctx(msg, rcv, kRequestRoute);
      CPPUNIT_ASSERT(engine_->watch(ctx, id).isOk());
      CPPUNIT_ASSERT_EQUAL(1, engine_->reply(ctx, 404, "Not Found"));
      engine_->requestDone(ctx);
    }
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, w.events.size());
    CPPUNIT_ASSERT_EQUAL(std::string("404 Not Found acc:sip:bob@127.0.0.2:5070 first local"),
                         w.events[0]);
    // A canceled INVITE: the 487 generated here says so.
    w.events.clear();
    std::string text = invite("z9hG4bKw5");
    relayWith(text, [&](MsgContext& ctx) { CPPUNIT_ASSERT(engine_->watch(ctx, id).isOk()); });
    std::string inv = sentInvite();
    CPPUNIT_ASSERT(reply(replyTo(inv, 180, "Ringing")));
    std::string cancel = text;
    cancel.replace(0, 6, "CANCEL");
    cancel.replace(cancel.find("CSeq: 1 INVITE"), 14, "CSeq: 1 CANCEL");
    relayWith(cancel, [](MsgContext&) {});
    CPPUNIT_ASSERT(reply(replyTo(inv, 487, "Request Terminated")));
    CPPUNIT_ASSERT(!w.events.empty());
    CPPUNIT_ASSERT(has(w.events.back(), "487 Request Terminated"));
    CPPUNIT_ASSERT(has(w.events.back(), " first"));
    CPPUNIT_ASSERT(has(w.events.back(), " canceled"));
  }

  void watchAfterRelayAttachesAtOnce() {
    RecordingWatcher w("acc");
    std::uint8_t id = engine_->registerWatcher(&w, false);
    relayWith(
        invite("z9hG4bKw6"), [](MsgContext&) {}, true, id);
    CPPUNIT_ASSERT_EQUAL(1, w.attached);
    CPPUNIT_ASSERT(reply(replyTo(sentInvite(), 200, "OK")));
    CPPUNIT_ASSERT_EQUAL(std::string("200 OK acc:sip:bob@127.0.0.2:5070 first"), w.events.back());
  }

  // acc's cdr_flag: its attach() creates the dialog, which watches the same transaction.
  void attachMayAskForAnotherWatcher() {
    RecordingWatcher dialog("dlg");
    std::uint8_t dialog_id = engine_->registerWatcher(&dialog, false);
    class Chaining : public RecordingWatcher {
     public:
      Chaining(Engine& e, std::uint8_t next) : RecordingWatcher("acc"), e_(e), next_(next) {}
      std::optional<std::string> attach(MsgContext& ctx) override {
        CPPUNIT_ASSERT(e_.watch(ctx, next_).isOk());
        return RecordingWatcher::attach(ctx);
      }

     private:
      Engine& e_;
      std::uint8_t next_;
    } acc(*engine_, dialog_id);
    CPPUNIT_ASSERT(engine_->registerWatcher(&acc, true) != 0);
    relayWith(invite("z9hG4bKw8"), [](MsgContext&) {});
    CPPUNIT_ASSERT(reply(replyTo(sentInvite(), 200, "OK")));
    CPPUNIT_ASSERT_EQUAL(1, acc.attached);
    CPPUNIT_ASSERT_EQUAL(1, dialog.attached);
    CPPUNIT_ASSERT_EQUAL(std::string("200 OK dlg:sip:bob@127.0.0.2:5070 first"),
                         dialog.events.back());
    CPPUNIT_ASSERT_EQUAL(std::string("200 OK acc:sip:bob@127.0.0.2:5070 first"), acc.events.back());
  }

  // do_accounting() after t_relay() (or in failure_route) with more modes: attach() runs again
  // and its new data replaces the old; an every-transaction watcher that declined is asked
  // again when the script asks for it.
  void watchingAgainReplacesWhatTheWatcherKeeps() {
    class Tagged : public RecordingWatcher {
     public:
      Tagged() : RecordingWatcher("") {}
      std::optional<std::string> attach(MsgContext&) override {
        ++attached;
        if (decline) return std::nullopt;
        return tag;
      }
      std::optional<std::string> reattach(MsgContext& ctx, std::string_view k) override {
        kept = std::string(k);
        return attach(ctx);
      }
      std::string tag = "v1";
      std::string kept = "(none)";
    } w, flags;
    std::uint8_t id = engine_->registerWatcher(&w, false);
    std::uint8_t every = engine_->registerWatcher(&flags, true);
    flags.decline = true;  // no accounting flag set
    std::string text = invite("z9hG4bKw9");
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(text) == ParseError::kOk);
    ReceiveInfo rcv{&proxySocket(), addr("192.0.2.1", 5060), Proto::kUdp};
    MsgContext ctx(msg, rcv, kRequestRoute);
    CPPUNIT_ASSERT(engine_->watch(ctx, id).isOk());
    CPPUNIT_ASSERT_EQUAL(1, engine_->relay(ctx));
    CPPUNIT_ASSERT_EQUAL(1, w.attached);
    CPPUNIT_ASSERT_EQUAL(1, flags.attached);
    w.tag = "v2";
    flags.decline = false;
    flags.tag = "flagged";
    CPPUNIT_ASSERT(engine_->watch(ctx, id).isOk());
    CPPUNIT_ASSERT(engine_->watch(ctx, every).isOk());
    engine_->requestDone(ctx);
    CPPUNIT_ASSERT_EQUAL(2, w.attached);
    CPPUNIT_ASSERT_EQUAL(std::string("v1"), w.kept);  // asked again with what it keeps
    CPPUNIT_ASSERT_EQUAL(2, flags.attached);
    CPPUNIT_ASSERT_EQUAL(std::string("(none)"), flags.kept);  // it had declined: attach()
    CPPUNIT_ASSERT(reply(replyTo(sentInvite(), 486, "Busy Here")));
    CPPUNIT_ASSERT_EQUAL(std::string("486 Busy Here v2 first"), w.events.back());
    CPPUNIT_ASSERT_EQUAL(std::string("486 Busy Here flagged first"), flags.events.back());
    // The 100 before the second watch() was reported with the first data.
    CPPUNIT_ASSERT_EQUAL(std::string("100 Trying v1 local"), w.events.front());
  }

  // The caller's ACK and BYE may reach another worker as soon as the 2xx leaves: the dialog
  // must be answered by then, so watchers run before the send (relayed, local and chosen
  // finals alike).
  void watchersHearOfAReplyBeforeItLeaves() {
    class Peeking : public RecordingWatcher {
     public:
      explicit Peeking(Capture& c) : RecordingWatcher("p"), capture_(c) {}
      void onReply(const TsxEvent& e) override {
        std::string line = "SIP/2.0 " + std::to_string(e.code) + " ";
        for (const Sent& s : capture_.sent) {
          if (s.firstLine().rfind(line, 0) == 0) ++already_sent;
        }
        RecordingWatcher::onReply(e);
      }
      int already_sent = 0;

     private:
      Capture& capture_;
    } w(capture_);
    std::uint8_t id = engine_->registerWatcher(&w, false);
    auto watch = [&](MsgContext& ctx) { CPPUNIT_ASSERT(engine_->watch(ctx, id).isOk()); };
    relayWith(invite("z9hG4bKwa"), watch);  // 100 Trying (local)
    std::string inv = sentInvite();
    CPPUNIT_ASSERT(reply(replyTo(inv, 180, "Ringing")));
    CPPUNIT_ASSERT(reply(replyTo(inv, 200, "OK")));  // relayed at once
    relayWith(invite("z9hG4bKwb"), watch);
    CPPUNIT_ASSERT(reply(replyTo(sentInvite(), 486, "Busy Here")));  // chosen when all failed
    CPPUNIT_ASSERT_EQUAL(std::size_t{5}, w.events.size());
    CPPUNIT_ASSERT_EQUAL(0, w.already_sent);
    bool busy_sent = false;
    for (const Sent& s : capture_.sent) busy_sent |= s.firstLine() == "SIP/2.0 486 Busy Here";
    CPPUNIT_ASSERT(busy_sent);
  }

  void registrationIsBounded() {
    std::vector<std::unique_ptr<RecordingWatcher>> all;
    int ok = 0;
    for (int i = 0; i < kMaxWatchers + 3; ++i) {
      all.push_back(std::make_unique<RecordingWatcher>("w"));
      if (engine_->registerWatcher(all.back().get(), false) != 0) ++ok;
    }
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(kMaxWatchers), ok);
    CPPUNIT_ASSERT_EQUAL(std::uint8_t{0}, engine_->registerWatcher(nullptr, false));
    SipMessage msg;
    std::string text = invite("z9hG4bKw7");
    CPPUNIT_ASSERT(msg.parse(text) == ParseError::kOk);
    ReceiveInfo rcv{&proxySocket(), addr("192.0.2.1", 5060), Proto::kUdp};
    MsgContext ctx(msg, rcv, kRequestRoute);
    CPPUNIT_ASSERT(!engine_->watch(ctx, 0).isOk());
    CPPUNIT_ASSERT(!engine_->watch(ctx, kMaxWatchers + 1).isOk());
  }

  // The routes: `branch_route[b] { watch_it(); }` (watch() for watcher `id` from the
  // branch's own context) and `failure_route[f]`, which appends a branch and relays again.
  void startRoutes(std::uint8_t id) {
    commands_ = std::make_unique<CommandRegistry>();
    CommandSpec watch_it;
    watch_it.name = "watch_it";
    watch_it.module = "test";
    watch_it.route_mask = kBranchRoute;
    watch_it.bind = [this, id](const ScriptArgs&, BindContext&) -> Result<BoundCallPtr> {
      return makeCall([this, id](MsgContext& ctx) {
        ++branch_routes_;
        return Verdict::of(engine_->watch(ctx, id).isOk() ? 1 : -1);
      });
    };
    CPPUNIT_ASSERT(commands_->add(std::move(watch_it)).isOk());
    CommandSpec again;
    again.name = "relay_again";
    again.module = "test";
    again.route_mask = kFailureRoute;
    again.bind = [this](const ScriptArgs&, BindContext&) -> Result<BoundCallPtr> {
      return makeCall([this](MsgContext& ctx) {
        CPPUNIT_ASSERT(ctx.setRuri("sip:carol@127.0.0.3:5070").isOk());
        ctx.tm.on_branch = "b";
        return Verdict::of(engine_->relay(ctx));
      });
    };
    CPPUNIT_ASSERT(commands_->add(std::move(again)).isOk());
    Result<ScriptPtr> script = compileScriptText(
        "route { exit; }\nbranch_route[b] { watch_it(); }\nfailure_route[f] { relay_again(); }\n",
        "t.routes", *commands_, nullptr, ScriptOptions());
    CPPUNIT_ASSERT_MESSAGE(script.isOk() ? "" : script.status().message(), script.isOk());
    reloader_ = std::make_unique<ScriptReloader>("t.routes", *commands_, nullptr);
    CPPUNIT_ASSERT(reloader_->start(*segment_, std::move(script.value()), SourceSet()).isOk());
    setScriptReloader(reloader_.get());
  }

  std::vector<std::string> sentInvites() {
    std::vector<std::string> out;
    for (const Sent& s : capture_.take()) {
      if (s.firstLine().rfind("INVITE ", 0) == 0) out.push_back(s.data);
    }
    return out;
  }

  // rtpengine_offer() in a branch_route (per-branch offers): the watcher follows the whole
  // transaction, so one busy branch of a parallel fork reports no final, and the failure of
  // the last branch does (once). The branch's context ends with its branch: a watch() that
  // was only noted there never reached the transaction.
  void watchInABranchRouteFollowsTheWholeTransaction() {
    RecordingWatcher w("rtp");
    std::uint8_t id = engine_->registerWatcher(&w, false);
    startRoutes(id);
    relayWith(invite("z9hG4bKwc"), [](MsgContext& ctx) {
      ctx.tm.on_branch = "b";
      Branch b;
      b.uri = "sip:carol@127.0.0.3:5070";
      CPPUNIT_ASSERT(ctx.appendBranch(b).isOk());
    });
    CPPUNIT_ASSERT_EQUAL(2, branch_routes_);
    std::vector<std::string> invs = sentInvites();
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, invs.size());
    CPPUNIT_ASSERT(w.attached >= 1);
    CPPUNIT_ASSERT(reply(replyTo(invs[0], 486, "Busy Here", "busy")));
    for (const std::string& e : w.events) CPPUNIT_ASSERT_MESSAGE(e, !has(e, " first"));
    CPPUNIT_ASSERT(reply(replyTo(invs[1], 480, "Temporarily Unavailable", "away")));
    CPPUNIT_ASSERT(!w.events.empty());
    CPPUNIT_ASSERT(has(w.events.back(), "486 Busy Here rtp:"));
    CPPUNIT_ASSERT(has(w.events.back(), " first"));
    int finals = 0;
    for (const std::string& e : w.events) finals += has(e, " first") ? 1 : 0;
    CPPUNIT_ASSERT_EQUAL(1, finals);
  }

  // A serial fork: the failure_route relays again and the new branch's branch_route asks
  // for the watcher (the lock of the transaction is held by then: it must not be taken
  // again). The final of the second round reaches the watcher.
  void watchInAFailureRoutesBranchRouteFollowsTheNextRound() {
    RecordingWatcher w("rtp");
    std::uint8_t id = engine_->registerWatcher(&w, false);
    startRoutes(id);
    relayWith(invite("z9hG4bKwd"), [](MsgContext& ctx) { ctx.tm.on_failure = "f"; });
    std::vector<std::string> invs = sentInvites();
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, invs.size());
    CPPUNIT_ASSERT_EQUAL(0, w.attached);
    CPPUNIT_ASSERT(reply(replyTo(invs[0], 486, "Busy Here", "busy")));
    CPPUNIT_ASSERT_EQUAL(1, branch_routes_);
    CPPUNIT_ASSERT_EQUAL(1, w.attached);
    invs = sentInvites();
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, invs.size());
    CPPUNIT_ASSERT(has(invs[0], "INVITE sip:carol@"));
    CPPUNIT_ASSERT(reply(replyTo(invs[0], 603, "Decline", "no")));
    CPPUNIT_ASSERT(!w.events.empty());
    CPPUNIT_ASSERT_EQUAL(std::string("603 Decline rtp:sip:carol@127.0.0.3:5070 first"),
                         w.events.back());
  }

  std::unique_ptr<CommandRegistry> commands_;
  std::unique_ptr<ScriptReloader> reloader_;
  int branch_routes_ = 0;
};

CPPUNIT_TEST_SUITE_REGISTRATION(TmWatchersTest);

}  // namespace sipline::tm
