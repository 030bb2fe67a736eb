// What alias_db_lookup() and alias_db_find() compute, on a message context or a URI and the
// alias_db service, without script types (so tests call them directly).
//
// A forward lookup finds the subscriber behind alias_username@alias_domain, a reverse one
// ("r") the alias of username@domain. The user is compared unescaped ("%2B4401" is "+4401")
// and case-sensitively, as SIP users are; the host lower case after domain_prefix is stripped; "d"
// (or use_domain off) compares the user only. A match replaces the URI's user and host (the port
// goes with the host; a row with an empty domain keeps the host); other URI parameters are kept.
#pragma once

#include <string>
#include <string_view>

#include "core/sip/msg_context.h"
#include "modules/alias_db/alias_db.h"

namespace sipline::alias_db {

// Script return codes.
enum Rc : int {
  kFound = 1,
  kNotFound = -1,
  kDbError = -2,  // the DB failed or timed out (logged, counted in db_errors)
  kBadUri = -3,   // the URI does not parse or has no user or host to look up (tel:, no user,
                  // a user that unescapes to a NUL or a non-ASCII byte: never sent to the DB)
};

// `uri` with its user replaced by target.user and its host[:port] by target.domain (unless
// that is empty). invalidArgument when the result is not a valid URI.
Result<std::string> applyTarget(std::string_view uri, const Target& target);

// alias_db_lookup(): looks up the request-URI and rewrites it to the first match; with
// append_branches every further match (up to the branch limit) becomes a branch.
int lookupRuri(Service& service, Table& table, const Flags& flags, MsgContext& ctx);

// alias_db_find(): looks up `input` (a SIP URI; "user@host" is taken as sip:user@host) and
// puts "scheme:user@domain" of the first match in `out` (the input's host[:port] when the
// row's domain is empty). A match that does not make a valid URI counts as not found.
int findUri(Service& service, Table& table, const Flags& flags, std::string_view input,
            std::string& out);

}  // namespace sipline::alias_db
