// Text as PostgreSQL's text type takes it. SIP fields and messages are bytes: a 0xff in a user
// part or a NUL would make the DB refuse the row (and the batch holding it) forever. Shared by
// the modules that store SIP text (acc, siptrace).
#pragma once

#include <string>
#include <string_view>

namespace sipline::db {

// `v` with each byte that is not part of a valid UTF-8 sequence (RFC 3629: no overlong forms,
// surrogates or code points above U+10FFFF) and each NUL replaced by U+FFFD. Plain ASCII (the
// usual SIP message) is copied eight bytes at a time.
std::string dbText(std::string_view v);
// The same text appended to `out` as a field of COPY's text format: also backslash, tab,
// newline and carriage return escaped (\\ \t \n \r), so that a SIP message is one field.
void appendCopyText(std::string_view v, std::string& out);

}  // namespace sipline::db
