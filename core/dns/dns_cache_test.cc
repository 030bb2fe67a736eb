#include "core/dns/dns_cache.h"

#include <arpa/inet.h>
#include <cppunit/extensions/HelperMacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "core/dns/answer_codec.h"

namespace sipline::dns {
namespace {

IpAddress v4(const char* text) {
  IpAddress ip;
  ip.family = AF_INET;
  inet_pton(AF_INET, text, ip.bytes);
  return ip;
}

IpAddress v6(const char* text) {
  IpAddress ip;
  ip.family = AF_INET6;
  inet_pton(AF_INET6, text, ip.bytes);
  return ip;
}

DnsAnswer addresses(std::initializer_list<IpAddress> ips) {
  DnsAnswer a;
  a.rcode = Rcode::kOk;
  a.addrs = ips;
  return a;
}

DnsAnswer negative(Rcode rcode) {
  DnsAnswer a;
  a.rcode = rcode;
  return a;
}

std::unique_ptr<shm::Segment> segmentOf(std::size_t bytes) {
  Result<std::unique_ptr<shm::Segment>> seg = shm::Segment::create(bytes);
  CPPUNIT_ASSERT(seg.isOk());
  return std::move(seg.value());
}

}  // namespace

class DnsCacheTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DnsCacheTest);
  CPPUNIT_TEST(codecRoundTripsEveryType);
  CPPUNIT_TEST(codecRefusesTruncatedData);
  CPPUNIT_TEST(storesAndCopiesOutEachType);
  CPPUNIT_TEST(entryExpiresWithTheClock);
  CPPUNIT_TEST(negativeAnswersAreCachedToo);
  CPPUNIT_TEST(newerAnswerReplacesOlder);
  CPPUNIT_TEST(fullCacheEvictsTheSoonestExpiring);
  CPPUNIT_TEST(fullCacheSweepsExpiredEntriesOfOtherBuckets);
  CPPUNIT_TEST(oversizedAnswerIsNotStored);
  CPPUNIT_TEST(fullSegmentIsNoMemoryNotACrash);
  CPPUNIT_TEST(childProcessSeesTheParentsEntries);
  CPPUNIT_TEST_SUITE_END();

 public:
  void codecRoundTripsEveryType() {
    DnsAnswer in;
    in.addrs = {v4("192.0.2.1"), v4("192.0.2.2"), v6("2001:db8::1")};
    in.srv = {{10, 60, 5060, "a.example.com"}, {20, 0, 5080, std::string(300, 'x')}};
    in.naptr = {{10, 20, "s", "SIP+D2U", "", "_sip._udp.example.com"}};
    for (RrType type : {RrType::kA, RrType::kAaaa, RrType::kSrv, RrType::kNaptr}) {
      std::string data;
      encodeRecords(type, in, data);
      DnsAnswer out;
      CPPUNIT_ASSERT(decodeRecords(type, data, out));
      if (type == RrType::kA) {
        CPPUNIT_ASSERT((out.addrs == std::vector<IpAddress>{v4("192.0.2.1"), v4("192.0.2.2")}));
      }
      if (type == RrType::kAaaa) {
        CPPUNIT_ASSERT((out.addrs == std::vector<IpAddress>{v6("2001:db8::1")}));
      }
      if (type == RrType::kSrv) CPPUNIT_ASSERT(out.srv == in.srv);
      if (type == RrType::kNaptr) CPPUNIT_ASSERT(out.naptr == in.naptr);
    }
  }

  void codecRefusesTruncatedData() {
    DnsAnswer in;
    in.srv = {{10, 60, 5060, "a.example.com"}};
    in.addrs = {v4("192.0.2.1")};
    std::string srv, a;
    encodeRecords(RrType::kSrv, in, srv);
    encodeRecords(RrType::kA, in, a);
    DnsAnswer out;
    CPPUNIT_ASSERT(!decodeRecords(RrType::kSrv, srv.substr(0, srv.size() - 1), out));
    CPPUNIT_ASSERT(!decodeRecords(RrType::kSrv, srv.substr(0, 5), out));
    CPPUNIT_ASSERT(!decodeRecords(RrType::kA, a.substr(0, 3), out));
    CPPUNIT_ASSERT(!decodeRecords(RrType::kNaptr, "\x01", out));
    CPPUNIT_ASSERT(decodeRecords(RrType::kNaptr, "", out));
  }

  void storesAndCopiesOutEachType() {
    auto seg = segmentOf(1 << 20);
    DnsCache cache = DnsCache::create(*seg, 64 * 1024).value();
    CPPUNIT_ASSERT(!cache.get("example.com", RrType::kA, 0).has_value());
    DnsAnswer srv;
    srv.rcode = Rcode::kOk;
    srv.srv = {{10, 5, 5060, "sip1.example.com"}};
    CPPUNIT_ASSERT(cache.put("_sip._udp.example.com", RrType::kSrv, srv, 60, 0) ==
                   PutResult::kStored);
    CPPUNIT_ASSERT(cache.put("example.com", RrType::kA, addresses({v4("192.0.2.9")}), 60, 0) ==
                   PutResult::kStored);
    CPPUNIT_ASSERT_EQUAL(2u, cache.entries());
    CPPUNIT_ASSERT(cache.usedBytes() > 0);
    std::optional<DnsAnswer> got = cache.get("_sip._udp.example.com", RrType::kSrv, 1000);
    CPPUNIT_ASSERT(got.has_value());
    CPPUNIT_ASSERT(got->rcode == Rcode::kOk);
    CPPUNIT_ASSERT(got->srv == srv.srv);
    CPPUNIT_ASSERT_EQUAL(59u, got->ttl);
    // Same name, other type: a different entry.
    CPPUNIT_ASSERT(!cache.get("example.com", RrType::kAaaa, 1000).has_value());
    CPPUNIT_ASSERT(!cache.get("_sip._udp.example.com", RrType::kA, 1000).has_value());
    got = cache.get("example.com", RrType::kA, 1000);
    CPPUNIT_ASSERT(got.has_value() && got->addrs.size() == 1 && got->addrs[0] == v4("192.0.2.9"));
    cache.clear();
    CPPUNIT_ASSERT_EQUAL(0u, cache.entries());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, cache.usedBytes());
  }

  void entryExpiresWithTheClock() {
    auto seg = segmentOf(1 << 20);
    DnsCache cache = DnsCache::create(*seg, 64 * 1024).value();
    CPPUNIT_ASSERT(cache.put("a.test", RrType::kA, addresses({v4("192.0.2.1")}), 30, 5000) ==
                   PutResult::kStored);
    CPPUNIT_ASSERT(cache.get("a.test", RrType::kA, 5000 + 29999).has_value());
    CPPUNIT_ASSERT_EQUAL(1u, cache.get("a.test", RrType::kA, 5000 + 29999)->ttl);
    CPPUNIT_ASSERT(!cache.get("a.test", RrType::kA, 5000 + 30000).has_value());
    CPPUNIT_ASSERT_EQUAL(0u, cache.entries());  // the expired entry was removed on the way
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, cache.usedBytes());
  }

  void negativeAnswersAreCachedToo() {
    auto seg = segmentOf(1 << 20);
    DnsCache cache = DnsCache::create(*seg, 64 * 1024).value();
    CPPUNIT_ASSERT(cache.put("no.test", RrType::kNaptr, negative(Rcode::kNxDomain), 10, 0) ==
                   PutResult::kStored);
    CPPUNIT_ASSERT(cache.put("no.test", RrType::kSrv, negative(Rcode::kNoData), 10, 0) ==
                   PutResult::kStored);
    CPPUNIT_ASSERT(cache.get("no.test", RrType::kNaptr, 1)->rcode == Rcode::kNxDomain);
    CPPUNIT_ASSERT(cache.get("no.test", RrType::kSrv, 1)->rcode == Rcode::kNoData);
    CPPUNIT_ASSERT(!cache.get("no.test", RrType::kSrv, 10000).has_value());
  }

  void newerAnswerReplacesOlder() {
    auto seg = segmentOf(1 << 20);
    DnsCache cache = DnsCache::create(*seg, 64 * 1024).value();
    CPPUNIT_ASSERT(cache.put("a.test", RrType::kA, addresses({v4("192.0.2.1")}), 30, 0) ==
                   PutResult::kStored);
    CPPUNIT_ASSERT(cache.put("a.test", RrType::kA, addresses({v4("192.0.2.2")}), 30, 0) ==
                   PutResult::kStored);
    CPPUNIT_ASSERT_EQUAL(1u, cache.entries());
    CPPUNIT_ASSERT(cache.get("a.test", RrType::kA, 1)->addrs[0] == v4("192.0.2.2"));
  }

  void fullCacheEvictsTheSoonestExpiring() {
    auto seg = segmentOf(1 << 20);
    // 16 buckets; a budget for a few entries only.
    DnsCache cache = DnsCache::create(*seg, 2048).value();
    CPPUNIT_ASSERT_EQUAL(16u, cache.bucketCount());
    int stored = 0;
    std::string last_stored;
    for (int i = 0; i < 200; ++i) {
      const std::string name = "host" + std::to_string(i) + ".test";
      PutResult r = cache.put(name, RrType::kA, addresses({v4("192.0.2.1")}), 100 + i, 0);
      if (r == PutResult::kStored) {
        ++stored;
        last_stored = name;
      }
      CPPUNIT_ASSERT(cache.usedBytes() <= cache.maxBytes());
    }
    // Entries were stored and later evicted to make room for newer ones ...
    CPPUNIT_ASSERT(cache.entries() > 0);
    CPPUNIT_ASSERT_MESSAGE(std::to_string(stored),
                           static_cast<std::uint32_t>(stored) > cache.entries());
    // ... the soonest-expiring first: the first one (100 s) is gone, the last stored is there.
    CPPUNIT_ASSERT(!cache.get("host0.test", RrType::kA, 1).has_value());
    CPPUNIT_ASSERT(cache.get(last_stored, RrType::kA, 1).has_value());
  }

  void fullCacheSweepsExpiredEntriesOfOtherBuckets() {
    auto seg = segmentOf(1 << 20);
    DnsCache cache = DnsCache::create(*seg, 2048).value();
    for (int i = 0; i < 50; ++i) {
      (void)cache.put("old" + std::to_string(i) + ".test", RrType::kA, addresses({v4("192.0.2.1")}),
                      1, 0);
    }
    const std::uint32_t before = cache.entries();
    CPPUNIT_ASSERT(before > 0);
    CPPUNIT_ASSERT(cache.usedBytes() + 200 > cache.maxBytes());  // full
    // All expired at 2 s: new entries find room even in buckets that held nothing, because a
    // full cache sweeps expired entries of other buckets.
    for (int i = 0; i < 5; ++i) {
      const std::string name = "new" + std::to_string(i) + ".test";
      CPPUNIT_ASSERT(cache.put(name, RrType::kA, addresses({v4("192.0.2.2")}), 60, 2000) ==
                     PutResult::kStored);
    }
    for (int i = 0; i < 5; ++i) {
      CPPUNIT_ASSERT(cache.get("new" + std::to_string(i) + ".test", RrType::kA, 2000).has_value());
    }
  }

  void oversizedAnswerIsNotStored() {
    auto seg = segmentOf(1 << 20);
    DnsCache cache = DnsCache::create(*seg, 4096).value();
    DnsAnswer big;
    big.rcode = Rcode::kOk;
    for (int i = 0; i < 20; ++i) big.srv.push_back({1, 1, 5060, std::string(200, 'a')});
    CPPUNIT_ASSERT(cache.put("big.test", RrType::kSrv, big, 60, 0) == PutResult::kNoRoom);
    CPPUNIT_ASSERT_EQUAL(0u, cache.entries());
    CPPUNIT_ASSERT(!cache.get("big.test", RrType::kSrv, 0).has_value());
  }

  void fullSegmentIsNoMemoryNotACrash() {
    auto seg = segmentOf(64 * 1024);
    // A budget far beyond the segment: the segment runs out first.
    Result<DnsCache> made = DnsCache::create(*seg, 16 << 20);
    if (!made.isOk()) {
      CPPUNIT_ASSERT(made.status().code() == Code::kNoMemory);
      return;
    }
    DnsCache cache = made.value();
    bool no_memory = false;
    for (int i = 0; i < 5000 && !no_memory; ++i) {
      DnsAnswer srv;
      srv.rcode = Rcode::kOk;
      srv.srv = {{1, 1, 5060, std::string(100, 'x')}};
      PutResult r = cache.put("n" + std::to_string(i) + ".test", RrType::kSrv, srv, 60, 0);
      no_memory = r == PutResult::kNoMemory;
    }
    CPPUNIT_ASSERT(no_memory);
    // Still usable afterwards.
    cache.clear();
    CPPUNIT_ASSERT(cache.put("a.test", RrType::kA, addresses({v4("192.0.2.1")}), 60, 0) ==
                   PutResult::kStored);
  }

  void childProcessSeesTheParentsEntries() {
    auto seg = segmentOf(1 << 20);
    DnsCache cache = DnsCache::create(*seg, 64 * 1024).value();
    CPPUNIT_ASSERT(cache.put("a.test", RrType::kA, addresses({v4("192.0.2.7")}), 60, 0) ==
                   PutResult::kStored);
    pid_t pid = fork();
    if (pid == 0) {
      std::optional<DnsAnswer> got = cache.get("a.test", RrType::kA, 1);
      bool ok = got.has_value() && got->addrs.size() == 1 && got->addrs[0] == v4("192.0.2.7");
      ok = ok && cache.put("b.test", RrType::kA, addresses({v4("192.0.2.8")}), 60, 0) ==
                     PutResult::kStored;
      _exit(ok ? 0 : 1);
    }
    int status = 0;
    CPPUNIT_ASSERT(waitpid(pid, &status, 0) == pid);
    CPPUNIT_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CPPUNIT_ASSERT(cache.get("b.test", RrType::kA, 1).has_value());
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(DnsCacheTest);

}  // namespace sipline::dns
