// Via work shared by the reply and relay paths: the received/rport annotation a server adds to
// the top Via of a request it receives (RFC 3261 §18.2.1, RFC 3581 §4), the Via a stateless
// proxy inserts with its deterministic branch (RFC 3261 §16.11), and where a reply goes next
// (RFC 3261 §18.2.2 for requests answered here, §18.1.2 / RFC 3581 for relayed replies).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/parser/via.h"
#include "core/transport/listener.h"
#include "core/transport/sock_addr.h"

namespace sipline {

class SipMessage;

// The top via-parm rewritten with received= (source IP differs from sent-by, or rport asked)
// and rport=<source port> filled in; nullopt when nothing changes. force_rport (the script's
// force_rport()) treats the Via as if it carried an empty rport (RFC 3581 §4): rport=<port>
// is added when absent, and received= with it.
std::optional<std::string> annotatedVia(const Via& via, const SockAddr& src,
                                        bool force_rport = false);

// Records the annotation as an edit of msg (top via-parm replaced). False if Vias are bad.
bool annotateTopVia(SipMessage& msg, const SockAddr& src, bool force_rport = false);

// "Via: SIP/2.0/UDP host:port;branch=z9hG4bK...\r\n" (TCP, TLS: the socket's transport) for a
// request relayed statelessly.
// The branch is a hash of the incoming top branch (or, for RFC 2543 peers, of the
// transaction-identifying headers) and the outgoing request-URI, so retransmissions, the
// CANCEL and the non-2xx ACK of a request get the same branch as the request. host/port
// (set_advertised_address/port) replace the socket's Via address when not empty/0.
std::string statelessVia(SipMessage& msg, const Listener& out, std::string_view out_ruri,
                         std::string_view host = "", std::uint16_t port = 0);

// Where a reply to a request received from `src` goes (RFC 3261 §18.2.2 over UDP: the
// source address, at the rport if asked for or forced, else at the sent-by port).
bool replyDestinationForRequest(const Via& top, const SockAddr& src, SockAddr& out,
                                bool force_rport = false);

// Where a reply goes over a stream when the request's connection has closed (RFC 3261
// §18.2.2): the received address (else `src`'s), at the sent-by port (else the transport's
// default port).
SockAddr streamFallbackOf(const Via& via, const SockAddr& src);

// The transport a Via names: TCP, TLS, else UDP (what replies along it are sent over).
Proto viaTransport(const Via& via);

// Where a relayed reply goes: the next Via's received (or sent-by host, numeric only for
// now) and its rport value (or sent-by port, or 5060).
bool nextHopOfVia(const Via& via, SockAddr& out);

}  // namespace sipline
