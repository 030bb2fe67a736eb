#include "core/transport/tcp_worker.h"

#include <event2/event.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/proc/process_load.h"
#include "core/proc/process_table.h"
#include "core/proc/supervisor.h"
#include "core/transport/conn_index.h"
#include "core/transport/stream_send.h"
#include "core/transport/tcp_conn.h"
#include "core/transport/tcp_handoff.h"
#include "core/transport/tcp_stats.h"

namespace sipline {
namespace {

constexpr timeval kTick = {0, 200 * 1000};       // stop flag and timeouts
constexpr int kAcceptBurst = 64;                 // accepts per wake-up, then the others' turn
constexpr int kHandoffBurst = 256;               // hand-offs per wake-up
constexpr std::size_t kReadBudget = 256 * 1024;  // bytes per connection per wake-up
constexpr std::size_t kScratch = 65536;

class TcpWorker;
TcpWorker* g_worker = nullptr;  // the one of this process (the connection events' owner)

class TcpWorker final : public StreamOwner {
 public:
  TcpWorker(int index, MessageProcessor& processor, const std::function<void()>& before_message)
      : index_(index),
        processor_(processor),
        before_message_(before_message),
        config_(streamConfig()),
        scratch_(new char[kScratch]) {}
  ~TcpWorker() override;
  int run();

  int workerIndex() const override { return index_; }
  bool queue(std::uint64_t id, std::string_view data) override;
  void adopt(int fd, const ConnInfo& info, std::string_view host, std::string_view data) override;

 private:
  struct Accepting {
    TcpWorker* worker;
    const Listener* listener;
    event* ev;
  };

  static void onAccept(evutil_socket_t fd, short what, void* arg);
  static void onHandoff(evutil_socket_t fd, short what, void* arg);
  static void onRead(evutil_socket_t fd, short what, void* arg);
  static void onWrite(evutil_socket_t fd, short what, void* arg);
  static void onTick(evutil_socket_t fd, short what, void* arg);

  void acceptFrom(Accepting& a);
  StreamConn* track(int fd, const ConnInfo& info, ConnState state);
  bool beginTls(StreamConn& c, std::string_view host);
  void readable(StreamConn& c);
  void writable(StreamConn& c);
  void step(StreamConn& c, IoResult r);
  bool deliver(StreamConn& c);
  bool queueOn(StreamConn& c, std::string_view data);
  void flushOut(StreamConn& c);
  void armWrite(StreamConn& c, bool on);
  void opened(StreamConn& c);
  void close(StreamConn& c, const char* why, StatCounter* counter);
  void sweep();
  void reap();
  StreamConn* byId(std::uint64_t id);

