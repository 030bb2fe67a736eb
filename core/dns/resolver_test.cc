#include "core/dns/resolver.h"

#include <arpa/inet.h>
#include <cppunit/extensions/HelperMacros.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "core/dns/dns_stats.h"
#include "test/udp_peer.h"

namespace sipline::dns {
namespace {

Settings settingsWith(const std::string& dns_server, int timeout_ms) {
  Settings s;
  s.sockets.push_back(parseSocketSpec("udp:127.0.0.1:5060").value());
  if (!dns_server.empty()) s.dns.servers = {dns_server};
  s.dns.timeout_ms = timeout_ms;
  return s;
}

SipTarget target(const char* ip, std::uint16_t port) {
  SipTarget t;
  CPPUNIT_ASSERT(SockAddr::fromNumeric(ip, port, t.addr));
  t.host = ip;
  return t;
}

}  // namespace

class ResolverTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ResolverTest);
  CPPUNIT_TEST(beforeSetUpOnlyNumericAddressesWork);
  CPPUNIT_TEST(nextHopGivesOnlyWhatWasWritten);
  CPPUNIT_TEST(setUpBuildsTheSharedTables);
  CPPUNIT_TEST(zeroSizesTurnCacheAndBlacklistOff);
  CPPUNIT_TEST(blacklistUsesTheDefaultDuration);
  CPPUNIT_TEST(silentServerFailsWithinTheTimeout);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    resetForTest();
    slot_.store(0);
    timeouts_.store(0);
    dnsStats().blacklisted.bindForTest(&slot_);
    dnsStats().timeouts.bindForTest(&timeouts_);
  }
  void tearDown() override {
    resetForTest();
    dnsStats().blacklisted.bindForTest(nullptr);
    dnsStats().timeouts.bindForTest(nullptr);
  }

  void beforeSetUpOnlyNumericAddressesWork() {
    Result<std::vector<SipTarget>> got = resolveTargets("192.0.2.1", 0, std::nullopt, false);
    CPPUNIT_ASSERT(got.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.1:5060"), got.value()[0].addr.toString());
    got = resolveTargets("example.com", 0, std::nullopt, false);
    CPPUNIT_ASSERT(got.status().code() == Code::kFailedPrecondition);
    CPPUNIT_ASSERT(sharedCache() == nullptr && sharedBlacklist() == nullptr);
    // The blacklist API is harmless without a blacklist.
    blacklist(target("192.0.2.1", 5060), 10, "timeout");
    CPPUNIT_ASSERT(!isBlacklisted(target("192.0.2.1", 5060)));
    CPPUNIT_ASSERT(!unblacklist(target("192.0.2.1", 5060)));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, slot_.load());
  }

  void nextHopGivesOnlyWhatWasWritten() {
    NextHop hop;
    hop.host = "[2001:db8::7]";
    hop.port = 5060;  // parseNextHop's default, not written
    Result<std::vector<SipTarget>> got = resolveTargets(hop);
    CPPUNIT_ASSERT(got.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("[2001:db8::7]:5060"), got.value()[0].addr.toString());
    hop.port = 5090;
    hop.port_set = true;
    CPPUNIT_ASSERT_EQUAL(std::string("[2001:db8::7]:5090"),
                         resolveTargets(hop).value()[0].addr.toString());
    hop.proto = Proto::kTcp;
    hop.proto_set = true;
    CPPUNIT_ASSERT(resolveTargets(hop).status().code() == Code::kUnsupported);
    hop.proto_set = false;
    hop.secure = true;
    CPPUNIT_ASSERT(resolveTargets(hop).status().code() == Code::kUnsupported);
  }

  void setUpBuildsTheSharedTables() {
    auto seg = std::move(shm::Segment::create(4 << 20).value());
    Settings s = settingsWith("127.0.0.1:9", 100);
    s.dns.cache_kb = 256;
    s.dns.blacklist_size = 100;
    CPPUNIT_ASSERT(dns::setUp(s, seg.get()).isOk());
    CPPUNIT_ASSERT(sharedCache() != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{256 * 1024}, sharedCache()->maxBytes());
    CPPUNIT_ASSERT(sharedBlacklist() != nullptr);
    CPPUNIT_ASSERT_EQUAL(128u, sharedBlacklist()->capacity());
    CPPUNIT_ASSERT(seg->find<DnsCacheShm>("dns.cache") != nullptr);
    // A second set-up in the same segment is refused, not doubled.
    Status again = dns::setUp(s, seg.get());
    CPPUNIT_ASSERT(again.code() == Code::kAlreadyExists);
  }

  void zeroSizesTurnCacheAndBlacklistOff() {
    auto seg = std::move(shm::Segment::create(1 << 20).value());
    Settings s = settingsWith("127.0.0.1:9", 100);
    s.dns.cache_kb = 0;
    s.dns.blacklist_time = 0;
    CPPUNIT_ASSERT(dns::setUp(s, seg.get()).isOk());
    CPPUNIT_ASSERT(sharedCache() == nullptr);
    CPPUNIT_ASSERT(sharedBlacklist() == nullptr);
    CPPUNIT_ASSERT(resolveTargets("192.0.2.1", 0, std::nullopt, false).isOk());
  }

  void blacklistUsesTheDefaultDuration() {
    auto seg = std::move(shm::Segment::create(1 << 20).value());
    Settings s = settingsWith("127.0.0.1:9", 100);
    s.dns.blacklist_time = 60;
    CPPUNIT_ASSERT(dns::setUp(s, seg.get()).isOk());
    const SipTarget t = target("192.0.2.1", 5060);
    blacklist(t, 0, "timeout");
    CPPUNIT_ASSERT(isBlacklisted(t));
    CPPUNIT_ASSERT(!isBlacklisted(target("192.0.2.1", 5061)));
    std::vector<Blacklist::Item> items = sharedBlacklist()->list(monotonicMs());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, items.size());
    const std::int64_t left = items[0].until_ms - monotonicMs();
    CPPUNIT_ASSERT_MESSAGE(std::to_string(left), left > 59000 && left <= 60000);
    CPPUNIT_ASSERT_EQUAL(std::string("timeout"), items[0].reason);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, slot_.load());
    CPPUNIT_ASSERT(unblacklist(t));
    CPPUNIT_ASSERT(!isBlacklisted(t));
  }

  void silentServerFailsWithinTheTimeout() {
    testing::UdpPeer server;  // never answers
    auto seg = std::move(shm::Segment::create(1 << 20).value());
    CPPUNIT_ASSERT(dns::setUp(settingsWith(server.address(), 200), seg.get()).isOk());
    const std::int64_t start = monotonicMs();
    Result<std::vector<SipTarget>> got = resolveTargets("example.test", 0, std::nullopt, false);
    const std::int64_t took = monotonicMs() - start;
    CPPUNIT_ASSERT(got.status().code() == Code::kUnavailable);
    CPPUNIT_ASSERT_MESSAGE(std::to_string(took), took >= 190 && took < 350);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, timeouts_.load());
    CPPUNIT_ASSERT_EQUAL(0u, sharedCache()->entries());  // a timeout is not cached
  }

 private:
  std::atomic<std::uint64_t> slot_{0};
  std::atomic<std::uint64_t> timeouts_{0};
};
CPPUNIT_TEST_SUITE_REGISTRATION(ResolverTest);

}  // namespace sipline::dns
