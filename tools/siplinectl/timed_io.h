// Socket I/O bounded by one deadline per MI call. SO_RCVTIMEO bounds each recv() on its own, so
// a server that drips a byte a second would hold siplinectl for ever; here every connect, send
// and recv first poll()s for at most the time left of the call, on a non-blocking socket.
// Errno style, so the clients can tell ENOENT, ECONNREFUSED and EACCES apart: 0 or n >= 0 on
// success, else an errno value (ETIMEDOUT once the deadline has passed).
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <string>

namespace sipline::ctl {

class Deadline {
 public:
  explicit Deadline(std::chrono::milliseconds budget)
      : budget_(budget), at_(std::chrono::steady_clock::now() + budget) {}
  std::chrono::milliseconds budget() const { return budget_; }
  // Milliseconds left, rounded up so that 0 means "passed"; for poll().
  int remainingMs() const;

 private:
  std::chrono::milliseconds budget_;
  std::chrono::steady_clock::time_point at_;
};

// Sets O_NONBLOCK on `fd`; false when fcntl fails.
bool setNonBlocking(int fd);

// connect() of a non-blocking socket, waiting for an unfinished one (EINPROGRESS, and EAGAIN of
// a unix socket whose listen queue is full) until the deadline. 0 or the errno of the failure.
int connectBy(int fd, const sockaddr* addr, socklen_t len, const Deadline& deadline);

// Sends all of `data` (MSG_NOSIGNAL). 0 or an errno.
int sendAllBy(int fd, const std::string& data, const Deadline& deadline);

// One recv() of at most `size` bytes once data is there: the count (0 = the peer closed), or
// -1 with the errno in `error`.
ssize_t recvBy(int fd, char* buf, std::size_t size, const Deadline& deadline, int& error);

}  // namespace sipline::ctl
