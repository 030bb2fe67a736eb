// Record-Route written at relay time. record_route() (rr module) only records the wish in
// MsgContext::record_route; the header(s) are inserted by the relay (forward() or tm's
// t_relay, once per branch) when the outgoing socket is known, so that a request crossing
// sockets (another interface, address family, port or transport) gets two Record-Route
// entries, one per side (RFC 3261 §16.6 step 4; the "double Record-Route" of OpenSIPS).
//
// Our Record-Route URI: sip:<host>:<port>[;transport=tcp|tls];lr[;r2=on]<params>, where host
// and port are the socket's advertised (or own) address, IPv6 in brackets. <params> are
// record_route()'s own (";ftag=..." from the rr module first), then add_rr_param()'s.
//
// Double Record-Route: the entry of the outgoing socket goes on top and the one of the
// incoming socket below it, both marked ;r2=on. The callee uses the route set in header
// order, so its first hop is the outgoing side it can reach; the caller uses it reversed,
// so its first hop is the side the request came in on. loose_route() removes both entries
// (the r2 mark tells a double Record-Route from a spiral through the same proxy).
//
// record_route_preset(host[:port]) writes that address instead of the socket's, a single
// entry whatever the sockets are (as OpenSIPS). Process-private; no locks.
#pragma once

#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/sip/msg_context.h"
#include "core/transport/listener.h"

namespace sipline {

// Checks Record-Route URI parameters as a script gives them ("nat=yes", ";a=1;b") and
// returns them with a leading ';' ("" stays ""). Each parameter is pname[=pvalue] of RFC 3261
// §19.1.1 characters (escapes allowed), so the text cannot break out of the header.
Result<std::string> recordRouteParams(std::string_view text);

// Checks a record_route_preset() address: host[:port], IPv6 in brackets, an optional "sip:"
// in front. Returns it canonical ("host:port", IPv6 in brackets).
Result<std::string> recordRoutePreset(std::string_view text);

// record_route(): asks the relay for our Record-Route with `params` (checked, from
// recordRouteParams()) in front of any add_rr_param() params. False, with nothing changed,
// when record_route() or record_route_preset() was called for this message already.
bool requestRecordRoute(MsgContext& ctx, std::string_view params);
// record_route_preset(): as requestRecordRoute() with a fixed address (from
// recordRoutePreset()) instead of the outgoing socket's; never doubled.
bool requestPresetRecordRoute(MsgContext& ctx, std::string_view preset, std::string_view params);
// add_rr_param(): appends checked params to our Record-Route URI, before or after
// record_route() (they are written only if the request is record-routed).
void addRecordRouteParams(MsgContext& ctx, std::string_view params);

// The preset address ("" for none) and the URI params of a request, as the relay uses them.
std::string_view recordRoutePresetOf(const RecordRouteRequest& req);
std::string_view recordRouteParamsOf(const RecordRouteRequest& req);

// One Record-Route URI; `host` is already bracketed for IPv6.
std::string recordRouteUri(std::string_view host, std::uint16_t port, Proto proto, bool double_rr,
                           std::string_view params);

// The Record-Route header line(s) (with CRLF) insertRecordRoute() adds: "" unless
// ctx.record_route.wanted. `out` is the socket the request leaves from; ctx.rcv().listener
// the one it came in on. set_advertised_address/port (ctx) replace the outgoing side's
// address, as they do in its Via.
std::string recordRouteLines(MsgContext& ctx, const Listener& out);

// Inserts recordRouteLines() above the first Record-Route header (RFC 3261 §16.6 step 4).
void insertRecordRoute(MsgContext& ctx, const Listener& out);

}  // namespace sipline
