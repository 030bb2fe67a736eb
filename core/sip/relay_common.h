// What every relay path shares (stateless forward() and tm's t_relay()): the Max-Forwards
// step of RFC 3261 §16.6 and the choice of the outgoing socket.
#pragma once

#include "core/sip/msg_context.h"
#include "core/transport/listener.h"
#include "core/transport/sock_addr.h"

namespace sipline {

enum class MaxForwardsResult : std::uint8_t { kOk, kTooManyHops, kBad };

// Decrements Max-Forwards or adds it (RFC 3261 §16.6 step 3), once per message
// (ctx.maxfwd_processed). kTooManyHops at 0.
MaxForwardsResult processMaxForwards(MsgContext& ctx);

// force_send_socket() wins (it must fit the transport and family); else a socket of the
// transport and the destination's family, preferring the one the request came in on.
// nullptr (logged, with `who` naming the caller) when none fits.
const Listener* outgoingSocket(MsgContext& ctx, const SockAddr& dst, Proto proto,
                               const char* who);

}  // namespace sipline