  int index_;
  MessageProcessor& processor_;
  const std::function<void()>& before_message_;
  const StreamConfig& config_;
  std::unique_ptr<char[]> scratch_;
  event_base* base_ = nullptr;
  event* tick_ = nullptr;
  event* handoff_ev_ = nullptr;
  std::vector<Accepting> accepting_;
  bool accept_paused_ = false;
  std::int64_t accept_resume_ms_ = 0;
  std::unordered_map<std::uint64_t, std::unique_ptr<StreamConn>> conns_;
  std::vector<std::unique_ptr<StreamConn>> dead_;  // closed inside a callback, freed after it
  struct Failure {
    Proto proto;
    SockAddr peer;
    std::string unsent;
  };
  std::vector<Failure> failures_;  // messages that never left (closed or lost connections)
  std::string handoff_scratch_;
  ProcessSlot* slot_ = nullptr;
};

TcpWorker::~TcpWorker() {
  std::vector<std::uint64_t> ids;
  for (auto& [id, c] : conns_) ids.push_back(id);
  for (std::uint64_t id : ids) {
    StreamConn* c = byId(id);
    if (c == nullptr) continue;
    flushOut(*c);  // a last try for what is queued
    close(*c, "the worker stops", nullptr);
  }
  reap();
  for (Accepting& a : accepting_) {
    if (a.ev != nullptr) event_free(a.ev);
  }
  if (handoff_ev_ != nullptr) event_free(handoff_ev_);
  if (tick_ != nullptr) event_free(tick_);
  if (base_ != nullptr) event_base_free(base_);
}

int TcpWorker::run() {
  signal(SIGPIPE, SIG_IGN);
  base_ = event_base_new();
  if (base_ == nullptr) {
    SL_CRIT("TCP worker %d: cannot create an event base", index_);
    return 1;
  }
  slot_ = mySlot();
  // A worker that restarts owns nothing: the sockets of its predecessor died with it.
  if (std::size_t n = connIndex()->removeOwnedBy(index_); n > 0) {
    SL_WARN("TCP worker %d: %zu connections of the previous worker forgotten", index_, n);
  }
  const std::vector<Listener>& all = listeners().all();
  accepting_.reserve(all.size());
  for (const Listener& l : all) {
    if (l.proto == Proto::kUdp || l.fd < 0) continue;
    accepting_.push_back({this, &l, nullptr});
  }
  for (Accepting& a : accepting_) {
    a.ev = event_new(base_, a.listener->fd, EV_READ | EV_PERSIST, onAccept, &a);
    if (a.ev == nullptr || event_add(a.ev, nullptr) != 0) {
      SL_CRIT("TCP worker %d: cannot watch %s", index_, a.listener->text.c_str());
      return 1;
    }
    SL_INFO("accepting on %s", a.listener->text.c_str());
  }
  handoff_ev_ =
      event_new(base_, handoffChannels().receiveFd(index_), EV_READ | EV_PERSIST, onHandoff, this);
  tick_ = event_new(base_, -1, EV_PERSIST, onTick, this);
  if (handoff_ev_ == nullptr || tick_ == nullptr || event_add(handoff_ev_, nullptr) != 0 ||
      event_add(tick_, &kTick) != 0) {
    SL_CRIT("TCP worker %d: cannot set up its event loop", index_);
    return 1;
  }
  g_worker = this;
  setStreamOwner(this);
  signals::unblockStop();
  int rc = event_base_dispatch(base_);
  setStreamOwner(nullptr);
  g_worker = nullptr;
  return rc < 0 ? 1 : 0;
}

StreamConn* TcpWorker::byId(std::uint64_t id) {
  auto it = conns_.find(id);
  return it == conns_.end() || it->second->state == ConnState::kClosed ? nullptr : it->second.get();
}

StreamConn* TcpWorker::track(int fd, const ConnInfo& info, ConnState state) {
  const Listener& l = listeners().all()[static_cast<std::size_t>(info.listener)];
  auto conn = std::make_unique<StreamConn>(fd, info, l, config_.limits);
  StreamConn* c = conn.get();
  c->state = state;
  c->state_since_ms = c->last_activity_ms = monotonicMs();
  c->ev_read = event_new(base_, fd, EV_READ | EV_PERSIST, onRead, c);
  c->ev_write = event_new(base_, fd, EV_WRITE | EV_PERSIST, onWrite, c);
  conns_[info.id] = std::move(conn);
  if (c->ev_read == nullptr || c->ev_write == nullptr || event_add(c->ev_read, nullptr) != 0) {
    close(*c, "cannot watch the socket", &tcpStats().send_errors);
    return nullptr;
  }
  return c;
}

void TcpWorker::acceptFrom(Accepting& a) {
  TcpStats& stats = tcpStats();
  for (int i = 0; i < kAcceptBurst; ++i) {
    SockAddr peer;
    peer.len = sizeof(peer.ss);
    int fd = ::accept4(a.listener->fd, peer.sa(), &peer.len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED) {
        return;
      }
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: accepting again at once would spin; wait a moment.
        SL_ERR_RATELIMITED("accept on %s: %s; accepting paused for 1 s", a.listener->text.c_str(),
                           std::strerror(errno));
        for (Accepting& x : accepting_) event_del(x.ev);
        accept_paused_ = true;
        accept_resume_ms_ = monotonicMs() + 1000;
        stats.refused.inc();
        return;
      }
      SL_ERR_RATELIMITED("accept on %s: %s", a.listener->text.c_str(), std::strerror(errno));
      return;
    }
    tuneStreamSocket(fd);
    ConnInfo info;
    info.proto = a.listener->proto;
    info.peer = peer;
    info.listener = a.listener->index;
    info.owner = index_;
    info.created_s = std::time(nullptr);
    ConnIndex::Refusal why = ConnIndex::Refusal::kNone;
    info.id = connIndex()->addIncoming(info, streamConfig().incoming, why);
    if (info.id == 0) {
      ::close(fd);
      stats.refused.inc();
      if (why == ConnIndex::Refusal::kPerIp) {
        stats.refused_per_ip.inc();
        SL_ERR_RATELIMITED(
            "connection from %s on %s refused: that address holds tcp_max_connections_per_ip "
            "(%zu) already",
            peer.toString().c_str(), a.listener->text.c_str(), streamConfig().incoming.max_per_ip);
      } else {
        SL_ERR_RATELIMITED(
            "connection from %s on %s refused: tcp_max_connections (%zu) reached (the last %zu "
            "are kept for connections the server opens)",
            peer.toString().c_str(), a.listener->text.c_str(), connIndex()->capacity(),
            streamConfig().incoming.reserved);
      }
      continue;
    }
    stats.accepted.inc();
    bool tls = info.proto == Proto::kTls;
    StreamConn* c = track(fd, info, tls ? ConnState::kHandshake : ConnState::kOpen);
    if (c == nullptr) continue;
    SL_DBG("%s connection %llx from %s on %s", protoName(info.proto),
           static_cast<unsigned long long>(info.id), peer.toString().c_str(),
           a.listener->text.c_str());
    if (tls && beginTls(*c, "")) step(*c, c->handshake());
  }
}

