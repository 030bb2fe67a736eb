#include "core/shm/robust_mutex.h"

#include <cerrno>
#include <ctime>

namespace sipline::shm {

RobustMutex::RobustMutex() {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&mutex_, &attr);
  pthread_mutexattr_destroy(&attr);
}

RobustMutex::Locked RobustMutex::lock(int timeout_ms) {
  int rc = 0;
  if (timeout_ms < 0) {
    rc = pthread_mutex_lock(&mutex_);
  } else if ((rc = pthread_mutex_trylock(&mutex_)) == EBUSY) {
    // Contended: only now the deadline (the uncontended lock of a per-process ring or queue
    // is on every message's path, and a clock read costs more than the lock).
    timespec until{};
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += static_cast<long>(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
      until.tv_sec += 1;
      until.tv_nsec -= 1000000000L;
    }
    do {
      rc = pthread_mutex_timedlock(&mutex_, &until);
    } while (rc == EINTR);
  }
  switch (rc) {
    case 0:
      return Locked::kOk;
    case EOWNERDEAD:
      pthread_mutex_consistent(&mutex_);
      return Locked::kOwnerDied;
    case ETIMEDOUT:
      return Locked::kTimedOut;
    default:
      return Locked::kError;
  }
}

void RobustMutex::unlock() { pthread_mutex_unlock(&mutex_); }

}  // namespace sipline::shm
