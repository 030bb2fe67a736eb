// After a password change or a removal, the running server may still hold the old credentials
// in auth_db's cache. This asks it to drop them: the MI command auth_db_cache_flush with
// {"aor": "user@domain"} for each address, over the MI socket (--mi-socket, else mi.socket of
// the settings file). Best effort by design: the database change is already committed, so a
// server that is not running, has no MI socket or no auth_db, or refuses, gives a note for the
// operator and never an error (the cache entries expire after auth_db's cache TTL anyway).
#pragma once

#include <string>
#include <vector>

#include "core/mi/json.h"
#include "tools/siplinectl/cli.h"
#include "tools/siplinectl/mi_client.h"

namespace sipline::ctl {

inline constexpr char kCacheFlushCommand[] = "auth_db_cache_flush";

struct FlushReport {
  std::string socket;       // the MI socket tried; "" when none was known
  std::size_t flushed = 0;  // addresses the server acknowledged
  bool done = false;        // every address acknowledged
  std::string note;         // "" when done: why not, in a sentence for the operator
};

// aors: "user@domain" each; nothing is sent for an empty list (done, no note).
FlushReport flushCredentialCache(const Invocation& inv, const MiConnect& connect,
                                 const std::vector<std::string>& aors);

// {"socket": ..., "done": ..., "flushed": N, "note": ...}
Json flushJson(const FlushReport& report);

}  // namespace sipline::ctl
