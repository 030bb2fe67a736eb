// Applies a checked REGISTER (register_request.h) to the AOR's record: RFC 3261 §10.3 steps 6-7
// (remove all for "*", then per Contact: add, refresh or remove, with the Call-ID/CSeq rule)
// and the max_contacts limit. Everything is decided before anything changes, so a stale or
// over-limit request leaves the record as it was; a change usrloc refuses undoes the others. Runs
// inside usrloc's withRecord(), i.e. with the AOR's bucket locked: no blocking, no usrloc calls.
// Process-private.
#pragma once

#include <cstdint>
#include <vector>

#include "core/base/status.h"
#include "modules/registrar/register_request.h"
#include "modules/usrloc/api.h"

namespace sipline::registrar {

enum class ApplyResult : std::uint8_t {
  kOk,
  // Same Call-ID and a lower CSeq than a stored binding (for "*": not higher): the request
  // fails and nothing changed. An equal CSeq on a Contact is a retransmission: that binding
  // is left as it is and the request succeeds.
  kStale,
  // Adding the new Contacts would pass max_contacts (and force-registration could not make
  // room by dropping the oldest untouched bindings): nothing changed.
  kTooMany,
  // usrloc refused a change (kNoMemory: shared memory full, kInvalidArgument: a field over
  // its limit): the changes made before it are undone (RFC 3261 §10.3 step 7).
  kStoreError,
};

struct ApplyOutcome {
  ApplyResult result = ApplyResult::kOk;
  Status store_status;                   // kStoreError: usrloc's status
  std::vector<usrloc::Contact> current;  // kOk: every binding of the AOR afterwards
};

// now: unix seconds. max_contacts 0: unlimited. force: force-registration.
ApplyOutcome applyRegistration(usrloc::Record& record, const RegisterRequest& request,
                               std::int64_t max_contacts, bool force, std::int64_t now);

// The binding usrloc keeps for a Contact of the request (uri as requested).
usrloc::Contact makeBinding(const RegisterRequest& request, const RequestedBinding& b,
                            std::int64_t now);

}  // namespace sipline::registrar
