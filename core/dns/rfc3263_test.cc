#include "core/dns/rfc3263.h"

#include <arpa/inet.h>
#include <cppunit/extensions/HelperMacros.h>

#include <map>
#include <string>
#include <utility>

#include "core/dns/dns_stats.h"

namespace sipline::dns {
namespace {

// Canned answers by (name, type); anything else is NXDOMAIN. Records every question.
class FakeClient : public DnsClient {
 public:
  std::vector<DnsAnswer> query(const std::vector<DnsQuestion>& questions,
                               std::int64_t deadline_ms) override {
    last_deadline = deadline_ms;
    ++batches;
    std::vector<DnsAnswer> out;
    for (const DnsQuestion& q : questions) {
      asked.push_back(std::string(rrTypeName(q.type)) + " " + q.name);
      auto it = answers.find({q.name, q.type});
      DnsAnswer a;
      a.rcode = Rcode::kNxDomain;
      out.push_back(it != answers.end() ? it->second : a);
    }
    return out;
  }
  void a(const std::string& name, std::initializer_list<const char*> ips, std::uint32_t ttl = 60) {
    DnsAnswer ans;
    ans.rcode = Rcode::kOk;
    ans.ttl = ttl;
    for (const char* ip : ips) {
      IpAddress addr;
      addr.family = std::string(ip).find(':') != std::string::npos ? AF_INET6 : AF_INET;
      inet_pton(addr.family, ip, addr.bytes);
      ans.addrs.push_back(addr);
    }
    answers[{name, addr_family_type(ans)}] = ans;
  }
  void srv(const std::string& name, std::vector<SrvRecord> records, std::uint32_t ttl = 60) {
    DnsAnswer ans;
    ans.rcode = Rcode::kOk;
    ans.ttl = ttl;
    ans.srv = std::move(records);
    answers[{name, RrType::kSrv}] = ans;
  }
  void naptr(const std::string& name, std::vector<NaptrRecord> records) {
    DnsAnswer ans;
    ans.rcode = Rcode::kOk;
    ans.ttl = 60;
    ans.naptr = std::move(records);
    answers[{name, RrType::kNaptr}] = ans;
  }
  void fail(const std::string& name, RrType type, Rcode rcode) {
    DnsAnswer ans;
    ans.rcode = rcode;
    ans.error = rcode == Rcode::kTimeout ? "no answer in time" : "server failure";
    answers[{name, type}] = ans;
  }

  std::map<std::pair<std::string, RrType>, DnsAnswer> answers;
  std::vector<std::string> asked;
  int batches = 0;
  std::int64_t last_deadline = 0;

