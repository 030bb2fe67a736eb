#include "core/parser/sip_message.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

#include "core/parser/lex.h"

namespace sipline {

namespace {

constexpr std::size_t kHeaderReserve = 32;
constexpr std::uint64_t kMaxCSeq = 0x7fffffffu;  // RFC 3261 §8.1.1.5: less than 2^31
constexpr std::uint64_t kMaxContentLength = 0xffffffffu;

bool startsWithSipSlash(std::string_view s) {
  return s.size() >= 4 && lex::iequals(s.substr(0, 4), "SIP/");
}

}  // namespace

ParseError parseCSeq(std::string_view body, CSeq& out) {
  out = CSeq();
  const std::string_view s = lex::trimLws(body);
  std::size_t pos = 0;
  while (pos < s.size() && lex::isDigit(s[pos])) ++pos;
  std::uint64_t number = 0;
  if (!lex::parseUint(s.substr(0, pos), kMaxCSeq, number)) return ParseError::kBadCSeq;
  if (pos >= s.size() || !lex::isLws(s[pos])) return ParseError::kBadCSeq;
  pos = lex::skipLws(s, pos);
  const std::size_t end = lex::scanToken(s, pos);
  if (end == pos || end != s.size()) return ParseError::kBadCSeq;
  out.number = static_cast<std::uint32_t>(number);
  out.method_text = s.substr(pos);
  out.method = methodFromName(out.method_text);
  return ParseError::kOk;
}

SipMessage::SipMessage() { headers_.reserve(kHeaderReserve); }

void SipMessage::reset() {
  buffer_ = first_line_ = method_text_ = ruri_text_ = version_ = reason_ = body_ = {};
  method_ = Method::kOther;
  is_request_ = false;
  status_code_ = 0;
  headers_end_ = 0;
  headers_.clear();
  first_.fill(kNone);
  count_.fill(0);
  cseq_ = CSeq();
  cseq_ok_ = false;
  ruri_state_ = vias_state_ = from_state_ = to_state_ = Lazy::kNotYet;
  max_forwards_ = kMaxForwardsNotYet;
  vias_.clear();
  body_start_ = 0;
  parsed_ok_ = false;
  contacts_state_ = content_type_state_ = Lazy::kNotYet;
  contacts_.star = false;
  contacts_.items.clear();
  name_addrs_state_.fill(Lazy::kNotYet);
  for (std::vector<NameAddr>& v : name_addrs_) v.clear();
  edits_.clear();
}

ParseError SipMessage::parse(std::string_view data, const ParseLimits& limits) {
  reset();
  buffer_ = data;
  const std::size_t n = data.size();
  if (n == 0) return ParseError::kEmpty;
  if (n > limits.max_message) return ParseError::kTooLarge;

  std::size_t pos = 0;
  while (pos < n && (data[pos] == '\r' || data[pos] == '\n')) ++pos;  // RFC 3261 §7.5
  if (pos == n) return ParseError::kEmpty;

  const void* lf = std::memchr(data.data() + pos, '\n', n - pos);
  if (lf == nullptr) return ParseError::kNoHeaderEnd;
  std::size_t line_end = static_cast<std::size_t>(static_cast<const char*>(lf) - data.data());
  const std::size_t next = line_end + 1;
  if (line_end > pos && data[line_end - 1] == '\r') --line_end;
  if (line_end - pos > limits.max_header_len) return ParseError::kHeaderTooLong;
  first_line_ = data.substr(pos, line_end - pos);
  ParseError e = parseFirstLine();
  if (e != ParseError::kOk) {
    // A request line we cannot accept (RFC 4475 lwsruri, trws, badvers): the headers are still
    // indexed, so the caller can answer 400 or 505 to the request's Via.
    if (startsWithSipSlash(first_line_)) return e;
    markBadRequestLine();
    pos = next;
    parseHeaders(pos, limits);
    return e;
  }

  pos = next;
  e = parseHeaders(pos, limits);
  if (e != ParseError::kOk) return e;
  body_start_ = pos;
  e = checkHeaders(pos);
  parsed_ok_ = e == ParseError::kOk;
  return e;
}

void SipMessage::markBadRequestLine() {
  is_request_ = true;
  const std::size_t sp = first_line_.find(' ');
  std::string_view token = first_line_.substr(0, sp);
  if (!token.empty() && lex::scanToken(token, 0) == token.size()) {
    method_text_ = token;
    method_ = methodFromName(token);
  }
}

ParseError SipMessage::parseFirstLine() {
  const std::string_view line = first_line_;
  if (startsWithSipSlash(line)) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (RFC 3261 §7.2)
    const std::size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return ParseError::kBadFirstLine;
    version_ = line.substr(0, sp);
    if (!lex::iequals(version_, "SIP/2.0")) return ParseError::kBadVersion;
    std::size_t pos = sp + 1;
    int code = 0;
    int digits = 0;
    while (pos < line.size() && lex::isDigit(line[pos]) && digits < 4) {
      code = code * 10 + (line[pos++] - '0');
      ++digits;
    }
    if (digits != 3 || code < 100 || code > 699) return ParseError::kBadStatusCode;
    if (pos < line.size() && line[pos] != ' ') return ParseError::kBadStatusCode;
    status_code_ = code;
    reason_ = pos < line.size() ? line.substr(pos + 1) : std::string_view();
    return ParseError::kOk;
  }
  // Request-Line = Method SP Request-URI SP SIP-Version (RFC 3261 §7.1); exactly one SP each.
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp1 == 0 || sp2 == sp1) return ParseError::kBadFirstLine;
  method_text_ = line.substr(0, sp1);
  if (lex::scanToken(method_text_, 0) != method_text_.size()) return ParseError::kBadFirstLine;
  ruri_text_ = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (ruri_text_.empty() || ruri_text_.find_first_of(" \t") != std::string_view::npos) {
    return ParseError::kBadFirstLine;
  }
  version_ = line.substr(sp2 + 1);
  if (!lex::iequals(version_, "SIP/2.0")) {
    return startsWithSipSlash(version_) ? ParseError::kBadVersion : ParseError::kBadFirstLine;
  }
  is_request_ = true;
  method_ = methodFromName(method_text_);
  return ParseError::kOk;
}