bool TcpWorker::beginTls(StreamConn& c, std::string_view host) {
  if (c.startTls(host)) return true;
  close(c, c.why().c_str(), &tcpStats().tls_handshake_failures);
  return false;
}

void TcpWorker::adopt(int fd, const ConnInfo& info, std::string_view host, std::string_view data) {
  StreamConn* c = track(fd, info, ConnState::kConnecting);
  if (c == nullptr) return;
  c->enqueue(data, config_.max_write_queue + data.size());
  if (info.proto == Proto::kTls) {
    // The name to verify is needed once connected; kept in the session from the start.
    if (!beginTls(*c, host)) return;
  }
  armWrite(*c, true);  // writable = connected (or failed)
}

bool TcpWorker::queue(std::uint64_t id, std::string_view data) {
  StreamConn* c = byId(id);
  return c != nullptr && queueOn(*c, data);
}

bool TcpWorker::queueOn(StreamConn& c, std::string_view data) {
  if (!c.enqueue(data, config_.max_write_queue)) {
    SL_ERR_RATELIMITED("%s connection to %s: more than %zu bytes waiting; closed",
                       protoName(c.info().proto), c.info().peer.toString().c_str(),
                       config_.max_write_queue);
    close(c, "write queue full", &tcpStats().write_queue_full);
    return false;
  }
  if (c.state == ConnState::kOpen && !c.write_armed) flushOut(c);
  return c.state != ConnState::kClosed;
}

void TcpWorker::armWrite(StreamConn& c, bool on) {
  if (on == c.write_armed || c.state == ConnState::kClosed) return;
  c.write_armed = on;
  if (on) {
    event_add(c.ev_write, nullptr);
  } else {
    event_del(c.ev_write);
  }
}

void TcpWorker::flushOut(StreamConn& c) {
  if (c.state != ConnState::kOpen) return;
  IoResult r = c.flush();
  c.write_wants_read = r == IoResult::kWantRead;
  if (r == IoResult::kOk) {
    c.last_activity_ms = monotonicMs();
    armWrite(c, false);
    // Only the write queue: the framer's buffer may hold the message being processed now
    // (a reply sent from inside it); readable() frees that one after delivering.
    c.releaseWriteBuffer();
  } else if (r == IoResult::kWantWrite) {
    armWrite(c, true);
  } else if (r == IoResult::kWantRead) {
    armWrite(c, false);
  } else {
    SL_ERR_RATELIMITED("%s connection to %s: %s; closed", protoName(c.info().proto),
                       c.info().peer.toString().c_str(), c.why().c_str());
    close(c, c.why().c_str(), &tcpStats().send_errors);
  }
}

void TcpWorker::opened(StreamConn& c) {
  c.state = ConnState::kOpen;
  c.state_since_ms = c.last_activity_ms = monotonicMs();
  if (c.tls()) tcpStats().tls_handshakes.inc();
  SL_DBG("%s connection %s open", protoName(c.info().proto), c.info().peer.toString().c_str());
  armWrite(c, false);
  flushOut(c);
  // Bytes that came with the end of the handshake may wait in the TLS session already.
  if (c.state == ConnState::kOpen) event_active(c.ev_read, EV_READ, 0);
}

