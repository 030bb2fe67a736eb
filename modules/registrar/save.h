// save(): one REGISTER handled end to end by RFC 3261 §10.3: read and check it
// (register_request.h), apply it to the AOR's record under usrloc's lock (bindings.h) or, for
// a query, read the bindings, and decide the reply: 200 with every current binding and a
// Date, or the refusal (400, 420, 423, 500, 503) with what the client needs (Min-Expires,
// Unsupported, Retry-After). Sending the reply is the caller's (sendSaveReply()), so that
// no-reply works and tests can look at the decision. Process-private; any worker process.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/sip/msg_context.h"
#include "modules/registrar/register_request.h"
#include "modules/usrloc/api.h"

namespace sipline::registrar {

struct SaveOptions {
  SaveLimits limits;
  bool only_request_contacts = false;
  bool memory_only = false;                 // the bindings never reach the DB
  std::string received_param = "received";  // "" keeps received out of the 200's Contacts
  std::int64_t retry_after = 0;             // > 0: Retry-After on 5xx replies
};

// Handles the REGISTER of ctx for `domain` (aor: save()'s third argument, nullopt for the To
// URI). now: unix seconds. A request that is not a REGISTER gets rc kSaveInternal and code 0
// (nothing to send).
SaveReply processRegister(MsgContext& ctx, usrloc::Api& usrloc, usrloc::Domain* domain,
                          const SaveOptions& options, std::optional<std::string_view> aor,
                          std::int64_t now);

// Sends reply through the request's transaction when the script made one (t_newtran), so a
// retransmission gets the same reply, else statelessly (sendReply()); false when it could
// not be sent. Code 0 sends nothing.
bool sendSaveReply(MsgContext& ctx, const SaveReply& reply);

}  // namespace sipline::registrar
