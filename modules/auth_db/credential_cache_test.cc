#include "modules/auth_db/credential_cache.h"

#include <cppunit/extensions/HelperMacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <string>

namespace sipline::auth_db {

class CredentialCacheTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(CredentialCacheTest);
  CPPUNIT_TEST(missThenHit);
  CPPUNIT_TEST(expiredEntryIsAMissAndRemoved);
  CPPUNIT_TEST(putReplacesTheSameKey);
  CPPUNIT_TEST(eraseAndClear);
  CPPUNIT_TEST(fullBucketEvictsItsOldest);
  CPPUNIT_TEST(neverHoldsMoreThanItsCapacity);
  CPPUNIT_TEST(fullShmStoresNothingButKeepsWorking);
  CPPUNIT_TEST(oversizedEntriesAreNotStored);
  CPPUNIT_TEST(entriesAreSharedWithAForkedChild);
  CPPUNIT_TEST(putAfterAFlushIsDropped);
  CPPUNIT_TEST(perEntryTtl);
  CPPUNIT_TEST(usersBelowTheCapacityAllStay);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    c_.hits.bindForTest(&hits_);
    c_.misses.bindForTest(&misses_);
    c_.entries.bindForTest(&entries_);
    c_.no_memory.bindForTest(&no_memory_);
    c_.evictions.bindForTest(&evictions_);
  }

  std::unique_ptr<CredentialCache> make(std::uint64_t capacity, std::size_t shm = 1 << 20) {
    seg_ = std::move(shm::Segment::create(shm).value());
    Result<std::unique_ptr<CredentialCache>> c =
        CredentialCache::create(seg_->manager(), capacity, 60000, &c_);
    CPPUNIT_ASSERT_MESSAGE(c.status().message(), c.isOk());
    return std::move(c.value());
  }

  void missThenHit() {
    auto cache = make(16);
    std::string p;
    CPPUNIT_ASSERT(!cache->get("k", 0, p));
    CPPUNIT_ASSERT(cache->put("k", "payload", 0, cache->generation()));
    CPPUNIT_ASSERT(cache->get("k", 59999, p));
    CPPUNIT_ASSERT_EQUAL(std::string("payload"), p);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), hits_.load());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), misses_.load());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), entries_.load());
  }

  void expiredEntryIsAMissAndRemoved() {
    auto cache = make(16);
    std::string p;
    CPPUNIT_ASSERT(cache->put("k", "v", 1000, cache->generation()));
    CPPUNIT_ASSERT(!cache->get("k", 61000, p));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), cache->size());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), entries_.load());
  }

  void putReplacesTheSameKey() {
    auto cache = make(16);
    std::string p;
    CPPUNIT_ASSERT(cache->put("k", "old", 0, cache->generation()));
    CPPUNIT_ASSERT(cache->put("k", "new", 10, cache->generation()));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), cache->size());
    CPPUNIT_ASSERT(cache->get("k", 20, p));
    CPPUNIT_ASSERT_EQUAL(std::string("new"), p);
  }

  void eraseAndClear() {
    auto cache = make(64);
    for (int i = 0; i < 10; ++i)
      CPPUNIT_ASSERT(cache->put("k" + std::to_string(i), "v", 0, cache->generation()));
    CPPUNIT_ASSERT(cache->erase("k3"));
    CPPUNIT_ASSERT(!cache->erase("k3"));
    std::string p;
    CPPUNIT_ASSERT(!cache->get("k3", 0, p));
    CPPUNIT_ASSERT(cache->get("k4", 0, p));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(9), cache->clear());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), cache->size());
    CPPUNIT_ASSERT(!cache->get("k4", 0, p));
  }

  void fullBucketEvictsItsOldest() {
    auto cache = make(4);  // one bucket of four
    CPPUNIT_ASSERT_EQUAL(std::uint32_t(1), cache->bucketCount());
    for (int i = 0; i < 4; ++i)
      CPPUNIT_ASSERT(cache->put("k" + std::to_string(i), "v", i, cache->generation()));
    CPPUNIT_ASSERT(cache->put("k4", "v", 10, cache->generation()));
    std::string p;
    CPPUNIT_ASSERT(!cache->get("k0", 11, p));  // the oldest went
    for (int i = 1; i <= 4; ++i) CPPUNIT_ASSERT(cache->get("k" + std::to_string(i), 11, p));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), evictions_.load());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(4), cache->size());
  }

  void neverHoldsMoreThanItsCapacity() {
    auto cache = make(100);
    for (int i = 0; i < 2000; ++i)
      cache->put("user" + std::to_string(i), "payload", i, cache->generation());
    CPPUNIT_ASSERT(cache->size() <= 100);
    CPPUNIT_ASSERT(cache->size() >= 50);  // buckets fill fairly evenly
    CPPUNIT_ASSERT(evictions_.load() >= 1900);
    CPPUNIT_ASSERT_EQUAL(cache->size(), entries_.load());
  }

  void fullShmStoresNothingButKeepsWorking() {
    auto cache = make(1000, 256 << 10);
    std::string big(3000, 'x');
    int stored = 0;
    for (int i = 0; i < 400; ++i)
      stored += cache->put("u" + std::to_string(i), big, 0, cache->generation()) ? 1 : 0;
    CPPUNIT_ASSERT(no_memory_.load() > 0);
    CPPUNIT_ASSERT(stored > 0);
    CPPUNIT_ASSERT_EQUAL(static_cast<std::uint64_t>(stored), cache->size());
    std::string p;
    CPPUNIT_ASSERT(cache->get("u0", 0, p));
    CPPUNIT_ASSERT_EQUAL(big, p);
    // Freed room is usable again.
    cache->clear();
    CPPUNIT_ASSERT(cache->put("again", big, 0, cache->generation()));
  }

  void oversizedEntriesAreNotStored() {
    auto cache = make(16);
    CPPUNIT_ASSERT(!cache->put(std::string(CredentialCache::kMaxKeyBytes + 1, 'k'), "v", 0,
                               cache->generation()));
    CPPUNIT_ASSERT(!cache->put("k", std::string(CredentialCache::kMaxPayloadBytes + 1, 'v'), 0,
                               cache->generation()));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), cache->size());
  }

  void entriesAreSharedWithAForkedChild() {
    auto cache = make(16);
    CPPUNIT_ASSERT(cache->put("parent", "p", 0, cache->generation()));
    pid_t pid = fork();
    if (pid == 0) {
      std::string p;
      bool ok = cache->get("parent", 1, p) && p == "p" &&
                cache->put("child", "c", 1, cache->generation());
      _exit(ok ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CPPUNIT_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    std::string p;
    CPPUNIT_ASSERT(cache->get("child", 2, p));
    CPPUNIT_ASSERT_EQUAL(std::string("c"), p);
  }

  // The race of a lookup: generation read, DB fetch, then a flush (after a password change),
  // then the put of the row fetched before it: the row must not come back.
  void putAfterAFlushIsDropped() {
    auto cache = make(64);
    std::string p;
    std::uint64_t before = cache->generation();
    CPPUNIT_ASSERT(!cache->erase("alice"));  // nothing cached, yet puts in flight are void
    CPPUNIT_ASSERT(!cache->put("alice", "old row", 0, before));
    CPPUNIT_ASSERT(!cache->get("alice", 1, p));
    before = cache->generation();
    cache->clear();
    CPPUNIT_ASSERT(!cache->put("bob", "old row", 0, before));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), cache->size());
    // A fetch begun after the flush stores normally.
    CPPUNIT_ASSERT(cache->put("alice", "new row", 2, cache->generation()));
    CPPUNIT_ASSERT(cache->get("alice", 3, p));
    CPPUNIT_ASSERT_EQUAL(std::string("new row"), p);
  }

  void perEntryTtl() {
    auto cache = make(16);
    std::string p;
    CPPUNIT_ASSERT(cache->put("short", "", 0, cache->generation(), 5000));
    CPPUNIT_ASSERT(cache->put("long", "v", 0, cache->generation()));
    CPPUNIT_ASSERT(cache->get("short", 4999, p));
    CPPUNIT_ASSERT(p.empty());
    CPPUNIT_ASSERT(!cache->get("short", 5000, p));
    CPPUNIT_ASSERT(cache->get("long", 5000, p));
    CPPUNIT_ASSERT(!cache->put("zero", "v", 0, cache->generation(), 0));  // 0: not cached
    CPPUNIT_ASSERT(!cache->get("zero", 0, p));
  }

  // The default cache_size with half as many users, every one stored then read in turn (every
  // phone refreshing): each must be a hit. With at most the mean (4) per bucket, buckets that
  // hashing gave more than four users evicted at every pass and hundreds of users missed.
  void usersBelowTheCapacityAllStay() {
    auto cache = make(4096, 8 << 20);
    const int users = 2048;
    for (int i = 0; i < users; ++i) {
      CPPUNIT_ASSERT(
          cache->put("user" + std::to_string(i) + "@example.com", "row", i, cache->generation()));
    }
    std::string p;
    int missed = 0;
    for (int i = 0; i < users; ++i) {
      missed += cache->get("user" + std::to_string(i) + "@example.com", users, p) ? 0 : 1;
    }
    CPPUNIT_ASSERT_EQUAL(0, missed);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), evictions_.load());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(users), cache->size());
  }

 private:
  std::unique_ptr<shm::Segment> seg_;
  CacheCounters c_;
  std::atomic<std::uint64_t> hits_{0}, misses_{0}, entries_{0}, no_memory_{0}, evictions_{0};
};
CPPUNIT_TEST_SUITE_REGISTRATION(CredentialCacheTest);

}  // namespace sipline::auth_db
