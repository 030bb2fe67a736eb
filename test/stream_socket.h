// Test helper for stream sockets (TCP, unix): the whole buffer or nothing.
#pragma once

#include <sys/socket.h>

#include <string>

namespace sipline::testing {

// Sends all of `data` on the connected socket `fd`; false once the peer is gone or a send
// fails (no SIGPIPE).
inline bool sendAll(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace sipline::testing
