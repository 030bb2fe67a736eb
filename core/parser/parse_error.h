// ParseError and ParseLimits: the outcome codes and size limits of the SIP message parser.
// ParseError is the data-plane error type of everything in core/parser (no Status, no
// exceptions, no allocation). parseErrorText() gives a short English phrase suitable as the
// reason phrase of the 400 that answers a bad request. Plain values; may live anywhere.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sipline {

enum class ParseError : std::uint8_t {
  kOk,
  kEmpty,
  kTooLarge,
  kBadFirstLine,
  kBadVersion,
  kBadStatusCode,
  kBadHeader,
  kTooManyHeaders,
  kHeaderTooLong,
  kNoHeaderEnd,
  kMissingVia,
  kMissingCallId,
  kMissingCSeq,
  kMissingFrom,
  kMissingTo,
  kBadCSeq,
  kCSeqMethodMismatch,
  kBadContentLength,
  kBodyTruncated,
  kBadVia,
  kBadUri,
  kBadFrom,
  kBadTo,
  kBadMaxForwards,
};

// Never nullptr; "Unknown error" for a value outside the enum.
const char* parseErrorText(ParseError e);

struct ParseLimits {
  std::size_t max_message = 65535;     // whole datagram / framed message
  std::size_t max_headers = 256;       // header lines (a folded header counts once)
  std::size_t max_header_len = 16384;  // one header from name through its line end
};

}  // namespace sipline
