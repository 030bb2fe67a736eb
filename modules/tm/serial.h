// Serial forking by q-value (RFC 3261 §16.6 and the q-value ordering of contacts): the
// request-URI and the appended branches are grouped by q, highest first; t_next_contacts()
// sends the next group (parallel within it) and a failure_route calls it again for the next
// one. The groups wait in the $avp "tm_contacts" (so they live with the transaction, like
// every AVP, into its failure_route), one value per contact: "q|bflags|uri|dst|path".
#pragma once

#include <string>
#include <vector>

#include "core/sip/msg_context.h"

namespace sipline::tm {

inline constexpr char kContactsAvp[] = "tm_contacts";

// t_load_contacts(): moves the request-URI and the appended branches into the AVP, unless
// all have the same q (nothing to serialise: parallel forking as they are). Returns how many
// contacts were stored (0 when nothing changed).
int loadContacts(MsgContext& ctx);

// t_next_contacts(): the highest-q group left becomes the request-URI (first contact) and
// appended branches (the others); false when none is left.
bool nextContacts(MsgContext& ctx);

}  // namespace sipline::tm
