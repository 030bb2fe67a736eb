// www_authorize() / proxy_authorize(): the digest check of a request against a subscriber
// table. The auth service does the digest work (modules/auth/api.h); this finds the HA1:
//   preAuth → the subscriber row of (Credentials::user, realm, or any domain without
//   use_domain) → the HA1 of the algorithm the phone chose (from the hash columns, or computed
//   from the password with calculate_ha1) → postAuth → load_credentials into AVPs.
// Returns the auth::Rc codes. An unknown user runs postAuth on a random HA1 and returns
// kUserUnknown: it costs what a wrong password costs, and the script answers both alike. A DB
// failure returns kError after sending db_error_reply (500 by default; never admits anyone).
#pragma once

#include <functional>
#include <string_view>

#include "core/parser/header_type.h"
#include "core/sip/msg_context.h"
#include "modules/auth/api.h"
#include "modules/auth_db/auth_db.h"

namespace sipline::auth_db {

// Sends a reply to ctx's request (sendReply() in the server; a recorder in tests).
using ReplyFn = std::function<bool(MsgContext& ctx, int code, std::string_view reason)>;

// `realm`: the evaluated script argument ("" = the auth service's default). type:
// kAuthorization (www_authorize) or kProxyAuthorization (proxy_authorize).
int authorize(Service& service, auth::Api& api, MsgContext& ctx, std::string_view realm,
              Table& table, HeaderType type, const ReplyFn& reply);

}  // namespace sipline::auth_db
