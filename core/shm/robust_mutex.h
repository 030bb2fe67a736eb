// RobustMutex: a process-shared mutex that lives in the shm segment and survives the death of
// its holder: the next locker is told (kOwnerDied), repairs what the dead holder may have
// left half-done, and the mutex goes on working. A plain mutex would block every process
// forever once a worker was killed inside its critical section. Trivially placed in shm
// (constructed in place); not copyable.
#pragma once

#include <pthread.h>

namespace sipline::shm {

class RobustMutex {
 public:
  RobustMutex();
  RobustMutex(const RobustMutex&) = delete;
  RobustMutex& operator=(const RobustMutex&) = delete;

  enum class Locked {
    kOk,
    kOwnerDied,  // locked; the previous holder died holding it: repair, then it is consistent
    kTimedOut,   // not locked (only with a timeout)
    kError,      // not locked
  };
  // timeout_ms < 0 waits as long as it takes. On kOwnerDied the mutex is already marked
  // consistent: the caller repairs its data before unlocking.
  Locked lock(int timeout_ms = -1);
  void unlock();

 private:
  pthread_mutex_t mutex_;
};

}  // namespace sipline::shm