void SipMessage::addHeader(HeaderType type, std::string_view name, std::string_view body,
                           std::string_view raw) {
  const auto t = static_cast<std::size_t>(type);
  if (first_[t] == kNone) first_[t] = static_cast<std::uint32_t>(headers_.size());
  ++count_[t];
  HeaderField& h = headers_.emplace_back();
  h.type = type;
  h.name = name;
  h.body = body;
  h.raw = raw;
}

// pos: start of the first header line; on kOk, the first body byte.
ParseError SipMessage::parseHeaders(std::size_t& pos, const ParseLimits& limits) {
  const std::string_view data = buffer_;
  const std::size_t n = data.size();
  for (;;) {
    if (pos >= n) return ParseError::kNoHeaderEnd;
    const char c = data[pos];
    if (c == '\n' || (c == '\r' && pos + 1 < n && data[pos + 1] == '\n')) {
      headers_end_ = pos;
      pos += c == '\n' ? 1 : 2;
      return ParseError::kOk;
    }
    // field-name; a line starting with SP/HT here has no header to continue.
    const std::size_t name_end = lex::scanToken(data, pos);
    if (name_end == pos) return pos + 1 >= n ? ParseError::kNoHeaderEnd : ParseError::kBadHeader;
    std::size_t colon = name_end;
    while (colon < n && (data[colon] == ' ' || data[colon] == '\t')) ++colon;  // RFC 4475 wsinv
    if (colon >= n) return ParseError::kNoHeaderEnd;
    if (data[colon] != ':') return ParseError::kBadHeader;

    std::size_t scan = colon + 1;
    std::size_t line_end = 0;
    std::size_t after = 0;
    for (;;) {  // one physical line per round; SP/HT after LF continues the header (folding)
      const void* lf = std::memchr(data.data() + scan, '\n', n - scan);
      if (lf == nullptr) {
        return n - pos > limits.max_header_len ? ParseError::kHeaderTooLong
                                               : ParseError::kNoHeaderEnd;
      }
      line_end = static_cast<std::size_t>(static_cast<const char*>(lf) - data.data());
      after = line_end + 1;
      if (after - pos > limits.max_header_len) return ParseError::kHeaderTooLong;
      if (after < n && (data[after] == ' ' || data[after] == '\t')) {
        scan = after;
        continue;
      }
      break;
    }
    if (headers_.size() >= limits.max_headers) return ParseError::kTooManyHeaders;
    const std::string_view name = data.substr(pos, name_end - pos);
    addHeader(headerTypeFromName(name), name,
              lex::trimLws(data.substr(colon + 1, line_end - colon - 1)),
              data.substr(pos, after - pos));
    pos = after;
  }
}

