// SipUri: a parsed sip:, sips: or tel: URI (RFC 3261 §19.1, RFC 3966) as views into the text it
// was parsed from. Parsing validates the character classes of each part, never allocates and
// never unescapes ("%41" stays as written): compare with uriEquals() (RFC 3261 §19.1.4, escape
// aware) and decode with unescapeUri() (one level, never recursive: RFC 4475 esc01). The views
// are valid only as long as the parsed text; a SipUri in shm must be re-parsed from a shm copy
// of the text. All functions here are pure and allocation-free except unescapeUri(std::string).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
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
  // tel: only (RFC 3966): a global number starts with '+'; a local one needs phone-context.
  bool tel_global = false;
  std::string_view phone_context, isub, ext;  // "" when absent

  // host without the IPv6 brackets ("::1" for "[::1]").
  std::string_view hostNoBrackets() const;
};

// Parses a whole URI (no surrounding LWS or <>). Returns kOk, or kBadUri for an unknown
// scheme, an empty or malformed host, an IPv6 reference that is not a valid RFC 4291 address
// (so "[2001:db8:::1]", RFC 5118 §4.10, is rejected), a port outside 1..65535, a bad %-escape,
// or a character not allowed where it stands; for tel: a number that is neither a global
// number ('+', digits and visual separators) nor a local number (hex digits, '*', '#',
// separators) with a phone-context parameter (RFC 3966 §5.1.5). out is reset first; on error
// its contents are unspecified. The userinfo ends at the first '@' (RFC 3261 forbids an
// unescaped '@' in params and headers).
ParseError parseUri(std::string_view text, SipUri& out);

// Value of the uri-parameter `name` (case-insensitive) in params ("a=1;lr;b=2", no leading
// ';'). "" when the parameter is a flag or absent; use hasUriParam() to tell them apart.
std::string_view uriParam(std::string_view params, std::string_view name);
bool hasUriParam(std::string_view params, std::string_view name);

// RFC 4291 §2.2 text form (no brackets, no zone), with an optional dotted IPv4 tail.
bool isIpv6Address(std::string_view text);
// Dotted quad, each part 0..255 with at most 3 digits.
bool isIpv4Address(std::string_view text);

// Decodes each valid %HH once; anything else (including a '%' not followed by two hex digits)
// is copied as is. Never recursive: "%2541" gives "%41". out must have room for in.size()
// bytes; returns the decoded length. The allocating form is for callers off the packet path.
std::size_t unescapeUri(std::string_view in, char* out);
std::string unescapeUri(std::string_view in);

// RFC 3261 §19.1.4 (sip/sips) and RFC 3966 §4 (tel) equivalence. Schemes must be equal;
// userinfo compares case-sensitively and the rest case-insensitively, with %HH of an
// unreserved character equal to the character itself (an escaped reserved character only to
// the same escape); host is compared as text (case-insensitive, no DNS, no IPv6
// normalisation); an absent port differs from any explicit one (5060 included);
// transport/user/ttl/method/maddr must match when present in either URI, other parameters
// only when present in both; every header must be present in both with equal values (any
// order). tel: numbers compare without visual separators, and the parameter sets must match.
bool uriEquals(const SipUri& a, const SipUri& b);

}  // namespace sipline