 private:
  static RrType addr_family_type(const DnsAnswer& a) {
    return !a.addrs.empty() && a.addrs[0].family == AF_INET6 ? RrType::kAaaa : RrType::kA;
  }
};

std::vector<std::string> shown(const std::vector<SipTarget>& targets) {
  std::vector<std::string> out;
  for (const SipTarget& t : targets) {
    out.push_back(std::string(protoName(t.proto)) + ":" + t.addr.toString() + " " + t.host);
  }
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += s + "\n";
  return out;
}

#define ASSERT_LIST(want, got) \
  CPPUNIT_ASSERT_EQUAL(joined(std::vector<std::string> want), joined(got))

std::unique_ptr<shm::Segment> segmentOf(std::size_t bytes) {
  Result<std::unique_ptr<shm::Segment>> seg = shm::Segment::create(bytes);
  CPPUNIT_ASSERT(seg.isOk());
  return std::move(seg.value());
}

}  // namespace

class Rfc3263Test : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(Rfc3263Test);
  CPPUNIT_TEST(numericHostNeedsNoDns);
  CPPUNIT_TEST(numericHostHonoursTransportAndScheme);
  CPPUNIT_TEST(nameWithPortAsksForAddressesOnly);
  CPPUNIT_TEST(naptrSrvAddressChain);
  CPPUNIT_TEST(withoutNaptrTheUdpSrvIsAsked);
  CPPUNIT_TEST(withoutSrvTheHostIsTakenAt5060);
  CPPUNIT_TEST(transportParamSkipsNaptr);
  CPPUNIT_TEST(naptrDisabledGoesStraightToSrv);
  CPPUNIT_TEST(severalAddressesAndSrvOrderGiveTheList);
  CPPUNIT_TEST(ipv6AddressesFollowIpv4WhenEnabled);
  CPPUNIT_TEST(cacheAnswersTheSecondResolution);
  CPPUNIT_TEST(cachedTtlIsClampedAndExpires);
  CPPUNIT_TEST(negativeAnswersAreCachedBriefly);
  CPPUNIT_TEST(blacklistedTargetsGoLast);
  CPPUNIT_TEST(timeoutIsUnavailableAndCounted);
  CPPUNIT_TEST(partialAnswersSurviveATimeout);
  CPPUNIT_TEST(unknownNameIsNotFound);
  CPPUNIT_TEST(serverFailureIsUnavailable);
  CPPUNIT_TEST(srvDotTargetMeansNoService);
  CPPUNIT_TEST(badInputIsRefusedWithoutQueries);
  CPPUNIT_TEST(deadlineCoversTheWholeResolution);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    DnsStats& s = dnsStats();
    for (std::size_t i = 0; i < kSlots; ++i) slots_[i].store(0);
    StatCounter* counters[kSlots] = {&s.queries,     &s.cache_hits,      &s.failures,  &s.timeouts,
                                     &s.blacklisted, &s.blacklist_skips, &s.cache_full};
    for (std::size_t i = 0; i < kSlots; ++i) counters[i]->bindForTest(&slots_[i]);
  }
  void tearDown() override {
    DnsStats& s = dnsStats();
    for (StatCounter* c : {&s.queries, &s.cache_hits, &s.failures, &s.timeouts, &s.blacklisted,
                           &s.blacklist_skips, &s.cache_full}) {
      c->bindForTest(nullptr);
    }
  }

  void numericHostNeedsNoDns() {
    Rfc3263Resolver r = resolver();
    Result<std::vector<SipTarget>> got = r.resolve("192.0.2.5", 0, std::nullopt, false);
    CPPUNIT_ASSERT(got.isOk());
    ASSERT_LIST(({"udp:192.0.2.5:5060 192.0.2.5"}), shown(got.value()));
    got = r.resolve("[2001:db8::5]", 5080, std::nullopt, false);
    CPPUNIT_ASSERT(got.isOk());
    ASSERT_LIST(({"udp:[2001:db8::5]:5080 [2001:db8::5]"}), shown(got.value()));
    CPPUNIT_ASSERT(client_.asked.empty());
  }

  void numericHostHonoursTransportAndScheme() {
    Rfc3263Resolver r = resolver();
    CPPUNIT_ASSERT(r.resolve("192.0.2.5", 0, Proto::kTcp, false).status().code() ==
                   Code::kUnsupported);
    CPPUNIT_ASSERT(r.resolve("192.0.2.5", 0, std::nullopt, true).status().code() ==
                   Code::kUnsupported);
    CPPUNIT_ASSERT(r.resolve("192.0.2.5", 0, Proto::kUdp, true).status().code() ==
                   Code::kInvalidArgument);
    config_.transports = TransportSet{true, true, true};
    Rfc3263Resolver all = resolver();
    ASSERT_LIST(({"tls:192.0.2.5:5061 192.0.2.5"}),
                shown(all.resolve("192.0.2.5", 0, std::nullopt, true).value()));
    ASSERT_LIST(({"tcp:192.0.2.5:5060 192.0.2.5"}),
                shown(all.resolve("192.0.2.5", 0, Proto::kTcp, false).value()));
    CPPUNIT_ASSERT(client_.asked.empty());
  }

  void nameWithPortAsksForAddressesOnly() {
    client_.a("gw.example.com", {"192.0.2.1", "192.0.2.2"});
    Rfc3263Resolver r = resolver();
    Result<std::vector<SipTarget>> got = r.resolve("GW.Example.com.", 5070, std::nullopt, false);
    CPPUNIT_ASSERT(got.isOk());
    ASSERT_LIST(({"udp:192.0.2.1:5070 gw.example.com", "udp:192.0.2.2:5070 gw.example.com"}),
                shown(got.value()));
    ASSERT_LIST(({"A gw.example.com"}), client_.asked);
  }

  void naptrSrvAddressChain() {
    client_.naptr("example.com", {{10, 10, "s", "SIP+D2T", "", "_sip._tcp.example.com"},
                                  {20, 10, "s", "SIP+D2U", "", "_sip._udp.example.com"}});
    client_.srv("_sip._udp.example.com", {{10, 0, 5070, "sip1.example.com"}});
    client_.srv("_sip._tcp.example.com", {{10, 0, 5071, "tcp.example.com"}});
    client_.a("sip1.example.com", {"192.0.2.10"});
    Rfc3263Resolver r = resolver();
    Result<std::vector<SipTarget>> got = r.resolve("example.com", 0, std::nullopt, false);
    CPPUNIT_ASSERT_MESSAGE(got.status().message(), got.isOk());
    ASSERT_LIST(({"udp:192.0.2.10:5070 sip1.example.com"}), shown(got.value()));
    // TCP is not usable: its SRV is never asked. Three round trips.
    ASSERT_LIST(({"NAPTR example.com", "SRV _sip._udp.example.com", "A sip1.example.com"}),
                client_.asked);
    CPPUNIT_ASSERT_EQUAL(3, client_.batches);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{3}, slots_[0].load());  // dns:queries
  }

  void withoutNaptrTheUdpSrvIsAsked() {
    client_.srv("_sip._udp.example.com", {{10, 0, 5062, "sip1.example.com"}});
    client_.a("sip1.example.com", {"192.0.2.11"});
    Rfc3263Resolver r = resolver();
    ASSERT_LIST(({"udp:192.0.2.11:5062 sip1.example.com"}),
                shown(r.resolve("example.com", 0, std::nullopt, false).value()));
    ASSERT_LIST(({"NAPTR example.com", "SRV _sip._udp.example.com", "A sip1.example.com"}),
                client_.asked);
  }

  void withoutSrvTheHostIsTakenAt5060() {
    client_.a("example.com", {"192.0.2.12"});
    Rfc3263Resolver r = resolver();
    ASSERT_LIST(({"udp:192.0.2.12:5060 example.com"}),
                shown(r.resolve("example.com", 0, std::nullopt, false).value()));
    ASSERT_LIST(({"NAPTR example.com", "SRV _sip._udp.example.com", "A example.com"}),
                client_.asked);
  }

  void transportParamSkipsNaptr() {
    client_.srv("_sip._udp.example.com", {{10, 0, 5062, "sip1.example.com"}});
    client_.a("sip1.example.com", {"192.0.2.11"});
    Rfc3263Resolver r = resolver();
    CPPUNIT_ASSERT(r.resolve("example.com", 0, Proto::kUdp, false).isOk());
    ASSERT_LIST(({"SRV _sip._udp.example.com", "A sip1.example.com"}), client_.asked);
    CPPUNIT_ASSERT(r.resolve("example.com", 0, Proto::kTcp, false).status().code() ==
                   Code::kUnsupported);
  }

  void naptrDisabledGoesStraightToSrv() {
    config_.try_naptr = false;
    client_.a("example.com", {"192.0.2.12"});
    Rfc3263Resolver r = resolver();
    CPPUNIT_ASSERT(r.resolve("example.com", 0, std::nullopt, false).isOk());
    ASSERT_LIST(({"SRV _sip._udp.example.com", "A example.com"}), client_.asked);
  }

  void severalAddressesAndSrvOrderGiveTheList() {
    client_.srv("_sip._udp.example.com", {{20, 0, 5090, "backup.example.com"},
                                          {10, 10, 5080, "b.example.com"},
                                          {10, 90, 5070, "a.example.com"}});
    client_.a("a.example.com", {"192.0.2.1", "192.0.2.2"});
    client_.a("b.example.com", {"192.0.2.3"});
    client_.a("backup.example.com", {"192.0.2.9", "192.0.2.1"});
    draws_ = {50, 0};  // weights b=10, a=90 (running 10, 100): 50 picks a, then b
    Rfc3263Resolver r = resolver();
    Result<std::vector<SipTarget>> got = r.resolve("example.com", 0, std::nullopt, false);
    CPPUNIT_ASSERT(got.isOk());
    ASSERT_LIST(({"udp:192.0.2.1:5070 a.example.com", "udp:192.0.2.2:5070 a.example.com",
                  "udp:192.0.2.3:5080 b.example.com", "udp:192.0.2.9:5090 backup.example.com",
                  "udp:192.0.2.1:5090 backup.example.com"}),
                shown(got.value()));
    // The three address lookups go out together.
    CPPUNIT_ASSERT_EQUAL(3, client_.batches);
  }

  void ipv6AddressesFollowIpv4WhenEnabled() {
    config_.try_ipv6 = true;
    client_.a("gw.example.com", {"192.0.2.1"});
    client_.a("gw.example.com", {"2001:db8::1"});
    Rfc3263Resolver r = resolver();
    ASSERT_LIST(({"udp:192.0.2.1:5060 gw.example.com", "udp:[2001:db8::1]:5060 gw.example.com"}),
                shown(r.resolve("gw.example.com", 5060, std::nullopt, false).value()));
    ASSERT_LIST(({"A gw.example.com", "AAAA gw.example.com"}), client_.asked);
    config_.try_ipv6 = false;
    client_.asked.clear();
    Rfc3263Resolver v4only = resolver();
    ASSERT_LIST(({"udp:192.0.2.1:5060 gw.example.com"}),
                shown(v4only.resolve("gw.example.com", 5060, std::nullopt, false).value()));
    ASSERT_LIST(({"A gw.example.com"}), client_.asked);
  }

  void cacheAnswersTheSecondResolution() {
    auto seg = segmentOf(1 << 20);
    DnsCache cache = DnsCache::create(*seg, 64 * 1024).value();
    client_.srv("_sip._udp.example.com", {{10, 0, 5062, "sip1.example.com"}});
    client_.a("sip1.example.com", {"192.0.2.11"});
    Rfc3263Resolver r = resolver(&cache);
    CPPUNIT_ASSERT(r.resolve("example.com", 0, std::nullopt, false).isOk());
    const std::size_t asked = client_.asked.size();
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, asked);
    Result<std::vector<SipTarget>> again = r.resolve("example.com", 0, std::nullopt, false);
    CPPUNIT_ASSERT(again.isOk());
    ASSERT_LIST(({"udp:192.0.2.11:5062 sip1.example.com"}), shown(again.value()));
    CPPUNIT_ASSERT_EQUAL(asked, client_.asked.size());         // nothing asked again
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{3}, slots_[1].load());  // dns:cache_hits (NAPTR too)
  }

  void cachedTtlIsClampedAndExpires() {
    auto seg = segmentOf(1 << 20);
    DnsCache cache = DnsCache::create(*seg, 64 * 1024).value();
    config_.min_ttl = 10;
    config_.max_ttl = 100;
    client_.a("short.example.com", {"192.0.2.1"}, 0);     // TTL 0: kept min_ttl
    client_.a("long.example.com", {"192.0.2.2"}, 86400);  // a day: kept max_ttl
    Rfc3263Resolver r = resolver(&cache);
    CPPUNIT_ASSERT(r.resolve("short.example.com", 5060, std::nullopt, false).isOk());
    CPPUNIT_ASSERT(r.resolve("long.example.com", 5060, std::nullopt, false).isOk());
    CPPUNIT_ASSERT_EQUAL(10u, cache.get("short.example.com", RrType::kA, now_)->ttl);
    CPPUNIT_ASSERT_EQUAL(100u, cache.get("long.example.com", RrType::kA, now_)->ttl);
    now_ += 10 * 1000;
    client_.asked.clear();
    CPPUNIT_ASSERT(r.resolve("short.example.com", 5060, std::nullopt, false).isOk());
    CPPUNIT_ASSERT(r.resolve("long.example.com", 5060, std::nullopt, false).isOk());
    ASSERT_LIST(({"A short.example.com"}), client_.asked);  // only the expired one
    now_ += 90 * 1000;
    client_.asked.clear();
    CPPUNIT_ASSERT(r.resolve("long.example.com", 5060, std::nullopt, false).isOk());
    ASSERT_LIST(({"A long.example.com"}), client_.asked);
  }

  void negativeAnswersAreCachedBriefly() {
    auto seg = segmentOf(1 << 20);
    DnsCache cache = DnsCache::create(*seg, 64 * 1024).value();
    config_.negative_ttl = 5;
    Rfc3263Resolver r = resolver(&cache);
    CPPUNIT_ASSERT(r.resolve("nowhere.test", 0, std::nullopt, false).status().code() ==
                   Code::kNotFound);
    const std::size_t asked = client_.asked.size();
    CPPUNIT_ASSERT(r.resolve("nowhere.test", 0, std::nullopt, false).status().code() ==
                   Code::kNotFound);
    CPPUNIT_ASSERT_EQUAL(asked, client_.asked.size());
    now_ += 5000;
    CPPUNIT_ASSERT(!r.resolve("nowhere.test", 0, std::nullopt, false).isOk());
    CPPUNIT_ASSERT_EQUAL(2 * asked, client_.asked.size());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{3}, slots_[2].load());  // dns:failures
    // Timeouts and server failures are not cached.
    client_.fail("flaky.test", RrType::kA, Rcode::kFailure);
    CPPUNIT_ASSERT(!r.resolve("flaky.test", 5060, std::nullopt, false).isOk());
    CPPUNIT_ASSERT(!r.resolve("flaky.test", 5060, std::nullopt, false).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("A flaky.test"), client_.asked.back());
    CPPUNIT_ASSERT_EQUAL(std::string("A flaky.test"), client_.asked[client_.asked.size() - 2]);
  }

  void blacklistedTargetsGoLast() {
    auto seg = segmentOf(1 << 20);
    Blacklist list = Blacklist::create(*seg, 64).value();
    client_.a("gw.example.com", {"192.0.2.1", "192.0.2.2", "192.0.2.3"});
    SockAddr first;
    CPPUNIT_ASSERT(SockAddr::fromNumeric("192.0.2.1", 5060, first));
    list.add(Proto::kUdp, first, now_ + 30000, "timeout");
    Rfc3263Resolver r = resolver(nullptr, &list);
    ASSERT_LIST(({"udp:192.0.2.2:5060 gw.example.com", "udp:192.0.2.3:5060 gw.example.com",
                  "udp:192.0.2.1:5060 gw.example.com"}),
                shown(r.resolve("gw.example.com", 5060, std::nullopt, false).value()));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, slots_[5].load());  // dns:blacklist_skips
    now_ += 30000;                                             // expired: back in its place
    ASSERT_LIST(({"udp:192.0.2.1:5060 gw.example.com", "udp:192.0.2.2:5060 gw.example.com",
                  "udp:192.0.2.3:5060 gw.example.com"}),
                shown(r.resolve("gw.example.com", 5060, std::nullopt, false).value()));
    // A lone target stays, blacklisted or not: it is all there is.
    list.add(Proto::kUdp, first, now_ + 30000, "timeout");
    CPPUNIT_ASSERT(r.resolve("192.0.2.1", 5060, std::nullopt, false).isOk());
  }

  void timeoutIsUnavailableAndCounted() {
    client_.fail("example.com", RrType::kNaptr, Rcode::kTimeout);
    advance_on_query_ = 1000;  // the client used the whole budget
    Rfc3263Resolver r = resolver();
    Result<std::vector<SipTarget>> got = r.resolve("example.com", 0, std::nullopt, false);
    CPPUNIT_ASSERT(!got.isOk());
    CPPUNIT_ASSERT(got.status().code() == Code::kUnavailable);
    CPPUNIT_ASSERT_MESSAGE(got.status().message(),
                           got.status().message().find("DNS timeout") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, slots_[3].load());  // dns:timeouts
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, slots_[2].load());  // not a failure
    // Past the deadline nothing more is asked.
    ASSERT_LIST(({"NAPTR example.com"}), client_.asked);
  }

  void partialAnswersSurviveATimeout() {
    client_.srv("_sip._udp.example.com",
                {{10, 0, 5070, "a.example.com"}, {20, 0, 5070, "b.example.com"}});
    client_.a("a.example.com", {"192.0.2.1"});
    client_.fail("b.example.com", RrType::kA, Rcode::kTimeout);
    Rfc3263Resolver r = resolver();
    Result<std::vector<SipTarget>> got = r.resolve("example.com", 0, std::nullopt, false);
    CPPUNIT_ASSERT(got.isOk());
    ASSERT_LIST(({"udp:192.0.2.1:5070 a.example.com"}), shown(got.value()));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, slots_[3].load());
  }

  void unknownNameIsNotFound() {
    Rfc3263Resolver r = resolver();
    Result<std::vector<SipTarget>> got = r.resolve("nowhere.test", 0, std::nullopt, false);
    CPPUNIT_ASSERT(got.status().code() == Code::kNotFound);
    CPPUNIT_ASSERT_EQUAL(std::string("no SIP server found for 'nowhere.test'"),
                         got.status().message());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, slots_[2].load());
  }

  void serverFailureIsUnavailable() {
    client_.fail("example.com", RrType::kNaptr, Rcode::kFailure);
    client_.fail("_sip._udp.example.com", RrType::kSrv, Rcode::kFailure);
    client_.fail("example.com", RrType::kA, Rcode::kFailure);
    Rfc3263Resolver r = resolver();
    Result<std::vector<SipTarget>> got = r.resolve("example.com", 0, std::nullopt, false);
    CPPUNIT_ASSERT(got.status().code() == Code::kUnavailable);
    CPPUNIT_ASSERT(got.status().message().find("server failure") != std::string::npos);
  }

  void srvDotTargetMeansNoService() {
    client_.srv("_sip._udp.example.com", {{0, 0, 0, "."}});
    client_.a("example.com", {"192.0.2.1"});
    Rfc3263Resolver r = resolver();
    Result<std::vector<SipTarget>> got = r.resolve("example.com", 0, std::nullopt, false);
    CPPUNIT_ASSERT(got.status().code() == Code::kNotFound);
    CPPUNIT_ASSERT(got.status().message().find("offers no SIP service") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(std::string("SRV _sip._udp.example.com"), client_.asked.back());
  }

  void badInputIsRefusedWithoutQueries() {
    Rfc3263Resolver r = resolver();
    for (const std::string& bad :
         {std::string(""), std::string("."), std::string("exa mple.com"), std::string("a..b"),
          std::string(300, 'a'), std::string(64, 'b') + ".com", std::string("[::1"),
          std::string("sip:a@b")}) {
      Result<std::vector<SipTarget>> got = r.resolve(bad, 0, std::nullopt, false);
      CPPUNIT_ASSERT_MESSAGE(bad, got.status().code() == Code::kInvalidArgument);
    }
    CPPUNIT_ASSERT(r.resolve("example.com", 0, Proto::kUdp, true).status().code() ==
                   Code::kInvalidArgument);
    CPPUNIT_ASSERT(r.resolve("example.com", 0, std::nullopt, true).status().code() ==
                   Code::kUnsupported);
    CPPUNIT_ASSERT(client_.asked.empty());
  }

  void deadlineCoversTheWholeResolution() {
    config_.timeout_ms = 700;
    client_.a("gw.example.com", {"192.0.2.1"});
    Rfc3263Resolver r = resolver();
    now_ = 5000;
    CPPUNIT_ASSERT(r.resolve("gw.example.com", 5060, std::nullopt, false).isOk());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{5700}, client_.last_deadline);
  }

 private:
  Rfc3263Resolver resolver(DnsCache* cache = nullptr, Blacklist* list = nullptr) {
    NowMs now = [this] { return now_; };
    RandomUpTo random = [this](std::uint32_t bound) {
      std::uint32_t v = draws_.empty() ? 0 : draws_.front();
      if (!draws_.empty()) draws_.erase(draws_.begin());
      return v > bound ? bound : v;
    };
    return Rfc3263Resolver(config_, clock_client_, cache, list, now, random);
  }

  // Advances the fake clock by advance_on_query_ per batch, as a slow server would.
  class ClockedClient : public DnsClient {
   public:
    explicit ClockedClient(Rfc3263Test& t) : t_(t) {}
    std::vector<DnsAnswer> query(const std::vector<DnsQuestion>& q, std::int64_t d) override {
      t_.now_ += t_.advance_on_query_;
      return t_.client_.query(q, d);
    }

   private:
    Rfc3263Test& t_;
  };

  static constexpr std::size_t kSlots = 7;
  std::atomic<std::uint64_t> slots_[kSlots];
  ResolverConfig config_;
  FakeClient client_;
  ClockedClient clock_client_{*this};
  std::int64_t now_ = 1000;
  std::int64_t advance_on_query_ = 0;
  std::vector<std::uint32_t> draws_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(Rfc3263Test);

}  // namespace sipline::dns
