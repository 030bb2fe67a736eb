#include "core/parser/parse_error.h"

namespace sipline {

const char* parseErrorText(ParseError e) {
  switch (e) {
    case ParseError::kOk:
      return "OK";
    case ParseError::kEmpty:
      return "Empty message";
    case ParseError::kTooLarge:
      return "Message too large";
    case ParseError::kBadFirstLine:
      return "Bad first line";
    case ParseError::kBadVersion:
      return "Bad SIP version";
    case ParseError::kBadStatusCode:
      return "Bad status code";
    case ParseError::kBadHeader:
      return "Bad header";
    case ParseError::kTooManyHeaders:
      return "Too many headers";
    case ParseError::kHeaderTooLong:
      return "Header too long";
    case ParseError::kNoHeaderEnd:
      return "Incomplete headers";
    case ParseError::kMissingVia:
      return "Missing Via";
    case ParseError::kMissingCallId:
      return "Missing Call-ID";
    case ParseError::kMissingCSeq:
      return "Missing CSeq";
    case ParseError::kMissingFrom:
      return "Missing From";
    case ParseError::kMissingTo:
      return "Missing To";
    case ParseError::kBadCSeq:
      return "Bad CSeq";
    case ParseError::kCSeqMethodMismatch:
      return "CSeq method mismatch";
    case ParseError::kBadContentLength:
      return "Bad Content-Length";
    case ParseError::kBodyTruncated:
      return "Body truncated";
    case ParseError::kBadVia:
      return "Bad Via";
    case ParseError::kBadUri:
      return "Bad URI";
    case ParseError::kBadFrom:
      return "Bad From";
    case ParseError::kBadTo:
      return "Bad To";
    case ParseError::kBadMaxForwards:
      return "Bad Max-Forwards";
  }
  return "Unknown error";
}

}  // namespace sipline
