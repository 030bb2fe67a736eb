// NameAddr: the value of From, To, Contact, Route, Record-Route, Reply-To, Refer-To and the
// like (RFC 3261 §20.10, §25.1): an optional display name, a URI (in <> or bare) and header
// params, all as views into the parsed text (normally the receive buffer). Parsing never
// allocates except when appending to the caller's vector, never unescapes, and keeps the
// display name exactly as written between its quotes.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "core/parser/parse_error.h"
#include "core/parser/uri.h"

namespace sipline {

struct NameAddr {
  std::string_view display;   // display-name as written, without its quotes (may be empty)
  std::string_view uri_text;  // inside <> or the bare addr-spec
  SipUri uri;                 // valid only when uri_ok
  // True when uri holds a parsed sip:/sips:/tel: URI. False for another absoluteURI scheme
  // (RFC 3261 allows any, e.g. "http:" in RFC 4475 unksm2); uri_text is still set then.
  bool uri_ok = false;
  std::string_view params;  // header params after the URI (without leading ';')
  std::string_view tag;     // value of the tag param, "" when absent
  std::string_view text;    // the whole value without surrounding LWS (view into buffer)
};

// Parses one value. An addr-spec without <> ends at the first ';': what follows are header
// params, not uri-params (RFC 3261 §20.10), and it may not contain '?' or ','. Returns kOk;
// kBadUri when the URI is a malformed sip:/sips:/tel: URI or has no valid scheme; kBadHeader
// for an unterminated quote or '<', a missing '<' after a quoted display name, non-token
// characters in an unquoted display name, bad params, or trailing garbage.
ParseError parseNameAddr(std::string_view value, NameAddr& out);

// Parses a comma-separated list (commas inside quotes and <> do not split). Appends each value
// and returns kOk, or the first error (kBadHeader for an empty element or unbalanced quote or
// <>). Contact "*" is not a name-addr: the caller checks for it first.
ParseError parseNameAddrList(std::string_view body, std::vector<NameAddr>& out);

// The list splitter of parseNameAddrList(), for callers that parse elements themselves:
// start with pos = 0 and err = kOk; each true return gives the next element (LWS trimmed).
// false at the end (err stays kOk) or on an empty element or unbalanced quote or <> (err =
// kBadHeader). An empty body has no elements and is an error (kBadHeader).
bool nextListElement(std::string_view body, std::size_t& pos, std::string_view& element,
                     ParseError& err);

}  // namespace sipline
