#include "core/media/relay_set.h"

#include <cppunit/extensions/HelperMacros.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <thread>

#include "core/shm/segment.h"

namespace sipline::media {
namespace {

// A loopback UDP "relay" the test drives by hand: binds 127.0.0.1 on a free port.
struct FakeRelay {
  int fd = -1;
  SockAddr addr;
  FakeRelay() {
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    SockAddr::fromNumeric("127.0.0.1", 0, addr);
    bind(fd, addr.sa(), addr.len);
    addr.len = sizeof(addr.ss);
    getsockname(fd, addr.sa(), &addr.len);
  }
  ~FakeRelay() { close(fd); }
  std::string url() const { return "udp:127.0.0.1:" + std::to_string(addr.port()); }
  // Receives one datagram (waits up to ms); returns "" on timeout.
  std::string recv(int ms, SockAddr& from) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, ms) <= 0) return "";
    char buf[2048];
    from.len = sizeof(from.ss);
    ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, from.sa(), &from.len);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
  }
  void send(const std::string& s, const SockAddr& to) {
    sendto(fd, s.data(), s.size(), 0, to.sa(), to.len);
  }
};

// Serves `count` requests: answers "<cookie> <reply>", optionally preceded by a stale reply.
std::thread serve(FakeRelay& relay, int count, std::string reply, bool stale_first = false) {
  return std::thread([&relay, count, reply, stale_first] {
    for (int i = 0; i < count; ++i) {
      SockAddr from;
      std::string req = relay.recv(2000, from);
      if (req.empty()) return;
      std::string cookie = req.substr(0, req.find(' '));
      if (stale_first) relay.send("0000000000000000 stale", from);
      relay.send(cookie + " " + reply, from);
    }
  });
}

}  // namespace

class RelaySetTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(RelaySetTest);
  CPPUNIT_TEST(parsesOneRelay);
  CPPUNIT_TEST(parsesIpv6AndWeights);
  CPPUNIT_TEST(parsesNumberedSets);
  CPPUNIT_TEST(rejectsBadInputNamingTheToken);
  CPPUNIT_TEST(pickIsDeterministicPerKey);
  CPPUNIT_TEST(pickFollowsWeights);
  CPPUNIT_TEST(downRelayMovesOnlyItsCalls);
  CPPUNIT_TEST(downRelayComesBackAfterTimeout);
  CPPUNIT_TEST(adminDisableSticksThroughHealthCheck);
  CPPUNIT_TEST(healthCheckReenablesAnsweringRelays);
  CPPUNIT_TEST(healthLivesInShm);
  CPPUNIT_TEST(clientGetsReplyAndIgnoresStaleOnes);
  CPPUNIT_TEST(clientRetransmitsThenGivesUpInTime);
  CPPUNIT_TEST(clientFailsOverAndMarksDown);
  CPPUNIT_TEST(clientFailsWhenAllRelaysAreDown);
  CPPUNIT_TEST(tooLargeCommandDisablesNoRelay);
  CPPUNIT_TEST(stickyRemembersForgetsAndExpires);
  CPPUNIT_TEST(stickyBucketEvictsTheOldest);
  CPPUNIT_TEST(stickyFlags);
  CPPUNIT_TEST(stickyLivesInShm);
  CPPUNIT_TEST(pickForPrefersTheRememberedRelay);
  CPPUNIT_TEST(teardownTargetsFallBackToTheWholeSet);
  CPPUNIT_TEST(callStaysOnItsRelayAfterRecovery);
  CPPUNIT_TEST(failoversCountOnlyWhenAnotherRelayTakesOver);
  CPPUNIT_TEST_SUITE_END();

 public:
  void parsesOneRelay() {
    auto r = parseRelaySockets("udp:127.0.0.1:2223");
    CPPUNIT_ASSERT(r.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, r.value().size());
    CPPUNIT_ASSERT_EQUAL(0u, r.value()[0].id);
    const RelaySpec& s = r.value()[0].relays.at(0);
    CPPUNIT_ASSERT_EQUAL(std::string("udp:127.0.0.1:2223"), s.url);
    CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1:2223"), s.addr.toString());
    CPPUNIT_ASSERT_EQUAL(1u, s.weight);
  }

  void parsesIpv6AndWeights() {
    auto r = parseRelaySockets("  udp:[::1]:2223=3\tudp:127.0.0.2:4000 ");
    CPPUNIT_ASSERT(r.isOk());
    const auto& relays = r.value().at(0).relays;
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, relays.size());
    CPPUNIT_ASSERT(relays[0].addr.isV6());
    CPPUNIT_ASSERT_EQUAL(std::string("[::1]:2223"), relays[0].addr.toString());
    CPPUNIT_ASSERT_EQUAL(std::string("udp:[::1]:2223"), relays[0].url);
    CPPUNIT_ASSERT_EQUAL(3u, relays[0].weight);
    CPPUNIT_ASSERT_EQUAL(1u, relays[1].weight);
  }

  void parsesNumberedSets() {
    auto r = parseRelaySockets("1 == udp:127.0.0.1:1 udp:127.0.0.1:2=2; 2 == udp:127.0.0.1:3;");
    CPPUNIT_ASSERT(r.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, r.value().size());
    CPPUNIT_ASSERT_EQUAL(1u, r.value()[0].id);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, r.value()[0].relays.size());
    CPPUNIT_ASSERT_EQUAL(2u, r.value()[1].id);
    RelaySets sets;
    CPPUNIT_ASSERT(
        sets.configure("1 == udp:127.0.0.1:1 udp:127.0.0.1:2; 2 == udp:127.0.0.1:3").isOk());
    CPPUNIT_ASSERT(sets.hasSet(1) && sets.hasSet(2) && !sets.hasSet(0));
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, sets.relayCount());
    CPPUNIT_ASSERT(sets.find("udp:127.0.0.1:3") == std::optional<std::size_t>(2));
    CPPUNIT_ASSERT(sets.find("1:udp:127.0.0.1:2") == std::optional<std::size_t>(1));
    CPPUNIT_ASSERT(!sets.find("udp:127.0.0.1:9"));
  }

  void rejectsBadInputNamingTheToken() {
    auto expect = [](const char* in, const char* fragment) {
      auto r = parseRelaySockets(in);
      CPPUNIT_ASSERT_MESSAGE(in, !r.isOk());
      CPPUNIT_ASSERT_MESSAGE(r.status().message(),
                             r.status().message().find(fragment) != std::string::npos);
    };
    expect("", "no relay socket");
    expect("tcp:127.0.0.1:1", "'tcp:127.0.0.1:1': expected udp:");
    expect("udp:127.0.0.1", "missing :PORT");
    expect("udp:127.0.0.1:0", "port must be");
    expect("udp:127.0.0.1:70000", "port must be");
    expect("udp:::1:2223", "needs brackets");
    expect("udp:[::1:2223", "missing ']'");
    expect("udp:localhost:2223", "not a numeric");
    expect("udp:127.0.0.1:1=0", "weight must be");
    expect("udp:127.0.0.1:1=x", "weight must be");
    expect("x == udp:127.0.0.1:1", "set number 'x'");
    expect("1 == udp:127.0.0.1:1; 1 == udp:127.0.0.1:2", "defined twice");
    expect("1 == ", "has no relay");
  }

  void pickIsDeterministicPerKey() {
    RelaySets sets = threeRelays("udp:127.0.0.1:1 udp:127.0.0.1:2 udp:127.0.0.1:3");
    std::map<std::size_t, int> seen;
    for (int i = 0; i < 60; ++i) {
      std::string key = "call-" + std::to_string(i) + "@host";
      auto a = sets.pick(0, key, nullptr, 1000);
      CPPUNIT_ASSERT(a);
      CPPUNIT_ASSERT(sets.pick(0, key, nullptr, 1000) == a);
      seen[*a]++;
    }
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, seen.size());  // every relay gets calls
    CPPUNIT_ASSERT(!sets.pick(7, "x", nullptr, 1000));  // unknown set
  }

  void pickFollowsWeights() {
    RelaySets sets = threeRelays("udp:127.0.0.1:1=1 udp:127.0.0.1:2=3");
    int heavy = 0;
    const int n = 4000;
    for (int i = 0; i < n; ++i) {
      if (*sets.pick(0, "k" + std::to_string(i), nullptr, 1000) == 1) ++heavy;
    }
    CPPUNIT_ASSERT_MESSAGE(std::to_string(heavy), heavy > n * 70 / 100 && heavy < n * 80 / 100);
  }

  void downRelayMovesOnlyItsCalls() {
    RelaySets sets = threeRelays("udp:127.0.0.1:1 udp:127.0.0.1:2 udp:127.0.0.1:3");
    std::vector<std::size_t> before;
    for (int i = 0; i < 100; ++i) before.push_back(*sets.pick(0, std::to_string(i), nullptr, 1000));
    sets.markDown(1, 1000);
    for (int i = 0; i < 100; ++i) {
      std::size_t now = *sets.pick(0, std::to_string(i), nullptr, 1000);
      CPPUNIT_ASSERT(now != 1);
      if (before[i] != 1) CPPUNIT_ASSERT_EQUAL(before[i], now);
    }
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, sets.downCount(1000));
  }

  void downRelayComesBackAfterTimeout() {
    RelaySets sets = threeRelays("udp:127.0.0.1:1");
    sets.setDisableTimeout(10);
    sets.markDown(0, 1000);
    CPPUNIT_ASSERT(!sets.pick(0, "k", nullptr, 5000));
    CPPUNIT_ASSERT(!sets.status(0, 5000).up);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{6000}, sets.status(0, 5000).down_for_ms);
    CPPUNIT_ASSERT(sets.pick(0, "k", nullptr, 11000));
    CPPUNIT_ASSERT(sets.status(0, 11000).up);
  }

  void adminDisableSticksThroughHealthCheck() {
    RelaySets sets = threeRelays("udp:127.0.0.1:1 udp:127.0.0.1:2");
    sets.setAdminDisabled(0, true);
    int probes = 0;
    sets.healthCheck([&](std::size_t) { return ++probes, true; }, 1000);
    CPPUNIT_ASSERT_EQUAL(0, probes);
    CPPUNIT_ASSERT(sets.status(0, 999999).admin_disabled);
    for (int i = 0; i < 20; ++i) CPPUNIT_ASSERT(*sets.pick(0, std::to_string(i), nullptr, 1) == 1);
    sets.setAdminDisabled(0, false);
    CPPUNIT_ASSERT(sets.status(0, 1).up);
  }

  void healthCheckReenablesAnsweringRelays() {
    RelaySets sets = threeRelays("udp:127.0.0.1:1 udp:127.0.0.1:2 udp:127.0.0.1:3");
    sets.setDisableTimeout(60);
    sets.markDown(0, 1000);
    sets.markDown(2, 1000);
    std::vector<std::size_t> probed;
    std::size_t revived = sets.healthCheck(
        [&](std::size_t i) {
          probed.push_back(i);
          return i == 0;
        },
        2000);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, revived);
    CPPUNIT_ASSERT((probed == std::vector<std::size_t>{0, 2}));
    CPPUNIT_ASSERT(sets.status(0, 2000).up);
    // The relay that stayed silent is down for another full timeout from the check.
    CPPUNIT_ASSERT_EQUAL(std::int64_t{60000}, sets.status(2, 2000).down_for_ms);
  }

  void healthLivesInShm() {
    auto seg = std::move(shm::Segment::create(4 << 20).value());
    RelaySets a;
    CPPUNIT_ASSERT(a.configure("udp:127.0.0.1:1 udp:127.0.0.1:2").isOk());
    CPPUNIT_ASSERT(a.init(*seg, "test.relays").isOk());
    pid_t pid = fork();
    if (pid == 0) {
      a.markDown(1, 1000);  // a worker's verdict...
      _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CPPUNIT_ASSERT(!a.status(1, 1000).up);  // ...is seen by every process
    CPPUNIT_ASSERT(a.status(0, 1000).up);
    CPPUNIT_ASSERT(!a.init(*seg, "test.relays").isOk());  // constructed once
  }

  void clientGetsReplyAndIgnoresStaleOnes() {
    FakeRelay relay;
    RelaySets sets = threeRelays(relay.url());
    RelayClient client(sets, RelayClientOptions{500, 1});
    std::thread t = serve(relay, 1, "d6:result4:ponge", true);
    auto r = client.exchange(0, "d7:command4:pinge");
    t.join();
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("d6:result4:ponge"), r.value());
  }

  void clientRetransmitsThenGivesUpInTime() {
    FakeRelay relay;  // never answers
    RelaySets sets = threeRelays(relay.url());
    RelayClient client(sets, RelayClientOptions{100, 2});
    std::int64_t start = monotonicMs();
    auto r = client.exchange(0, "V");
    std::int64_t took = monotonicMs() - start;
    CPPUNIT_ASSERT(!r.isOk());
    CPPUNIT_ASSERT(r.status().code() == Code::kUnavailable);
    CPPUNIT_ASSERT_MESSAGE(std::to_string(took), took >= 290 && took < 600);
    int copies = 0;
    SockAddr from;
    std::string first;
    for (std::string got; !(got = relay.recv(0, from)).empty(); ++copies) {
      if (first.empty()) first = got;
      CPPUNIT_ASSERT_EQUAL(first, got);  // retransmissions reuse the cookie
    }
    CPPUNIT_ASSERT_EQUAL(3, copies);
    CPPUNIT_ASSERT(first.size() == 18 && first.substr(16) == " V");
  }

  void clientFailsOverAndMarksDown() {
    FakeRelay dead;
    FakeRelay live;
    RelaySets sets = threeRelays("1 == " + dead.url() + " " + live.url());
    RelayClient client(sets, RelayClientOptions{50, 0});
    // A key that the dead relay would get.
    std::string key;
    for (int i = 0; i < 100 && key.empty(); ++i) {
      if (*sets.pick(1, std::to_string(i)) == 0) key = std::to_string(i);
    }
    CPPUNIT_ASSERT(!key.empty());
    std::thread t = serve(live, 2, "ok");
    unsigned failovers = 99;
    auto r = client.request(1, key, "cmd", &failovers);
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, r.value().relay);
    CPPUNIT_ASSERT_EQUAL(1u, failovers);
    CPPUNIT_ASSERT(!sets.status(0).up);
    // The next request of that call goes straight to the live relay.
    auto again = client.request(1, key, "cmd", &failovers);
    t.join();
    CPPUNIT_ASSERT(again.isOk());
    CPPUNIT_ASSERT_EQUAL(0u, failovers);
    CPPUNIT_ASSERT(!client.request(2, key, "cmd").isOk());  // unknown set
  }

  void clientFailsWhenAllRelaysAreDown() {
    FakeRelay a;
    FakeRelay b;
    RelaySets sets = threeRelays(a.url() + " " + b.url());
    RelayClient client(sets, RelayClientOptions{30, 0});
    unsigned failovers = 0;
    auto r = client.request(0, "k", "cmd", &failovers);
    CPPUNIT_ASSERT(!r.isOk());
    CPPUNIT_ASSERT(r.status().code() == Code::kUnavailable);
    CPPUNIT_ASSERT_EQUAL(0u, failovers);  // no relay took over: no failover
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, sets.downCount());
    // Now nothing is even tried: fails at once.
    std::int64_t start = monotonicMs();
    CPPUNIT_ASSERT(!client.request(0, "k", "cmd", &failovers).isOk());
    CPPUNIT_ASSERT(monotonicMs() - start < 20);
    CPPUNIT_ASSERT_EQUAL(0u, failovers);
  }

  // A command that cannot fit one UDP datagram (a huge SDP, which a client can send over TCP)
  // is the message's fault, not the relays': it fails at once and every relay stays up.
  void tooLargeCommandDisablesNoRelay() {
    FakeRelay a;
    FakeRelay b;
    RelaySets sets = threeRelays(a.url() + " " + b.url());
    RelayClient client(sets, RelayClientOptions{30, 0});
    unsigned failovers = 99;
    std::int64_t start = monotonicMs();
    auto r = client.request(0, "k", std::string(70000, 'x'), &failovers);
    CPPUNIT_ASSERT(!r.isOk());
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.status().code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT(monotonicMs() - start < 20);
    CPPUNIT_ASSERT_EQUAL(0u, failovers);
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, sets.downCount());
    CPPUNIT_ASSERT(client.exchange(0, std::string(70000, 'x')).status().code() ==
                   Code::kInvalidArgument);
    CPPUNIT_ASSERT(!client.post(1, std::string(70000, 'x')).isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, sets.downCount());
    // A normal command still goes through, to the relay the key picks.
    std::thread t = serve(*sets.pick(0, "k") == 0 ? a : b, 1, "ok");
    auto ok = client.request(0, "k", "cmd");
    t.join();
    CPPUNIT_ASSERT_MESSAGE(ok.status().message(), ok.isOk());
  }

  void stickyRemembersForgetsAndExpires() {
    RelaySets sets = threeRelays("udp:127.0.0.1:1 udp:127.0.0.1:2");
    sets.setStickyTtl(10);
    CPPUNIT_ASSERT_EQUAL(-1, sets.relayOf("c1", 1000));
    sets.remember("c1", 1, 1000);
    sets.remember("c2", 0, 1000);
    CPPUNIT_ASSERT_EQUAL(1, sets.relayOf("c1", 1000));
    CPPUNIT_ASSERT_EQUAL(0, sets.relayOf("c2", 1000));
    sets.remember("c1", 0, 1000);  // moved
    CPPUNIT_ASSERT_EQUAL(0, sets.relayOf("c1", 1000));
    sets.forget("c1");
    CPPUNIT_ASSERT_EQUAL(-1, sets.relayOf("c1", 1000));
    // Use refreshes: c2 used at 9000 lives until 19000.
    CPPUNIT_ASSERT_EQUAL(0, sets.relayOf("c2", 9000));
    CPPUNIT_ASSERT_EQUAL(0, sets.relayOf("c2", 18999));
    CPPUNIT_ASSERT_EQUAL(-1, sets.relayOf("c2", 28999 + 1));
    sets.remember("c3", 7, 1000);  // no such relay: ignored
    CPPUNIT_ASSERT_EQUAL(-1, sets.relayOf("c3", 1000));
    sets.remember("", 0, 1000);
    CPPUNIT_ASSERT_EQUAL(-1, sets.relayOf("", 1000));
    RelaySets uninit;  // no table: nothing remembered, nothing crashes
    CPPUNIT_ASSERT(uninit.configure("udp:127.0.0.1:1").isOk());
    uninit.remember("c", 0, 1);
    CPPUNIT_ASSERT_EQUAL(-1, uninit.relayOf("c", 1));
  }

  void stickyBucketEvictsTheOldest() {
    RelaySets sets = threeRelays("udp:127.0.0.1:1 udp:127.0.0.1:2");
    // Far more calls than the table holds: the newest are all there, the table stays bounded.
    const int n = static_cast<int>(kStickyBuckets * kStickyWays) * 2;
    for (int i = 0; i < n; ++i) sets.remember("call-" + std::to_string(i), i % 2, 1000 + i);
    int newest_kept = 0;
    for (int i = n - 100; i < n; ++i) {
      if (sets.relayOf("call-" + std::to_string(i), 1000 + n) == i % 2) ++newest_kept;
    }
    CPPUNIT_ASSERT_EQUAL(100, newest_kept);
    int kept = 0;
    for (int i = 0; i < n; ++i) {
      if (sets.relayOf("call-" + std::to_string(i), 1000 + n) >= 0) ++kept;
    }
    CPPUNIT_ASSERT(kept <= static_cast<int>(kStickyBuckets * kStickyWays));
    CPPUNIT_ASSERT(kept > static_cast<int>(kStickyBuckets * kStickyWays) * 9 / 10);
  }

  void stickyFlags() {
    RelaySets sets = threeRelays("udp:127.0.0.1:1 udp:127.0.0.1:2");
    CPPUNIT_ASSERT(!sets.updateCallFlags("c", kCallAnswered, 0, 1000));  // unknown call
    CPPUNIT_ASSERT_EQUAL(0u, sets.callFlags("c", 1000));
    sets.remember("c", 1, 1000);
    CPPUNIT_ASSERT(sets.updateCallFlags("c", kCallLateOffer | kCallAnswered, 0, 1000));
    CPPUNIT_ASSERT(sets.updateCallFlags("c", 0, kCallLateOffer, 1000));
    CPPUNIT_ASSERT_EQUAL(kCallAnswered, sets.callFlags("c", 1000));
    // Deleted: kept a short while, not refreshed; remembering again revives it.
    CPPUNIT_ASSERT(sets.updateCallFlags("c", kCallDeleted, 0, 2000));
    CPPUNIT_ASSERT_EQUAL(1, sets.relayOf("c", 2000 + kStickyDeletedTtlMs - 1));
    CPPUNIT_ASSERT_EQUAL(-1, sets.relayOf("c", 2000 + kStickyDeletedTtlMs));
    sets.remember("c", 0, 5000);
    CPPUNIT_ASSERT(sets.updateCallFlags("c", kCallDeleted, 0, 5000));
    sets.remember("c", 0, 5000);
    CPPUNIT_ASSERT_EQUAL(0u, sets.callFlags("c", 5000) & kCallDeleted);
    CPPUNIT_ASSERT_EQUAL(0, sets.relayOf("c", 5000 + kStickyDeletedTtlMs + 1));
  }

  void stickyLivesInShm() {
    auto seg = std::move(shm::Segment::create(4 << 20).value());
    RelaySets a;
    CPPUNIT_ASSERT(a.configure("udp:127.0.0.1:1 udp:127.0.0.1:2").isOk());
    CPPUNIT_ASSERT(a.init(*seg, "test.sticky").isOk());
    pid_t pid = fork();
    if (pid == 0) {
      a.remember("call-x", 1);  // the worker that took the offer...
      _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CPPUNIT_ASSERT_EQUAL(1, a.relayOf("call-x"));  // ...is known to every process
  }

  void pickForPrefersTheRememberedRelay() {
    RelaySets sets = threeRelays("1 == udp:127.0.0.1:1 udp:127.0.0.1:2; 2 == udp:127.0.0.1:3");
    std::string key = keyPicking(sets, 1, 0);
    CPPUNIT_ASSERT(sets.pickFor(1, key, nullptr, 1000) == std::optional<std::size_t>(0));
    sets.remember(key, 1, 1000);
    CPPUNIT_ASSERT(sets.pickFor(1, key, nullptr, 1000) == std::optional<std::size_t>(1));
    // Excluded (tried already) or down: back to pick().
    std::vector<bool> tried{false, true, false};
    CPPUNIT_ASSERT(sets.pickFor(1, key, &tried, 1000) == std::optional<std::size_t>(0));
    sets.markDown(1, 1000);
    CPPUNIT_ASSERT(sets.pickFor(1, key, nullptr, 1000) == std::optional<std::size_t>(0));
    // A relay of another set is never used for this set.
    sets.remember(key, 2, 1000);
    CPPUNIT_ASSERT(sets.pickFor(1, key, nullptr, 1000) == std::optional<std::size_t>(0));
  }

  void teardownTargetsFallBackToTheWholeSet() {
    RelaySets sets = threeRelays("1 == udp:127.0.0.1:1 udp:127.0.0.1:2; 2 == udp:127.0.0.1:3");
    CPPUNIT_ASSERT((sets.teardownTargets(1, "c", 1000) == std::vector<std::size_t>{0, 1}));
    sets.remember("c", 1, 1000);
    sets.markDown(1, 1000);  // down or not, the call lives there
    CPPUNIT_ASSERT((sets.teardownTargets(1, "c", 1000) == std::vector<std::size_t>{1}));
    CPPUNIT_ASSERT((sets.teardownTargets(2, "c", 1000) == std::vector<std::size_t>{2}));
  }

  // Review item 2: A silent at the offer, B takes the call, A recovers: the answer still goes
  // to B.
  void callStaysOnItsRelayAfterRecovery() {
    FakeRelay a;
    FakeRelay b;
    RelaySets sets = threeRelays(a.url() + " " + b.url());
    RelayClient client(sets, RelayClientOptions{50, 0});
    std::string key = keyPicking(sets, 0, 0);
    std::thread tb = serve(b, 2, "ok");
    auto offer = client.request(0, key, "offer");
    CPPUNIT_ASSERT(offer.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, offer.value().relay);
    sets.remember(key, static_cast<int>(offer.value().relay));
    SockAddr from;
    CPPUNIT_ASSERT(!a.recv(0, from).empty());  // A got the offer but stayed silent
    sets.markUp(0);                            // A is back
    auto answer = client.request(0, key, "answer");
    tb.join();
    CPPUNIT_ASSERT(answer.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, answer.value().relay);
    CPPUNIT_ASSERT(a.recv(0, from).empty());
    CPPUNIT_ASSERT((sets.teardownTargets(0, key) == std::vector<std::size_t>{1}));
  }

  // Review item 11: a relay that times out when no other relay is left is no failover.
  void failoversCountOnlyWhenAnotherRelayTakesOver() {
    FakeRelay a;
    FakeRelay b;
    RelaySets sets = threeRelays(a.url() + " " + b.url());
    RelayClient client(sets, RelayClientOptions{30, 0});
    sets.markDown(1);
    unsigned failovers = 99;
    CPPUNIT_ASSERT(!client.request(0, "k", "cmd", &failovers).isOk());
    CPPUNIT_ASSERT_EQUAL(0u, failovers);
  }

 private:
  // A key pick() gives relay `relay` of `set` while every relay is up.
  static std::string keyPicking(const RelaySets& sets, unsigned set, std::size_t relay) {
    for (int i = 0; i < 1000; ++i) {
      std::string key = "call-" + std::to_string(i);
      if (sets.pick(set, key, nullptr, 0) == std::optional<std::size_t>(relay)) return key;
    }
    CPPUNIT_FAIL("no key for the relay");
    return "";
  }

  static RelaySets threeRelays(const std::string& param) {
    RelaySets sets;
    CPPUNIT_ASSERT(sets.configure(param).isOk());
    sets.initPrivateForTest();
    return sets;
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(RelaySetTest);

}  // namespace sipline::media
