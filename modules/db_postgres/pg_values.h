// The translation between the DB API's values and libpq's wire form, kept apart from the
// connection so it is tested without a server: typed parameters become text plus a type oid,
// and a server error (SQLSTATE) becomes a Status code. Pure functions, no state.
#pragma once

#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/db/db.h"

namespace sipline::pg {

// The oid a parameter is prepared with: int8, float8 and bool travel typed so that
// expressions such as `$1 + 1` or `$1 > 0.5` work; text and NULL are sent as "unknown" (0), so
// the server infers their type from the statement (a timestamp, an inet, a varchar column).
unsigned int paramOid(const db::Param& p);

// The text form of a non-NULL parameter ("" for NULL, which is sent as a null pointer).
// Doubles round-trip exactly (shortest form, locale-independent; Infinity, -Infinity and NaN as
// PostgreSQL spells them).
std::string paramText(const db::Param& p);

// What a failed statement means to the caller, from its SQLSTATE:
//   08xxx connection exception, 57xxx operator intervention (admin shutdown, statement
//   timeout), 53xxx insufficient resources, 58xxx system error -> kUnavailable;
//   22xxx data exception, 42xxx syntax or undefined object -> kInvalidArgument;
//   23xxx constraint, 25xxx transaction state, 40xxx rollback, anything else ->
//   kFailedPrecondition.
// The message is "<primary>[: <detail>] (SQLSTATE xxxxx)".
Status statusForSqlState(std::string_view sqlstate, std::string_view primary,
                         std::string_view detail);

// Whether the error says our cached prepared statement is no longer usable (26000: it was
// deallocated; 0A000 "cached plan must not change result type" after an ALTER TABLE), so the
// statement is prepared afresh by the next call.
bool invalidatesStatement(std::string_view sqlstate);

}  // namespace sipline::pg
