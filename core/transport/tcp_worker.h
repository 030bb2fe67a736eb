// The TCP worker process: one libevent loop that accepts on every TCP and TLS listener (all
// workers share them; the kernel gives each connection to one), opens the outgoing
// connections handed to it, frames the byte streams into SIP messages (core/parser/
// stream_framer.h), runs each message through the same receive path as a UDP datagram, and
// writes what is queued for its connections, its own or handed over by other processes
// (core/transport/tcp_handoff.h). It owns its connections alone: their sockets, TLS state,
// buffers and timers never leave it. Nothing blocks the loop but the script itself: writes
// queue up to tcp_max_write_queue, connects and TLS handshakes progress on readiness, and a
// connection that trickles bytes costs a partial buffer, not the worker.
//
// Timeouts (swept every 200 ms): connect (tcp_connect_timeout), TLS handshake
// (tls.handshake_timeout), a message begun and not finished (StreamConfig::
// partial_message_ms), and idleness (tcp_connection_lifetime; a connection carrying a
// registration is kept until the registration ends, ConnIndex::keepUntil). CRLF keep-alives
// are answered (RFC 5626 §4.4.1) and count as traffic. An idle connection holds no buffer:
// the framer's, the write queue's and OpenSSL's (SSL_MODE_RELEASE_BUFFERS) are released.
#pragma once

#include <functional>

#include "core/sip/receive.h"

namespace sipline {

// Returns the process's exit code when the stop signal arrives. `before_message` runs before
// each message (it switches to a reloaded script).
int runTcpWorker(int index, MessageProcessor& processor,
                 const std::function<void()>& before_message);

}  // namespace sipline
