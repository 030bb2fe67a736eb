#include "core/shm/segment.h"

#include <cppunit/extensions/HelperMacros.h>
#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/interprocess/containers/vector.hpp>

#include "core/stats/stats.h"

namespace sipline {
namespace {

int countShmEntries(const std::string& prefix) {
  int n = 0;
  DIR* d = opendir("/dev/shm");
  if (d == nullptr) return 0;
  while (dirent* e = readdir(d)) {
    if (std::string(e->d_name).rfind(prefix, 0) == 0) ++n;
  }
  closedir(d);
  return n;
}

struct Counter {
  shm::Mutex mutex;
  long value = 0;
};

}  // namespace

class SegmentTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SegmentTest);
  CPPUNIT_TEST(leavesNoNameInDevShm);
  CPPUNIT_TEST(constructsNamedObjectsOnce);
  CPPUNIT_TEST(fullSegmentIsNoMemoryNotACrash);
  CPPUNIT_TEST(usageTracksHighWaterMark);
  CPPUNIT_TEST(childrenShareObjectsAndLocks);
  CPPUNIT_TEST(statisticsLiveInTheSegment);
  CPPUNIT_TEST_SUITE_END();

 public:
  void leavesNoNameInDevShm() {
    Result<std::unique_ptr<shm::Segment>> seg = shm::Segment::create(1 << 20);
    CPPUNIT_ASSERT(seg.isOk());
    CPPUNIT_ASSERT_EQUAL(0, countShmEntries(seg.value()->name()));
  }

  void constructsNamedObjectsOnce() {
    auto seg = std::move(shm::Segment::create(1 << 20).value());
    Result<long*> a = seg->construct<long>("test.a", 42L);
    CPPUNIT_ASSERT(a.isOk());
    CPPUNIT_ASSERT_EQUAL(42L, *a.value());
    CPPUNIT_ASSERT_EQUAL(a.value(), seg->find<long>("test.a"));
    Result<long*> again = seg->construct<long>("test.a", 1L);
    CPPUNIT_ASSERT(!again.isOk());
    CPPUNIT_ASSERT(again.status().code() == Code::kAlreadyExists);
    CPPUNIT_ASSERT(seg->find<long>("test.none") == nullptr);
  }

  void fullSegmentIsNoMemoryNotACrash() {
    auto seg = std::move(shm::Segment::create(64 << 10).value());
    using Vec = boost::interprocess::vector<char, shm::Allocator<char>>;
    Result<Vec*> v = seg->construct<Vec>("test.vec", shm::Allocator<char>(seg->manager()));
    CPPUNIT_ASSERT(v.isOk());
    Status st = shm::guardAlloc("test vector", [&] { v.value()->resize(1 << 20); });
    CPPUNIT_ASSERT(st.code() == Code::kNoMemory);
    struct Big {
      char bytes[1 << 20];
    };
    Result<Big*> big = seg->construct<Big>("test.big");
    CPPUNIT_ASSERT(!big.isOk());
    CPPUNIT_ASSERT(big.status().code() == Code::kNoMemory);
  }

  void usageTracksHighWaterMark() {
    auto seg = std::move(shm::Segment::create(1 << 20).value());
    shm::Usage before = seg->usage();
    using Vec = boost::interprocess::vector<char, shm::Allocator<char>>;
    Vec* v = seg->construct<Vec>("test.vec", shm::Allocator<char>(seg->manager())).value();
    v->resize(100000);
    shm::Usage peak = seg->usage();
    CPPUNIT_ASSERT(peak.used >= before.used + 100000);
    v->clear();
    v->shrink_to_fit();
    shm::Usage after = seg->usage();
    CPPUNIT_ASSERT(after.used < peak.used);
    CPPUNIT_ASSERT(after.max_used >= peak.used);
    CPPUNIT_ASSERT_EQUAL(after.size, after.used + after.free);
  }

  void childrenShareObjectsAndLocks() {
    auto seg = std::move(shm::Segment::create(1 << 20).value());
    Counter* c = seg->construct<Counter>("test.counter").value();
    const int kChildren = 4, kIncrements = 5000;
    for (int i = 0; i < kChildren; ++i) {
      pid_t pid = fork();
      if (pid == 0) {
        for (int k = 0; k < kIncrements; ++k) {
          shm::Lock lock(c->mutex);
          ++c->value;
        }
        _exit(0);
      }
    }
    for (int i = 0; i < kChildren; ++i) {
      int status = 0;
      wait(&status);
      CPPUNIT_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    CPPUNIT_ASSERT_EQUAL(static_cast<long>(kChildren * kIncrements), c->value);
  }

  void statisticsLiveInTheSegment() {
    auto seg = std::move(shm::Segment::create(1 << 20).value());
    StatsRegistry registry;
    StatCounter hits;
    CPPUNIT_ASSERT(registry.declare("test", "hits", &hits).isOk());
    CPPUNIT_ASSERT(!registry.declare("test", "hits", &hits).isOk());
    CPPUNIT_ASSERT(!registry.declare("Test", "bad name", &hits).isOk());
    CPPUNIT_ASSERT(registry.declareComputed("test", "answer", [] { return 42u; }).isOk());
    CPPUNIT_ASSERT(registry.materialize(*seg).isOk());
    pid_t pid = fork();
    if (pid == 0) {
      for (int i = 0; i < 10; ++i) hits.inc();
      _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    auto all = registry.read("test:");
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), all.size());
    CPPUNIT_ASSERT_EQUAL(std::string("test:hits"), all[0].name);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(10), all[0].value);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(42), all[1].value);
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), registry.reset("all"));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), hits.get());
    CPPUNIT_ASSERT(!registry.exists("nosuch:"));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(SegmentTest);

}  // namespace sipline
