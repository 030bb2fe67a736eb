#include "modules/dispatcher/dispatcher.h"

#include <cppunit/extensions/HelperMacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "core/script/format.h"
#include "core/sip/msg_context.h"
#include "modules/dispatcher/ds_mi.h"
#include "modules/dispatcher/ds_script.h"

namespace sipline::dispatcher {
namespace {

Destination dest(std::int64_t set, const std::string& uri, DsState st = DsState::kActive) {
  Destination d;
  d.setid = set;
  d.uri = uri;
  d.initial = st;
  CPPUNIT_ASSERT(checkDestination(d).isOk());
  return d;
}

constexpr char kInvite[] =
    "INVITE sip:+4930123@pstn.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
    "From: <sip:bob@example.org>;tag=ft\r\n"
    "To: <sip:+4930123@pstn.example.com>\r\n"
    "Call-ID: abc@host\r\n"
    "CSeq: 1 INVITE\r\n"
    "Proxy-Authorization: Digest username=\"bob\", realm=\"r\", nonce=\"n\", uri=\"sip:x\", "
    "response=\"0\"\r\n"
    "Content-Length: 0\r\n\r\n";

}  // namespace

class DispatcherServiceTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DispatcherServiceTest);
  CPPUNIT_TEST(configNeedsExactlyOneSource);
  CPPUNIT_TEST(badReplyCodesRefused);
  CPPUNIT_TEST(loadFailureRefusesStart);
  CPPUNIT_TEST(dbDownStartsEmptyAndTheRetryLoads);
  CPPUNIT_TEST(reloadEndsThePendingRetry);
  CPPUNIT_TEST(selectSkipsInactiveAndProbing);
  CPPUNIT_TEST(holderDeathKeepsRoutingAndStates);
  CPPUNIT_TEST(holderDeathInReloadMakesStateAgree);
  CPPUNIT_TEST(unknownSetIsNotFound);
  CPPUNIT_TEST(roundRobinSpreadsEvenly);
  CPPUNIT_TEST(probesMoveActiveToProbingAndBack);
  CPPUNIT_TEST(probingModeZeroProbesOnlyProbing);
  CPPUNIT_TEST(markFailuresCountTowardsThreshold);
  CPPUNIT_TEST(reloadKeepsStateOfStayingDestinations);
  CPPUNIT_TEST(failedReloadKeepsOldSets);
  CPPUNIT_TEST(probeReplyAfterReloadIsIgnored);
  CPPUNIT_TEST(probingDestinationGetsOneProbeAtATime);
  CPPUNIT_TEST(isInListMatchesAddressAndPort);
  CPPUNIT_TEST(miSetStateAndList);
  CPPUNIT_TEST(candidatesTravelInAvps);
  CPPUNIT_TEST(selectDomainRewritesHostPort);
  CPPUNIT_TEST(hashTextPicksMessageParts);
  CPPUNIT_TEST(uriHashesIgnoreParametersAndDefaultPort);
  CPPUNIT_TEST(authUserWithoutCredentialsGivesNoHash);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    seg_ = std::move(shm::Segment::create(2 << 20).value());
    svc_ = std::make_unique<Service>();
    svc_->config().list_file = "/unused";
    for (std::size_t i = 0; i < slots_.size(); ++i) slots_[i] = 0;
    Counters& c = svc_->counters();
    StatCounter* all[] = {&c.selects,       &c.failovers, &c.probes_sent,   &c.probes_failed,
                          &c.state_changes, &c.reloads,   &c.reload_errors, &c.active,
                          &c.probing,       &c.inactive};
    for (std::size_t i = 0; i < std::size(all); ++i) all[i]->bindForTest(&slots_[i]);
    dests_ = {dest(1, "sip:127.0.0.1:5070"), dest(1, "sip:127.0.0.1:5071"),
              dest(1, "sip:127.0.0.1:5072"), dest(2, "sip:gw.example.com")};
    svc_->setLoaderForTest([this]() -> Result<std::vector<Destination>> {
      if (load_error_) return Status::unavailable("cannot reach the DB postgres://x");
      if (bad_table_) return Status::failedPrecondition("table dispatcher has version 0, not 1");
      return dests_;
    });
    svc_->setSenderForTest([this](const tm::LocalRequest& r, std::uint64_t param) {
      sent_.emplace_back(r.ruri, param);
      return Status::ok();
    });
  }
  void tearDown() override {
    svc_.reset();
    seg_.reset();
  }

  void start() {
    Status st = svc_->init(seg_->manager(), nullptr);
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
  }

  void configNeedsExactlyOneSource() {
    svc_->config().db_url = "postgres://u@127.0.0.1/db";
    Status st = svc_->checkConfig();
    CPPUNIT_ASSERT(st.message().find("not both") != std::string::npos);
    svc_->config().db_url.clear();
    svc_->config().list_file.clear();
    CPPUNIT_ASSERT(svc_->checkConfig().message().find("needs db_url or list_file") !=
                   std::string::npos);
    // The table name is pasted into the statement: only an SQL identifier passes.
    svc_->config().list_file = "/unused";
    for (const char* bad : {"dispatcher; DROP TABLE x", "ds-table", "", "1ds"}) {
      svc_->config().table_name = bad;
      CPPUNIT_ASSERT_MESSAGE(
          bad, svc_->checkConfig().message().find("not an SQL identifier") != std::string::npos);
    }
    svc_->config().table_name = "gw_sets";
    CPPUNIT_ASSERT(svc_->checkConfig().isOk());
  }

  void badReplyCodesRefused() {
    svc_->config().options_reply_codes = "501, 40x";
    CPPUNIT_ASSERT(!svc_->checkConfig().isOk());
    svc_->config().options_reply_codes = "501, 403";
    CPPUNIT_ASSERT(svc_->checkConfig().isOk());
    CPPUNIT_ASSERT(svc_->aliveCode(403) && svc_->aliveCode(501) && svc_->aliveCode(202));
    CPPUNIT_ASSERT(!svc_->aliveCode(404) && !svc_->aliveCode(408));
  }

  void loadFailureRefusesStart() {
    // list_file unreadable: a configuration error, never a degraded start.
    load_error_ = true;
    Status st = svc_->init(seg_->manager(), nullptr);
    CPPUNIT_ASSERT(!st.isOk());
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.message().find("dispatcher: cannot reach the DB") == 0);
    // A reachable DB with a wrong table refuses the start too.
    useDb();
    load_error_ = false;
    bad_table_ = true;
    st = svc_->init(seg_->manager(), nullptr);
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.message().find("version 0") != std::string::npos);
  }

  void useDb() {
    svc_->config().list_file.clear();
    svc_->config().db_url = "postgres://u@127.0.0.1/db";
  }

  void dbDownStartsEmptyAndTheRetryLoads() {
    useDb();
    load_error_ = true;
    start();
    CPPUNIT_ASSERT(svc_->loadPending());
    CPPUNIT_ASSERT_EQUAL(std::size_t(0), svc_->list().size());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), slots_[6].load());  // reload_errors
    CPPUNIT_ASSERT(svc_->select(1, Alg::kRoundRobin, 0, 0).status().code() == Code::kNotFound);
    Status st = svc_->retryLoad();
    CPPUNIT_ASSERT(!st.isOk() && svc_->loadPending());
    load_error_ = false;
    CPPUNIT_ASSERT(svc_->retryLoad().isOk());
    CPPUNIT_ASSERT(!svc_->loadPending());
    CPPUNIT_ASSERT_EQUAL(std::size_t(4), svc_->list().size());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(4), slots_[7].load());  // ds_active
    // Loaded once: later attempts do nothing (only ds_reload loads again).
    dests_.pop_back();
    CPPUNIT_ASSERT(svc_->retryLoad().isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(4), svc_->list().size());
  }

  void reloadEndsThePendingRetry() {
    useDb();
    load_error_ = true;
    start();
    load_error_ = false;
    CPPUNIT_ASSERT(svc_->reload().isOk());
    CPPUNIT_ASSERT(!svc_->loadPending());
    CPPUNIT_ASSERT_EQUAL(std::size_t(4), svc_->list().size());
  }

  void selectSkipsInactiveAndProbing() {
    dests_[0].initial = DsState::kInactive;
    start();
    CPPUNIT_ASSERT(svc_->setState(1, "sip:127.0.0.1:5071", DsState::kProbing, "test").isOk());
    for (std::int64_t a = 0; a < kAlgCount; ++a) {
      auto c = svc_->select(1, static_cast<Alg>(a), 99, 0);
      CPPUNIT_ASSERT(c.isOk());
      CPPUNIT_ASSERT_EQUAL(std::size_t(1), c.value().size());
      CPPUNIT_ASSERT_EQUAL(std::string("sip:127.0.0.1:5072"), c.value()[0].uri);
    }
    CPPUNIT_ASSERT(svc_->setState(1, "sip:127.0.0.1:5072", DsState::kInactive, "test").isOk());
    CPPUNIT_ASSERT(svc_->select(1, Alg::kRoundRobin, 0, 0).value().empty());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), slots_[7].load());  // ds_active: set 2 only
  }

  // A child process takes the state lock, runs `inside` and dies holding it.
  template <class F>
  void dieHoldingTheLock(F inside) {
    pid_t pid = fork();
    if (pid == 0) {
      svc_->sharedForTest()->mutex.lock();
      inside(*svc_->sharedForTest());
      _exit(0);
    }
    int status = 0;
    CPPUNIT_ASSERT_EQUAL(pid, waitpid(pid, &status, 0));
  }

  void holderDeathKeepsRoutingAndStates() {
    start();
    CPPUNIT_ASSERT(svc_->setState(1, "sip:127.0.0.1:5070", DsState::kInactive, "test").isOk());
    dieHoldingTheLock([](DsShared&) {});
    // The next locker recovers the lock (no hang) and nothing was torn: live states stay.
    auto c = svc_->select(1, Alg::kPriority, 0, 0);
    CPPUNIT_ASSERT(c.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), c.value().size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:127.0.0.1:5071"), c.value()[0].uri);
    CPPUNIT_ASSERT(svc_->setState(1, "sip:127.0.0.1:5071", DsState::kProbing, "test").isOk());
  }

  void holderDeathInReloadMakesStateAgree() {
    start();
    CPPUNIT_ASSERT(svc_->setState(1, "sip:127.0.0.1:5070", DsState::kInactive, "test").isOk());
    // Killed after swapping in a reload's slots (one destination fewer) but not its blob.
    dieHoldingTheLock([](DsShared& s) {
      s.installing = true;
      s.slots.pop_back();
    });
    auto c = svc_->select(1, Alg::kPriority, 0, 0);
    CPPUNIT_ASSERT(c.isOk());
    // The slots follow the blob again, in the configured states (5070 active again).
    CPPUNIT_ASSERT_EQUAL(std::size_t(4), svc_->sharedForTest()->slots.size());
    CPPUNIT_ASSERT_EQUAL(std::size_t(3), c.value().size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:127.0.0.1:5070"), c.value()[0].uri);
    auto d = svc_->select(2, Alg::kPriority, 0, 0);
    CPPUNIT_ASSERT(d.isOk() && d.value().size() == 1);
    // Cut short with as many slots as before (a destination replaced): still rebuilt.
    CPPUNIT_ASSERT(svc_->setState(1, "sip:127.0.0.1:5070", DsState::kInactive, "test").isOk());
    dieHoldingTheLock([](DsShared& s) { s.installing = true; });
    c = svc_->select(1, Alg::kPriority, 0, 0);
    CPPUNIT_ASSERT(c.isOk() && c.value().size() == 3);
    CPPUNIT_ASSERT(!svc_->sharedForTest()->installing);
  }

  void unknownSetIsNotFound() {
    start();
    auto c = svc_->select(7, Alg::kRandom, 1, 0);
    CPPUNIT_ASSERT(!c.isOk());
    CPPUNIT_ASSERT(c.status().code() == Code::kNotFound);
  }

  void roundRobinSpreadsEvenly() {
    start();
    std::map<std::string, int> hits;
    for (int i = 0; i < 30; ++i) ++hits[svc_->select(1, Alg::kRoundRobin, 0, 1).value()[0].uri];
    CPPUNIT_ASSERT_EQUAL(std::size_t(3), hits.size());
    for (auto& [uri, n] : hits) CPPUNIT_ASSERT_EQUAL(10, n);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(30), slots_[0].load());
  }

  void probesMoveActiveToProbingAndBack() {
    svc_->config().ping_interval_s = 1;
    svc_->config().probing_mode = 1;
    svc_->config().probing_threshold = 2;
    svc_->config().options_reply_codes = "501";
    start();
    svc_->tick(1000);
    CPPUNIT_ASSERT_EQUAL(std::size_t(4), sent_.size());
    svc_->tick(1500);  // not due yet
    CPPUNIT_ASSERT_EQUAL(std::size_t(4), sent_.size());
    std::uint64_t p = sent_[0].second;
    svc_->onProbeReply(408, p);
    CPPUNIT_ASSERT(stateOf("sip:127.0.0.1:5070") == DsState::kActive);
    svc_->onProbeReply(503, p);
    CPPUNIT_ASSERT(stateOf("sip:127.0.0.1:5070") == DsState::kProbing);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), slots_[3].load());  // probes_failed
    svc_->onProbeReply(501, p, true);  // made up here (unreachable): no answer at all
    CPPUNIT_ASSERT(stateOf("sip:127.0.0.1:5070") == DsState::kProbing);
    svc_->onProbeReply(501, p);
    CPPUNIT_ASSERT(stateOf("sip:127.0.0.1:5070") == DsState::kActive);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), slots_[4].load());  // state_changes
    svc_->tick(2000);
    CPPUNIT_ASSERT_EQUAL(std::size_t(8), sent_.size());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(8), slots_[2].load());
  }

  void probingModeZeroProbesOnlyProbing() {
    dests_[1].initial = DsState::kProbing;
    dests_[2].initial = DsState::kInactive;
    svc_->config().ping_interval_s = 1;
    start();
    auto t = svc_->probeTargetsForTest(1000);
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), t.size());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), t[0].first);
    svc_->onProbeReply(200, t[0].second);
    CPPUNIT_ASSERT(stateOf("sip:127.0.0.1:5071") == DsState::kActive);
    CPPUNIT_ASSERT(svc_->probeTargetsForTest(2000).empty());
  }

  void markFailuresCountTowardsThreshold() {
    svc_->config().probing_threshold = 3;
    start();
    for (int i = 0; i < 2; ++i)
      CPPUNIT_ASSERT(svc_->noteFailure(1, "sip:127.0.0.1:5071", "t").isOk());
    CPPUNIT_ASSERT(stateOf("sip:127.0.0.1:5071") == DsState::kActive);
    CPPUNIT_ASSERT(svc_->noteFailure(1, "sip:127.0.0.1:5071", "t").isOk());
    CPPUNIT_ASSERT(stateOf("sip:127.0.0.1:5071") == DsState::kProbing);
    CPPUNIT_ASSERT(!svc_->noteFailure(1, "sip:127.0.0.9", "t").isOk());
  }

  void reloadKeepsStateOfStayingDestinations() {
    start();
    CPPUNIT_ASSERT(svc_->setState(1, "sip:127.0.0.1:5072", DsState::kInactive, "t").isOk());
    dests_.erase(dests_.begin());                     // 5070 leaves
    dests_.push_back(dest(1, "sip:127.0.0.1:5073"));  // 5073 comes
    Result<std::size_t> n = svc_->reload();
    CPPUNIT_ASSERT(n.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(4), n.value());
    CPPUNIT_ASSERT(stateOf("sip:127.0.0.1:5072") == DsState::kInactive);
    CPPUNIT_ASSERT(stateOf("sip:127.0.0.1:5073") == DsState::kActive);
    CPPUNIT_ASSERT(svc_->find(1, "sip:127.0.0.1:5070") == nullptr);
    // The source's state changed (siplinectl --state): that one wins.
    dests_[0].initial = DsState::kInactive;  // 5071: active in the source and live before
    CPPUNIT_ASSERT(svc_->reload().isOk());
    CPPUNIT_ASSERT(stateOf("sip:127.0.0.1:5072") == DsState::kInactive);  // unchanged source
    CPPUNIT_ASSERT(stateOf("sip:127.0.0.1:5071") == DsState::kInactive);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), slots_[5].load());
  }

  void failedReloadKeepsOldSets() {
    start();
    load_error_ = true;
    Result<std::size_t> n = svc_->reload();
    CPPUNIT_ASSERT(!n.isOk());
    CPPUNIT_ASSERT(n.status().message().find("old sets stay") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(std::size_t(4), svc_->list().size());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), slots_[6].load());
  }

  void probeReplyAfterReloadIsIgnored() {
    svc_->config().ping_interval_s = 1;
    svc_->config().probing_mode = 1;
    start();
    svc_->tick(0);
    CPPUNIT_ASSERT(svc_->reload().isOk());
    svc_->onProbeReply(408, sent_[0].second);
    CPPUNIT_ASSERT(stateOf("sip:127.0.0.1:5070") == DsState::kActive);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), slots_[3].load());  // not counted either
  }

  void probingDestinationGetsOneProbeAtATime() {
    dests_[1].initial = DsState::kProbing;
    svc_->config().ping_interval_s = 1;
    svc_->config().probing_mode = 1;
    start();
    auto t = svc_->probeTargetsForTest(1000);
    CPPUNIT_ASSERT_EQUAL(std::size_t(4), t.size());
    // The next rounds: the active ones again, the probing one not while its probe is out.
    auto next = svc_->probeTargetsForTest(2000);
    CPPUNIT_ASSERT_EQUAL(std::size_t(3), next.size());
    for (auto& [slot, param] : next) CPPUNIT_ASSERT(slot != 1);
    svc_->onProbeReply(408, t[1].second);  // its answer (a timeout) frees it
    CPPUNIT_ASSERT_EQUAL(std::size_t(4), svc_->probeTargetsForTest(3000).size());
    // A probe never answered stops blocking after kProbeLostMs.
    CPPUNIT_ASSERT_EQUAL(std::size_t(3), svc_->probeTargetsForTest(4000).size());
    CPPUNIT_ASSERT_EQUAL(std::size_t(4), svc_->probeTargetsForTest(3000 + kProbeLostMs).size());
  }

  void isInListMatchesAddressAndPort() {
    dests_.push_back(dest(5, "sips:127.0.0.3"));
    start();
    SockAddr a;
    CPPUNIT_ASSERT(SockAddr::fromNumeric("127.0.0.1", 5071, a));
    CPPUNIT_ASSERT(svc_->isInList(a, false, std::nullopt));
    CPPUNIT_ASSERT(svc_->isInList(a, false, 1));
    CPPUNIT_ASSERT(!svc_->isInList(a, false, 2));
    CPPUNIT_ASSERT(SockAddr::fromNumeric("127.0.0.1", 6000, a));
    CPPUNIT_ASSERT(!svc_->isInList(a, false, std::nullopt));
    CPPUNIT_ASSERT(svc_->isInList(a, true, std::nullopt));
    CPPUNIT_ASSERT(SockAddr::fromNumeric("127.0.0.2", 5071, a));
    CPPUNIT_ASSERT(!svc_->isInList(a, true, std::nullopt));
    CPPUNIT_ASSERT(SockAddr::fromNumeric("127.0.0.3", 5061, a));
    CPPUNIT_ASSERT(svc_->isInList(a, false, 5));
    CPPUNIT_ASSERT(SockAddr::fromNumeric("127.0.0.3", 5060, a));
    CPPUNIT_ASSERT(!svc_->isInList(a, false, 5));
  }

  void miSetStateAndList() {
    start();
    Json p = Json::object();
    p["state"] = "i";
    p["set"] = 1;
    p["destination"] = "sip:127.0.0.1:5071";
    CPPUNIT_ASSERT(miSetState(*svc_, MiParams(p)).isOk());
    // The URI as the operator types it: any case matches (OpenSIPS compares ignoring case).
    p["state"] = "p";
    p["destination"] = "SIP:127.0.0.1:5070";
    CPPUNIT_ASSERT(miSetState(*svc_, MiParams(p)).isOk());
    CPPUNIT_ASSERT(stateOf("sip:127.0.0.1:5070") == DsState::kProbing);
    p["destination"] = "sip:127.0.0.1:5071";
    p["state"] = "z";
    CPPUNIT_ASSERT(!miSetState(*svc_, MiParams(p)).isOk());
    p["state"] = "a";
    p["set"] = 9;
    CPPUNIT_ASSERT(!miSetState(*svc_, MiParams(p)).isOk());
    Json l = miList(*svc_).value();
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), l["sets"].size());
    CPPUNIT_ASSERT_EQUAL(std::string("inactive"),
                         l["sets"][0]["destinations"][1]["state"].get<std::string>());
    CPPUNIT_ASSERT_EQUAL(std::int64_t(2), l["sets"][1]["id"].get<std::int64_t>());
  }

  void candidatesTravelInAvps() {
    start();
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(kInvite) == ParseError::kOk);
    ReceiveInfo rcv;
    MsgContext ctx(msg, rcv, kRequestRoute);
    auto c = svc_->select(1, Alg::kPriority, 0, 0).value();
    CPPUNIT_ASSERT(useDestination(ctx, c[0], false, "attrs").isOk());
    c.erase(c.begin());
    keepCandidates(ctx, c);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:127.0.0.1:5070"), ctx.dst_uri);
    // What tm does between the request route and failure_route.
    MsgContext fctx(msg, rcv, kFailureRoute);
    CPPUNIT_ASSERT(fctx.avps.deserialize(ctx.avps.serialize()));
    auto cur = currentDestination(fctx);
    CPPUNIT_ASSERT(cur.has_value() && cur->second == "sip:127.0.0.1:5070");
    auto n1 = takeCandidate(fctx);
    auto n2 = takeCandidate(fctx);
    CPPUNIT_ASSERT(n1.has_value() && n1->second == "sip:127.0.0.1:5071" && n1->first == 1);
    CPPUNIT_ASSERT(n2.has_value() && n2->second == "sip:127.0.0.1:5072");
    CPPUNIT_ASSERT(!takeCandidate(fctx).has_value());
    CPPUNIT_ASSERT(fctx.avps.get("attrs") != nullptr);
  }

  void selectDomainRewritesHostPort() {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(kInvite) == ParseError::kOk);
    ReceiveInfo rcv;
    MsgContext ctx(msg, rcv, kRequestRoute);
    CPPUNIT_ASSERT(useDestination(ctx, dests_[1], true, "").isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:+4930123@127.0.0.1:5071"), std::string(ctx.ruri()));
    CPPUNIT_ASSERT(ctx.dst_uri.empty());
  }

  void hashTextPicksMessageParts() {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(kInvite) == ParseError::kOk);
    ReceiveInfo rcv;
    MsgContext ctx(msg, rcv, kRequestRoute);
    CPPUNIT_ASSERT_EQUAL(std::string("abc@host"), *hashText(ctx, Alg::kHashCallId, nullptr));
    CPPUNIT_ASSERT_EQUAL(std::string("bob@example.org"), *hashText(ctx, Alg::kHashFrom, nullptr));
    CPPUNIT_ASSERT_EQUAL(std::string("+4930123@pstn.example.com"),
                         *hashText(ctx, Alg::kHashTo, nullptr));
    CPPUNIT_ASSERT_EQUAL(std::string("bob"), *hashText(ctx, Alg::kHashAuthUser, nullptr));
    CPPUNIT_ASSERT_EQUAL(std::string("+4930123@pstn.example.com"),
                         *hashText(ctx, Alg::kHashRuri, nullptr));
    Result<FormatPtr> f = Format::compile("$fU/$ci");
    CPPUNIT_ASSERT(f.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("bob/abc@host"),
                         *hashText(ctx, Alg::kHashPvar, f.value().get()));
    CPPUNIT_ASSERT_EQUAL(std::string(), *hashText(ctx, Alg::kHashPvar, nullptr));
    CPPUNIT_ASSERT_EQUAL(std::string("x"), avpNameOf("$avp(x)").value());
    CPPUNIT_ASSERT(!avpNameOf("$var(x)").isOk());
  }

  void uriHashesIgnoreParametersAndDefaultPort() {
    // The same number with and without ;user=phone, a display name, an explicit default
    // port or another host case goes to the same destination (OpenSIPS hashes user and
    // host[:port] only).
    const std::string key = uriHashKey("sip:+4930123@gw.example.com");
    CPPUNIT_ASSERT_EQUAL(std::string("+4930123@gw.example.com"), key);
    CPPUNIT_ASSERT_EQUAL(key, uriHashKey("sip:+4930123@gw.example.com;user=phone"));
    CPPUNIT_ASSERT_EQUAL(key, uriHashKey("sip:+4930123@GW.Example.com:5060;transport=udp"));
    CPPUNIT_ASSERT_EQUAL(key, uriHashKey("sip:+4930123@gw.example.com?Subject=x"));
    CPPUNIT_ASSERT_EQUAL(std::string("+4930123@gw.example.com:5080"),
                         uriHashKey("sip:+4930123@gw.example.com:5080;user=phone"));
    CPPUNIT_ASSERT_EQUAL(std::string("a@h"), uriHashKey("sips:a@h:5061"));
    CPPUNIT_ASSERT_EQUAL(std::string("a@h:5060"), uriHashKey("sips:a@h:5060"));
    CPPUNIT_ASSERT_EQUAL(std::string("+4930123"), uriHashKey("tel:+4930123;foo=bar"));
    CPPUNIT_ASSERT_EQUAL(std::string("not a uri"), uriHashKey("not a uri"));

    const std::string with_params =
        "INVITE sip:+4930123@pstn.example.com;user=phone SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
        "From: \"Bob\" <sip:bob@example.org;user=phone>;tag=other\r\n"
        "To: <sip:+4930123@pstn.example.com:5060;user=phone>\r\n"
        "Call-ID: abc@host\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    SipMessage a, b;
    CPPUNIT_ASSERT(a.parse(kInvite) == ParseError::kOk);
    CPPUNIT_ASSERT(b.parse(with_params) == ParseError::kOk);
    ReceiveInfo rcv;
    MsgContext ca(a, rcv, kRequestRoute), cb(b, rcv, kRequestRoute);
    for (Alg alg : {Alg::kHashFrom, Alg::kHashTo, Alg::kHashRuri}) {
      CPPUNIT_ASSERT_EQUAL(*hashText(ca, alg, nullptr), *hashText(cb, alg, nullptr));
    }
  }

  void authUserWithoutCredentialsGivesNoHash() {
    const std::string no_auth =
        "INVITE sip:+4930123@pstn.example.com SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
        "From: <sip:bob@example.org>;tag=ft\r\nTo: <sip:+4930123@pstn.example.com>\r\n"
        "Call-ID: abc@host\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(no_auth) == ParseError::kOk);
    ReceiveInfo rcv;
    MsgContext ctx(msg, rcv, kRequestRoute);
    // The caller then uses round robin (OpenSIPS), not a hash of the request-URI.
    CPPUNIT_ASSERT(!hashText(ctx, Alg::kHashAuthUser, nullptr).has_value());
  }

 private:
  DsState stateOf(const std::string& uri) {
    for (const DestView& v : svc_->snapshot()) {
      if (v.dest.uri == uri) return v.state;
    }
    CPPUNIT_FAIL("no such destination " + uri);
    return DsState::kInactive;
  }

  std::unique_ptr<shm::Segment> seg_;
  std::unique_ptr<Service> svc_;
  std::array<std::atomic<std::uint64_t>, 10> slots_;
  std::vector<Destination> dests_;
  bool load_error_ = false;
  bool bad_table_ = false;
  std::vector<std::pair<std::string, std::uint64_t>> sent_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(DispatcherServiceTest);

}  // namespace sipline::dispatcher
