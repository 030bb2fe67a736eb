#include "core/transport/stream_send.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <vector>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/transport/tcp_handoff.h"
#include "core/transport/tcp_stats.h"

namespace sipline {
namespace {

StreamOwner* g_owner = nullptr;
std::vector<StreamFailureHandler> g_failure_handlers;

// A non-blocking socket connecting to `to` from the listener's address (any port), so the
// peer sees the address we advertise. -1 with errno on an immediate failure.
int startConnect(const Listener& from, const SockAddr& to) {
  int fd = ::socket(to.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  tuneStreamSocket(fd);
  int one = 1;
  if (from.addr.family() == to.family() && !from.addr.isAny()) {
    SockAddr local = from.addr;
    local.setPort(0);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd, local.sa(), local.len) != 0) {
      int err = errno;
      ::close(fd);
      errno = err;
      return -1;
    }
  }
  int rc;
  do {
    rc = ::connect(fd, to.sa(), to.len);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0 && errno != EINPROGRESS) {
    int err = errno;
    ::close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

}  // namespace

void tuneStreamSocket(int fd) {
  int one = 1;
  int idle = 60;
  int interval = 15;
  int probes = 4;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval));
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof(probes));
}

StreamConfig& streamConfig() {
  static StreamConfig config;
  return config;
}

void setStreamOwner(StreamOwner* owner) { g_owner = owner; }

void addStreamFailureHandler(StreamFailureHandler handler) {
  g_failure_handlers.push_back(handler);
}

void reportStreamFailure(Proto proto, const SockAddr& peer, std::string_view unsent) {
  for (StreamFailureHandler h : g_failure_handlers) h(proto, peer, unsent);
}

SendResult sendStream(const Listener& from, const SockAddr& to, std::string_view data,
                      std::string_view host) {
  ConnIndex* index = connIndex();
  if (index == nullptr) return SendResult::kNoSocket;
  TcpStats& stats = tcpStats();
  HandoffChannels& channels = handoffChannels();
  ConnInfo conn;
  if (index->find(from.proto, to, conn)) {
    if (g_owner != nullptr && conn.owner == g_owner->workerIndex()) {
      if (g_owner->queue(conn.id, data)) return SendResult::kOk;
      stats.send_errors.inc();
      return SendResult::kError;
    }
    HandoffHeader h;
    h.kind = HandoffKind::kSend;
    h.conn_id = conn.id;
    h.proto = static_cast<std::uint8_t>(conn.proto);
    h.peer = PackedAddr::of(conn.peer);
    if (channels.send(conn.owner, h, "", data)) return SendResult::kOk;
    stats.handoff_failures.inc();
    SL_ERR_RATELIMITED("cannot hand a message for %s to TCP worker %d: %s", to.toString().c_str(),
                       conn.owner, std::strerror(errno));
    return SendResult::kError;
  }
  if (channels.workers() == 0) return SendResult::kNoSocket;
  int fd = startConnect(from, to);
  if (fd < 0) {
    stats.connect_failures.inc();
    SL_ERR_RATELIMITED("cannot connect to %s over %s from %s: %s", to.toString().c_str(),
                       protoName(from.proto), from.text.c_str(), std::strerror(errno));
    return SendResult::kError;
  }
  ConnInfo info;
  info.proto = from.proto;
  info.peer = to;
  info.listener = from.index;
  info.outgoing = true;
  info.created_s = std::time(nullptr);
  info.owner = g_owner != nullptr ? g_owner->workerIndex() : index->leastLoadedOwner();
  bool handed = false;
  std::uint64_t id = index->add(info, [&](std::uint64_t new_id) {
    if (g_owner != nullptr) return true;
    // Handed over under the index lock: no other process can find the connection (and send
    // on it) before its owner has it.
    HandoffHeader h;
    h.kind = HandoffKind::kAdopt;
    h.conn_id = new_id;
    h.proto = static_cast<std::uint8_t>(from.proto);
    h.listener = static_cast<std::int16_t>(from.index);
    h.peer = PackedAddr::of(to);
    handed = channels.send(info.owner, h, host, data, fd);
    return handed;
  });
  if (id == 0) {
    ::close(fd);
    if (g_owner == nullptr && !handed && index->size() < index->capacity()) {
      stats.handoff_failures.inc();
      SL_ERR_RATELIMITED("cannot hand a new connection to %s to TCP worker %d: %s",
                         to.toString().c_str(), info.owner, std::strerror(errno));
    } else {
      stats.refused.inc();
      SL_ERR_RATELIMITED("cannot open a connection to %s: tcp_max_connections (%zu) reached",
                         to.toString().c_str(), index->capacity());
    }
    return SendResult::kError;
  }
  if (g_owner != nullptr) {
    info.id = id;
    g_owner->adopt(fd, info, host, data);
  } else {
    ::close(fd);  // the owner has its own descriptor now
  }
  return SendResult::kOk;
}

}  // namespace sipline