ParseError SipMessage::checkHeaders(std::size_t body_start) {
  auto count = [this](HeaderType t) { return count_[static_cast<std::size_t>(t)]; };
  if (count(HeaderType::kVia) == 0) return ParseError::kMissingVia;
  if (count(HeaderType::kCallId) == 0 || callId().empty()) return ParseError::kMissingCallId;
  if (count(HeaderType::kCSeq) == 0) return ParseError::kMissingCSeq;
  if (count(HeaderType::kFrom) == 0) return ParseError::kMissingFrom;
  if (count(HeaderType::kTo) == 0) return ParseError::kMissingTo;
  // Single-valued headers repeated (RFC 4475 multi01).
  if (count(HeaderType::kCallId) > 1) return ParseError::kBadHeader;
  if (count(HeaderType::kCSeq) > 1) return ParseError::kBadCSeq;
  if (count(HeaderType::kFrom) > 1) return ParseError::kBadFrom;
  if (count(HeaderType::kTo) > 1) return ParseError::kBadTo;

  if (parseCSeq(header(HeaderType::kCSeq)->body, cseq_) != ParseError::kOk) {
    return ParseError::kBadCSeq;
  }
  cseq_ok_ = true;
  if (is_request_) {
    // RFC 3261 §8.1.1.5: same method as the request (ACK and CANCEL included).
    if (cseq_.method_text != method_text_) return ParseError::kCSeqMethodMismatch;
  } else {
    method_ = cseq_.method;
  }

  const std::string_view rest = buffer_.substr(body_start);
  if (count(HeaderType::kContentLength) == 0) {
    body_ = rest;
    return ParseError::kOk;
  }
  if (count(HeaderType::kContentLength) > 1) return ParseError::kBadContentLength;  // mcl01
  std::uint64_t length = 0;
  if (!lex::parseUint(header(HeaderType::kContentLength)->body, kMaxContentLength, length)) {
    return ParseError::kBadContentLength;
  }
  if (length > rest.size()) return ParseError::kBodyTruncated;
  body_ = rest.substr(0, static_cast<std::size_t>(length));
  // RFC 3261 §18.3: octets after the body are not part of the message; buffer() (and so
  // build(), which relays it) ends with the body.
  buffer_ = buffer_.substr(0, body_start + body_.size());
  return ParseError::kOk;
}

const HeaderField* SipMessage::header(HeaderType type) const {
  const auto t = static_cast<std::size_t>(type);
  if (t >= first_.size() || first_[t] == kNone) return nullptr;
  return &headers_[first_[t]];
}

const HeaderField* SipMessage::header(std::string_view name) const {
  const HeaderType type = headerTypeFromName(name);
  if (type != HeaderType::kOther) return header(type);
  for (const HeaderField& h : headers_) {
    if (h.type == HeaderType::kOther && lex::iequals(h.name, name)) return &h;
  }
  return nullptr;
}

std::size_t SipMessage::headerCount(HeaderType type) const {
  const auto t = static_cast<std::size_t>(type);
  return t < count_.size() ? count_[t] : 0;
}

const SipUri* SipMessage::requestUri() {
  if (ruri_state_ == Lazy::kNotYet) {
    ruri_state_ =
        is_request_ && parseUri(ruri_text_, ruri_) == ParseError::kOk && ruri_.headers.empty()
            ? Lazy::kOk
            : Lazy::kBad;
  }
  return ruri_state_ == Lazy::kOk ? &ruri_ : nullptr;
}

const std::vector<Via>* SipMessage::vias() {
  if (vias_state_ == Lazy::kNotYet) {
    vias_state_ = Lazy::kBad;
    if (count_[static_cast<std::size_t>(HeaderType::kVia)] != 0) {
      vias_.reserve(4);
      vias_state_ = Lazy::kOk;
      for (const HeaderField& h : headers_) {
        if (h.type == HeaderType::kVia && parseViaList(h.body, vias_) != ParseError::kOk) {
          vias_state_ = Lazy::kBad;
          vias_.clear();
          break;
        }
      }
    }
  }
  return vias_state_ == Lazy::kOk ? &vias_ : nullptr;
}

