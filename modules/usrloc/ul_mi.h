// The usrloc management commands (ul_dump, ul_show, ul_show_contact, ul_rm, ul_rm_contact, ul_add,
// ul_flush) as plain functions over the service, so tests call them without the MI server.
// They run in the MI process: edits go through Service::withRecord like a worker's (so the DB
// mode applies), reads are copies. Process-private.
#pragma once

#include <cstdint>

#include "core/base/status.h"
#include "core/mi/json.h"
#include "core/mi/mi_registry.h"
#include "modules/usrloc/usrloc.h"

namespace sipline::usrloc {

// One contact as the MI shows it ("expires": seconds left, "q": null when not given).
Json contactJson(const Contact& c, std::int64_t now);

Result<Json> miDump(Service& s, const MiParams& p);         // [table]
Result<Json> miShowContact(Service& s, const MiParams& p);  // table, aor
// [aor, table]: every AOR with its contacts, or the contacts of `aor` (notFound when no table
// has it), in every table or only `table`: {"aors": [{"table", "aor", "contacts"}, ...]}.
Result<Json> miShow(Service& s, const MiParams& p);
Result<Json> miRemoveAor(Service& s, const MiParams& p);      // table, aor
Result<Json> miRemoveContact(Service& s, const MiParams& p);  // table, aor, contact
Result<Json> miAdd(Service& s,
                   const MiParams& p);  // table, aor, contact, expires, [q, flags, cflags, methods]
Result<Json> miFlush(Service& s, const MiParams& p);

}  // namespace sipline::usrloc
