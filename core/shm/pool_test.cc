// Tests of the size-class pool behind shm::Allocator: classes, reuse, usage figures, the
// drain that keeps cached blocks from turning a fit into "full", and sharing across fork.
#include "core/shm/pool.h"

#include <cppunit/extensions/HelperMacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "core/shm/segment.h"

namespace sipline {

class SizeClassPoolTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SizeClassPoolTest);
  CPPUNIT_TEST(classesCoverEverySizeUpToTheLimit);
  CPPUNIT_TEST(freedBlocksAreReusedAndAligned);
  CPPUNIT_TEST(cachedBlocksCountAsFree);
  CPPUNIT_TEST(fullSegmentDrainsTheCacheBeforeFailing);
  CPPUNIT_TEST(reallyFullIsNoMemory);
  CPPUNIT_TEST(largeBlocksBypassTheLists);
  CPPUNIT_TEST(stringsAndObjectsGoThroughThePool);
  CPPUNIT_TEST(childrenAllocateAndFreeConcurrently);
  CPPUNIT_TEST_SUITE_END();

  using Pool = shm::SizeClassPool;

 public:
  void classesCoverEverySizeUpToTheLimit() {
    CPPUNIT_ASSERT_EQUAL(-1, Pool::classOf(0));
    CPPUNIT_ASSERT_EQUAL(0, Pool::classOf(1));
    CPPUNIT_ASSERT_EQUAL(0, Pool::classOf(32));
    CPPUNIT_ASSERT_EQUAL(1, Pool::classOf(33));
    CPPUNIT_ASSERT_EQUAL(Pool::kClasses - 1, Pool::classOf(Pool::kMaxPooled));
    CPPUNIT_ASSERT_EQUAL(-1, Pool::classOf(Pool::kMaxPooled + 1));
    int last = -1;
    for (std::size_t n = 1; n <= Pool::kMaxPooled; ++n) {
      int c = Pool::classOf(n);
      CPPUNIT_ASSERT(c >= 0 && c < Pool::kClasses);
      CPPUNIT_ASSERT(Pool::classSize(c) >= n);               // fits
      CPPUNIT_ASSERT(c == 0 || Pool::classSize(c - 1) < n);  // and is the smallest that does
      CPPUNIT_ASSERT(c == last || c == last + 1);            // no class skipped
      last = c;
    }
  }

  void freedBlocksAreReusedAndAligned() {
    auto seg = std::move(shm::Segment::create(1 << 20).value());
    shm::SegmentManager* sm = seg->manager();
    void* a = shm::allocateBytes(sm, 700);
    CPPUNIT_ASSERT_EQUAL(std::uintptr_t(0), reinterpret_cast<std::uintptr_t>(a) % 16);
    std::memset(a, 0xab, 700);
    shm::deallocateBytes(sm, a);
    void* b = shm::allocateBytes(sm, 690);  // same class: the same block comes back
    CPPUNIT_ASSERT_EQUAL(a, b);
    void* c = shm::allocateBytes(sm, 690);  // the list is empty again: a new block
    CPPUNIT_ASSERT(c != b);
    shm::deallocateBytes(sm, b);
    shm::deallocateBytes(sm, c);
    shm::deallocateBytes(sm, nullptr);  // ignored
  }

  void cachedBlocksCountAsFree() {
    auto seg = std::move(shm::Segment::create(1 << 20).value());
    shm::SegmentManager* sm = seg->manager();
    shm::Usage before = seg->usage();
    std::vector<void*> blocks;
    for (int i = 0; i < 100; ++i) blocks.push_back(shm::allocateBytes(sm, 1000));
    shm::Usage busy = seg->usage();
    CPPUNIT_ASSERT(busy.used >= before.used + 100 * 1000);
    for (void* p : blocks) shm::deallocateBytes(sm, p);
    shm::Usage after = seg->usage();
    // On the lists, but free for the figures (except the best-fit allocator's own header of
    // each cached block, a few bytes).
    CPPUNIT_ASSERT(after.used >= before.used && after.used <= before.used + 100 * 32);
    CPPUNIT_ASSERT_EQUAL(after.size, after.used + after.free);
    CPPUNIT_ASSERT(after.max_used >= busy.used);
  }

  void fullSegmentDrainsTheCacheBeforeFailing() {
    auto seg = std::move(shm::Segment::create(256 << 10).value());
    shm::SegmentManager* sm = seg->manager();
    // Fill the segment with small blocks, free them all (they sit on one class list), then
    // ask for a block of another size that only fits once the list is given back.
    std::vector<void*> small;
    try {
      for (;;) small.push_back(shm::allocateBytes(sm, 100));
    } catch (const shm::bip::bad_alloc&) {
    }
    CPPUNIT_ASSERT(small.size() > 100);
    for (void* p : small) shm::deallocateBytes(sm, p);
    void* big = nullptr;
    CPPUNIT_ASSERT_NO_THROW(big = shm::allocateBytes(sm, 64 << 10));
    CPPUNIT_ASSERT(big != nullptr);
    shm::deallocateBytes(sm, big);
  }

  void reallyFullIsNoMemory() {
    auto seg = std::move(shm::Segment::create(128 << 10).value());
    shm::SegmentManager* sm = seg->manager();
    std::vector<void*> held;
    Status st = shm::guardAlloc("test", [&] {
      for (;;) held.push_back(shm::allocateBytes(sm, 500));
    });
    CPPUNIT_ASSERT(st.code() == Code::kNoMemory);
    for (void* p : held) shm::deallocateBytes(sm, p);
    CPPUNIT_ASSERT_NO_THROW(shm::deallocateBytes(sm, shm::allocateBytes(sm, 500)));
  }

  void largeBlocksBypassTheLists() {
    auto seg = std::move(shm::Segment::create(1 << 20).value());
    shm::SegmentManager* sm = seg->manager();
    shm::Usage before = seg->usage();
    void* p = shm::allocateBytes(sm, 100000);
    std::memset(p, 1, 100000);
    shm::deallocateBytes(sm, p);
    CPPUNIT_ASSERT_EQUAL(before.used, seg->usage().used);
    CPPUNIT_ASSERT_EQUAL(before.free, sm->get_free_memory());  // back in the best-fit heap
  }

  void stringsAndObjectsGoThroughThePool() {
    auto seg = std::move(shm::Segment::create(1 << 20).value());
    shm::SegmentManager* sm = seg->manager();
    struct Obj {
      explicit Obj(shm::SegmentManager* m) : text(m) {}
      shm::String text;
      long n = 7;
    };
    Obj* o = shm::create<Obj>(sm, sm);
    o->text.assign(std::string(600, 'x'));
    o->text.append(std::string(900, 'y'));  // grows: the old block goes back on its list
    CPPUNIT_ASSERT_EQUAL(std::size_t(1500), o->text.size());
    CPPUNIT_ASSERT_EQUAL('y', o->text[1499]);
    CPPUNIT_ASSERT_EQUAL(7L, o->n);
    shm::Usage busy = seg->usage();
    shm::destroy(sm, o);
    CPPUNIT_ASSERT(seg->usage().used < busy.used);
  }

  void childrenAllocateAndFreeConcurrently() {
    auto seg = std::move(shm::Segment::create(4 << 20).value());
    shm::SegmentManager* sm = seg->manager();
    shm::Usage before = seg->usage();
    const int kChildren = 3;
    for (int i = 0; i < kChildren; ++i) {
      if (fork() == 0) {
        // Each child keeps a few blocks alive at a time, writing a pattern it then checks.
        std::vector<unsigned char*> live;
        bool ok = true;
        for (int k = 0; k < 20000 && ok; ++k) {
          std::size_t n = 16 + static_cast<std::size_t>((k * 37 + i * 11) % 3000);
          auto* p = static_cast<unsigned char*>(shm::allocateBytes(sm, n));
          std::memset(p, i + 1, n);
          p[0] = static_cast<unsigned char>(n & 0xff);
          live.push_back(p);
          if (live.size() > 8) {
            unsigned char* q = live.front();
            ok = q[1] == static_cast<unsigned char>(i + 1);
            shm::deallocateBytes(sm, q);
            live.erase(live.begin());
          }
        }
        for (unsigned char* q : live) shm::deallocateBytes(sm, q);
        _exit(ok ? 0 : 1);
      }
    }
    for (int i = 0; i < kChildren; ++i) {
      int status = 0;
      wait(&status);
      CPPUNIT_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    // Everything came back: what is left on the lists is free (but for per-block headers).
    shm::Usage after = seg->usage();
    CPPUNIT_ASSERT(after.used >= before.used && after.used <= before.used + (64 << 10));
    CPPUNIT_ASSERT_NO_THROW(shm::deallocateBytes(sm, shm::allocateBytes(sm, 3 << 20)));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SizeClassPoolTest);

}  // namespace sipline
