// MIME multipart bodies (RFC 2046 §5.1) as carried by SIP (RFC 5621), split zero-copy, and the
// Content-Type helpers needed to get at them (media type, parameters, the application/sdp part
// that nathelper and rtpengine rewrite). Every view points into the body (or Content-Type
// value) given by the caller, who owns it and must keep it unchanged while the parts are used;
// offsets are relative to the body given. Parts may hold binary octets, NULs included: nothing
// here treats the body as a C string. Never throws, asserts or reads outside its input.
// Process-private, not shm-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace sipline {

enum class MultipartError : std::uint8_t {
  kOk,
  kBadBoundary,       // empty, longer than 70 characters (RFC 2046 §5.1.1), or absent
  kNoDelimiter,       // no "--boundary" line at all
  kNoCloseDelimiter,  // the body ends without "--boundary--"
  kBadPartHeaders,    // a part header line without a "name:"
  kTooManyParts,      // more than kMaxMimeParts
  kTooDeep,           // multiparts nested deeper than kMaxMultipartDepth
  kNotFound,          // findBodyOfType(): no such part
};

// Never nullptr; "Unknown multipart error" for a value outside the enum.
const char* multipartErrorText(MultipartError e);

inline constexpr std::size_t kMaxMimeParts = 64;
inline constexpr int kMaxMultipartDepth = 4;

struct MimePart {
  // The header lines, through the line end of the last one; "" when the part has no headers.
  std::string_view headers;
  // The Content-Type value, trimmed (folding kept); "" when absent, which RFC 2046 §5.1 reads as
  // "text/plain; charset=us-ascii".
  std::string_view content_type;
  // The content: after the empty line that ends the headers, up to (not including) the CRLF that
  // belongs to the next delimiter (RFC 2046 §5.1.1).
  std::string_view body;
  std::size_t offset = 0;       // of the part (its first octet) in the multipart body
  std::size_t body_offset = 0;  // of body in the multipart body
};

// Splits a multipart body at the delimiters "--" boundary (boundary without quotes, as from
// contentTypeParam()). Delimiter lines must start a line, may carry transport padding (SP/HT)
// before their line end, and a line that only begins with the delimiter is content. The
// preamble before the first delimiter and the epilogue after the close delimiter are skipped.
// Lines end with CRLF or LF. parts is cleared first; on an error it holds the parts found so far.
MultipartError parseMultipart(std::string_view boundary, std::string_view body,
                              std::vector<MimePart>& parts);

// "type/subtype" of a Content-Type value, without parameters and surrounding LWS.
std::string_view mediaTypeOf(std::string_view content_type);
// True when content_type's media type equals type_subtype, case-insensitively.
bool isMediaType(std::string_view content_type, std::string_view type_subtype);
// The value of parameter name (case-insensitive) of a Content-Type value, without the quotes
// of a quoted-string (a quoted-pair is not unescaped); "" when absent or malformed.
std::string_view contentTypeParam(std::string_view content_type, std::string_view name);

// Finds the content of type type_subtype in a SIP body of Content-Type content_type: the body
// itself when it is of that type, else the first such part of a multipart body, searching
// nested multiparts depth first. On kOk, content views into body and offset is its offset in
// body. kNotFound when there is none; a multipart error when the multipart is malformed.
MultipartError findBodyOfType(std::string_view content_type, std::string_view body,
                              std::string_view type_subtype, std::string_view& content,
                              std::size_t& offset);
// findBodyOfType() for "application/sdp".
MultipartError findSdpBody(std::string_view content_type, std::string_view body,
                           std::string_view& sdp, std::size_t& offset);

}  // namespace sipline
