// loose_route(): routes a request by its Route header field, as a proxy that record-routed
// the dialog must (RFC 3261 §16.4, §16.6 steps 6-7, §16.12), and tells our own entries of a
// route set from foreign ones. Works on the message as received (the Route values and the
// request-URI before any script rewrite) and changes it through the edit list and the
// MsgContext ($du, request-URI). Process-private; `me` is the process's listener set (or a
// test's).
#pragma once

#include <cstdint>
#include <string_view>

#include "core/parser/name_addr.h"
#include "core/parser/sip_message.h"
#include "core/sip/msg_context.h"
#include "core/transport/listener.h"

namespace sipline {

enum class LooseRouteResult : std::uint8_t {
  // No Route header: route by the request-URI. Script value: false.
  kNoRoute,
  // Only our own Route on an out-of-dialog request (no To tag): a preloaded route to us.
  // Our entry is removed; route by the request-URI as for an initial request. False.
  kLocalOnly,
  // Routed by the route set: our entries removed; $du set to the next loose-routing hop,
  // or the request-URI rewritten for a strict one; or, with no Route left, the request-URI
  // (the remote target) is the destination. Also when the top Route is not ours (a
  // preloaded route elsewhere): it stays and the request goes to it. True.
  kRouted,
  // A Route value (or the request-URI taken from it) does not parse: nothing changed. False.
  kMalformed,
};

struct LooseRouteOutcome {
  LooseRouteResult result = LooseRouteResult::kNoRoute;
  const char* problem = "";  // kMalformed: what is wrong, for the log
};

// Precondition: ctx holds a request. Steps:
//  1. RFC 3261 §16.4: a request-URI that is ours and carries ;lr is a Record-Route value of
//     ours put there by a strict router; the last Route value becomes the request-URI.
//  2. A top Route that is ours is removed, and the next one too when both carry ;r2 (our
//     double Record-Route).
//  3. The next Route: with ;lr it becomes $du (§16.12); without, the request-URI goes to the
//     end of the Route list and that value becomes the request-URI (§16.6 step 6).
LooseRouteOutcome looseRoute(MsgContext& ctx, const Listeners& me);

// True when uri is a sip:/sips: URI naming one of our sockets or aliases (a URI without a
// port means 5060, or 5061 for sips: and transport=tls).
bool isOurUri(const SipUri& uri, const Listeners& me);

// The URI params (without the leading ';') of the entry of the received route set that
// loose_route() takes for ours: the request-URI's after a strict router (step 1), else the
// top Route's when it is ours. False when there is none (no Route, foreign top Route, a
// reply, or Route values that do not parse).
bool ourRouteParams(SipMessage& msg, const Listeners& me, std::string_view& params);

}  // namespace sipline
