// Monotonic milliseconds, the time base of every shm timer: CLOCK_MONOTONIC is the same in
// every process of the server, so deadlines written by one process are read by another.
// Wall-clock microseconds for timestamps that leave the server (traces).
#pragma once

#include <time.h>

#include <cstdint>

namespace sipline {

inline std::int64_t monotonicMs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

inline std::int64_t unixNowUs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

}  // namespace sipline
