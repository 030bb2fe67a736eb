#include "modules/siptrace/trace_queue.h"

#include <cppunit/extensions/HelperMacros.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "core/base/clock.h"
#include "modules/siptrace/traced_set.h"

namespace sipline::siptrace {

class SiptraceQueueTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SiptraceQueueTest);
  CPPUNIT_TEST(entriesComeOutInOrderWhole);
  CPPUNIT_TEST(popReusingFillsTheSlotsItHas);
  CPPUNIT_TEST(fullQueueRefusesWithoutWaiting);
  CPPUNIT_TEST(wrapsAroundManyTimes);
  CPPUNIT_TEST(popStopsAtTheByteBudget);
  CPPUNIT_TEST(processesPushingAtOnceLoseNothing);
  CPPUNIT_TEST(poppingWhileProcessesPushTearsNothing);
  CPPUNIT_TEST(holderKilledWithTheLockEmptiesTheQueue);
  CPPUNIT_TEST(aResetWhilePopCopiesVoidsTheCopy);
  CPPUNIT_TEST(tracedCallsExpireAndAreRefreshed);
  CPPUNIT_TEST(fullBucketReplacesTheSoonestExpiring);
  CPPUNIT_TEST(tracedUsersAddRemoveList);
  CPPUNIT_TEST(sizeGivesUpOnAStuckLock);
  CPPUNIT_TEST(touchReportsALockNotHad);
  CPPUNIT_TEST(sweepRecountsALeakedSlot);
  CPPUNIT_TEST_SUITE_END();

  static constexpr std::size_t kData = 1024;
  static constexpr auto kTraced = TracedCalls::Touch::kTraced;
  static constexpr auto kNotTraced = TracedCalls::Touch::kNotTraced;
  static constexpr std::size_t kMem = 1 << 20;

 public:
  void setUp() override {
    mem_ = mmap(nullptr, kMem, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CPPUNIT_ASSERT(mem_ != MAP_FAILED);
    q_ = TraceQueue::create(mem_, kData);
  }
  void tearDown() override { munmap(mem_, kMem); }

  void entriesComeOutInOrderWhole() {
    CPPUNIT_ASSERT(q_->push({"one"}));
    CPPUNIT_ASSERT(q_->push({"tw", "o"}));
    CPPUNIT_ASSERT(!q_->push({"", ""}));  // empty entries are refused
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, q_->size().value());
    std::vector<std::string> out;
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, q_->pop(10, 1 << 20, out));
    CPPUNIT_ASSERT_EQUAL(std::string("one"), out[0]);
    CPPUNIT_ASSERT_EQUAL(std::string("two"), out[1]);
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, q_->size().value());
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, q_->pop(10, 1 << 20, out));
  }

  void popReusingFillsTheSlotsItHas() {
    std::vector<std::string> slots(2, std::string(1000, 'x'));
    const char* buffer = slots[0].data();
    for (const char* e : {"one", "two", "three"}) CPPUNIT_ASSERT(q_->push({e}));
    // Three entries, two slots: the slots grow; the first keeps its buffer.
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, q_->popReusing(10, 1 << 20, slots));
    CPPUNIT_ASSERT(slots.size() >= 3);
    CPPUNIT_ASSERT_EQUAL(std::string("one"), slots[0]);
    CPPUNIT_ASSERT(slots[0].data() == buffer);
    CPPUNIT_ASSERT_EQUAL(std::string("two"), slots[1]);
    CPPUNIT_ASSERT_EQUAL(std::string("three"), slots[2]);
    CPPUNIT_ASSERT(q_->push({"four"}));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, q_->popReusing(10, 1 << 20, slots));
    CPPUNIT_ASSERT_EQUAL(std::string("four"), slots[0]);
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, q_->popReusing(10, 1 << 20, slots));
  }

  void fullQueueRefusesWithoutWaiting() {
    std::string e(100, 'x');
    int pushed = 0;
    while (q_->push({e}) && pushed < 100) ++pushed;
    CPPUNIT_ASSERT_EQUAL(kData / 104, static_cast<std::size_t>(pushed));
    CPPUNIT_ASSERT(!q_->push({std::string(kData, 'y')}));
    std::vector<std::string> out;
    q_->pop(1, 1 << 20, out);
    CPPUNIT_ASSERT(q_->push({e}));
  }

  void wrapsAroundManyTimes() {
    std::vector<std::string> out;
    for (int i = 0; i < 2000; ++i) {
      std::string e = std::to_string(i) + std::string(static_cast<std::size_t>(i % 97), 'z');
      CPPUNIT_ASSERT(q_->push({e}));
      if (i % 3 == 2) {
        q_->pop(3, 1 << 20, out);
      }
    }
    q_->pop(100, 1 << 20, out);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2000}, out.size());
    for (int i = 0; i < 2000; ++i) {
      CPPUNIT_ASSERT_EQUAL(std::to_string(i) + std::string(static_cast<std::size_t>(i % 97), 'z'),
                           out[static_cast<std::size_t>(i)]);
    }
  }

  void popStopsAtTheByteBudget() {
    for (int i = 0; i < 5; ++i) CPPUNIT_ASSERT(q_->push({std::string(50, 'a')}));
    std::vector<std::string> out;
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, q_->pop(10, 100, out));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, q_->pop(10, 1, out));  // at least one
  }

  // Forks `procs` processes, process p pushing entry(p, 0..each) in order, each push retried
  // up to `tries` times `pause_us` apart while the queue is full; one exits 0 when every one
  // of its pushes went in.
  std::vector<pid_t> startProducers(int procs, int each,
                                    const std::function<std::string(int, int)>& entry, int tries,
                                    int pause_us) {
    std::vector<pid_t> pids;
    for (int p = 0; p < procs; ++p) {
      pid_t pid = fork();
      if (pid == 0) {
        int ok = 0;
        for (int i = 0; i < each; ++i) {
          const std::string e = entry(p, i);
          bool pushed = q_->push({e});
          for (int t = 1; t < tries && !pushed; ++t) {
            usleep(static_cast<useconds_t>(pause_us));
            pushed = q_->push({e});
          }
          if (pushed) ++ok;
        }
        _exit(ok == each ? 0 : 1);
      }
      pids.push_back(pid);
    }
    return pids;
  }

  void processesPushingAtOnceLoseNothing() {
    q_ = TraceQueue::create(mem_, 256 * 1024);
    constexpr int kProcs = 4, kEach = 500;
    std::vector<pid_t> pids = startProducers(
        kProcs, kEach, [](int p, int i) { return std::to_string(p) + ":" + std::to_string(i); },
        1000, 100);
    std::vector<std::string> out;
    for (pid_t pid : pids) {
      int status = 0;
      waitpid(pid, &status, 0);
      CPPUNIT_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    q_->pop(100000, 1 << 30, out);
    CPPUNIT_ASSERT_EQUAL(static_cast<std::size_t>(kProcs * kEach), out.size());
    CPPUNIT_ASSERT_EQUAL(out.size(), std::set<std::string>(out.begin(), out.end()).size());
  }

  // pop() copies without the lock while producers go on appending, around the ring's end
  // many times: every entry comes out once, whole, and in each producer's order.
  void poppingWhileProcessesPushTearsNothing() {
    q_ = TraceQueue::create(mem_, 64 * 1024);
    constexpr int kProcs = 2, kEach = 4000;
    auto entry = [](int p, int i) {
      return std::to_string(p) + ":" + std::to_string(i) + ":" +
             std::string(static_cast<std::size_t>((i * 131 + p * 17) % 900),
                         static_cast<char>('a' + (i + p) % 26));
    };
    std::vector<pid_t> pids = startProducers(kProcs, kEach, entry, 20000, 50);
    std::vector<int> next(kProcs, 0);
    std::vector<std::string> slots;
    std::string bad;  // the first entry that came out torn or out of order
    int got = 0;
    const std::int64_t until = monotonicMs() + 20000;
    while (bad.empty() && got < kProcs * kEach && monotonicMs() < until) {
      const std::size_t n = q_->popReusing(64, 16 * 1024, slots);
      for (std::size_t k = 0; k < n && bad.empty(); ++k) {
        const std::string& e = slots[k];
        const int p = e.empty() ? -1 : e[0] - '0';
        if (p < 0 || p >= kProcs || e != entry(p, next[static_cast<std::size_t>(p)])) {
          bad = e.substr(0, 40);
          break;
        }
        ++next[static_cast<std::size_t>(p)];
        ++got;
      }
      if (n == 0) usleep(20);
    }
    bool producers_ok = true;
    for (pid_t pid : pids) {
      if (!bad.empty() || got < kProcs * kEach) kill(pid, SIGKILL);
      int status = 0;
      waitpid(pid, &status, 0);
      producers_ok = producers_ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    CPPUNIT_ASSERT_EQUAL_MESSAGE("torn or out of order: " + bad, std::string(), bad);
    CPPUNIT_ASSERT(producers_ok);
    CPPUNIT_ASSERT_EQUAL(kProcs * kEach, got);
    std::vector<std::string> rest;
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, q_->pop(10, 1 << 20, rest));
    CPPUNIT_ASSERT(rest.empty());
  }

  void holderKilledWithTheLockEmptiesTheQueue() {
    CPPUNIT_ASSERT(q_->push({"before"}));
    pid_t pid = fork();
    if (pid == 0) {
      // Dies holding the lock (the mutex is the queue's first member).
      auto* m = reinterpret_cast<shm::RobustMutex*>(q_);
      m->lock();
      _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    std::vector<std::string> out;
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, q_->pop(10, 1 << 20, out, 1000));
    CPPUNIT_ASSERT(q_->push({"after"}));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, q_->pop(10, 1 << 20, out));
    CPPUNIT_ASSERT_EQUAL(std::string("after"), out[0]);
  }

  // While pop() copies without the lock, a producer dies holding it; the next producer
  // empties the ring and writes from its start, over what pop() copied. pop() hands out
  // nothing (those messages are among the ones the reset dropped) and moves nothing: the
  // new message is the next one out.
  void aResetWhilePopCopiesVoidsTheCopy() {
    CPPUNIT_ASSERT(q_->push({"old-one"}));
    CPPUNIT_ASSERT(q_->push({"old-two"}));
    static TraceQueue* queue;
    queue = q_;
    TraceQueue::between_visits_for_test = [] {
      pid_t pid = fork();
      if (pid == 0) {
        reinterpret_cast<shm::RobustMutex*>(queue)->lock();
        _exit(0);
      }
      waitpid(pid, nullptr, 0);
      queue->push({"new"});
    };
    std::vector<std::string> out;
    const std::size_t n = q_->pop(10, 1 << 20, out);
    TraceQueue::between_visits_for_test = nullptr;
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, n);
    CPPUNIT_ASSERT(out.empty());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, q_->pop(10, 1 << 20, out));
    CPPUNIT_ASSERT_EQUAL(std::string("new"), out[0]);
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, q_->size().value());
  }

  void tracedCallsExpireAndAreRefreshed() {
    TracedCalls* t = TracedCalls::create(mem_, 64);
    CPPUNIT_ASSERT_EQUAL(0u, t->used());
    std::string attrs;
    CPPUNIT_ASSERT(t->touch("c1", 1000, 10, &attrs) == kNotTraced);
    bool was = true;
    CPPUNIT_ASSERT(t->add("c1", "alice", 1000, 10, &was));
    CPPUNIT_ASSERT(!was);
    CPPUNIT_ASSERT_EQUAL(1u, t->used());
    CPPUNIT_ASSERT(t->touch("c1", 1005, 10, &attrs) == kTraced);  // now expires at 1015
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), attrs);
    CPPUNIT_ASSERT(t->touch("c1", 1014, 10, &attrs) == kTraced);
    CPPUNIT_ASSERT(t->touch("c2", 1014, 10, &attrs) == kNotTraced);
    CPPUNIT_ASSERT(t->add("c1", "", 1014, 10, &was));
    CPPUNIT_ASSERT(was);
    CPPUNIT_ASSERT(t->touch("c1", 1020, 10, &attrs) == kTraced);
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), attrs);  // kept by a refresh without attrs
    CPPUNIT_ASSERT(t->touch("c1", 1040, 10, &attrs) == kNotTraced);  // expired
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, t->sweep(1029));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, t->sweep(1040));
    CPPUNIT_ASSERT_EQUAL(0u, t->used());
  }

  void fullBucketReplacesTheSoonestExpiring() {
    TracedCalls* t = TracedCalls::create(mem_, 8);  // one bucket of 8 slots
    CPPUNIT_ASSERT_EQUAL(std::size_t{8}, t->slots());
    for (int i = 0; i < 8; ++i) CPPUNIT_ASSERT(t->add("c" + std::to_string(i), "", 1000 + i, 100));
    CPPUNIT_ASSERT(t->add("new", "", 1010, 100));
    CPPUNIT_ASSERT_EQUAL(8u, t->used());
    CPPUNIT_ASSERT(t->touch("c0", 1011, 100, nullptr) == kNotTraced);
    CPPUNIT_ASSERT(t->touch("c1", 1011, 100, nullptr) == kTraced);
    CPPUNIT_ASSERT(t->touch("new", 1011, 100, nullptr) == kTraced);
  }

  // A child process takes `m` and keeps it until killed; returns its pid once it holds it.
  static pid_t holdInChild(shm::RobustMutex* m) {
    int fds[2];
    CPPUNIT_ASSERT_EQUAL(0, pipe(fds));
    pid_t pid = fork();
    if (pid == 0) {
      m->lock();
      char c = 'x';
      if (write(fds[1], &c, 1) != 1) _exit(1);
      for (int i = 0; i < 100; ++i) usleep(100000);  // killed long before
      _exit(0);
    }
    char c = 0;
    CPPUNIT_ASSERT_EQUAL(ssize_t{1}, read(fds[0], &c, 1));
    close(fds[0]);
    close(fds[1]);
    return pid;
  }

  static void killChild(pid_t pid) {
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
  }

  void sizeGivesUpOnAStuckLock() {
    CPPUNIT_ASSERT(q_->push({"x"}));
    pid_t pid = holdInChild(reinterpret_cast<shm::RobustMutex*>(q_));  // the first member
    std::int64_t t0 = monotonicMs();
    CPPUNIT_ASSERT(!q_->size(50).has_value());
    CPPUNIT_ASSERT(monotonicMs() - t0 < 1000);
    killChild(pid);
    CPPUNIT_ASSERT(q_->size().has_value());
  }

  // One bucket: its mutex is the first member of the bucket after the 64-byte aligned header.
  static shm::RobustMutex* bucketMutex(void* mem) {
    return reinterpret_cast<shm::RobustMutex*>(static_cast<char*>(mem) +
                                               ((sizeof(TracedCalls) + 63) & ~std::size_t{63}));
  }

  void touchReportsALockNotHad() {
    TracedCalls* t = TracedCalls::create(mem_, 8);  // one bucket
    CPPUNIT_ASSERT(t->add("c1", "", 1000, 100));
    pid_t pid = holdInChild(bucketMutex(mem_));
    CPPUNIT_ASSERT(t->touch("c1", 1001, 100, nullptr) == TracedCalls::Touch::kLockFailed);
    CPPUNIT_ASSERT(t->touch("c2", 1001, 100, nullptr) == TracedCalls::Touch::kLockFailed);
    killChild(pid);
    CPPUNIT_ASSERT(t->touch("c1", 1001, 100, nullptr) == kTraced);
  }

  void sweepRecountsALeakedSlot() {
    TracedCalls* t = TracedCalls::create(mem_, 64);
    CPPUNIT_ASSERT(t->add("c1", "", 1000, 100));
    t->leakSlotForTest();  // a process killed between counting a slot and filling it
    CPPUNIT_ASSERT_EQUAL(2u, t->used());
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, t->sweep(1050));
    CPPUNIT_ASSERT_EQUAL(1u, t->used());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, t->sweep(1100));
    CPPUNIT_ASSERT_EQUAL(0u, t->used());  // "nothing traced" again
  }

  void tracedUsersAddRemoveList() {
    auto* u = ::new (mem_) TracedUsers();
    CPPUNIT_ASSERT_EQUAL(0u, u->count());
    std::uint32_t gen = u->generation();
    CPPUNIT_ASSERT(u->add({"alice", ""}).isOk());
    CPPUNIT_ASSERT(u->add({"bob", "example.com"}).isOk());
    CPPUNIT_ASSERT(u->add({"alice", ""}).code() == Code::kAlreadyExists);
    CPPUNIT_ASSERT(u->generation() != gen);
    CPPUNIT_ASSERT_EQUAL(2u, u->count());
    std::vector<TracedUser> l = u->list();
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, l.size());
    CPPUNIT_ASSERT_EQUAL(std::string("bob@example.com"), l[1].text());
    CPPUNIT_ASSERT(u->remove({"bob", ""}).code() == Code::kNotFound);
    CPPUNIT_ASSERT(u->remove({"bob", "example.com"}).isOk());
    CPPUNIT_ASSERT_EQUAL(1u, u->count());
    for (std::size_t i = 1; i < TracedUsers::kMaxUsers; ++i) {
      CPPUNIT_ASSERT(u->add({"u" + std::to_string(i), ""}).isOk());
    }
    CPPUNIT_ASSERT(!u->add({"one-too-many", ""}).isOk());
    // A process's copy follows the changes.
    UserMatcher m;
    std::string msg = "INVITE sip:x SIP/2.0\r\nFrom: <sip:alice@h>\r\nTo: <sip:u3@h>\r\n\r\n";
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), m.match(*u, msg));
    CPPUNIT_ASSERT(u->remove({"alice", ""}).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("u3"), m.match(*u, msg));
  }

 private:
  void* mem_ = nullptr;
  TraceQueue* q_ = nullptr;
};

CPPUNIT_TEST_SUITE_REGISTRATION(SiptraceQueueTest);

}  // namespace sipline::siptrace
