// Record-Route written at relay time. record_route() (rr module) only records the wish in
// MsgContext::record_route; the header(s) are inserted by the relay (forward() or tm's
// t_relay, once per branch) when the outgoing socket is known, so that a request crossing
// sockets (another interface, address family or transport) gets two Record-Route entries,
// one per side (RFC 3261 §16.6 step 4; the "double Record-Route" of OpenSIPS/Kamailio).
#pragma once

#include <string>

#include "core/sip/msg_context.h"
#include "core/transport/listener.h"

namespace sipline {

// Inserts our Record-Route header(s) at the top of the Record-Route list when
// ctx.record_route.wanted; nothing otherwise. `out` is the socket the request leaves from.
void insertRecordRoute(MsgContext& ctx, const Listener& out);

// The Record-Route header line(s) (with CRLF) insertRecordRoute() would add; "" if none.
std::string recordRouteLines(MsgContext& ctx, const Listener& out);

}  // namespace sipline
