// Requests the transaction layer makes from a request it sent: the CANCEL of a pending
// branch (RFC 3261 §9.1) and the hop-by-hop ACK of a non-2xx final reply (§17.1.1.3). Both
// carry the branch's request-URI, its Via (so the same branch id: the next hop matches them
// to the INVITE), its Route set, From, Call-ID and CSeq number; the ACK takes To from the
// reply (with the callee's tag).
#pragma once

#include <string>

#include "core/parser/sip_message.h"

namespace sipline::tm {

// "" when `request` lacks what is needed (top Via, CSeq).
std::string buildCancel(SipMessage& request);
std::string buildAck(SipMessage& request, const SipMessage& reply);

}  // namespace sipline::tm
