#include "core/transport/tcp_handoff.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/base/log.h"

namespace sipline {
namespace {

void setBuffer(int fd, int opt, int force_opt, int bytes) {
  if (setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof(bytes)) != 0) {
    setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof(bytes));
  }
}

}  // namespace

HandoffChannels::~HandoffChannels() {
  for (Pair& p : pairs_) {
    ::close(p.send);
    ::close(p.receive);
  }
}

Status HandoffChannels::create(int workers, std::size_t max_message) {
  // Room for a few hundred messages of the largest size in flight per worker.
  int bytes = static_cast<int>(
      std::min<std::size_t>(64u << 20, std::max<std::size_t>(4u << 20, max_message * 64)));
  for (int i = 0; i < workers; ++i) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv) != 0) {
      return Status::ioError(std::string("hand-off channel: socketpair: ") + std::strerror(errno));
    }
    setBuffer(sv[0], SO_SNDBUF, SO_SNDBUFFORCE, bytes);
    setBuffer(sv[1], SO_RCVBUF, SO_RCVBUFFORCE, bytes);
    pairs_.push_back({sv[0], sv[1]});
  }
  // Without root the kernel caps the buffers at net.core.wmem_max: a burst of hand-offs may
  // then fail (tcp:handoff_failures). Said once at start, where the operator looks.
  int got = 0;
  socklen_t len = sizeof(got);
  if (!pairs_.empty() && getsockopt(pairs_[0].send, SOL_SOCKET, SO_SNDBUF, &got, &len) == 0 &&
      static_cast<std::size_t>(got) < 16 * max_message) {
    SL_WARN(
        "hand-off channels got %d bytes of buffer (wanted %d): raise net.core.wmem_max "
        "and net.core.rmem_max, or start as root",
        got, bytes);
  }
  return Status::ok();
}

bool HandoffChannels::send(int worker, const HandoffHeader& header, std::string_view host,
                           std::string_view payload, int fd) {
  if (worker < 0 || worker >= workers()) {
    errno = EINVAL;
    return false;
  }
  HandoffHeader h = header;
  h.host_len = static_cast<std::uint16_t>(std::min<std::size_t>(host.size(), 1024));
  iovec iov[3] = {{&h, sizeof(h)},
                  {const_cast<char*>(host.data()), h.host_len},
                  {const_cast<char*>(payload.data()), payload.size()}};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = 3;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  if (fd >= 0) {
    std::memset(control, 0, sizeof(control));
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  }
  ssize_t n;
  do {
    n = ::sendmsg(pairs_[worker].send, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n >= 0;
}

bool HandoffChannels::receive(int fd, HandoffMessage& out, std::string& scratch) {
  // The datagram's size first (MSG_PEEK | MSG_TRUNC), so the buffer fits it exactly once.
  ssize_t size;
  do {
    size = ::recv(fd, nullptr, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
  } while (size < 0 && errno == EINTR);
  if (size < 0) return false;
  scratch.resize(static_cast<std::size_t>(size) + 1);
  iovec iov{scratch.data(), scratch.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  do {
    n = ::recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return false;
  out.fd = -1;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      std::memcpy(&out.fd, CMSG_DATA(c), sizeof(int));
    }
  }
  std::size_t len = static_cast<std::size_t>(n);
  // MSG_CTRUNC alone: the descriptor was lost (the receiver is out of them) but the message is
  // whole; it is delivered without one (fd -1), so the receiver can report the failure.
  if (len < sizeof(HandoffHeader) || (msg.msg_flags & MSG_TRUNC) != 0) {
    SL_ERR_RATELIMITED("hand-off: truncated message (%zu bytes) discarded", len);
    if (out.fd >= 0) ::close(out.fd);
    out.fd = -1;
    out.header = HandoffHeader{};
    out.header.magic = 0;
    return true;
  }
  std::memcpy(&out.header, scratch.data(), sizeof(HandoffHeader));
  std::size_t host_end = sizeof(HandoffHeader) + out.header.host_len;
  if (out.header.magic != HandoffHeader::kMagic || host_end > len) {
    SL_ERR_RATELIMITED("hand-off: malformed message (%zu bytes) discarded", len);
    if (out.fd >= 0) ::close(out.fd);
    out.fd = -1;
    out.header.magic = 0;
    return true;
  }
  out.host.assign(scratch.data() + sizeof(HandoffHeader), out.header.host_len);
  out.payload.assign(scratch.data() + host_end, len - host_end);
  return true;
}

HandoffChannels& handoffChannels() {
  static HandoffChannels channels;
  return channels;
}

}  // namespace sipline
