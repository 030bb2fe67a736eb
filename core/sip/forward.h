// Stateless relaying (RFC 3261 §16.11): forward() of the routing script. A request goes to
// an explicit destination, else $du, else the request-URI, with our Via on top (deterministic
// branch), the previous top Via annotated with received/rport, and Max-Forwards decremented
// (or added) unless the maxfwd module already did it. A reply goes back by its Via stack:
// our Via (which must be the top one) removed, sent to the next Via's received/rport.
// What the script set on the MsgContext is honoured: force_send_socket() picks the socket
// (and so our Via's address), set_advertised_address/port() replace the address in our Via,
// and force_rport() adds rport/received to the previous top Via (RFC 3581 §4). Only branch 0
// is relayed: stateless forwarding never forks, so appended branches are left to tm (a
// warning says so once per process).
// A destination that is a name is resolved by RFC 3263 (core/dns/resolver.h: NAPTR, SRV,
// A/AAAA through the shared cache, bounded by dns_timeout); stateless forwarding cannot fail
// over, so the first target a socket can reach is used (t_relay walks the rest).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/config/socket_spec.h"
#include "core/dns/next_hop.h"
#include "core/sip/msg_context.h"

namespace sipline {

// Parses "udp:host:port", "host:port", "host", or a sip: URI (its host, or maddr when present
// (RFC 3263 §4), port and ;transport=). The host must be a numeric address or a valid DNS
// name. Only UDP is accepted for now (sips: and other transports are kUnsupported).
Result<NextHop> parseNextHop(std::string_view text);

enum class ForwardResult : std::uint8_t {
  kOk,
  kTooManyHops,
  kBadMessage,
  kUnroutable,
  kSendFailed
};
const char* forwardResultText(ForwardResult r);

// Relays the request in ctx. hop: explicit destination, or nullptr for $du / request-URI.
// A request that is neither relayed nor answered is counted as dropped by the receive path.
ForwardResult forwardRequest(MsgContext& ctx, const NextHop* hop);
// Relays the reply in ctx back by its Via stack.
ForwardResult forwardReply(MsgContext& ctx);

}  // namespace sipline
