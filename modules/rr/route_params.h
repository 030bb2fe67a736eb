// The parameters we keep in our Record-Route URI and read back from the Route of in-dialog
// requests: the From tag of the initial request (ftag, for is_direction()) and whatever the
// script added (check_route_param()). Reads the message as received; process-private.
#pragma once

#include <cstdint>
#include <string>

#include "core/base/regex.h"
#include "core/parser/sip_message.h"
#include "core/transport/listener.h"

namespace sipline {

// ";ftag=<From tag>" for record_route() (the tag escaped where a URI parameter needs it),
// or "" when the From header has no tag.
std::string fromTagParam(SipMessage& msg);

// check_route_param(): true when the params of our Route entry (see ourRouteParams(), with a
// leading ';', e.g. ";lr;ftag=x;nat=yes") match re. False when there is no entry of ours.
bool checkRouteParam(SipMessage& msg, const Listeners& me, const Regex& re);

enum class FlowDirection : std::uint8_t {
  kDownstream,  // from the caller towards the callee, as the initial request went
  kUpstream,    // from the callee back to the caller
};
// The direction of an in-dialog request: upstream when the ftag of our Route entry differs
// from the From tag (the callee sends with the tags swapped). Downstream when they are equal
// and, as in OpenSIPS, whenever it cannot be told (no entry of ours, no ftag, no From tag).
FlowDirection flowDirection(SipMessage& msg, const Listeners& me);

}  // namespace sipline
