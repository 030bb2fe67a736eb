// SipMessage: one received SIP request or reply, parsed zero-copy. parse() reads the first
// line and builds the header index eagerly (one pass, memchr per line) and checks the framing
// (mandatory headers, CSeq, Content-Length); the typed values (Request-URI, Vias, From, To,
// Contact, the name-addr lists, Content-Type, Max-Forwards) are parsed lazily on first use and
// cached; the rarer ones (auth, token lists, Event, Session-Expires, Retry-After, Date) are
// parsed on each call into caller storage, still without copying. Every view points into the buffer
// given to parse(), which the caller owns: it must outlive the message and must not move or
// change. Changes go through edits() (offsets of that buffer) and build() makes the outgoing
// bytes; the buffer itself is never written. Process-private, not thread-safe, not shm-safe.
// The parser never throws, asserts or reads outside the buffer, whatever the input.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "core/parser/auth_header.h"
#include "core/parser/contact.h"
#include "core/parser/edit_list.h"
#include "core/parser/header_type.h"
#include "core/parser/header_values.h"
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
  // Content-Length the body is the rest of data. Returns the first problem found. When a
  // request line is bad (not a status line), isRequest() is true and the headers are still
  // indexed so that a 400 or 505 can be sent.
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
  // requestUri() is also nullptr for a URI with a headers part (RFC 3261 §19.1.1: not allowed
  // in a Request-URI; RFC 4475 escruri) or in <> (ltgtruri).
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

  // Every Contact header, in order. nullptr when absent or malformed (a bad q, "*" with other
  // values, a bad URI...); a bad per-contact expires is reported in that Contact instead.
  const ContactList* contacts();
  // Every value of every header of a name-addr list type, in header order: Route,
  // Record-Route, Path, Service-Route, P-Asserted-Identity, P-Preferred-Identity, Reply-To,
  // Refer-To, Referred-By, Diversion. nullptr when absent, when any value is malformed, or
  // for another type.
  const std::vector<NameAddr>* nameAddrs(HeaderType type);
  const std::vector<NameAddr>* routes() { return nameAddrs(HeaderType::kRoute); }
  const std::vector<NameAddr>* recordRoutes() { return nameAddrs(HeaderType::kRecordRoute); }
  // Single-valued name-addr headers (Refer-To, Referred-By, Reply-To): nullptr unless there
  // is exactly one value.
  const NameAddr* singleNameAddr(HeaderType type);
  const ContentType* contentType();  // nullptr when absent, repeated or malformed

  // Single-valued scalars: kAbsent, kOk, or kBad (malformed, > 2^32-1, or repeated).
  Uint32Field expires() const { return deltaSeconds(HeaderType::kExpires); }
  Uint32Field minExpires() const { return deltaSeconds(HeaderType::kMinExpires); }
  Uint32Field deltaSeconds(HeaderType type) const;
  // Parse the single header of that type into out. kBad also when repeated.
  FieldState event(EventHeader& out) const;
  FieldState sessionExpires(SessionExpires& out) const;  // Session-Expires (x)
  FieldState retryAfter(RetryAfter& out) const;
  FieldState date(std::time_t& out) const;  // RFC 1123 GMT only, see parseDate()
  // Appends the tokens of every header of type (Require, Supported, Unsupported,
  // Proxy-Require, Allow, Allow-Events, Content-Encoding, ...), in order. kBad when one is
  // malformed (out then holds a prefix).
  FieldState tokens(HeaderType type, std::vector<std::string_view>& out) const;
  bool hasToken(HeaderType type, std::string_view token) const;  // allocation-free
  FieldState accept(std::vector<MediaRange>& out) const;         // every Accept header
  // The first Authorization / Proxy-Authorization / WWW-Authenticate / Proxy-Authenticate
  // value (type) whose realm equals realm (any realm when ""; exact match as RFC 2617 says
  // realms are compared case-sensitively). kAbsent when none matches; kBad when none matches
  // and some header of that type was malformed.
  FieldState auth(HeaderType type, std::string_view realm, AuthHeader& out) const;

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
  // No-op for a reply. A second call replaces the first one's edit.
  void replaceRequestUri(std::string uri);
  // Inserts line (a full header line with CRLF) above the first header of type, or above the
  // first header of the message when there is none (Via, Record-Route). Several calls for the
  // same position keep call order, so the last call's line ends up lowest.
  void insertHeaderAtTop(HeaderType type, std::string line);
  // Replaces the body; Content-Length is rewritten (or added) to match. A non-empty
  // content_type rewrites (or adds) Content-Type; an empty body with an empty content_type
  // removes Content-Type. A second call replaces the first. False when the message was not
  // parsed (kOk) or has several Content-Length / Content-Type headers.
  bool replaceBody(std::string body, std::string_view content_type = "");
  // Streams need Content-Length (RFC 3261 §18.3), UDP does not: before a message received
  // without one is sent on TCP or TLS, this adds "Content-Length: <body size>" (unless
  // replaceBody() wrote one already). No-op when it has one or did not parse.
  void ensureContentLength();
  bool build(std::string& out) const { return edits_.build(buffer_, out); }

 private:
  enum class Lazy : std::uint8_t { kNotYet, kOk, kBad };
  static constexpr std::uint32_t kNone = 0xffffffffu;
  static constexpr int kMaxForwardsNotYet = -3;

  void reset();
  ParseError parseFirstLine();
  void markBadRequestLine();  // a request whose line failed: request, method if a token
  ParseError parseHeaders(std::size_t& pos, const ParseLimits& limits);
  ParseError checkHeaders(std::size_t body_start);
  void addHeader(HeaderType type, std::string_view name, std::string_view body,
                 std::string_view raw);
  // The only header of type: kAbsent (nullptr), kOk, or kBad (repeated).
  FieldState single(HeaderType type, const HeaderField*& h) const;
  int nameAddrSlot(HeaderType type) const;

  // Edit keys for EditList::replaceKeyed.
  enum EditKey : std::uint32_t {
    kKeyRequestUri = 1,
    kKeyBody,
    kKeyContentLength,
    kKeyContentType,
  };
  static constexpr std::size_t kNameAddrSlots = 10;

  std::string_view buffer_;
  std::string_view first_line_, method_text_, ruri_text_, version_, reason_, body_;
  Method method_ = Method::kOther;
  bool is_request_ = false;
  int status_code_ = 0;
  std::size_t headers_end_ = 0;
  std::size_t body_start_ = 0;
  bool parsed_ok_ = false;
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
  Lazy contacts_state_ = Lazy::kNotYet;
  ContactList contacts_;
  Lazy content_type_state_ = Lazy::kNotYet;
  ContentType content_type_;
  std::array<Lazy, kNameAddrSlots> name_addrs_state_{};
  std::array<std::vector<NameAddr>, kNameAddrSlots> name_addrs_;

  EditList edits_;
};

}  // namespace sipline
