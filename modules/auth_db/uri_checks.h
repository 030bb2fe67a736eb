// The identity checks of auth_db (OpenSIPS 3.x names): db_is_to_authorized() and
// db_is_from_authorized() compare the identity this request authenticated with (digest
// username up to '@', and the realm) with the To or From URI (a subscriber may only register
// its own AOR, or call as itself); db_does_uri_exist() asks whether a URI's user@domain is a
// subscriber. The URI user compares exactly after %-decoding (RFC 3261 §19.1.4: the userinfo
// is case-sensitive), the host with the realm case-insensitively, and only with use_domain.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/sip/msg_context.h"
#include "modules/auth_db/auth_db.h"

namespace sipline::auth_db {

struct AuthIdentity {
  std::string user;   // digest username up to the first '@', quoted-pairs decoded
  std::string realm;  // the realm it authenticated in
};

// The identity of ctx.auth.credentials (set by a successful www/proxy_authorize); false when
// the request has not authenticated.
bool authenticatedIdentity(MsgContext& ctx, AuthIdentity& out);

// 1 when the URI of `na` (To or From) is the authenticated identity, -1 when it is not, when
// the request did not authenticate, or the header is missing or not a sip/sips URI. The host
// loses `realm_prefix` as auth's realmFor() strips it (sip.example.com is realm example.com).
int isUriAuthorized(MsgContext& ctx, const NameAddr* na, bool use_domain,
                    std::string_view realm_prefix = "");

// 1 when the user@host of `uri` (nullopt: the request-URI) has a row in `table`, -1 when not
// (or the URI has no user), -2 on a malformed URI or a DB failure.
int doesUriExist(Service& service, Table& table, MsgContext& ctx,
                 std::optional<std::string_view> uri);

}  // namespace sipline::auth_db
