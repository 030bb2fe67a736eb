// Text helpers for credentials a client sent, which are untrusted: reading the realm of a
// header that does not parse (to tell credentials for us from those for a proxy further on),
// and making client text safe for a log line.
#pragma once

#include <string>
#include <string_view>

namespace sipline::auth {

// The realm parameter of an Authorization/Proxy-Authorization body that parseAuthHeader()
// refused, read as far as the text allows: "Scheme name=value, ..." with values quoted
// (quoted-pairs decoded) or tokens, names case-insensitive. False when no realm can be read
// before the text stops making sense.
bool readRealmLeniently(std::string_view body, std::string& realm);

// `text` for a log line: control characters (below 0x20, 0x7f) and '\' as \xNN, so a client
// cannot forge lines or terminal escapes; at most `max` input bytes, then "...".
std::string printableForLog(std::string_view text, std::size_t max = 128);

}  // namespace sipline::auth
