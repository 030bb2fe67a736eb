#include "modules/acc/acc_queue.h"

#include <cppunit/extensions/HelperMacros.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <set>
#include <string>
#include <vector>

namespace sipline::acc {

class AccQueueTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(AccQueueTest);
  CPPUNIT_TEST(entriesComeOutInOrderWithTheirKind);
  CPPUNIT_TEST(peekWithoutCommitKeepsEntries);
  CPPUNIT_TEST(fullByCountOrBytesRefusesWithoutWaiting);
  CPPUNIT_TEST(wrapsAroundTheRingManyTimes);
  CPPUNIT_TEST(processesPushingAtOnceLoseNothing);
  CPPUNIT_TEST(holderKilledWithTheLockBlocksNobody);
  CPPUNIT_TEST(stoppedHolderMakesPushGiveUpInTime);
  CPPUNIT_TEST_SUITE_END();

  static constexpr std::size_t kData = 4096;

 public:
  void setUp() override {
    mem_ = mmap(nullptr, RecordQueue::bytesFor(kData), PROT_READ | PROT_WRITE,
                MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CPPUNIT_ASSERT(mem_ != MAP_FAILED);
    q_ = RecordQueue::create(mem_, kData, 64);
  }
  void tearDown() override { munmap(mem_, RecordQueue::bytesFor(kData)); }

  void entriesComeOutInOrderWithTheirKind() {
    CPPUNIT_ASSERT(q_->push(EntryKind::kDbRow, "one"));
    CPPUNIT_ASSERT(q_->push(EntryKind::kLog, "two"));
    CPPUNIT_ASSERT(q_->push(EntryKind::kDbRow, ""));
    std::vector<Entry> out;
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, q_->peek(10, out));
    CPPUNIT_ASSERT_EQUAL(std::string("one"), out[0].text);
    CPPUNIT_ASSERT(out[1].kind == EntryKind::kLog);
    CPPUNIT_ASSERT_EQUAL(std::string("two"), out[1].text);
    CPPUNIT_ASSERT_EQUAL(std::string(""), out[2].text);
    q_->commit(3);
    CPPUNIT_ASSERT_EQUAL(0u, q_->size());
  }

