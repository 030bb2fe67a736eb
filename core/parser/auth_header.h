// AuthHeader: the value of Authorization, Proxy-Authorization (credentials) and
// WWW-Authenticate, Proxy-Authenticate (challenges), RFC 3261 §20.7/§20.27/§20.28/§20.44 with
// the Digest parameters of RFC 2617 and RFC 7616. Parsed as views into the header body: quoted
// values lose their quotes but keep any quoted-pair escapes; has_escapes says whether any
// did, and unquoteTo() decodes one into caller storage. Other schemes (RFC 4475 regaut01)
// parse as a scheme plus the raw remainder. No allocation; pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/parser/parse_error.h"

namespace sipline {

struct AuthHeader {
  std::string_view scheme;  // "Digest" (compare case-insensitively) or another token
  bool is_digest = false;
  // Digest parameters, "" when absent; quoted values without their quotes.
  std::string_view username, realm, nonce, uri, response, algorithm, cnonce, opaque, qop, nc,
      domain;
  bool stale = false;        // stale=true (case-insensitive); false when absent or "false"
  bool has_escapes = false;  // some quoted value above contains a backslash quoted-pair
  // Everything after the scheme (all auth-params, or token68 / other data for a non-Digest
  // scheme).
  std::string_view params;
};

// Parses one challenge or credentials value. For Digest: a comma-separated list of
// name=(token / quoted-string) with LWS allowed around '=' and ','; a known parameter may
// appear once. kOk, or kBadHeader for a missing scheme, an empty or malformed parameter, an
// unterminated quote, a repeated known parameter or a bad stale value. Another scheme is kOk
// as long as it has a token scheme (its data is not interpreted).
ParseError parseAuthHeader(std::string_view body, AuthHeader& out);

// Copies a quoted-string body (without its quotes) to out with each quoted-pair "\x" replaced
// by "x" (RFC 3261 §25.1). out needs room for in.size() bytes; returns the length written.
std::size_t unquoteTo(std::string_view in, char* out);

}  // namespace sipline
