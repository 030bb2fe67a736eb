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
// Destinations must be numeric addresses until the RFC 3263 resolver lands (issue #5).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/config/socket_spec.h"
#include "core/sip/msg_context.h"

namespace sipline {

struct NextHop {
  Proto proto = Proto::kUdp;
  std::string host;  // as written (IPv6 with brackets)
  std::uint16_t port = 5060;
};

// Parses "udp:host:port", "host:port", "host", or a sip:/sips: URI (its host, port and
// ;transport=). Only UDP is accepted for now.
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
