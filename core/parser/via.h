// Via: one via-parm (RFC 3261 §20.42, §25.1; rport from RFC 3581) as views into the header
// body it was parsed from, which is normally the receive buffer, so `text` also gives the
// offset used to remove or rewrite this value. Allocation-free apart from appending to the
// caller's vector; LWS (including folded line ends) is accepted wherever the grammar has
// SWS/LWS, e.g. "SIP / 2.0 / UDP host ; branch = z9hG4bK1".
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/parser/parse_error.h"

namespace sipline {

struct Via {
  std::string_view protocol_name, protocol_version, transport;  // "SIP", "2.0", "UDP"
  std::string_view host;                                        // as written (IPv6 with brackets)
  std::uint16_t port = 0;                                       // 0 when absent
  std::string_view params;                                      // raw, without the leading ';'
  std::string_view branch, received, rport_value, maddr, ttl;   // "" when absent
  bool has_rport = false;                                       // ";rport" with or without a value
  std::string_view text;  // the whole via-parm (view into the parsed body)

  std::string_view hostNoBrackets() const;
};

// Parses a Via header body: one or more comma-separated via-parms. Appends each to out and
// returns kOk, or returns kBadVia (out then holds the values appended before the bad one) for
// an empty element (",,"), a missing part of sent-protocol, an empty host, a port outside
// 1..65535, an empty parameter name (";;"), or trailing garbage.
ParseError parseViaList(std::string_view header_body, std::vector<Via>& out);

}  // namespace sipline
