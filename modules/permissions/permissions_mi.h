// MI commands of the permissions module: address_reload (read the address table again;
// the previous table stays when the DB fails) and address_dump (the rules every check
// searches, most specific first). They run in the MI process.
#pragma once

#include "core/mi/json.h"
#include "core/mi/mi_registry.h"
#include "modules/permissions/permissions.h"

namespace sipline::permissions {

Result<Json> miAddressReload(Service& service);
// With "group": only the rules of that group.
Result<Json> miAddressDump(Service& service, const MiParams& params);

}  // namespace sipline::permissions
