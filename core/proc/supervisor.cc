#include "core/proc/supervisor.h"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/base/log.h"

namespace sipline {
namespace signals {
namespace {

volatile sig_atomic_t g_stop = 0;
volatile sig_atomic_t g_child = 0;
volatile sig_atomic_t g_hup = 0;
sigset_t g_child_wait_mask;

void onStop(int) { g_stop = 1; }
void onChild(int) { g_child = 1; }
void onHup(int) { g_hup = 1; }

void setHandler(int sig, void (*fn)(int)) {
  struct sigaction sa {};
  sa.sa_handler = fn;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR
  sigaction(sig, &sa, nullptr);
}

}  // namespace

void installMaster() {
  setHandler(SIGTERM, onStop);
  setHandler(SIGINT, onStop);
  setHandler(SIGCHLD, onChild);
  setHandler(SIGHUP, onHup);
  signal(SIGPIPE, SIG_IGN);
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGCHLD);
  sigaddset(&block, SIGHUP);
  sigprocmask(SIG_BLOCK, &block, nullptr);
}

void installChild() {
  g_stop = 0;
  setHandler(SIGTERM, onStop);
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGCHLD, SIG_DFL);
  signal(SIGPIPE, SIG_IGN);
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigprocmask(SIG_SETMASK, &block, nullptr);
  sigemptyset(&g_child_wait_mask);
}

void unblockStop() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_UNBLOCK, &set, nullptr);
}

bool stopRequested() { return g_stop != 0; }
void requestStop() { g_stop = 1; }
const sigset_t* childWaitMask() { return &g_child_wait_mask; }

void napMs(std::int64_t ms) {
  ms = std::max<std::int64_t>(ms, 0);
  timespec ts{static_cast<time_t>(ms / 1000), static_cast<long>((ms % 1000) * 1000000)};
  ppoll(nullptr, 0, &ts, childWaitMask());
}

bool takeChild() {
  bool c = g_child != 0;
  g_child = 0;
  return c;
}
bool takeHup() {
  bool h = g_hup != 0;
  g_hup = 0;
  return h;
}

}  // namespace signals

pid_t Supervisor::spawn(const ProcessInfo& info, const std::function<int()>& body,
                        bool stops_last) {
  pid_t pid = fork();
  if (pid < 0) {
    SL_CRIT("cannot fork %s: %s", info.label().c_str(), std::strerror(errno));
    return -1;
  }
  if (pid == 0) {
    logSetRole(info.label());
    // ps, top and perf show the role ("udp-worker#1", "siptrace-writer") instead of
    // "sipline" for every process; the kernel keeps 15 characters.
    prctl(PR_SET_NAME, info.label().substr(0, 15).c_str());
    signals::installChild();
    int rc = 1;
    try {
      rc = body();
    } catch (const std::exception& e) {
      SL_CRIT("uncaught exception: %s", e.what());
    } catch (...) {
      SL_CRIT("uncaught exception");
    }
    _exit(rc);
  }
  children_.push_back(Child{pid, info, stops_last});
  return pid;
}

bool Supervisor::reap(bool stopping) {
  bool unexpected = false;
  while (true) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) break;
    for (auto it = children_.begin(); it != children_.end(); ++it) {
      if (it->pid != pid) continue;
      if (!stopping) {
        unexpected = true;
        if (WIFSIGNALED(status)) {
          SL_CRIT("%s (pid %d) was killed by signal %d (%s); shutting down",
                  it->info.label().c_str(), pid, WTERMSIG(status), strsignal(WTERMSIG(status)));
        } else {
          SL_CRIT("%s (pid %d) exited with status %d; shutting down", it->info.label().c_str(), pid,
                  WEXITSTATUS(status));
        }
      } else if (WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM) {
        SL_WARN("%s (pid %d) ended by signal %d during shutdown", it->info.label().c_str(), pid,
                WTERMSIG(status));
      }
      children_.erase(it);
      break;
    }
  }
  return unexpected;
}

int Supervisor::run() {
  sigset_t empty;
  sigemptyset(&empty);
  while (true) {
    if (signals::stopRequested()) {
      SL_NOTICE("stop requested; stopping %d processes", childCount());
      return 0;
    }
    if (signals::takeChild() && reap(false)) return 1;
    if (signals::takeHup()) {
      if (on_hangup_) {
        on_hangup_();
      } else {
        SL_NOTICE("SIGHUP ignored: nothing to reload");
      }
    }
    if (!signals::stopRequested()) sigsuspend(&empty);
  }
}

void Supervisor::stopAll(int grace_ms, int last_grace_ms) {
  stopPhase(false, grace_ms);
  stopPhase(true, last_grace_ms);
}

void Supervisor::stopPhase(bool last, int grace_ms) {
  // Phase one waits for the ordinary children; phase two for whatever is left.
  auto inPhase = [&] {
    int n = 0;
    for (const Child& c : children_) n += (last || !c.stops_last) ? 1 : 0;
    return n;
  };
  for (const Child& c : children_) {
    if (last || !c.stops_last) kill(c.pid, SIGTERM);
  }
  timespec start{};
  clock_gettime(CLOCK_MONOTONIC, &start);
  bool killed = false;
  while (true) {
    reap(true);
    if (inPhase() == 0) break;
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
    if (!killed && elapsed > grace_ms) {
      for (const Child& c : children_) {
        if (!last && c.stops_last) continue;
        SL_WARN("%s (pid %d) did not stop in %d ms; killing it", c.info.label().c_str(), c.pid,
                grace_ms);
        kill(c.pid, SIGKILL);
      }
      killed = true;
    }
    timespec nap{0, 10 * 1000 * 1000};
    nanosleep(&nap, nullptr);
  }
}

}  // namespace sipline
