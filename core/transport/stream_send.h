// Sending on TCP and TLS: the stream half of sendTo() (core/transport/send.h). A message for a
// peer goes on the newest connection of that transport to its address (RFC 3261 §18: replies
// on the connection the request came on; requests to a registered contact on its own
// connection), whichever process owns it: the owner queues it itself, any other process hands
// it over (core/transport/tcp_handoff.h). Without a connection, a new one is opened here
// (non-blocking connect from the listener's address) and given to the least loaded TCP worker
// with its first message; an immediate refusal fails the send at once, a later one is the
// owner's (logged and counted). Never blocks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/parser/stream_framer.h"
#include "core/transport/conn_index.h"
#include "core/transport/listener.h"
#include "core/transport/send.h"
#include "core/transport/sock_addr.h"

namespace sipline {

// The stream settings every process uses (set by the master before fork).
struct StreamConfig {
  std::int64_t lifetime_ms = 120000;         // tcp_connection_lifetime
  std::int64_t connect_timeout_ms = 3000;    // tcp_connect_timeout
  std::int64_t handshake_timeout_ms = 5000;  // tls.handshake_timeout
  // A message begun must be complete within this (a client trickling bytes holds a buffer).
  std::int64_t partial_message_ms = 20000;
  std::size_t max_write_queue = 256 * 1024;  // tcp_max_write_queue
  ConnIndex::IncomingLimits incoming;        // tcp_max_connections_per_ip, outgoing reserve
  StreamLimits limits;
};
StreamConfig& streamConfig();

// The TCP worker of this process, if it is one: it takes the messages of its own connections
// directly instead of through its hand-off channel.
class StreamOwner {
 public:
  virtual ~StreamOwner() = default;
  virtual int workerIndex() const = 0;
  // Queues data on connection `id`; false when it is not one of ours (any more) or its write
  // queue overflowed (the connection is then closed).
  virtual bool queue(std::uint64_t id, std::string_view data) = 0;
  // Takes a new outgoing connection: `fd` is connecting (or connected), registered as `id`.
  virtual void adopt(int fd, const ConnInfo& info, std::string_view host,
                     std::string_view data) = 0;
};
void setStreamOwner(StreamOwner* owner);

// Called in the owning worker when a connection we opened fails before it carried anything
// (refused, unreachable, connect or TLS handshake timeout, handshake refused), with the bytes
// that were waiting for it: their sender can fail over at once instead of waiting for its
// own timer (tm: the branch whose Via branch the request carries). Registered before fork.
using StreamFailureHandler = void (*)(Proto proto, const SockAddr& peer, std::string_view unsent);
void addStreamFailureHandler(StreamFailureHandler handler);
void reportStreamFailure(Proto proto, const SockAddr& peer, std::string_view unsent);

// Options of every TCP/TLS socket: no Nagle delay (a SIP message is written whole), and TCP
// keep-alives, so a peer that vanished without closing (a phone whose NAT binding or power
// went) is found within about two minutes of silence, even on a connection a registration
// keeps open (60 s idle, then 4 probes 15 s apart).
void tuneStreamSocket(int fd);

// `host`: the name a new TLS connection verifies the peer against ("" = its address).
SendResult sendStream(const Listener& from, const SockAddr& to, std::string_view data,
                      std::string_view host);

}  // namespace sipline
