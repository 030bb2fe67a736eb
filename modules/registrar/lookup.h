// lookup() and registered(): the location service read side. lookup() turns the AOR of the
// request-URI (or of a given URI) into destinations: the best binding (highest q, then the
// most recently refreshed) becomes the request-URI, the others branches in that order
// (RFC 3261 §16.5-16.6, parallel forking by tm), each with $du set to the first Path hop
// (RFC 3327 §5.2; the Path becomes its Route) or to the address the phone registered from
// (NAT), its socket and the branch flags it registered with. Only usrloc's in-memory copy is
// read (except in its DB-only mode). Process-private; any worker process.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/base/regex.h"
#include "core/sip/msg_context.h"
#include "core/transport/listener.h"
#include "modules/registrar/aor.h"
#include "modules/registrar/flags.h"
#include "modules/usrloc/api.h"

namespace sipline::registrar {

// lookup()'s return codes (OpenSIPS's).
enum LookupRc : int {
  kLookupFound = 1,
  kLookupNotFound = -1,          // no binding (or none left by ua-filtering, or no user in $ru)
  kLookupMethodNotAllowed = -2,  // bindings, but none whose Allow had the request's method
  kLookupError = -3,             // usrloc failed (DB-only mode with the DB down), bad URI
};

struct LookupOptions {
  LookupFlags flags;
  const Regex* ua_filter = nullptr;  // compiled ua-filtering regex, if any
  bool append_branches = true;       // module parameter; no-branches overrides it per call
  AorOptions aor;
};

// Routes ctx's request to the AOR's bindings (aor: lookup()'s third argument, nullopt for the
// request-URI). `sockets` resolves a binding's socket text to a listener (nullptr: none).
int lookupContacts(MsgContext& ctx, usrloc::Api& usrloc, usrloc::Domain* domain,
                   const LookupOptions& options, std::optional<std::string_view> aor,
                   std::int64_t now, const Listeners* sockets);

// registered(): kLookupFound when the AOR (aor, else the request-URI's) has a binding.
int registeredAor(MsgContext& ctx, usrloc::Api& usrloc, usrloc::Domain* domain,
                  const AorOptions& options, std::optional<std::string_view> aor);

// is_registered(): the same with OpenSIPS's default AOR: To for a REGISTER, else From.
int isRegisteredAor(MsgContext& ctx, usrloc::Api& usrloc, usrloc::Domain* domain,
                    const AorOptions& options, std::optional<std::string_view> aor);

}  // namespace sipline::registrar
