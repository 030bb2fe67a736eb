// MI commands of the permissions module: address_reload (read the address table again;
// the previous table stays when the DB fails), address_dump (the rules every check
// searches, most specific first) and subnet_dump (the same, only the rules of a subnet:
// a mask shorter than the address). They run in the MI process.
#pragma once

#include "core/mi/json.h"
#include "core/mi/mi_registry.h"
#include "modules/permissions/permissions.h"

namespace sipline::permissions {

Result<Json> miAddressReload(Service& service);
// With "group": only the rules of that group. With `subnets_only`, only the rules whose mask
// is shorter than their address (32 bits, 128 for IPv6).
Result<Json> miAddressDump(Service& service, const MiParams& params, bool subnets_only = false);

}  // namespace sipline::permissions