  void peekWithoutCommitKeepsEntries() {
    for (int i = 0; i < 5; ++i) CPPUNIT_ASSERT(q_->push(EntryKind::kDbRow, std::to_string(i)));
    std::vector<Entry> out;
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, q_->peek(2, out));
    out.clear();
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, q_->peek(2, out));
    CPPUNIT_ASSERT_EQUAL(std::string("0"), out[0].text);
    q_->commit(2);
    out.clear();
    q_->peek(10, out);
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, out.size());
    CPPUNIT_ASSERT_EQUAL(std::string("2"), out[0].text);
  }

  void fullByCountOrBytesRefusesWithoutWaiting() {
    for (int i = 0; i < 64; ++i) CPPUNIT_ASSERT(q_->push(EntryKind::kDbRow, "x"));
    CPPUNIT_ASSERT(!q_->push(EntryKind::kDbRow, "x"));  // 64 entries
    q_->commit(64);
    std::string big(1000, 'b');
    int pushed = 0;
    while (q_->push(EntryKind::kDbRow, big)) ++pushed;
    CPPUNIT_ASSERT_EQUAL(4, pushed);                                       // 4 * 1005 <= 4096
    CPPUNIT_ASSERT(!q_->push(EntryKind::kDbRow, std::string(3000, 'c')));  // > half the ring
  }

  void wrapsAroundTheRingManyTimes() {
    std::size_t next_in = 0;
    std::size_t next_out = 0;
    for (int round = 0; round < 500; ++round) {
      while (
          q_->push(EntryKind::kDbRow, std::to_string(next_in) + std::string(next_in % 97, 'p'))) {
        ++next_in;
      }
      std::vector<Entry> out;
      std::size_t n = q_->peek(1 + round % 7, out);
      for (const Entry& e : out) {
        CPPUNIT_ASSERT_EQUAL(std::to_string(next_out) + std::string(next_out % 97, 'p'), e.text);
        ++next_out;
      }
      q_->commit(n);
    }
    CPPUNIT_ASSERT(next_out > 1000);
  }

  void processesPushingAtOnceLoseNothing() {
    constexpr int kProcs = 4;
    constexpr int kEach = 500;
    std::vector<pid_t> kids;
    for (int p = 0; p < kProcs; ++p) {
      pid_t pid = fork();
      if (pid == 0) {
        // Bounded: a queue that never takes an entry again fails the test, not hangs it.
        for (int i = 0; i < kEach; ++i) {
          std::string t = std::to_string(p) + ":" + std::to_string(i);
          int tries = 0;
          while (!q_->push(EntryKind::kDbRow, t)) {
            if (++tries > 50000) _exit(2);
            usleep(100);
          }
        }
        _exit(0);
      }
      kids.push_back(pid);
    }
    std::set<std::string> seen;
    std::vector<int> last(kProcs, -1);
    bool in_order = true;
    for (int spins = 0; seen.size() < kProcs * kEach && spins < 200000; ++spins) {
      std::vector<Entry> out;
      std::size_t n = q_->peek(50, out);
      for (const Entry& e : out) {
        seen.insert(e.text);
        int p = std::stoi(e.text.substr(0, e.text.find(':')));
        int i = std::stoi(e.text.substr(e.text.find(':') + 1));
        in_order = in_order && i == last[p] + 1;
        last[p] = i;
      }
      q_->commit(n);
      if (n == 0) usleep(50);
    }
    bool all_exited_ok = true;
    for (pid_t k : kids) {
      int status = 0;
      waitpid(k, &status, 0);
      all_exited_ok = all_exited_ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    CPPUNIT_ASSERT(all_exited_ok);
    CPPUNIT_ASSERT_EQUAL(std::size_t{kProcs * kEach}, seen.size());
    CPPUNIT_ASSERT(in_order);
  }

  // push() in a child, so that a queue that blocks fails the test instead of hanging it:
  // 0 pushed, 1 refused, -1 still blocked after `bound_ms` (the child is killed).
  int pushInChild(const std::string& text, int bound_ms, std::chrono::milliseconds& took) {
    auto start = std::chrono::steady_clock::now();
    pid_t pid = fork();
    if (pid == 0) _exit(q_->push(EntryKind::kDbRow, text) ? 0 : 1);
    int status = 0;
    for (int waited = 0; waited < bound_ms; waited += 5) {
      if (waitpid(pid, &status, WNOHANG) == pid) {
        took = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - start);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      usleep(5000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return -1;
  }

  // A worker killed inside push() (the lock held): the next process gets the lock, the ring
  // is checked, and what was queued before stays.
  void holderKilledWithTheLockBlocksNobody() {
    CPPUNIT_ASSERT(q_->push(EntryKind::kDbRow, "before1"));
    CPPUNIT_ASSERT(q_->push(EntryKind::kLog, "before2"));
    pid_t pid = fork();
    if (pid == 0) {
      q_->lock(-1);
      _exit(0);  // dies holding it
    }
    int status = 0;
    waitpid(pid, &status, 0);
    std::chrono::milliseconds took{0};
    CPPUNIT_ASSERT_EQUAL(0, pushInChild("after", 2000, took));
    CPPUNIT_ASSERT(took < std::chrono::milliseconds(RecordQueue::kPushLockMs));  // no wait
    std::vector<Entry> out;
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, q_->peek(10, out));
    CPPUNIT_ASSERT_EQUAL(std::string("before1"), out[0].text);
    CPPUNIT_ASSERT(out[1].kind == EntryKind::kLog);
    CPPUNIT_ASSERT_EQUAL(std::string("after"), out[2].text);
    q_->commit(3);
    CPPUNIT_ASSERT_EQUAL(0u, q_->size());
    CPPUNIT_ASSERT(q_->push(EntryKind::kDbRow, "again"));
  }

  // A holder that is stopped, not dead: push() gives up after kPushLockMs (the worker spools
  // the record itself) instead of waiting with it.
  void stoppedHolderMakesPushGiveUpInTime() {
    int ready[2];
    CPPUNIT_ASSERT_EQUAL(0, pipe(ready));
    pid_t pid = fork();
    if (pid == 0) {
      q_->lock(-1);
      (void)write(ready[1], "x", 1);
      for (int i = 0; i < 100; ++i) usleep(100000);  // at most 10 s
      _exit(0);
    }
    char c = 0;
    CPPUNIT_ASSERT_EQUAL(ssize_t{1}, read(ready[0], &c, 1));
    std::chrono::milliseconds waited{0};
    int pushed = pushInChild("blocked", 3000, waited);
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    close(ready[0]);
    close(ready[1]);
    CPPUNIT_ASSERT_EQUAL(1, pushed);  // refused in time (-1: it waited with the holder)
    CPPUNIT_ASSERT(waited >= std::chrono::milliseconds(RecordQueue::kPushLockMs - 10));
    CPPUNIT_ASSERT(waited < std::chrono::milliseconds(RecordQueue::kPushLockMs + 1000));
    std::chrono::milliseconds took{0};
    CPPUNIT_ASSERT_EQUAL(0, pushInChild("after the holder died", 2000, took));
    CPPUNIT_ASSERT_EQUAL(1u, q_->size());
  }

 private:
  void* mem_ = nullptr;
  RecordQueue* q_ = nullptr;
};
CPPUNIT_TEST_SUITE_REGISTRATION(AccQueueTest);

}  // namespace sipline::acc