const Via* SipMessage::topVia() {
  const std::vector<Via>* v = vias();
  return v != nullptr && !v->empty() ? &v->front() : nullptr;
}

const NameAddr* SipMessage::from() {
  if (from_state_ == Lazy::kNotYet) {
    const HeaderField* h = header(HeaderType::kFrom);
    from_state_ =
        h != nullptr && parseNameAddr(h->body, from_) == ParseError::kOk ? Lazy::kOk : Lazy::kBad;
  }
  return from_state_ == Lazy::kOk ? &from_ : nullptr;
}

const NameAddr* SipMessage::to() {
  if (to_state_ == Lazy::kNotYet) {
    const HeaderField* h = header(HeaderType::kTo);
    to_state_ =
        h != nullptr && parseNameAddr(h->body, to_) == ParseError::kOk ? Lazy::kOk : Lazy::kBad;
  }
  return to_state_ == Lazy::kOk ? &to_ : nullptr;
}

const CSeq* SipMessage::cseq() const { return cseq_ok_ ? &cseq_ : nullptr; }

std::string_view SipMessage::callId() const {
  const HeaderField* h = header(HeaderType::kCallId);
  return h != nullptr ? h->body : std::string_view();
}

int SipMessage::maxForwards() {
  if (max_forwards_ == kMaxForwardsNotYet) {
    const std::size_t count = headerCount(HeaderType::kMaxForwards);
    std::uint64_t value = 0;
    if (count == 0) {
      max_forwards_ = -1;
    } else if (count > 1 ||
               !lex::parseUint(header(HeaderType::kMaxForwards)->body, 0x7fffffff, value)) {
      max_forwards_ = -2;
    } else {
      max_forwards_ = static_cast<int>(value);
    }
  }
  return max_forwards_;
}

bool SipMessage::offsetOf(std::string_view view, std::size_t& offset) const {
  const auto base = reinterpret_cast<std::uintptr_t>(buffer_.data());
  const auto p = reinterpret_cast<std::uintptr_t>(view.data());
  if (view.data() == nullptr || p < base || p - base > buffer_.size() ||
      view.size() > buffer_.size() - (p - base)) {
    return false;
  }
  offset = static_cast<std::size_t>(p - base);
  return true;
}

void SipMessage::insertHeaderBefore(const HeaderField& h, std::string text) {
  std::size_t off = 0;
  if (offsetOf(h.raw, off)) edits_.insert(off, std::move(text));
}

void SipMessage::ensureContentLength() {
  if (!parsed_ok_ || header(HeaderType::kContentLength) != nullptr ||
      edits_.hasKeyed(kKeyContentLength)) {
    return;
  }
  edits_.replaceKeyed(kKeyContentLength, headers_end_, 0,
                      "Content-Length: " + std::to_string(body_.size()) + "\r\n");
}

void SipMessage::appendHeader(std::string text) { edits_.insert(headers_end_, std::move(text)); }

void SipMessage::removeHeader(const HeaderField& h) {
  std::size_t off = 0;
  if (offsetOf(h.raw, off)) edits_.remove(off, h.raw.size());
}

bool SipMessage::removeTopVia() {
  const std::vector<Via>* v = vias();
  const HeaderField* h = header(HeaderType::kVia);
  if (v == nullptr || v->empty() || h == nullptr) return false;
  std::size_t first = 0;
  std::size_t second = 0;
  // vias() parses in header order, so (*v)[0] lies in h; (*v)[1] may lie in h or a later one.
  if (v->size() == 1 || !offsetOf((*v)[1].text, second) || !offsetOf(h->raw, first) ||
      second >= first + h->raw.size()) {
    removeHeader(*h);
    return true;
  }
  if (!offsetOf((*v)[0].text, first)) return false;
  edits_.remove(first, second - first);  // "v0 , " up to where v1 starts
  return true;
}

void SipMessage::replaceRequestUri(std::string uri) {
  std::size_t off = 0;
  if (is_request_ && offsetOf(ruri_text_, off)) {
    edits_.replaceKeyed(kKeyRequestUri, off, ruri_text_.size(), std::move(uri));
  }
}

