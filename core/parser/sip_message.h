// SipMessage: one received SIP request or reply, parsed zero-copy. parse() reads the first
// line and builds the header index eagerly (one pass, memchr per line) and checks the framing
// (mandatory headers, CSeq, Content-Length); the typed values (Request-URI, Vias, From, To,
// Max-Forwards) are parsed lazily on first use and cached. Every view points into the buffer
// given to parse(), which the caller owns: it must outlive the message and must not move or
// change. Changes go through edits() (offsets of that buffer) and build() makes the outgoing
// bytes; the buffer itself is never written. Process-private, not thread-safe, not shm-safe.
// The parser never throws, asserts or reads outside the buffer, whatever the input.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/parser/edit_list.h"
#include "core/parser/header_type.h"
#include "core/parser/method.h"
#include "core/parser/name_addr.h"
#include "core/parser/parse_error.h"
#include "core/parser/uri.h"
#include "core/parser/via.h"

namespace sipline {

struct CSeq {
  std::uint32_t number = 0;
  std::string_view method_text;
  Method method = Method::kOther;
};

// RFC 3261 §20.16: 1*DIGIT LWS Method, the number below 2^31 (leading zeros allowed).
// kOk or kBadCSeq.
ParseError parseCSeq(std::string_view body, CSeq& out);

struct HeaderField {
  HeaderType type = HeaderType::kOther;
  std::string_view name;  // as written
  std::string_view body;  // value without leading/trailing LWS (folded lines included)
  std::string_view raw;   // from the name through the terminating CRLF (or LF)
};

class SipMessage {
 public:
  SipMessage();

  // Parses data and keeps views into it. Resets all previous state (including edits). Checks:
  // size limits, first line, header syntax, presence of Via/Call-ID/CSeq/From/To and at most
  // one Call-ID/CSeq/From/To/Content-Length (RFC 4475 multi01, mcl01), CSeq syntax and (for
  // requests) its method against the request method, Content-Length against the bytes
  // present. Extra bytes after Content-Length are ignored (RFC 3261 §18.3); without
  // Content-Length the body is the rest of data. Returns the first problem found.
  ParseError parse(std::string_view data, const ParseLimits& limits = {});

  // The message: the data given to parse(), less any octets after Content-Length.
  std::string_view buffer() const { return buffer_; }
  bool isRequest() const { return is_request_; }
  bool isReply() const { return !is_request_ && status_code_ != 0; }
  Method method() const { return method_; }                       // replies: from CSeq
  std::string_view methodText() const { return method_text_; }    // "" for replies
  std::string_view requestUriText() const { return ruri_text_; }  // "" for replies
  std::string_view version() const { return version_; }
  int statusCode() const { return status_code_; }  // 0 for requests
  std::string_view reason() const { return reason_; }
  std::string_view firstLine() const { return first_line_; }  // without line end

  const std::vector<HeaderField>& headers() const { return headers_; }
  const HeaderField* header(HeaderType type) const;        // first of that type, or nullptr
  const HeaderField* header(std::string_view name) const;  // case-insensitive, compact-aware
  std::size_t headerCount(HeaderType type) const;
  std::string_view body() const { return body_; }
  // Offset of the empty line that ends the headers (where a new last header goes).
  std::size_t headersEnd() const { return headers_end_; }

  // Lazy typed views; parsed on first call and cached. nullptr when absent or malformed.
  const SipUri* requestUri();
  const std::vector<Via>* vias();  // all via-parms of all Via headers, top first
  const Via* topVia();
  const NameAddr* from();
  const NameAddr* to();
  const CSeq* cseq() const;  // parsed by parse(), so always set after kOk
  std::string_view callId() const;
  // -1 absent, -2 malformed (not digits, >= 2^31, or several Max-Forwards), else the value.
  // Values above 255 are returned as they are: the caller answers 400 (RFC 4475 scalar02).
  int maxForwards();

  // Offset of a view into buffer(); false if the view does not lie inside it.
  bool offsetOf(std::string_view view, std::size_t& offset) const;

  EditList& edits() { return edits_; }
  const EditList& edits() const { return edits_; }
  // Helpers on edits(); h must come from headers() of this message. text is a full header
  // line including its CRLF.
  void insertHeaderBefore(const HeaderField& h, std::string text);
  void appendHeader(std::string text);  // before the empty line
  void removeHeader(const HeaderField& h);
  // Removes the first via-parm: the whole header line if it is alone there, else the value
  // and the comma after it. False (nothing recorded) when the Vias do not parse.
  bool removeTopVia();
  void replaceRequestUri(std::string uri);  // no-op for a reply
  bool build(std::string& out) const { return edits_.build(buffer_, out); }

 private:
  enum class Lazy : std::uint8_t { kNotYet, kOk, kBad };
  static constexpr std::uint32_t kNone = 0xffffffffu;
  static constexpr int kMaxForwardsNotYet = -3;

  void reset();
  ParseError parseFirstLine();
  ParseError parseHeaders(std::size_t& pos, const ParseLimits& limits);
  ParseError checkHeaders(std::size_t body_start);
  void addHeader(HeaderType type, std::string_view name, std::string_view body,
                 std::string_view raw);

  std::string_view buffer_;
  std::string_view first_line_, method_text_, ruri_text_, version_, reason_, body_;
  Method method_ = Method::kOther;
  bool is_request_ = false;
  int status_code_ = 0;
  std::size_t headers_end_ = 0;
  std::vector<HeaderField> headers_;
  std::array<std::uint32_t, static_cast<std::size_t>(HeaderType::kCount)> first_{};
  std::array<std::uint32_t, static_cast<std::size_t>(HeaderType::kCount)> count_{};
  CSeq cseq_;
  bool cseq_ok_ = false;

  Lazy ruri_state_ = Lazy::kNotYet;
  Lazy vias_state_ = Lazy::kNotYet;
  Lazy from_state_ = Lazy::kNotYet;
  Lazy to_state_ = Lazy::kNotYet;
  int max_forwards_ = kMaxForwardsNotYet;
  SipUri ruri_;
  std::vector<Via> vias_;
  NameAddr from_;
  NameAddr to_;

  EditList edits_;
};

}  // namespace sipline
