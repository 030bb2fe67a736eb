#include "modules/siptrace/hep_sender.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/base/clock.h"
#include "core/base/log.h"

namespace sipline::siptrace {

Result<HepDestination> parseHepDestination(std::string_view text) {
  HepDestination d;
  std::string_view rest;
  if (text.substr(0, 4) == "udp:") {
    rest = text.substr(4);
  } else if (text.substr(0, 4) == "tcp:") {
    d.tcp = true;
    rest = text.substr(4);
  } else {
    return Status::invalidArgument("hep_destination \"" + std::string(text) +
                                   "\" must start with udp: or tcp:");
  }
  std::size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos) {
    return Status::invalidArgument("hep_destination \"" + std::string(text) + "\" has no port");
  }
  std::string_view port_text = rest.substr(colon + 1);
  int port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9' || port > 65535) {
      port = -1;
      break;
    }
    port = port * 10 + (c - '0');
  }
  if (port_text.empty() || port <= 0 || port > 65535) {
    return Status::invalidArgument("hep_destination \"" + std::string(text) + "\": bad port");
  }
  if (!SockAddr::fromNumeric(rest.substr(0, colon), static_cast<std::uint16_t>(port), d.addr)) {
    return Status::invalidArgument("hep_destination \"" + std::string(text) +
                                   "\": the address must be a numeric IPv4 or IPv6 address");
  }
  return d;
}

HepSender::~HepSender() { closeFd(); }

void HepSender::closeFd() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  connecting_ = false;
}

void HepSender::fail(std::int64_t now_ms, const char* what) {
  if (!reported_) {
    SL_ERR("siptrace: HEP collector %s: %s failed: %s; retrying", dest_.addr.toString().c_str(),
           what, std::strerror(errno));
    reported_ = true;
  }
  closeFd();
  // The packet being written when the connection broke is cut: drop the rest of the buffer
  // so the collector's stream restarts on a packet boundary.
  discardPending();
  retry_at_ms_ = now_ms + backoff_ms_;
  backoff_ms_ = std::min(backoff_ms_ * 2, kMaxBackoffMs);
}

void HepSender::discardPending() {
  lost_ += pending_ends_.size();
  pending_ends_.clear();
  drained_total_ = buffered_total_;
  pending_.clear();
  pending_at_ = 0;
}

void HepSender::appendPending(std::string_view bytes) {
  pending_.append(bytes);
  buffered_total_ += bytes.size();
  pending_ends_.push_back(buffered_total_);
}

void HepSender::consumePending(std::size_t n) {
  pending_at_ += n;
  drained_total_ += n;
  while (!pending_ends_.empty() && pending_ends_.front() <= drained_total_) {
    pending_ends_.pop_front();
    ++sent_;
  }
}

bool HepSender::ensureSocket(std::int64_t now_ms) {
  if (fd_ >= 0) return true;
  if (now_ms < retry_at_ms_) return false;
  fd_ = ::socket(dest_.addr.family(),
                 (dest_.tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    fail(now_ms, "socket");
    return false;
  }
  if (!dest_.tcp) {
    // Connected: the kernel keeps the route, instead of a lookup per datagram.
    if (::connect(fd_, dest_.addr.sa(), dest_.addr.len) == 0) {
      markConnected();  // after a lasting error: logged as back
      return true;
    }
    fail(now_ms, "connect");
    return false;
  }
  if (::connect(fd_, dest_.addr.sa(), dest_.addr.len) == 0) {
    markConnected();
  } else if (errno == EINPROGRESS) {
    // Finished (or given up) by flush(); the deadline is real time, not the caller's clock,
    // which stands still within a batch.
    connecting_ = true;
    connect_deadline_ms_ = monotonicMs() + kConnectTimeoutMs;
  } else {
    fail(now_ms, "connect");
    return false;
  }
  return true;
}

void HepSender::markConnected() {
  connecting_ = false;
  if (reported_) SL_NOTICE("siptrace: HEP collector %s connected", dest_.addr.toString().c_str());
  reported_ = false;
  backoff_ms_ = kMinBackoffMs;
  retry_at_ms_ = 0;
}

bool HepSender::checkConnect(std::int64_t now_ms) {
  pollfd p{fd_, POLLOUT, 0};
  int rc = ::poll(&p, 1, 0);  // never waits: the writer has other work
  if (rc == 0) {
    if (monotonicMs() >= connect_deadline_ms_) {
      errno = ETIMEDOUT;
      fail(now_ms, "connect");
    }
    return false;
  }
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
  if (rc < 0 || err != 0) {
    errno = err != 0 ? err : errno;
    fail(now_ms, "connect");
    return false;
  }
  markConnected();
  return true;
}

void HepSender::flush(std::int64_t now_ms) {
  if (!dest_.tcp) return;
  if (fd_ < 0) {
    // Reconnect when due, so a stream that broke comes back even with nothing to send.
    if (pending() == 0 || !ensureSocket(now_ms)) return;
  }
  if (connecting_ && !checkConnect(now_ms)) return;
  while (pending_at_ < pending_.size()) {
    ssize_t n = ::send(fd_, pending_.data() + pending_at_, pending_.size() - pending_at_,
                       MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      fail(now_ms, "send");
      return;
    }
    consumePending(static_cast<std::size_t>(n));
  }
  if (pending_at_ == pending_.size()) {
    pending_.clear();
    pending_at_ = 0;
  } else if (pending_at_ > kMaxPending / 2) {
    pending_.erase(0, pending_at_);
    pending_at_ = 0;
  }
}

bool HepSender::sendUdp(std::string_view packet, std::int64_t now_ms) {
  if (!ensureSocket(now_ms)) return false;
  ssize_t n;
  int refused = 0;
  do {
    n = ::send(fd_, packet.data(), packet.size(), MSG_DONTWAIT);
    // ECONNREFUSED reports an earlier datagram's ICMP error (collector down), not this one.
  } while (n < 0 && (errno == EINTR || (errno == ECONNREFUSED && refused++ == 0)));
  if (n < 0) {
    udpError(now_ms);
    return false;
  }
  ++sent_;
  return true;
}

void HepSender::udpError(std::int64_t now_ms) {
  // A full buffer or a collector that refuses costs this packet only. Anything else (the
  // local address went away, no route) may be the connected socket's fixed source: open a
  // new one after the back-off.
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS || errno == EINTR ||
      errno == ECONNREFUSED) {
    SL_ERR_RATELIMITED("siptrace: HEP to %s: %s", dest_.addr.toString().c_str(),
                       std::strerror(errno));
    return;
  }
  fail(now_ms, "send");
}

