// What every relay path shares (stateless forward() and tm's t_relay()): the Max-Forwards
// step of RFC 3261 §16.6 and the choice of the outgoing socket.
#pragma once

#include <string>

#include "core/dns/next_hop.h"
#include "core/sip/msg_context.h"
#include "core/transport/listener.h"
#include "core/transport/sock_addr.h"

namespace sipline {

enum class MaxForwardsResult : std::uint8_t { kOk, kTooManyHops, kBad };

// Decrements Max-Forwards or adds it (RFC 3261 §16.6 step 3), once per message
// (ctx.maxfwd_processed). kTooManyHops at 0.
MaxForwardsResult processMaxForwards(MsgContext& ctx);

// A forced socket (force_send_socket(), or the one lookup() restored) decides the transport of
// a destination that names none (no ";transport=", no "tcp:" prefix, not sips:), as in
// OpenSIPS: a TCP socket sends over TCP (and resolves _sip._tcp) without being told twice.
void applyForcedTransport(const MsgContext& ctx, NextHop& hop);

// The name a new TLS connection to the hop verifies the peer's certificate against: the
// URI's domain (RFC 5922 §4: not an SRV target), "" for a numeric host (its address then).
std::string tlsNameOf(const NextHop& hop);

// force_send_socket() wins (it must fit the transport and family); else a socket of the
// transport and the destination's family, preferring the one the request came in on.
// nullptr (logged, with `who` naming the caller) when none fits.
const Listener* outgoingSocket(MsgContext& ctx, const SockAddr& dst, Proto proto, const char* who);

}  // namespace sipline
