// One TCP or TLS connection as its owning worker holds it (core/transport/tcp_worker.h): the
// socket, the TLS session, the framer of the incoming stream and the queue of outgoing bytes,
// with the non-blocking I/O steps on them. The worker decides what happens (events, timers,
// closing); this layer only moves bytes and reports what it saw. Process-private.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/parser/stream_framer.h"
#include "core/transport/conn_index.h"
#include "core/transport/listener.h"

struct event;

namespace sipline {

enum class ConnState : std::uint8_t { kConnecting, kHandshake, kOpen, kClosed };

enum class IoResult : std::uint8_t {
  kOk,         // progressed; nothing more to do now
  kWantRead,   // waits for the socket to be readable
  kWantWrite,  // waits for the socket to be writable
  kEof,        // the peer closed
  kError,      // failed: close (why() says how)
};

class StreamConn {
 public:
  StreamConn(int fd, const ConnInfo& info, const Listener& listener, const StreamLimits& limits);
  ~StreamConn();
  StreamConn(const StreamConn&) = delete;
  StreamConn& operator=(const StreamConn&) = delete;

  // TLS: creates the session (server side for accepted connections, client side with SNI
  // and verification of `host` for ours). False with why() set on an OpenSSL error.
  bool startTls(std::string_view host);
  bool tls() const { return ssl_ != nullptr; }
  // Completes a non-blocking connect: kOk when connected, kError with why() otherwise.
  IoResult finishConnect();
  // Advances the TLS handshake: kOk when done; kEof when the peer closed without finishing.
  IoResult handshake();
  // Reads what is available (at most `budget` bytes) into the framer. kWantRead when the
  // socket is drained, kOk when the budget ran out first (more may be waiting).
  IoResult readSome(char* scratch, std::size_t scratch_size, std::size_t budget);
  // Appends to the write queue; false when that would exceed `limit` bytes queued.
  bool enqueue(std::string_view data, std::size_t limit);
  // Writes as much of the queue as the socket takes: kOk when it is empty.
  IoResult flush();
  // Frees the write queue's memory when nothing is queued.
  void releaseWriteBuffer();

  int fd() const { return fd_; }
  const ConnInfo& info() const { return info_; }
  const Listener& listener() const { return listener_; }
  StreamFramer& framer() { return framer_; }
  std::size_t queued() const { return out_.size() - out_off_; }
  std::string_view unsent() const { return std::string_view(out_).substr(out_off_); }
  const std::string& why() const { return why_; }

  ConnState state = ConnState::kConnecting;
  std::int64_t state_since_ms = 0;
  std::int64_t last_activity_ms = 0;
  std::int64_t partial_since_ms = 0;  // a message has been begun and not finished since
  event* ev_read = nullptr;
  event* ev_write = nullptr;
  bool write_armed = false;
  bool read_wants_write = false;  // TLS: SSL_read needs the socket writable
  bool write_wants_read = false;  // TLS: SSL_write needs the socket readable

 private:
  IoResult sslResult(int rc, const char* op, bool writing);
  int fd_;
  ConnInfo info_;
  const Listener& listener_;
  SSL* ssl_ = nullptr;
  StreamFramer framer_;
  std::string out_;
  std::size_t out_off_ = 0;
  std::string why_;
};

}  // namespace sipline
