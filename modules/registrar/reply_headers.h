// Header lines of save()'s replies: the Contact list of the 200 (RFC 3261 §10.3 step 8: every
// current binding with the seconds it has left) and the Date header (§20.17, RFC 1123 GMT).
// Pure functions appending CRLF-terminated lines.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "modules/usrloc/api.h"

namespace sipline::registrar {

// One "Contact: <uri>;expires=N[;q=..][;+sip.instance=..][;reg-id=..][;received=..]" line per
// binding (expired ones, if any, are skipped). received_param "" leaves out the received URI.
void appendContactLines(std::string& out, const std::vector<usrloc::Contact>& bindings,
                        std::int64_t now, std::string_view received_param);

// "Date: Sat, 13 Nov 2010 23:29:00 GMT\r\n" for unix time now (no locale involved).
void appendDateLine(std::string& out, std::int64_t now);

// q in thousandths as a qvalue: 1000 "1", 500 "0.5", 25 "0.025", 0 "0".
std::string formatQ(std::int32_t q);

}  // namespace sipline::registrar