// What an I/O step reported, for the connecting and handshaking states.
void TcpWorker::step(StreamConn& c, IoResult r) {
  if (c.state == ConnState::kClosed) return;
  switch (r) {
    case IoResult::kOk:
      if (c.state == ConnState::kHandshake) opened(c);
      return;
    case IoResult::kWantRead:
      armWrite(c, false);
      return;
    case IoResult::kWantWrite:
      armWrite(c, true);
      return;
    case IoResult::kEof:
      if (c.state == ConnState::kHandshake && !c.info().outgoing) {
        // A client that connects and leaves without a word (port probes, health checks):
        // counted, not worth an error line each.
        SL_DBG("TLS connection from %s closed before its handshake",
               c.info().peer.toString().c_str());
        close(c, c.why().c_str(), &tcpStats().tls_handshake_failures);
        return;
      }
      [[fallthrough]];
    case IoResult::kError:
      SL_ERR_RATELIMITED("%s connection %s %s: %s", protoName(c.info().proto),
                         c.info().outgoing ? "to" : "from", c.info().peer.toString().c_str(),
                         c.why().c_str());
      close(c, c.why().c_str(),
            c.state == ConnState::kHandshake ? &tcpStats().tls_handshake_failures
                                             : &tcpStats().connect_failures);
      return;
  }
}

void TcpWorker::writable(StreamConn& c) {
  switch (c.state) {
    case ConnState::kConnecting: {
      IoResult r = c.finishConnect();
      if (r == IoResult::kWantWrite) return;
      if (r != IoResult::kOk) {
        step(c, r);
        return;
      }
      tcpStats().opened.inc();
      if (c.tls()) {
        c.state = ConnState::kHandshake;
        c.state_since_ms = monotonicMs();
        step(c, c.handshake());
      } else {
        opened(c);
      }
      return;
    }
    case ConnState::kHandshake:
      step(c, c.handshake());
      return;
    case ConnState::kOpen:
      if (c.read_wants_write) {
        c.read_wants_write = false;
        readable(c);
        if (c.state != ConnState::kOpen) return;
      }
      if (c.queued() > 0) {
        flushOut(c);
      } else {
        armWrite(c, false);
      }
      return;
    case ConnState::kClosed:
      return;
  }
}

void TcpWorker::readable(StreamConn& c) {
  if (c.state == ConnState::kConnecting) return;  // writability says when it connects
  if (c.state == ConnState::kHandshake) {
    step(c, c.handshake());
    return;
  }
  if (c.state != ConnState::kOpen) return;
  if (c.write_wants_read) {
    c.write_wants_read = false;
    flushOut(c);
    if (c.state != ConnState::kOpen) return;
  }
  IoResult r = c.readSome(scratch_.get(), kScratch, kReadBudget);
  c.last_activity_ms = monotonicMs();
  const bool delivered = deliver(c);
  if (c.state != ConnState::kOpen) return;
  switch (r) {
    case IoResult::kOk:
      // The budget ran out with more waiting (or TLS holds decrypted bytes): come back after
      // the other connections had their turn.
      event_active(c.ev_read, EV_READ, 0);
      break;
    case IoResult::kWantRead:
      break;
    case IoResult::kWantWrite:
      c.read_wants_write = true;
      armWrite(c, true);
      break;
    case IoResult::kEof:
      if (c.framer().buffered() > 0) {
        SL_DBG("%s connection from %s closed in the middle of a message (%zu bytes dropped)",
               protoName(c.info().proto), c.info().peer.toString().c_str(), c.framer().buffered());
      }
      close(c, "closed by the peer", &tcpStats().closed_by_peer);
      return;
    case IoResult::kError:
      SL_ERR_RATELIMITED("%s connection %s: %s; closed", protoName(c.info().proto),
                         c.info().peer.toString().c_str(), c.why().c_str());
      close(c, c.why().c_str(), &tcpStats().closed_by_peer);
      return;
  }
  if (c.framer().buffered() == 0) {
    c.partial_since_ms = 0;
    c.releaseWriteBuffer();
    c.framer().releaseIfIdle();
  } else if (c.framer().betweenMessages()) {
    c.partial_since_ms = 0;  // a pong's CRLF held in case it starts a ping: idle, not slow
  } else if (c.partial_since_ms == 0 || delivered) {
    c.partial_since_ms = monotonicMs();  // the message in progress started in this read
  }
}