void SipMessage::insertHeaderAtTop(HeaderType type, std::string line) {
  const HeaderField* h = header(type);
  if (h == nullptr && !headers_.empty()) h = &headers_.front();
  if (h != nullptr) {
    insertHeaderBefore(*h, std::move(line));
  } else {
    appendHeader(std::move(line));
  }
}

bool SipMessage::replaceBody(std::string body, std::string_view content_type) {
  if (!parsed_ok_ || headerCount(HeaderType::kContentLength) > 1 ||
      headerCount(HeaderType::kContentType) > 1) {
    return false;
  }
  std::string length = std::to_string(body.size());
  const HeaderField* cl = header(HeaderType::kContentLength);
  std::size_t off = 0;
  if (cl != nullptr && offsetOf(cl->body, off)) {
    edits_.replaceKeyed(kKeyContentLength, off, cl->body.size(), std::move(length));
  } else {
    edits_.replaceKeyed(kKeyContentLength, headers_end_, 0, "Content-Length: " + length + "\r\n");
  }
  const HeaderField* ct = header(HeaderType::kContentType);
  if (!content_type.empty()) {
    if (ct != nullptr && offsetOf(ct->body, off)) {
      edits_.replaceKeyed(kKeyContentType, off, ct->body.size(), std::string(content_type));
    } else {
      std::string line = "Content-Type: ";
      line.append(content_type).append("\r\n");
      edits_.replaceKeyed(kKeyContentType, headers_end_, 0, std::move(line));
    }
  } else if (body.empty() && ct != nullptr && offsetOf(ct->raw, off)) {
    edits_.replaceKeyed(kKeyContentType, off, ct->raw.size(), std::string());
  } else {
    // Keep the current Content-Type; undo what an earlier call may have recorded.
    edits_.replaceKeyed(kKeyContentType, headers_end_, 0, std::string());
  }
  edits_.replaceKeyed(kKeyBody, body_start_, body_.size(), std::move(body));
  return true;
}

FieldState SipMessage::single(HeaderType type, const HeaderField*& h) const {
  h = header(type);
  if (h == nullptr) return FieldState::kAbsent;
  return headerCount(type) == 1 ? FieldState::kOk : FieldState::kBad;
}

int SipMessage::nameAddrSlot(HeaderType type) const {
  switch (type) {
    case HeaderType::kRoute:
      return 0;
    case HeaderType::kRecordRoute:
      return 1;
    case HeaderType::kPath:
      return 2;
    case HeaderType::kServiceRoute:
      return 3;
    case HeaderType::kPAssertedIdentity:
      return 4;
    case HeaderType::kPPreferredIdentity:
      return 5;
    case HeaderType::kReplyTo:
      return 6;
    case HeaderType::kReferTo:
      return 7;
    case HeaderType::kReferredBy:
      return 8;
    case HeaderType::kDiversion:
      return 9;
    default:
      return -1;
  }
}

const std::vector<NameAddr>* SipMessage::nameAddrs(HeaderType type) {
  const int slot = nameAddrSlot(type);
  if (slot < 0) return nullptr;
  const auto i = static_cast<std::size_t>(slot);
  if (name_addrs_state_[i] == Lazy::kNotYet) {
    name_addrs_state_[i] = headerCount(type) != 0 ? Lazy::kOk : Lazy::kBad;
    for (std::size_t h = first_[static_cast<std::size_t>(type)];
         name_addrs_state_[i] == Lazy::kOk && h < headers_.size(); ++h) {
      if (headers_[h].type == type &&
          parseNameAddrList(headers_[h].body, name_addrs_[i]) != ParseError::kOk) {
        name_addrs_state_[i] = Lazy::kBad;
        name_addrs_[i].clear();
      }
    }
  }
  return name_addrs_state_[i] == Lazy::kOk ? &name_addrs_[i] : nullptr;
}

const NameAddr* SipMessage::singleNameAddr(HeaderType type) {
  const std::vector<NameAddr>* v = nameAddrs(type);
  return v != nullptr && v->size() == 1 ? &v->front() : nullptr;
}

const ContactList* SipMessage::contacts() {
  if (contacts_state_ == Lazy::kNotYet) {
    contacts_state_ = headerCount(HeaderType::kContact) != 0 ? Lazy::kOk : Lazy::kBad;
    for (std::size_t h = first_[static_cast<std::size_t>(HeaderType::kContact)];
         contacts_state_ == Lazy::kOk && h < headers_.size(); ++h) {
      if (headers_[h].type == HeaderType::kContact &&
          parseContactBody(headers_[h].body, contacts_) != ParseError::kOk) {
        contacts_state_ = Lazy::kBad;
        contacts_.star = false;
        contacts_.items.clear();
      }
    }
  }
  return contacts_state_ == Lazy::kOk ? &contacts_ : nullptr;
}

