// Parsers for the values of the simple SIP header fields: delta-seconds scalars (Expires,
// Min-Expires), Content-Type, Accept media ranges, comma-separated token lists (Require,
// Supported, Unsupported, Proxy-Require, Allow, Allow-Events, Content-Encoding), Event,
// Session-Expires, Retry-After, Date and q-values. Each takes one header body (as in
// HeaderField::body, surrounding LWS already trimmed or not) and fills views into it: nothing
// is copied or unescaped, and nothing allocates except appending to a caller's vector.
// Quoted parameter values keep their quotes unless stated otherwise. Pure functions; the views
// live as long as the parsed text. SipMessage wraps them in lazy accessors.
#pragma once

#include <cstdint>
#include <ctime>
#include <string_view>
#include <vector>

#include "core/parser/parse_error.h"

namespace sipline {

// Outcome of a typed accessor: header absent, present and valid, or present and malformed.
enum class FieldState : std::uint8_t { kAbsent, kOk, kBad };

// A delta-seconds value (RFC 3261 §25.1), e.g. Expires. value is 0 unless state == kOk.
struct Uint32Field {
  FieldState state = FieldState::kAbsent;
  std::uint32_t value = 0;
  bool ok() const { return state == FieldState::kOk; }
};

// 1*DIGIT (leading zeros allowed) with optional surrounding LWS, at most 2^32-1 (RFC 3261
// §20.19: larger values, RFC 4475 scalar02, are malformed). False on anything else.
bool parseDeltaSeconds(std::string_view text, std::uint32_t& out);

// RFC 3261 §25.1 qvalue ("0" ["." 0*3DIGIT] / "1" ["." 0*3("0")]) as thousandths, 0..1000.
// False for anything else ("1.5", "0.1234", "", ".5").
bool parseQValue(std::string_view text, std::uint16_t& out);

// RFC 3261 §20.15 media-type: type "/" subtype *(";" parameter).
struct ContentType {
  std::string_view type, subtype;  // as written; compare case-insensitively
  std::string_view params;         // raw, without the leading ';' ("" when none)
  std::string_view boundary;       // multipart boundary param, without its quotes
  // Case-insensitive match of type and subtype.
  bool is(std::string_view t, std::string_view s) const;
};
// kOk, or kBadHeader for a missing part, non-token characters or bad params.
ParseError parseContentType(std::string_view body, ContentType& out);

// One Accept media-range with its q (1000 when absent).
struct MediaRange {
  std::string_view type, subtype;  // "*" allowed for both
  std::string_view params;         // raw, without the leading ';'
  std::uint16_t q = 1000;
};
// Appends each range of an Accept body; an empty body is valid (RFC 3261 §20.1: accepts
// nothing) and appends nothing. kBadHeader for an empty element, "*/x", a bad q or params.
ParseError parseAccept(std::string_view body, std::vector<MediaRange>& out);

// Appends each token of a comma-separated token list (option tags, methods, event types,
// content codings). An empty body appends nothing and is valid; an empty element (",,") or a
// non-token character is kBadHeader.
ParseError parseTokenList(std::string_view body, std::vector<std::string_view>& out);
// Allocation-free: true when the list in body holds token (case-sensitive, as option tags
// and methods are compared, RFC 3261 §19.2/§7.1). Malformed elements are skipped.
bool tokenListContains(std::string_view body, std::string_view token);

// RFC 6665 §8.4 Event: event-type (package with its ".template"s) and params.
struct EventHeader {
  std::string_view type;    // "presence" or "presence.winfo"
  std::string_view id;      // value of the id param, "" when absent
  std::string_view params;  // raw, without the leading ';'
};
ParseError parseEvent(std::string_view body, EventHeader& out);

// RFC 4028 §4 Session-Expires (and Min-SE): delta-seconds and the refresher param.
struct SessionExpires {
  enum class Refresher : std::uint8_t { kNone, kUac, kUas };
  std::uint32_t delta = 0;
  Refresher refresher = Refresher::kNone;
  std::string_view params;  // raw, without the leading ';'
};
// kBadHeader for a bad delta or a refresher other than uac/uas (case-insensitive).
ParseError parseSessionExpires(std::string_view body, SessionExpires& out);

// RFC 3261 §20.33 Retry-After: delta-seconds [comment] *(";" retry-param).
struct RetryAfter {
  std::uint32_t delta = 0;
  std::string_view comment;  // inside the outer parentheses, nested comments kept
  std::uint32_t duration = 0;
  bool has_duration = false;
  std::string_view params;  // raw, without the leading ';'
};
// kBadHeader for a delta or duration above 2^32-1 (RFC 4475 scalarlg), an unterminated
// comment, or bad params.
ParseError parseRetryAfter(std::string_view body, RetryAfter& out);

// RFC 3261 §20.17 Date: rfc1123-date, i.e. "Sat, 13 Nov 2010 23:29:00 GMT" exactly (single
// spaces, 2-digit day, "GMT" only). out is seconds since the epoch (UTC, no locale or TZ
// involved). kBadHeader for any other zone (RFC 4475 baddate: "EST"), range error or form.
// The weekday must be a valid name but is not checked against the date.
ParseError parseDate(std::string_view body, std::time_t& out);

}  // namespace sipline
