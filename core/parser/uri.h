// SipUri: a parsed sip:, sips: or tel: URI (RFC 3261 §19.1, RFC 3966) as views into the text it
// was parsed from. Parsing validates the character classes of each part, never allocates and
// never unescapes ("%41" stays as written; compare with the escape-aware helpers of the later
// message layer). The views are valid only as long as the parsed text; a SipUri in shm must be
// re-parsed from a shm copy of the text.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/parser/parse_error.h"

namespace sipline {

struct SipUri {
  enum class Scheme : std::uint8_t { kSip, kSips, kTel } scheme = Scheme::kSip;
  std::string_view user;       // escapes kept; for tel: the number
  std::string_view password;   // sip/sips only
  std::string_view host;       // as written: IPv6 keeps brackets "[::1]"; empty for tel:
  std::string_view port_text;  // digits as written, "" when absent
  std::string_view params;     // after the first ';' up to '?', without the leading ';'
  std::string_view headers;    // after '?'
  std::uint16_t port = 0;      // 0 when absent
  bool host_is_ipv6 = false;
  bool host_is_ipv4 = false;
  // Well-known uri-parameters (RFC 3261 §19.1.1), "" when absent.
  std::string_view transport, maddr, ttl, user_param, method_param;
  bool lr = false;

  // host without the IPv6 brackets ("::1" for "[::1]").
  std::string_view hostNoBrackets() const;
};

// Parses a whole URI (no surrounding LWS or <>). Returns kOk, or kBadUri for an unknown
// scheme, an empty or malformed host, a port outside 1..65535, a bad %-escape, or a character
// not allowed where it stands. out is reset first; on error its contents are unspecified.
// The userinfo ends at the first '@' (RFC 3261 forbids an unescaped '@' in params and
// headers).
ParseError parseUri(std::string_view text, SipUri& out);

// Value of the uri-parameter `name` (case-insensitive) in params ("a=1;lr;b=2", no leading
// ';'). "" when the parameter is a flag or absent; use hasUriParam() to tell them apart.
std::string_view uriParam(std::string_view params, std::string_view name);
bool hasUriParam(std::string_view params, std::string_view name);

}  // namespace sipline