// Hands every complete message to the receive path; answers pings; closes on a framing error.
// True when a message completed.
bool TcpWorker::deliver(StreamConn& c) {
  std::string_view message;
  bool delivered = false;
  for (;;) {
    FrameStatus st = c.framer().next(message);
    if (st == FrameStatus::kNeedMore) return delivered;
    if (st == FrameStatus::kPing) {
      queueOn(c, "\r\n");  // RFC 5626 §4.4.1 pong
      if (c.state == ConnState::kClosed) return delivered;
      continue;
    }
    if (st != FrameStatus::kMessage) {
      SL_ERR_RATELIMITED("%s connection from %s: %s; closed", protoName(c.info().proto),
                         c.info().peer.toString().c_str(), frameStatusText(st));
      close(c, frameStatusText(st), &tcpStats().framing_errors);
      return delivered;
    }
    delivered = true;
    // The view lives in the framer's buffer until the next call to it; the message is
    // processed before that, and a send from the script onto this same connection only
    // touches the write queue.
    BusyScope busy;
    before_message_();
    processor_.onDatagram(c.listener(), c.info().peer, message);
    if (slot_ != nullptr) slot_->handled.fetch_add(1, std::memory_order_relaxed);
    if (c.state == ConnState::kClosed) return delivered;
  }
}

void TcpWorker::close(StreamConn& c, const char* why, StatCounter* counter) {
  if (c.state == ConnState::kClosed) return;
  SL_DBG("%s connection %s %s closed: %s", protoName(c.info().proto),
         c.info().outgoing ? "to" : "from", c.info().peer.toString().c_str(), why);
  if (counter != nullptr) counter->inc();
  bool never_opened =
      c.state == ConnState::kConnecting || (c.state == ConnState::kHandshake && c.info().outgoing);
  c.state = ConnState::kClosed;
  if (c.ev_read != nullptr) event_free(c.ev_read);
  if (c.ev_write != nullptr) event_free(c.ev_write);
  c.ev_read = c.ev_write = nullptr;
  connIndex()->remove(c.info().id);
  if (c.queued() > 0 && (!never_opened || c.info().outgoing)) {
    // What never left: its senders may fail over (tm) instead of waiting for their timers.
    // Reported from reap(), outside any callback: the sender may hold locks right now.
    failures_.push_back({c.info().proto, c.info().peer, std::string(c.unsent())});
  }
  auto it = conns_.find(c.info().id);
  if (it != conns_.end()) {
    dead_.push_back(std::move(it->second));
    conns_.erase(it);
  }
}

void TcpWorker::reap() {
  dead_.clear();
  while (!failures_.empty()) {
    std::vector<Failure> now;
    now.swap(failures_);
    for (const Failure& f : now) reportStreamFailure(f.proto, f.peer, f.unsent);
  }
}

void TcpWorker::sweep() {
  std::int64_t now = monotonicMs();
  std::vector<StreamConn*> expired;
  for (auto& [id, conn] : conns_) {
    StreamConn& c = *conn;
    switch (c.state) {
      case ConnState::kConnecting:
        if (now - c.state_since_ms > config_.connect_timeout_ms) expired.push_back(&c);
        break;
      case ConnState::kHandshake:
        if (now - c.state_since_ms > config_.handshake_timeout_ms) expired.push_back(&c);
        break;
      case ConnState::kOpen:
        if ((c.partial_since_ms != 0 && now - c.partial_since_ms > config_.partial_message_ms) ||
            (now - c.last_activity_ms > config_.lifetime_ms &&
             connIndex()->keepUntilOf(id) < now)) {
          expired.push_back(&c);
        }
        break;
      case ConnState::kClosed:
        break;
    }
  }
  TcpStats& stats = tcpStats();
  for (StreamConn* c : expired) {
    const char* peer_dir = c->info().outgoing ? "to" : "from";
    std::string peer = c->info().peer.toString();
    switch (c->state) {
      case ConnState::kConnecting:
        SL_ERR_RATELIMITED("%s connection to %s: no answer within %lld ms; given up",
                           protoName(c->info().proto), peer.c_str(),
                           static_cast<long long>(config_.connect_timeout_ms));
        close(*c, "connect timeout", &stats.connect_failures);
        break;
      case ConnState::kHandshake:
        SL_ERR_RATELIMITED("TLS connection %s %s: no handshake within %lld ms; closed", peer_dir,
                           peer.c_str(), static_cast<long long>(config_.handshake_timeout_ms));
        close(*c, "handshake timeout", &stats.tls_handshake_failures);
        break;
      default:
        if (c->partial_since_ms != 0 && now - c->partial_since_ms > config_.partial_message_ms) {
          SL_ERR_RATELIMITED(
              "%s connection %s %s: message not complete after %lld ms (%zu bytes); "
              "closed",
              protoName(c->info().proto), peer_dir, peer.c_str(),
              static_cast<long long>(config_.partial_message_ms), c->framer().buffered());
          close(*c, "message too slow", &stats.slow_messages);
        } else {
          close(*c, "idle", &stats.closed_idle);
        }
        break;
    }
  }
}

