// What is_from_local(), is_uri_host_local() and is_domain_local() compute, on a message
// context and the domain service, without script types (so tests call them directly).
// Unlike the core's `X == myself`, which compares with the server's own listening addresses
// and aliases (host and port), these consult only the domain table, by host name alone.
#pragma once

#include <string_view>

#include "core/sip/msg_context.h"
#include "modules/domain/api.h"

namespace sipline::domain {

// Script return codes.
enum Rc : int {
  kLocal = 1,
  kNotLocal = -1,
  kNoHost = -2,  // the URI is missing or does not parse, or has no host (tel:)
};

// The host of the From URI.
int isFromLocal(Api& api, MsgContext& ctx);
// The host of the request-URI (as rewritten so far).
int isUriHostLocal(Api& api, MsgContext& ctx);
// `domain`: a host name; kNoHost when empty.
int isDomainLocal(Api& api, std::string_view domain);

}  // namespace sipline::domain
