// The supervisor's stop order: children marked stops_last get TERM only after every other
// child has exited, so a writer draining a queue sees the last records the workers produced.
#include "core/proc/supervisor.h"

#include <cppunit/extensions/HelperMacros.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <string>

namespace sipline {
namespace {

// A child that says it is ready on `ready`, waits for TERM (as the server's children do),
// then writes `mark` to `fd`, lingering `linger_ms` first.
int markOnStop(int ready, int fd, char mark, int linger_ms) {
  signals::installChild();
  if (write(ready, "r", 1) != 1) return 1;
  sigset_t empty;
  sigemptyset(&empty);
  while (!signals::stopRequested()) sigsuspend(&empty);
  timespec nap{linger_ms / 1000, (linger_ms % 1000) * 1000000L};
  nanosleep(&nap, nullptr);
  return write(fd, &mark, 1) == 1 ? 0 : 1;
}

}  // namespace

class SupervisorTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SupervisorTest);
  CPPUNIT_TEST(stopsLastChildrenStopAfterTheOthers);
  CPPUNIT_TEST(stuckChildIsKilledAfterTheGrace);
  CPPUNIT_TEST(childIsNamedAfterItsRole);
  CPPUNIT_TEST_SUITE_END();

 public:
  void stopsLastChildrenStopAfterTheOthers() {
    int fds[2], ready[2];
    CPPUNIT_ASSERT_EQUAL(0, pipe(fds));
    CPPUNIT_ASSERT_EQUAL(0, pipe(ready));
    Supervisor sup;
    int w = fds[1];
    int r = ready[1];
    CPPUNIT_ASSERT(sup.spawn(
                       ProcessInfo{ProcessRole::kModule, 0, "writer"},
                       [w, r] { return markOnStop(r, w, 'L', 0); }, true) > 0);
    // The worker takes a while to exit: the writer must still wait for it.
    CPPUNIT_ASSERT(sup.spawn(ProcessInfo{ProcessRole::kUdpWorker, 0, ""},
                             [w, r] { return markOnStop(r, w, 'W', 200); }) > 0);
    CPPUNIT_ASSERT(sup.spawn(ProcessInfo{ProcessRole::kTimer, 0, ""},
                             [w, r] { return markOnStop(r, w, 'T', 50); }) > 0);
    char c;
    for (int i = 0; i < 3; ++i) CPPUNIT_ASSERT_EQUAL(ssize_t{1}, read(ready[0], &c, 1));
    close(ready[0]);
    close(ready[1]);
    sup.stopAll(3000, 3000);
    close(fds[1]);
    std::string order;
    while (read(fds[0], &c, 1) == 1) order += c;
    close(fds[0]);
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, order.size());
    CPPUNIT_ASSERT_EQUAL('L', order.back());
    CPPUNIT_ASSERT_EQUAL(0, sup.childCount());
  }

  void stuckChildIsKilledAfterTheGrace() {
    Supervisor sup;
    CPPUNIT_ASSERT(sup.spawn(ProcessInfo{ProcessRole::kUdpWorker, 0, ""}, [] {
      signal(SIGTERM, SIG_IGN);
      for (int i = 0; i < 100; ++i) sleep(1);
      return 0;
    }) > 0);
    timespec start{}, end{};
    clock_gettime(CLOCK_MONOTONIC, &start);
    sup.stopAll(200, 200);
    clock_gettime(CLOCK_MONOTONIC, &end);
    CPPUNIT_ASSERT_EQUAL(0, sup.childCount());
    CPPUNIT_ASSERT(end.tv_sec - start.tv_sec < 10);
  }

  // The kernel's name of each child (ps, top) is its label, cut to 15 characters.
  void childIsNamedAfterItsRole() {
    int ready[2];
    CPPUNIT_ASSERT_EQUAL(0, pipe(ready));
    int r = ready[1];
    Supervisor sup;
    auto wait = [r] {  // fd -1: nothing to mark
      markOnStop(r, -1, 'x', 0);
      return 0;
    };
    pid_t worker = sup.spawn(ProcessInfo{ProcessRole::kUdpWorker, 1, ""}, wait);
    pid_t module = sup.spawn(ProcessInfo{ProcessRole::kModule, 0, "usrloc-flusher-long"}, wait);
    CPPUNIT_ASSERT(worker > 0 && module > 0);
    char c;
    for (int i = 0; i < 2; ++i) CPPUNIT_ASSERT_EQUAL(ssize_t{1}, read(ready[0], &c, 1));
    CPPUNIT_ASSERT_EQUAL(std::string("udp-worker#2"), comm(worker));
    CPPUNIT_ASSERT_EQUAL(std::string("usrloc-flusher-"), comm(module));
    close(ready[0]);
    close(ready[1]);
    sup.stopAll(3000, 3000);
    CPPUNIT_ASSERT_EQUAL(0, sup.childCount());
  }

 private:
  static std::string comm(pid_t pid) {
    char buf[64] = {};
    int fd = open(("/proc/" + std::to_string(pid) + "/comm").c_str(), O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (fd >= 0) close(fd);
    std::string s(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SupervisorTest);

}  // namespace sipline