bool HepSender::queueTcp(std::string_view packet, std::int64_t now_ms) {
  // While down (or in the back-off) packets are dropped, not piled up; while connecting they
  // wait in the buffer.
  if (fd_ < 0 && now_ms < retry_at_ms_) return false;
  if (pending() + packet.size() > kMaxPending) {
    flush(now_ms);
    if (pending() + packet.size() > kMaxPending) return false;
  }
  if (!ensureSocket(now_ms)) return false;
  appendPending(packet);
  return true;
}

bool HepSender::send(std::string_view packet, std::int64_t now_ms) {
  if (!dest_.tcp) return sendUdp(packet, now_ms);
  if (!queueTcp(packet, now_ms)) return false;
  flush(now_ms);
  return true;
}

std::size_t HepSender::writeDirect(const std::string_view* packets, std::size_t n,
                                   std::int64_t now_ms) {
  iovec iovs[kIovBatch];
  std::size_t done = 0;
  while (done < n) {
    const std::size_t count = std::min(n - done, kIovBatch);
    for (std::size_t k = 0; k < count; ++k) {
      iovs[k].iov_base = const_cast<char*>(packets[done + k].data());
      iovs[k].iov_len = packets[done + k].size();
    }
    msghdr msg{};
    msg.msg_iov = iovs;
    msg.msg_iovlen = count;
    ssize_t w = ::sendmsg(fd_, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return done;
    if (w < 0) {
      fail(now_ms, "send");
      return done;
    }
    std::size_t left = static_cast<std::size_t>(w);
    std::size_t k = 0;
    while (k < count && left >= iovs[k].iov_len) left -= iovs[k++].iov_len;
    done += k;
    written_direct_ += k;
    sent_ += k;
    if (k < count) {
      // A packet cut by a full socket: its rest is written before anything else (the stream
      // must stay on packet boundaries), from the buffer, whatever its limit. It counts as
      // sent once that rest is written.
      if (left > 0) {
        appendPending(packets[done].substr(left));
        ++done;
      }
      return done;
    }
  }
  return done;
}

std::size_t HepSender::sendManyTcp(const std::string_view* packets, std::size_t n,
                                   std::int64_t now_ms) {
  flush(now_ms);  // what waits from earlier rounds goes first
  // Nothing waiting and the stream up: written straight from the caller's packets, with no
  // copy into the buffer; only what the socket does not take then is buffered.
  std::size_t sent = connected() && pending() == 0 ? writeDirect(packets, n, now_ms) : 0;
  if (sent == n) return sent;
  for (std::size_t i = sent; i < n; ++i) sent += queueTcp(packets[i], now_ms) ? 1 : 0;
  flush(now_ms);
  return sent;
}

std::size_t HepSender::sendMany(const std::string_view* packets, std::size_t n,
                                std::int64_t now_ms) {
  if (dest_.tcp) return sendManyTcp(packets, n, now_ms);
  std::size_t sent = 0;
  if (n == 0 || !ensureSocket(now_ms)) return 0;
  mmsghdr msgs[kUdpBatch];
  iovec iovs[kUdpBatch];
  std::size_t i = 0;
  bool retried = false;
  while (i < n) {
    const std::size_t count = std::min(n - i, kUdpBatch);
    for (std::size_t k = 0; k < count; ++k) {
      iovs[k].iov_base = const_cast<char*>(packets[i + k].data());
      iovs[k].iov_len = packets[i + k].size();
      msgs[k] = mmsghdr{};  // no address: the socket is connected
      msgs[k].msg_hdr.msg_iov = &iovs[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
    }
    int rc = ::sendmmsg(fd_, msgs, static_cast<unsigned>(count), MSG_DONTWAIT);
    if (rc < 0 && errno == EINTR) continue;
    // ECONNREFUSED: an earlier datagram's ICMP error (the collector was down); the packet at
    // i was not sent and is tried once more.
    if (rc < 0 && errno == ECONNREFUSED && !retried) {
      retried = true;
      continue;
    }
    retried = false;
    if (rc <= 0) {
      // The packet at i failed: dropped; after a passing error the rest is tried, after a
      // lasting one (the socket is closed for a new one) the rest is dropped too.
      udpError(now_ms);
      if (fd_ < 0) return sent;
      ++i;
      continue;
    }
    sent += static_cast<std::size_t>(rc);
    sent_ += static_cast<std::uint64_t>(rc);
    i += static_cast<std::size_t>(rc);
  }
  return sent;
}

}  // namespace sipline::siptrace
