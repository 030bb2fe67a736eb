// What a contact may hold and how its strings are packed: the length limits (the DB schema's
// column widths in the DB modes, so a row can always be written; 64 KiB per string in
// memory), the check every insert/update runs, and the conversions between Contact and the
// packed shm form (ul_shm.h). Process-private helpers; no locking of their own.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "modules/usrloc/api.h"
#include "modules/usrloc/ul_shm.h"

namespace sipline::usrloc {

struct FieldLimits {
  std::size_t text[kTextFields];  // bytes per string, by TextField
  std::size_t username;           // the AOR's user part (whole AOR without use_domain)
  std::size_t domain;
};

// Up to 65535 bytes per string (what the packed form holds); AORs up to 1024 bytes.
FieldLimits memoryLimits();
// The widths of scripts/sql/location.sql (varchar(n)), in bytes.
FieldLimits dbLimits();

// Ok, or invalidArgument naming the field and its limit. The user agent is exempt: it is
// informational and cut to its limit when packed.
Status checkContact(const Contact& c, const FieldLimits& limits);

// The AOR split as the DB stores it: with use_domain "user@domain" → (user, domain) at the
// last '@' (domain '' when there is none); without, (aor, "").
struct AorParts {
  std::string_view username;
  std::string_view domain;
};
AorParts splitAor(std::string_view aor, bool use_domain);
// invalidArgument for an empty AOR or parts over the limits.
Status checkAor(std::string_view aor, bool use_domain, const FieldLimits& limits);

// s as text PostgreSQL accepts: valid UTF-8 (a byte that starts no valid sequence, and NUL,
// become '?': phones send Latin-1 User-Agents), cut to at most `max` bytes at a character
// boundary. Memory and DB hold the same text, so a row can never be refused for its bytes.
std::string storableText(std::string_view s, std::size_t max);
// c with every text field made storableText within its limit.
Contact storableContact(const Contact& c, const FieldLimits& limits);

// The strings of c in TextField order, each cut to its limit (only the user agent can be
// longer after checkContact), and their lengths.
struct PackedText {
  std::string bytes;
  std::uint16_t len[kTextFields] = {};
};
PackedText packText(const Contact& c, const FieldLimits& limits);

// Copies a shm contact out (caller holds its bucket lock).
Contact unpackContactLocked(const ContactShm& s);
// Sets the numbers of s from c (not the strings).
void setNumbers(ContactShm& s, const Contact& c);

// Field-by-field equality (what a DB write must reproduce).
bool sameContact(const Contact& a, const Contact& b);

}  // namespace sipline::usrloc
