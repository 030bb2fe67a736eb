// Rewriting parts of the request-URI (rewriteuser, rewritehostport, prefix, strip, ..., and the
// writable $rU $rd $rp pseudo-variables share this). Every rewrite is checked: the result must
// parse as a URI and the part read back must be the value written (so a "host" cannot smuggle
// in a parameter), otherwise the request-URI stays as it was and the error says why. Parameters
// and headers of the URI are kept; rewriting the host drops a maddr parameter (RFC 3261 §19.1.1:
// maddr would override the new host). The pure functions work on text; the MsgContext ones
// rewrite the effective request-URI ($ru) through MsgContext::setRuri. Process-private.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace sipline {

class MsgContext;

enum class UriPart : std::uint8_t {
  kWhole,     // rewriteuri / seturi
  kUser,      // rewriteuser / setuser ($rU); empty removes the user part (and password)
  kUserPass,  // rewriteuserpass: "user[:password]" replaces the whole userinfo; empty removes it
  kHost,      // rewritehost / sethost ($rd)
  kHostPort,  // rewritehostport / sethostport ("host[:port]")
  kPort,      // rewriteport ($rp); empty removes the port
};

// `uri` with `part` replaced by `value`. invalidArgument when uri does not parse, when a tel:
// URI is asked for a host, port or password, or when the result is not a valid URI carrying
// exactly `value` in that part.
Result<std::string> rewriteUriPart(std::string_view uri, UriPart part, std::string_view value);
// prefix(): `prefix` in front of the user part (a URI without user gets prefix as its user).
Result<std::string> prefixUriUser(std::string_view uri, std::string_view prefix);
// strip(n) / strip_tail(n): removes n characters from the start (end) of the user part; n at
// least the user's length removes the user.
Result<std::string> stripUriUser(std::string_view uri, std::size_t n, bool from_tail);

// The same on the request-URI of ctx. failedPrecondition for a reply.
Status rewriteRuriPart(MsgContext& ctx, UriPart part, std::string_view value);
Status prefixRuriUser(MsgContext& ctx, std::string_view prefix);
Status stripRuriUser(MsgContext& ctx, std::size_t n, bool from_tail);

}  // namespace sipline
