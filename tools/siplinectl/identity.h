// What siplinectl accepts as a subscriber's name, a domain, a password and an e-mail address,
// before anything reaches the database. USER is a SIP URI user part without escapes (RFC 3261
// §25.1 unreserved and user-unreserved characters), 1..64 characters; DOMAIN is a host name
// (RFC 3261 hostname) or an IPv4 address, 1..64 characters, no port, lower-cased because SIP
// compares hosts without case and the realm of the stored HA1 must be one fixed spelling. The
// limits are the widths of the subscriber and domain columns. Every error is
// Status::invalidArgument with a message for the operator.
#pragma once

#include <string>
#include <string_view>

#include "core/base/status.h"

namespace sipline::ctl {

inline constexpr std::size_t kMaxUserLength = 64;
inline constexpr std::size_t kMaxDomainLength = 64;
inline constexpr std::size_t kMaxPasswordLength = 64;
inline constexpr std::size_t kMaxEmailLength = 128;

// An address of record: user@domain, domain lower-cased.
struct Aor {
  std::string user;
  std::string domain;
  std::string text() const { return user + "@" + domain; }
};

// "alice@example.com" (exactly one '@'; "sip:" is not part of it).
Result<Aor> parseAor(std::string_view text);
Status checkUser(std::string_view user);
// The domain in lower case.
Result<std::string> parseDomain(std::string_view text);
// 1..64 printable characters (no control characters; UTF-8 beyond ASCII is accepted).
Status checkPassword(std::string_view password);
// local@domain, printable ASCII without spaces, at most 128 characters ("" is not an address).
Status checkEmail(std::string_view email);

}  // namespace sipline::ctl
