// Tests of RobustMutex across processes: the uncontended and timed paths, a timeout while
// another process holds it, and recovery after a holder died with it locked.
#include "core/shm/robust_mutex.h"

#include <cppunit/extensions/HelperMacros.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <new>

namespace sipline {

class RobustMutexTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(RobustMutexTest);
  CPPUNIT_TEST(uncontendedLockSucceedsWithAndWithoutTimeout);
  CPPUNIT_TEST(heldByAnotherProcessTimesOut);
  CPPUNIT_TEST(deadHolderIsReportedOnceThenConsistent);
  CPPUNIT_TEST_SUITE_END();

  using M = shm::RobustMutex;
  void* mem_ = nullptr;
  M* m_ = nullptr;

  // A child that locks the mutex, tells the parent through a pipe, then sleeps for `hold_ms`
  // (0: exits at once while holding it).
  pid_t childHolding(int hold_ms) {
    int fds[2];
    CPPUNIT_ASSERT_EQUAL(0, pipe(fds));
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      if (m_->lock() != M::Locked::kOk) _exit(2);
      char c = 'x';
      if (write(fds[1], &c, 1) != 1) _exit(3);
      if (hold_ms > 0) usleep(static_cast<useconds_t>(hold_ms) * 1000);
      _exit(0);  // never unlocks
    }
    close(fds[1]);
    char c = 0;
    CPPUNIT_ASSERT_EQUAL(ssize_t{1}, read(fds[0], &c, 1));
    close(fds[0]);
    return pid;
  }

 public:
  void setUp() override {
    mem_ = mmap(nullptr, sizeof(M), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CPPUNIT_ASSERT(mem_ != MAP_FAILED);
    m_ = ::new (mem_) M();
  }
  void tearDown() override {
    m_->~M();
    munmap(mem_, sizeof(M));
  }

  void uncontendedLockSucceedsWithAndWithoutTimeout() {
    CPPUNIT_ASSERT(m_->lock() == M::Locked::kOk);
    m_->unlock();
    CPPUNIT_ASSERT(m_->lock(0) == M::Locked::kOk);
    m_->unlock();
    CPPUNIT_ASSERT(m_->lock(5) == M::Locked::kOk);
    m_->unlock();
  }

  void heldByAnotherProcessTimesOut() {
    pid_t pid = childHolding(2000);
    auto t0 = std::chrono::steady_clock::now();
    CPPUNIT_ASSERT(m_->lock(0) == M::Locked::kTimedOut);
    CPPUNIT_ASSERT(m_->lock(50) == M::Locked::kTimedOut);
    auto waited = std::chrono::steady_clock::now() - t0;
    CPPUNIT_ASSERT(waited >= std::chrono::milliseconds(45));
    CPPUNIT_ASSERT(waited < std::chrono::milliseconds(1500));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    // Killed while holding it: the next locker repairs.
    CPPUNIT_ASSERT(m_->lock(100) == M::Locked::kOwnerDied);
    m_->unlock();
    CPPUNIT_ASSERT(m_->lock(0) == M::Locked::kOk);
    m_->unlock();
  }

  void deadHolderIsReportedOnceThenConsistent() {
    pid_t pid = childHolding(0);
    int status = 0;
    waitpid(pid, &status, 0);
    CPPUNIT_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CPPUNIT_ASSERT(m_->lock(0) == M::Locked::kOwnerDied);  // the try path reports it too
    m_->unlock();
    CPPUNIT_ASSERT(m_->lock() == M::Locked::kOk);
    m_->unlock();
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RobustMutexTest);

}  // namespace sipline
