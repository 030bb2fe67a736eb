// Header and text operations on a message for the textops module, apart from its glue so
// tests call them directly. Changes go through the message's edit list (nothing is written
// in the receive buffer); searches see the message as received. Regex substitutions are in
// substitute.h.
#pragma once

#include <string>
#include <string_view>

namespace sipline {

class SipMessage;

// "Name: value" (CRLF added when missing) → a complete header line; "" when the text is not a
// header (no name, bad characters, a line break inside).
std::string headerLine(std::string_view text);

// Adds the line after the last header (append_hf) or before the first one (insert_hf).
bool appendHeaderLine(SipMessage& msg, std::string_view text);
bool insertHeaderLine(SipMessage& msg, std::string_view text);
// append_hf(txt, hdr) / insert_hf(txt, hdr): adds the line after (before) the first header
// with that name (compact forms included); without such a header, after the last (before
// the first) header, as OpenSIPS does.
bool appendHeaderLineAfter(SipMessage& msg, std::string_view text, std::string_view name);
bool insertHeaderLineBefore(SipMessage& msg, std::string_view text, std::string_view name);
// Removes every header with this name (compact forms included); returns how many, or -1
// (nothing removed) when an earlier edit changed part of such a header (a substitution).
int removeHeaders(SipMessage& msg, std::string_view name);
// True when a header with this name is present.
bool hasHeader(SipMessage& msg, std::string_view name);
// is_content_type(): the Content-Type's media type equals type_subtype (case-insensitive,
// parameters ignored), or the body is multipart and one of its parts, nested multiparts
// included, is of that type. False without a (single, well-formed) Content-Type header.
bool isContentType(SipMessage& msg, std::string_view type_subtype);

}  // namespace sipline
