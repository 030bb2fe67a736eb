// The address-of-record of a registration (RFC 3261 §10.3 step 5) or of a lookup, in the one
// canonical text form usrloc is keyed by: "user@domain" (or "user" when usrloc's use_domain is
// off). Two URIs that RFC 3261 §19.1.4 calls equal in user and host give the same text:
//  - user: compared case-sensitively; each %HH of an unreserved character is decoded, every
//    other escape is kept with upper-case hex ("%41" and "A" are the same user, "%2b" and
//    "%2B" too, but "%2B" and "+" are not). Escapes are never decoded to octets that could
//    cut the key short: RFC 4475 escnull's "null-%00-null" stays as written.
//  - domain: lower-cased, without port or parameters (the AOR is user@host).
// Pure functions; no allocation beyond the output string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/parser/uri.h"

namespace sipline::registrar {

enum class AorError : std::uint8_t {
  kOk,
  kNotSip,   // not a sip:/sips: URI (RFC 4475 unksm2: the To of a REGISTER must be one)
  kNoUser,   // no user part: nobody to register
  kBadUri,   // the text does not parse as a URI or name-addr
  kTooLong,  // longer than max_len
};

struct AorOptions {
  bool use_domain = true;         // usrloc's use_domain: "user@domain", else "user"
  bool case_sensitive = true;     // false: the user part is lower-cased too (OpenSIPS option)
  std::string_view realm_prefix;  // stripped from the domain ("sip." makes sip.a.com == a.com)
  std::size_t max_len = 256;
};

// The AOR of a parsed URI. out is replaced.
AorError aorFromUri(const SipUri& uri, const AorOptions& options, std::string& out);

// The AOR of a text that is a URI or a name-addr ("sip:a@b", "<sip:a@b>;tag=x",
// "\"A\" <sip:a@b>"), as a script argument ($fu, $tu, "sip:bob@example.com") gives it.
AorError aorFromText(std::string_view text, const AorOptions& options, std::string& out);

// Appends user in its canonical form (see above).
void appendCanonicalUser(std::string_view user, bool case_sensitive, std::string& out);

const char* aorErrorText(AorError e);

}  // namespace sipline::registrar
