// The nonce-count table: increasing nc accepted, replays refused, a slot taken over by a newer
// nonce makes the older one stale, a qop-less nonce serves once, the table refuses to be
// bigger than the segment, and concurrent users of one nonce (processes sharing the segment)
// accept every nc exactly once.
#include "modules/auth/nonce_table.h"

#include <cppunit/extensions/HelperMacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>

#include "core/shm/segment.h"

namespace sipline::auth {

class NonceTableTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(NonceTableTest);
  CPPUNIT_TEST(increasingNonceCountsAreAccepted);
  CPPUNIT_TEST(replayedNonceCountIsRefused);
  CPPUNIT_TEST(gapsAreAllowedButNotGoingBack);
  CPPUNIT_TEST(reusedSlotMakesOldNonceStale);
  CPPUNIT_TEST(withoutQopANonceServesOnce);
  CPPUNIT_TEST(nonceCountZeroIsRefused);
  CPPUNIT_TEST(serialsCountUp);
  CPPUNIT_TEST(tooManySlotsForTheSegmentIsAClearError);
  CPPUNIT_TEST(slotCountOutOfRangeIsRefused);
  CPPUNIT_TEST(secondTableInOneSegmentIsRefused);
  CPPUNIT_TEST(nonceCountSyntax);
  CPPUNIT_TEST(processesSharingANonceAcceptEachCountOnce);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override { seg_ = std::move(shm::Segment::create(4 << 20).value()); }
  void tearDown() override { seg_.reset(); }

  std::unique_ptr<NonceTable> table(std::uint64_t slots = NonceTable::kMinSlots) {
    Result<std::unique_ptr<NonceTable>> t = NonceTable::create(*seg_, slots);
    CPPUNIT_ASSERT_MESSAGE(t.status().message(), t.isOk());
    return std::move(t.value());
  }

  void increasingNonceCountsAreAccepted() {
    auto t = table();
    std::uint64_t s = t->issue();
    for (std::uint32_t nc = 1; nc <= 5; ++nc) CPPUNIT_ASSERT(t->use(s, nc, true) == NcResult::kOk);
  }

  void replayedNonceCountIsRefused() {
    auto t = table();
    std::uint64_t s = t->issue();
    CPPUNIT_ASSERT(t->use(s, 1, true) == NcResult::kOk);
    CPPUNIT_ASSERT(t->use(s, 1, true) == NcResult::kReplay);
    // Another nonce's counts are its own.
    std::uint64_t other = t->issue();
    CPPUNIT_ASSERT(t->use(other, 1, true) == NcResult::kOk);
  }

  void gapsAreAllowedButNotGoingBack() {
    auto t = table();
    std::uint64_t s = t->issue();
    CPPUNIT_ASSERT(t->use(s, 3, true) == NcResult::kOk);
    CPPUNIT_ASSERT(t->use(s, 2, true) == NcResult::kReplay);
    CPPUNIT_ASSERT(t->use(s, 9, true) == NcResult::kOk);
    CPPUNIT_ASSERT(t->use(s, 0xffffffffU, true) == NcResult::kOk);
    CPPUNIT_ASSERT(t->use(s, 0xffffffffU, true) == NcResult::kReplay);
  }

  void reusedSlotMakesOldNonceStale() {
    auto t = table(NonceTable::kMinSlots);
    std::uint64_t first = t->issue();
    CPPUNIT_ASSERT(t->use(first, 1, true) == NcResult::kOk);
    std::uint64_t last = first;
    for (std::int64_t i = 0; i < NonceTable::kMinSlots; ++i) last = t->issue();
    CPPUNIT_ASSERT_EQUAL(first + NonceTable::kMinSlots, last);  // same slot, next generation
    CPPUNIT_ASSERT(t->use(first, 2, true) == NcResult::kSlotReused);
    CPPUNIT_ASSERT(t->use(last, 1, true) == NcResult::kOk);
  }

  void withoutQopANonceServesOnce() {
    auto t = table();
    std::uint64_t s = t->issue();
    CPPUNIT_ASSERT(t->use(s, 0, false) == NcResult::kOk);
    CPPUNIT_ASSERT(t->use(s, 0, false) == NcResult::kReplay);
    CPPUNIT_ASSERT(t->use(s, 7, true) == NcResult::kReplay);
    // And a nonce used with a qop cannot go on without one.
    std::uint64_t q = t->issue();
    CPPUNIT_ASSERT(t->use(q, 1, true) == NcResult::kOk);
    CPPUNIT_ASSERT(t->use(q, 0, false) == NcResult::kReplay);
  }