void TcpWorker::onAccept(evutil_socket_t, short, void* arg) {
  Accepting& a = *static_cast<Accepting*>(arg);
  a.worker->acceptFrom(a);
  a.worker->reap();
}

void TcpWorker::onHandoff(evutil_socket_t fd, short, void* arg) {
  TcpWorker& w = *static_cast<TcpWorker*>(arg);
  HandoffMessage m;
  for (int i = 0; i < kHandoffBurst && HandoffChannels::receive(fd, m, w.handoff_scratch_); ++i) {
    if (m.header.magic != HandoffHeader::kMagic) continue;  // discarded (logged)
    if (m.header.kind == HandoffKind::kAdopt &&
        (m.fd < 0 || m.header.listener < 0 ||
         static_cast<std::size_t>(m.header.listener) >= listeners().all().size())) {
      // Its descriptor did not arrive (we are out of them): the connection does not exist;
      // forget it and let the sender fail over instead of waiting.
      SL_ERR_RATELIMITED(
          "hand-off of a new connection to %s arrived without its socket; "
          "dropped",
          m.header.peer.unpack().toString().c_str());
      if (m.fd >= 0) ::close(m.fd);
      connIndex()->remove(m.header.conn_id);
      tcpStats().connect_failures.inc();
      w.failures_.push_back(
          {static_cast<Proto>(m.header.proto), m.header.peer.unpack(), std::move(m.payload)});
    } else if (m.header.kind == HandoffKind::kAdopt) {
      ConnInfo info;
      info.id = m.header.conn_id;
      info.proto = static_cast<Proto>(m.header.proto);
      info.peer = m.header.peer.unpack();
      info.listener = m.header.listener;
      info.owner = w.index_;
      info.outgoing = true;
      w.adopt(m.fd, info, m.host, m.payload);
    } else if (m.header.kind == HandoffKind::kSend) {
      if (w.byId(m.header.conn_id) == nullptr) {
        // The connection closed before the message reached it: the sender may fail over.
        tcpStats().handoff_orphans.inc();
        SL_DBG("hand-off for connection %llx: gone; %zu bytes dropped",
               static_cast<unsigned long long>(m.header.conn_id), m.payload.size());
        w.failures_.push_back(
            {static_cast<Proto>(m.header.proto), m.header.peer.unpack(), std::move(m.payload)});
      } else {
        w.queue(m.header.conn_id, m.payload);
      }
    } else {
      if (m.fd >= 0) ::close(m.fd);
      SL_ERR_RATELIMITED("hand-off: unknown message kind %d discarded",
                         static_cast<int>(m.header.kind));
    }
  }
  w.reap();
}

void TcpWorker::onRead(evutil_socket_t, short, void* arg) {
  g_worker->readable(*static_cast<StreamConn*>(arg));
  g_worker->reap();
}

void TcpWorker::onWrite(evutil_socket_t, short, void* arg) {
  g_worker->writable(*static_cast<StreamConn*>(arg));
  g_worker->reap();
}

void TcpWorker::onTick(evutil_socket_t, short, void* arg) {
  TcpWorker& w = *static_cast<TcpWorker*>(arg);
  if (signals::stopRequested()) {
    event_base_loopbreak(w.base_);
    return;
  }
  if (w.accept_paused_ && monotonicMs() >= w.accept_resume_ms_) {
    w.accept_paused_ = false;
    for (Accepting& a : w.accepting_) event_add(a.ev, nullptr);
  }
  w.sweep();
  w.reap();
  if (w.slot_ != nullptr)
    w.slot_->heap_bytes.store(mallinfo2().uordblks, std::memory_order_relaxed);
}

}  // namespace

int runTcpWorker(int index, MessageProcessor& processor,
                 const std::function<void()>& before_message) {
  TcpWorker worker(index, processor, before_message);
  return worker.run();
}

}  // namespace sipline
