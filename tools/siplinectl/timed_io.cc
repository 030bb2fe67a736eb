#include "tools/siplinectl/timed_io.h"

#include <fcntl.h>
#include <poll.h>
#include <time.h>

#include <cerrno>

namespace sipline::ctl {

namespace {

// Waits until `fd` is ready for `events`: 0, ETIMEDOUT, or the errno of poll().
int waitReady(int fd, short events, const Deadline& deadline) {
  while (true) {
    const int left = deadline.remainingMs();
    if (left == 0) return ETIMEDOUT;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, left);
    if (n > 0) return 0;  // ready, or an error/hang-up the next call reports
    if (n < 0 && errno != EINTR) return errno;
  }
}

}  // namespace

int Deadline::remainingMs() const {
  const auto left = at_ - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return ms > 0x7fffffff ? 0x7fffffff : static_cast<int>(ms);
}

bool setNonBlocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL, 0);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

int connectBy(int fd, const sockaddr* addr, socklen_t len, const Deadline& deadline) {
  while (true) {
    if (::connect(fd, addr, len) == 0) return 0;
    const int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN) {
      // A unix socket's full listen queue: poll() cannot wait for room, so retry shortly.
      if (deadline.remainingMs() == 0) return ETIMEDOUT;
      timespec pause{0, 10 * 1000 * 1000};
      ::nanosleep(&pause, nullptr);
      continue;
    }
    if (err != EINPROGRESS) return err;
    const int waited = waitReady(fd, POLLOUT, deadline);
    if (waited != 0) return waited;
    int so_error = 0;
    socklen_t so_len = sizeof(so_error);
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &so_len) != 0) return errno;
    return so_error;
  }
}

int sendAllBy(int fd, const std::string& data, const Deadline& deadline) {
  std::size_t done = 0;
  while (done < data.size()) {
    if (deadline.remainingMs() == 0) return ETIMEDOUT;
    const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return errno;
    const int waited = waitReady(fd, POLLOUT, deadline);
    if (waited != 0) return waited;
  }
  return 0;
}

ssize_t recvBy(int fd, char* buf, std::size_t size, const Deadline& deadline, int& error) {
  while (true) {
    if (deadline.remainingMs() == 0) {  // also when data keeps coming: the call is over
      error = ETIMEDOUT;
      return -1;
    }
    const ssize_t n = ::recv(fd, buf, size, 0);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      error = errno;
      return -1;
    }
    const int waited = waitReady(fd, POLLIN, deadline);
    if (waited != 0) {
      error = waited;
      return -1;
    }
  }
}

}  // namespace sipline::ctl
