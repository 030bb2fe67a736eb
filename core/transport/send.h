// Sending a finished message from a listener: a datagram on a UDP socket, or on a TCP/TLS
// connection to the destination (core/transport/stream_send.h: the existing one, else a new
// one). Never blocks: a full socket buffer or write queue is a failed send, logged and
// counted by the caller.
#pragma once

#include <string_view>

#include "core/transport/listener.h"
#include "core/transport/sock_addr.h"

namespace sipline {

enum class SendResult : std::uint8_t { kOk, kNoSocket, kTooLarge, kError };
const char* sendResultText(SendResult r);

// host: for a new TLS connection, the name the peer's certificate must carry ("" = the
// address); ignored otherwise.
SendResult sendTo(const Listener& from, const SockAddr& to, std::string_view data,
                  std::string_view host = {});

// A reply: like sendTo(), except that over TCP or TLS, when there is no connection to `to`
// any more (the request's connection closed), it goes to `fallback` instead (RFC 3261
// §18.2.2: received address, sent-by port), on a new connection.
SendResult sendReplyTo(const Listener& from, const SockAddr& to, const SockAddr& fallback,
                       std::string_view data);

// The route simulator (sipline --simulate) captures what would be sent instead of sending
// it: while a capture is set, sendTo() hands every message that would go out (after the size
// check) to it and returns kOk, whatever the socket. nullptr restores real sends.
class SendCapture {
 public:
  virtual ~SendCapture() = default;
  virtual void captured(const Listener& from, const SockAddr& to, std::string_view data) = 0;
};
void setSendCapture(SendCapture* capture);

}  // namespace sipline