  void nonceCountZeroIsRefused() {
    auto t = table();
    std::uint64_t s = t->issue();
    CPPUNIT_ASSERT(t->use(s, 0, true) == NcResult::kReplay);
    CPPUNIT_ASSERT(t->use(s, 1, true) == NcResult::kOk);
  }

  void serialsCountUp() {
    auto t = table();
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, t->issue());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, t->issue());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1024}, t->size());
  }

  void tooManySlotsForTheSegmentIsAClearError() {
    Result<std::unique_ptr<NonceTable>> t = NonceTable::create(*seg_, 1 << 20);  // 8 MB > 4 MB
    CPPUNIT_ASSERT(!t.isOk());
    CPPUNIT_ASSERT(t.status().code() == Code::kNoMemory);
    const std::string& m = t.status().message();
    CPPUNIT_ASSERT_MESSAGE(m, m.find("nonce_slots = 1048576 needs 8 MB") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(m, m.find("raise shm_size or lower nonce_slots") != std::string::npos);
  }

  void slotCountOutOfRangeIsRefused() {
    CPPUNIT_ASSERT(!NonceTable::create(*seg_, 10).isOk());
    CPPUNIT_ASSERT(!NonceTable::create(*seg_, (std::uint64_t{1} << 26) + 1).isOk());
  }

  void secondTableInOneSegmentIsRefused() {
    auto t = table();
    CPPUNIT_ASSERT(!NonceTable::create(*seg_, NonceTable::kMinSlots).isOk());
  }

  void nonceCountSyntax() {
    std::uint32_t nc = 0;
    CPPUNIT_ASSERT(parseNonceCount("00000001", nc));
    CPPUNIT_ASSERT_EQUAL(1u, nc);
    CPPUNIT_ASSERT(parseNonceCount("0000aBcD", nc));
    CPPUNIT_ASSERT_EQUAL(0xabcdu, nc);
    CPPUNIT_ASSERT(parseNonceCount("ffffffff", nc));
    CPPUNIT_ASSERT_EQUAL(0xffffffffu, nc);
    CPPUNIT_ASSERT(!parseNonceCount("1", nc));
    CPPUNIT_ASSERT(!parseNonceCount("000000001", nc));
    CPPUNIT_ASSERT(!parseNonceCount("0000000g", nc));
    CPPUNIT_ASSERT(!parseNonceCount("", nc));
    CPPUNIT_ASSERT(!parseNonceCount("+0000001", nc));
  }

  // Two processes race through nc 1..N on one nonce: each nc is accepted by exactly one of
  // them (never both: no replay slips through; never neither: whoever fails at k does so
  // because the other already accepted k or went past it after accepting k).
  void processesSharingANonceAcceptEachCountOnce() {
    auto t = table();
    std::uint64_t s = t->issue();
    constexpr std::uint32_t kCounts = 20000;
    auto* accepted = seg_->construct<std::atomic<std::uint32_t>>("test.accepted").value();
    accepted->store(0);
    pid_t children[2];
    for (pid_t& child : children) {
      child = fork();
      CPPUNIT_ASSERT(child >= 0);
      if (child == 0) {
        std::uint32_t mine = 0;
        for (std::uint32_t nc = 1; nc <= kCounts; ++nc) {
          if (t->use(s, nc, true) == NcResult::kOk) ++mine;
        }
        accepted->fetch_add(mine);
        _exit(0);
      }
    }
    for (pid_t child : children) {
      int status = 0;
      CPPUNIT_ASSERT_EQUAL(child, waitpid(child, &status, 0));
      CPPUNIT_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    std::uint32_t total = accepted->load();
    CPPUNIT_ASSERT_EQUAL(kCounts, total);
    CPPUNIT_ASSERT(t->use(s, kCounts, true) == NcResult::kReplay);
    CPPUNIT_ASSERT(t->use(s, kCounts + 1, true) == NcResult::kOk);
  }

 private:
  std::unique_ptr<shm::Segment> seg_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(NonceTableTest);

}  // namespace sipline::auth