const ContentType* SipMessage::contentType() {
  if (content_type_state_ == Lazy::kNotYet) {
    const HeaderField* h = nullptr;
    content_type_state_ = single(HeaderType::kContentType, h) == FieldState::kOk &&
                                  parseContentType(h->body, content_type_) == ParseError::kOk
                              ? Lazy::kOk
                              : Lazy::kBad;
  }
  return content_type_state_ == Lazy::kOk ? &content_type_ : nullptr;
}

Uint32Field SipMessage::deltaSeconds(HeaderType type) const {
  Uint32Field out;
  const HeaderField* h = nullptr;
  out.state = single(type, h);
  if (out.state == FieldState::kOk && !parseDeltaSeconds(h->body, out.value)) {
    out.state = FieldState::kBad;
    out.value = 0;
  }
  return out;
}

namespace {

template <class T>
FieldState parseSingle(FieldState state, const HeaderField* h,
                       ParseError (*fn)(std::string_view, T&), T& out) {
  if (state != FieldState::kOk) return state;
  return fn(h->body, out) == ParseError::kOk ? FieldState::kOk : FieldState::kBad;
}

}  // namespace

FieldState SipMessage::event(EventHeader& out) const {
  const HeaderField* h = nullptr;
  const FieldState st = single(HeaderType::kEvent, h);
  return parseSingle(st, h, &parseEvent, out);
}

FieldState SipMessage::sessionExpires(SessionExpires& out) const {
  const HeaderField* h = nullptr;
  const FieldState st = single(HeaderType::kSessionExpires, h);
  return parseSingle(st, h, &parseSessionExpires, out);
}

FieldState SipMessage::retryAfter(RetryAfter& out) const {
  const HeaderField* h = nullptr;
  const FieldState st = single(HeaderType::kRetryAfter, h);
  return parseSingle(st, h, &parseRetryAfter, out);
}

FieldState SipMessage::date(std::time_t& out) const {
  const HeaderField* h = nullptr;
  const FieldState st = single(HeaderType::kDate, h);
  return parseSingle(st, h, &parseDate, out);
}

FieldState SipMessage::tokens(HeaderType type, std::vector<std::string_view>& out) const {
  if (headerCount(type) == 0) return FieldState::kAbsent;
  for (std::size_t h = first_[static_cast<std::size_t>(type)]; h < headers_.size(); ++h) {
    if (headers_[h].type == type && parseTokenList(headers_[h].body, out) != ParseError::kOk) {
      return FieldState::kBad;
    }
  }
  return FieldState::kOk;
}

bool SipMessage::hasToken(HeaderType type, std::string_view token) const {
  if (headerCount(type) == 0) return false;
  for (std::size_t h = first_[static_cast<std::size_t>(type)]; h < headers_.size(); ++h) {
    if (headers_[h].type == type && tokenListContains(headers_[h].body, token)) return true;
  }
  return false;
}

FieldState SipMessage::accept(std::vector<MediaRange>& out) const {
  if (headerCount(HeaderType::kAccept) == 0) return FieldState::kAbsent;
  for (const HeaderField& h : headers_) {
    if (h.type == HeaderType::kAccept && parseAccept(h.body, out) != ParseError::kOk) {
      return FieldState::kBad;
    }
  }
  return FieldState::kOk;
}

FieldState SipMessage::auth(HeaderType type, std::string_view realm, AuthHeader& out) const {
  if (headerCount(type) == 0) return FieldState::kAbsent;
  bool bad = false;
  for (std::size_t h = first_[static_cast<std::size_t>(type)]; h < headers_.size(); ++h) {
    if (headers_[h].type != type) continue;
    if (parseAuthHeader(headers_[h].body, out) != ParseError::kOk) {
      bad = true;
    } else if (realm.empty() || out.realm == realm) {
      return FieldState::kOk;
    }
  }
  out = AuthHeader();
  return bad ? FieldState::kBad : FieldState::kAbsent;
}

}  // namespace sipline
