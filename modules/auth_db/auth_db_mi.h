// auth_db's management command: auth_db_cache_flush([aor]) removes cached subscriber rows at
// once (siplinectl calls it after `subscriber passwd/rm`), one user@domain or all of them.
// Runs in the MI process; the cache is in shm, so every worker sees the removal.
#pragma once

#include "core/mi/json.h"
#include "core/mi/mi_registry.h"
#include "modules/auth_db/auth_db.h"

namespace sipline::auth_db {

// {"flushed": n, "entries": left, "cache": true|false}. invalidArgument for an aor that is
// not user@domain (a bare user is enough without use_domain; "sip:" is allowed before it).
Result<Json> miCacheFlush(Service& service, const MiParams& params);

}  // namespace sipline::auth_db
