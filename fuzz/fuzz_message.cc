// libFuzzer target for SipMessage: parses the input with the default ParseLimits, then, whatever
// parse() returned, checks the eager results (first line, header index, body) and touches every
// lazy and typed accessor the way the core and the modules do. When parse() accepted the
// message it also runs the body path (Content-Type, multipart, SDP; body_checks.h), records the
// edits the stateless relay makes (core/sip/forward.cc, via_ops.cc, the maxfwd module) and those
// of a body rewrite, and builds the outgoing bytes: they must have the size the edits imply and
// parse again with the expected changes and nothing else. Finally the input is read as a TCP
// stream through StreamFramer (stream_checks.h). Besides what ASan/UBSan catch, every view must
// lie inside the input. A violation traps (see fuzz_check.h).
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "core/parser/auth_header.h"
#include "core/parser/contact.h"
#include "core/parser/header_type.h"
#include "core/parser/header_values.h"
#include "core/parser/method.h"
#include "core/parser/name_addr.h"
#include "core/parser/parse_error.h"
#include "core/parser/sip_message.h"
#include "core/parser/uri.h"
#include "core/parser/via.h"
#include "fuzz/body_checks.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/stream_checks.h"

namespace sipline {
namespace {

using fuzz::iequalsAscii;
using fuzz::offsetIn;
using fuzz::touch;
using fuzz::within;

volatile unsigned g_sink = 0;

constexpr std::string_view kNewVia = "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKfuzz.1\r\n";
constexpr std::string_view kNewBranch = "z9hG4bKfuzz.1";
constexpr std::string_view kRecordRoute = "Record-Route: <sip:192.0.2.1;lr>\r\n";
constexpr std::string_view kNewRuri = "sip:fuzz@192.0.2.2:5060;transport=udp";
constexpr std::string_view kAnnotation = ";received=192.0.2.9;rport=5062";

// Limits for re-parsing a built message: the edits may push it past the defaults.
ParseLimits generousLimits(std::size_t size) {
  ParseLimits limits;
  limits.max_message = size + 1;
  limits.max_headers = 100000;
  limits.max_header_len = size + 1;
  return limits;
}

std::size_t countByType(const SipMessage& msg, HeaderType type) {
  std::size_t n = 0;
  for (const HeaderField& h : msg.headers()) n += h.type == type ? 1 : 0;
  return n;
}

// What parse() computed eagerly, whatever it returned.
void checkEager(const SipMessage& msg, std::string_view in, ParseError e) {
  SL_FUZZ_CHECK(parseErrorText(e) != nullptr);
  // buffer() is the input, less the octets after Content-Length on kOk (RFC 3261 §18.3).
  SL_FUZZ_CHECK(msg.buffer().data() == in.data() && msg.buffer().size() <= in.size());
  if (e != ParseError::kOk) SL_FUZZ_CHECK(msg.buffer().size() == in.size());
  for (std::string_view v : {msg.firstLine(), msg.methodText(), msg.requestUriText(), msg.version(),
                             msg.reason(), msg.body()}) {
    SL_FUZZ_CHECK(within(v, in));
    g_sink = g_sink + touch(v);
  }
  for (std::string_view v : {msg.methodText(), msg.requestUriText(), msg.version(), msg.reason()}) {
    SL_FUZZ_CHECK(within(v, msg.firstLine()));
  }
  SL_FUZZ_CHECK(msg.headersEnd() <= in.size());

  std::size_t prev_end = 0;
  for (const HeaderField& h : msg.headers()) {
    SL_FUZZ_CHECK(!h.raw.empty() && within(h.raw, in));
    SL_FUZZ_CHECK(!h.name.empty() && h.name.data() == h.raw.data() && within(h.name, h.raw));
    SL_FUZZ_CHECK(within(h.body, h.raw));
    SL_FUZZ_CHECK(h.raw.back() == '\n');
    const std::size_t off = offsetIn(h.raw, in);
    SL_FUZZ_CHECK(off >= prev_end);  // header lines in order, not overlapping
    prev_end = off + h.raw.size();
    SL_FUZZ_CHECK(h.type == headerTypeFromName(h.name));
    g_sink = g_sink + touch(h.name) + touch(h.body);
    if (!h.body.empty()) {
      SL_FUZZ_CHECK(h.body.front() != ' ' && h.body.front() != '\t');
      SL_FUZZ_CHECK(h.body.back() != ' ' && h.body.back() != '\t' && h.body.back() != '\n');
    }
    std::size_t o = 0;
    SL_FUZZ_CHECK(msg.offsetOf(h.raw, o) && o == off);
    // Lookup by name finds a header of the same type (the first one), and the same name for
    // unknown headers.
    const HeaderField* by_name = msg.header(h.name);
    SL_FUZZ_CHECK(by_name != nullptr && by_name->type == h.type && by_name <= &h);
    if (h.type == HeaderType::kOther) SL_FUZZ_CHECK(iequalsAscii(by_name->name, h.name));
    const HeaderField* by_type = msg.header(h.type);
    SL_FUZZ_CHECK(by_type != nullptr && by_type->type == h.type && by_type <= &h);
  }
  for (std::size_t t = 0; t < static_cast<std::size_t>(HeaderType::kCount); ++t) {
    const auto type = static_cast<HeaderType>(t);
    const std::size_t n = countByType(msg, type);
    SL_FUZZ_CHECK(msg.headerCount(type) == n);
    SL_FUZZ_CHECK((msg.header(type) != nullptr) == (n != 0));
    g_sink = g_sink + static_cast<unsigned>(headerTypeName(type).size());
  }
  std::string_view outside = "Via";
  std::size_t o = 0;
  SL_FUZZ_CHECK(!msg.offsetOf(outside, o));

  if (e != ParseError::kOk) return;
  SL_FUZZ_CHECK(msg.isRequest() != msg.isReply());
  SL_FUZZ_CHECK(iequalsAscii(msg.version(), "SIP/2.0"));
  const CSeq* cseq = msg.cseq();
  SL_FUZZ_CHECK(cseq != nullptr && cseq->number < 0x80000000u && within(cseq->method_text, in));
  SL_FUZZ_CHECK(cseq->method == methodFromName(cseq->method_text));
  if (msg.isRequest()) {
    SL_FUZZ_CHECK(!msg.methodText().empty() && !msg.requestUriText().empty());
    SL_FUZZ_CHECK(msg.statusCode() == 0);
    SL_FUZZ_CHECK(msg.method() == methodFromName(msg.methodText()));
    SL_FUZZ_CHECK(cseq->method_text == msg.methodText());
  } else {
    SL_FUZZ_CHECK(msg.statusCode() >= 100 && msg.statusCode() <= 699);
    SL_FUZZ_CHECK(msg.methodText().empty() && msg.requestUriText().empty());
    SL_FUZZ_CHECK(msg.method() == cseq->method);
  }
  SL_FUZZ_CHECK(msg.headerCount(HeaderType::kVia) >= 1);
  for (HeaderType t :
       {HeaderType::kCallId, HeaderType::kCSeq, HeaderType::kFrom, HeaderType::kTo}) {
    SL_FUZZ_CHECK(msg.headerCount(t) == 1);
  }
  SL_FUZZ_CHECK(msg.headerCount(HeaderType::kContentLength) <= 1);
  SL_FUZZ_CHECK(!msg.callId().empty() && within(msg.callId(), in));

  // The header block ends with an empty line at headersEnd(); the body follows it.
  const std::size_t end = msg.headersEnd();
  SL_FUZZ_CHECK(end >= prev_end && end < in.size());
  SL_FUZZ_CHECK(in[end] == '\n' || (in[end] == '\r' && end + 1 < in.size() && in[end + 1] == '\n'));
  const std::size_t body_start = end + (in[end] == '\n' ? 1 : 2);
  SL_FUZZ_CHECK(msg.body().empty() || offsetIn(msg.body(), in) == body_start);
  const HeaderField* cl = msg.header(HeaderType::kContentLength);
  if (cl == nullptr) {
    SL_FUZZ_CHECK(msg.body().size() == in.size() - body_start);
    SL_FUZZ_CHECK(msg.buffer().size() == in.size());
  } else {
    std::uint64_t length = 0;
    for (char c : cl->body) {
      SL_FUZZ_CHECK(c >= '0' && c <= '9');
      length = length * 10 + static_cast<unsigned>(c - '0');
      SL_FUZZ_CHECK(length <= 0xffffffffu);
    }
    SL_FUZZ_CHECK(!cl->body.empty() && msg.body().size() == length);
    SL_FUZZ_CHECK(body_start + length <= in.size());
    SL_FUZZ_CHECK(msg.buffer().size() == body_start + length);
  }
}

void checkUri(const SipUri& uri, std::string_view text) {
  for (std::string_view v :
       {uri.user, uri.password, uri.host, uri.port_text, uri.params, uri.headers, uri.transport,
        uri.maddr, uri.ttl, uri.user_param, uri.method_param, uri.hostNoBrackets()}) {
    SL_FUZZ_CHECK(within(v, text));
    g_sink = g_sink + touch(v);
  }
  if (uri.scheme != SipUri::Scheme::kTel) SL_FUZZ_CHECK(!uri.host.empty());
}

void checkNameAddr(const NameAddr& na, std::string_view body) {
  for (std::string_view v : {na.display, na.uri_text, na.params, na.tag, na.text}) {
    SL_FUZZ_CHECK(within(v, body));
    g_sink = g_sink + touch(v);
  }
  if (na.uri_ok) checkUri(na.uri, na.uri_text);
}

// Every lazy accessor, twice (the second call must return the cached result), whatever parse()
// returned; plus the list parsers modules run on header bodies.
void checkLazy(SipMessage& msg, std::string_view in) {
  const SipUri* ruri = msg.requestUri();
  SL_FUZZ_CHECK(ruri == msg.requestUri());
  if (ruri != nullptr) {
    SL_FUZZ_CHECK(msg.isRequest());
    checkUri(*ruri, msg.requestUriText());
  }

  const std::vector<Via>* vias = msg.vias();
  SL_FUZZ_CHECK(vias == msg.vias());
  const Via* top = msg.topVia();
  if (vias == nullptr) {
    SL_FUZZ_CHECK(top == nullptr);
  } else {
    SL_FUZZ_CHECK(!vias->empty() && top == &vias->front());
    SL_FUZZ_CHECK(msg.headerCount(HeaderType::kVia) >= 1);
    std::size_t prev_end = 0;
    for (const Via& v : *vias) {
      SL_FUZZ_CHECK(!v.text.empty() && within(v.text, in) && !v.host.empty());
      const std::size_t off = offsetIn(v.text, in);
      SL_FUZZ_CHECK(off >= prev_end);
      prev_end = off + v.text.size();
      bool in_via_header = false;
      for (const HeaderField& h : msg.headers()) {
        in_via_header = in_via_header || (h.type == HeaderType::kVia && within(v.text, h.body));
      }
      SL_FUZZ_CHECK(in_via_header);
      for (std::string_view p : {v.protocol_name, v.protocol_version, v.transport, v.host, v.params,
                                 v.branch, v.received, v.rport_value, v.maddr, v.ttl}) {
        SL_FUZZ_CHECK(within(p, v.text));
        g_sink = g_sink + touch(p);
      }
    }
    SL_FUZZ_CHECK(within(top->text, msg.header(HeaderType::kVia)->body));
  }

  const NameAddr* from = msg.from();
  SL_FUZZ_CHECK(from == msg.from());
  if (from != nullptr) checkNameAddr(*from, msg.header(HeaderType::kFrom)->body);
  const NameAddr* to = msg.to();
  SL_FUZZ_CHECK(to == msg.to());
  if (to != nullptr) checkNameAddr(*to, msg.header(HeaderType::kTo)->body);

  const CSeq* cseq = msg.cseq();
  if (cseq != nullptr) SL_FUZZ_CHECK(within(cseq->method_text, in));
  SL_FUZZ_CHECK(within(msg.callId(), in));
  const int mf = msg.maxForwards();
  SL_FUZZ_CHECK(mf >= -2 && mf == msg.maxForwards());
  SL_FUZZ_CHECK((mf == -1) == (msg.headerCount(HeaderType::kMaxForwards) == 0));

  for (const HeaderField& h : msg.headers()) {
    if (h.type != HeaderType::kVia) continue;
    std::vector<Via> list;
    g_sink = g_sink + static_cast<unsigned>(parseViaList(h.body, list));
    for (const Via& v : list) SL_FUZZ_CHECK(within(v.text, h.body));
  }
}

// True when view lies in the body of some header of that type.
bool inHeaderOfType(const SipMessage& msg, std::string_view view, HeaderType type) {
  for (const HeaderField& h : msg.headers()) {
    if (h.type == type && within(view, h.body)) return true;
  }
  return false;
}

void checkFieldState(FieldState st, const SipMessage& msg, HeaderType type) {
  SL_FUZZ_CHECK((st == FieldState::kAbsent) == (msg.headerCount(type) == 0));
}

// The accessors added for modules (contacts, name-addr lists, Content-Type, scalars, token
// lists, Accept, auth), whatever parse() returned.
void checkTypedAccessors(SipMessage& msg, std::string_view in) {
  const ContactList* contacts = msg.contacts();
  SL_FUZZ_CHECK(contacts == msg.contacts());
  SL_FUZZ_CHECK(contacts == nullptr || msg.headerCount(HeaderType::kContact) != 0);
  if (contacts != nullptr) {
    if (contacts->star) SL_FUZZ_CHECK(contacts->items.empty());
    for (const Contact& c : contacts->items) {
      SL_FUZZ_CHECK(inHeaderOfType(msg, c.addr.text, HeaderType::kContact));
      checkNameAddr(c.addr, in);
      SL_FUZZ_CHECK(c.q <= 1000 && (c.has_q || c.q == 1000));
      // header_values.h: a Uint32Field's value is 0 unless its state is kOk.
      SL_FUZZ_CHECK(c.expires.state == FieldState::kOk || c.expires.value == 0);
    }
  }

  constexpr HeaderType kListTypes[] = {
      HeaderType::kRoute,        HeaderType::kRecordRoute,       HeaderType::kPath,
      HeaderType::kServiceRoute, HeaderType::kPAssertedIdentity, HeaderType::kPPreferredIdentity,
      HeaderType::kReplyTo,      HeaderType::kReferTo,           HeaderType::kReferredBy,
      HeaderType::kDiversion};
  for (HeaderType type : kListTypes) {
    const std::vector<NameAddr>* list = msg.nameAddrs(type);
    SL_FUZZ_CHECK(list == msg.nameAddrs(type));
    SL_FUZZ_CHECK(list == nullptr || (msg.headerCount(type) != 0 && !list->empty()));
    if (list != nullptr) {
      for (const NameAddr& na : *list) {
        SL_FUZZ_CHECK(inHeaderOfType(msg, na.text, type));
        checkNameAddr(na, in);
      }
    }
    const NameAddr* single = msg.singleNameAddr(type);
    SL_FUZZ_CHECK(single == nullptr ||
                  (list != nullptr && list->size() == 1 && single == &list->front()));
  }
  SL_FUZZ_CHECK(msg.routes() == msg.nameAddrs(HeaderType::kRoute));
  SL_FUZZ_CHECK(msg.recordRoutes() == msg.nameAddrs(HeaderType::kRecordRoute));
  SL_FUZZ_CHECK(msg.nameAddrs(HeaderType::kVia) == nullptr);
  SL_FUZZ_CHECK(msg.nameAddrs(HeaderType::kOther) == nullptr);

  const ContentType* ct = msg.contentType();
  SL_FUZZ_CHECK(ct == msg.contentType());
  if (ct != nullptr) {
    SL_FUZZ_CHECK(msg.headerCount(HeaderType::kContentType) == 1);
    for (std::string_view v : {ct->type, ct->subtype, ct->params, ct->boundary}) {
      SL_FUZZ_CHECK(within(v, msg.header(HeaderType::kContentType)->body));
      g_sink = g_sink + touch(v);
    }
    SL_FUZZ_CHECK(!ct->type.empty() && !ct->subtype.empty() && ct->is(ct->type, ct->subtype));
  }

  for (HeaderType type :
       {HeaderType::kExpires, HeaderType::kMinExpires, HeaderType::kCSeq, HeaderType::kOther}) {
    const Uint32Field f = msg.deltaSeconds(type);
    checkFieldState(f.state, msg, type);
    SL_FUZZ_CHECK(f.ok() || f.value == 0);
  }
  SL_FUZZ_CHECK(msg.expires().state == msg.deltaSeconds(HeaderType::kExpires).state);
  SL_FUZZ_CHECK(msg.minExpires().value == msg.deltaSeconds(HeaderType::kMinExpires).value);

  EventHeader event;
  FieldState st = msg.event(event);
  checkFieldState(st, msg, HeaderType::kEvent);
  if (st == FieldState::kOk) {
    for (std::string_view v : {event.type, event.id, event.params}) {
      SL_FUZZ_CHECK(inHeaderOfType(msg, v, HeaderType::kEvent) || v.empty());
    }
  }
  SessionExpires se;
  st = msg.sessionExpires(se);
  checkFieldState(st, msg, HeaderType::kSessionExpires);
  if (st == FieldState::kOk) SL_FUZZ_CHECK(within(se.params, in));
  RetryAfter ra;
  st = msg.retryAfter(ra);
  checkFieldState(st, msg, HeaderType::kRetryAfter);
  if (st == FieldState::kOk) {
    SL_FUZZ_CHECK(within(ra.comment, in) && within(ra.params, in));
    SL_FUZZ_CHECK(ra.has_duration || ra.duration == 0);
  }
  std::time_t when = 0;
  checkFieldState(msg.date(when), msg, HeaderType::kDate);

  for (HeaderType type : {HeaderType::kRequire, HeaderType::kSupported, HeaderType::kUnsupported,
                          HeaderType::kProxyRequire, HeaderType::kAllow, HeaderType::kAllowEvents,
                          HeaderType::kContentEncoding}) {
    std::vector<std::string_view> tokens;
    st = msg.tokens(type, tokens);
    checkFieldState(st, msg, type);
    for (std::string_view t : tokens) {
      SL_FUZZ_CHECK(!t.empty() && inHeaderOfType(msg, t, type));
      if (st == FieldState::kOk) SL_FUZZ_CHECK(msg.hasToken(type, t));
    }
    if (st == FieldState::kAbsent) SL_FUZZ_CHECK(!msg.hasToken(type, "100rel"));
  }

  std::vector<MediaRange> ranges;
  st = msg.accept(ranges);
  checkFieldState(st, msg, HeaderType::kAccept);
  for (const MediaRange& r : ranges) {
    for (std::string_view v : {r.type, r.subtype, r.params}) {
      SL_FUZZ_CHECK(v.empty() || inHeaderOfType(msg, v, HeaderType::kAccept));
    }
    SL_FUZZ_CHECK(r.q <= 1000);
  }

  for (HeaderType type : {HeaderType::kAuthorization, HeaderType::kProxyAuthorization,
                          HeaderType::kWwwAuthenticate, HeaderType::kProxyAuthenticate}) {
    for (std::string_view realm : {std::string_view(), std::string_view("example.com")}) {
      AuthHeader auth;
      st = msg.auth(type, realm, auth);
      if (msg.headerCount(type) == 0) SL_FUZZ_CHECK(st == FieldState::kAbsent);
      if (st != FieldState::kOk) continue;
      SL_FUZZ_CHECK(realm.empty() || auth.realm == realm);
      SL_FUZZ_CHECK(!auth.scheme.empty());
      for (std::string_view v : {auth.scheme, auth.username, auth.realm, auth.nonce, auth.uri,
                                 auth.response, auth.algorithm, auth.cnonce, auth.opaque, auth.qop,
                                 auth.nc, auth.domain, auth.params}) {
        SL_FUZZ_CHECK(v.empty() || inHeaderOfType(msg, v, type));
        std::string buf(v.size(), '\0');
        SL_FUZZ_CHECK(unquoteTo(v, buf.data()) <= v.size());
      }
    }
  }
}

// in: the message as parsed (buffer()). The request path of the stateless relay: annotate the
// top Via (received/rport), add our Via before the first one, Record-Route at the top, rewrite
// the Request-URI (twice: the second replaces the first), decrement or add Max-Forwards.
void relayRequestEdits(SipMessage& msg, std::string_view in) {
  msg.edits().clear();
  std::size_t grow = 0;
  std::size_t shrink = 0;
  const std::vector<Via>* vias = msg.vias();
  const std::size_t via_count = vias != nullptr ? vias->size() : 0;
  std::string top_before;
  if (vias != nullptr) {
    const Via& top = vias->front();
    top_before = std::string(top.text);
    std::size_t off = 0;
    SL_FUZZ_CHECK(msg.offsetOf(top.text, off));
    msg.edits().replace(off, top.text.size(), std::string(top.text) + std::string(kAnnotation));
    grow += kAnnotation.size();
  }
  const HeaderField* first_via = msg.header(HeaderType::kVia);
  msg.insertHeaderBefore(*first_via, std::string(kNewVia));
  grow += kNewVia.size();
  const std::vector<NameAddr>* rr = msg.recordRoutes();
  msg.insertHeaderAtTop(HeaderType::kRecordRoute, std::string(kRecordRoute));
  grow += kRecordRoute.size();
  const std::size_t edits_before_ruri = msg.edits().size();
  msg.replaceRequestUri("sip:first@192.0.2.3");
  msg.replaceRequestUri(std::string(kNewRuri));
  if (msg.isRequest()) {
    SL_FUZZ_CHECK(msg.edits().size() == edits_before_ruri + 1);  // keyed: one edit
    grow += kNewRuri.size();
    shrink += msg.requestUriText().size();
  } else {
    SL_FUZZ_CHECK(msg.edits().size() == edits_before_ruri);  // no-op for a reply
  }
  const int mf = msg.maxForwards();
  int mf_expected = mf;
  if (mf == -1) {
    msg.appendHeader("Max-Forwards: 70\r\n");
    grow += 18;
    mf_expected = 70;
  } else if (mf > 0 && mf <= 255) {
    const HeaderField* h = msg.header(HeaderType::kMaxForwards);
    std::size_t off = 0;
    SL_FUZZ_CHECK(h != nullptr && msg.offsetOf(h->body, off));
    const std::string text = std::to_string(mf - 1);
    msg.edits().replace(off, h->body.size(), text);
    grow += text.size();
    shrink += h->body.size();
    mf_expected = mf - 1;
  }

  std::string out;
  SL_FUZZ_CHECK(msg.build(out));
  SL_FUZZ_CHECK(out.size() == in.size() + grow - shrink);

  // The next hop must accept what we send, with exactly our changes.
  SipMessage next;
  SL_FUZZ_CHECK(next.parse(out, generousLimits(out.size())) == ParseError::kOk);
  SL_FUZZ_CHECK(next.isRequest() == msg.isRequest() && next.statusCode() == msg.statusCode());
  SL_FUZZ_CHECK(next.callId() == msg.callId() && next.body() == msg.body());
  SL_FUZZ_CHECK(next.cseq()->number == msg.cseq()->number);
  SL_FUZZ_CHECK(next.cseq()->method_text == msg.cseq()->method_text);
  SL_FUZZ_CHECK(next.headers().size() == msg.headers().size() + (mf == -1 ? 3 : 2));
  SL_FUZZ_CHECK(next.headerCount(HeaderType::kRecordRoute) ==
                msg.headerCount(HeaderType::kRecordRoute) + 1);
  const std::vector<NameAddr>* next_rr = next.recordRoutes();
  SL_FUZZ_CHECK(next_rr != nullptr || rr == nullptr);
  if (next_rr != nullptr) {
    SL_FUZZ_CHECK(next_rr->front().uri_text == "sip:192.0.2.1;lr");
    SL_FUZZ_CHECK(next_rr->size() == (rr != nullptr ? rr->size() : 0) + 1);
  }
  if (msg.isRequest()) SL_FUZZ_CHECK(next.requestUriText() == kNewRuri);
  SL_FUZZ_CHECK(next.requestUri() != nullptr || !msg.isRequest());
  SL_FUZZ_CHECK(next.maxForwards() == mf_expected);
  const Via* next_top = next.topVia();
  SL_FUZZ_CHECK(next_top != nullptr || vias == nullptr);
  if (next_top != nullptr) SL_FUZZ_CHECK(next_top->branch == kNewBranch);
  if (vias != nullptr) {
    SL_FUZZ_CHECK(next.vias()->size() == via_count + 1);
    const Via& annotated = (*next.vias())[1];
    SL_FUZZ_CHECK(annotated.text == top_before + std::string(kAnnotation));
    SL_FUZZ_CHECK(annotated.received == "192.0.2.9" && annotated.rport_value == "5062");
  }
}

// in: the message as parsed (buffer()). The reply path: remove our top Via and send the rest
// unchanged.
void relayReplyEdits(SipMessage& msg, std::string_view in) {
  msg.edits().clear();
  const std::vector<Via>* vias = msg.vias();
  const bool removed = msg.removeTopVia();
  SL_FUZZ_CHECK(removed == (vias != nullptr));
  std::string out;
  SL_FUZZ_CHECK(msg.build(out));
  if (!removed) {
    SL_FUZZ_CHECK(out == in);
    return;
  }
  SL_FUZZ_CHECK(out.size() < in.size());
  SipMessage next;
  const ParseError e = next.parse(out, generousLimits(out.size()));
  if (vias->size() == 1) {
    // The only via-parm was the only Via header.
    SL_FUZZ_CHECK(e == ParseError::kMissingVia);
    SL_FUZZ_CHECK(out.size() == in.size() - msg.header(HeaderType::kVia)->raw.size());
    return;
  }
  SL_FUZZ_CHECK(e == ParseError::kOk);
  SL_FUZZ_CHECK(next.callId() == msg.callId() && next.body() == msg.body());
  const std::vector<Via>* next_vias = next.vias();
  SL_FUZZ_CHECK(next_vias != nullptr && next_vias->size() == vias->size() - 1);
  SL_FUZZ_CHECK(next_vias->front().text == (*vias)[1].text);
  SL_FUZZ_CHECK(next_vias->back().text == vias->back().text);
}

// What nathelper/rtpengine do: replace the body (twice,
// the second call wins) with a new SDP, then with nothing; Content-Length and Content-Type
// follow.
void replaceBodyEdits(SipMessage& msg) {
  static constexpr std::string_view kSdp =
      "v=0\r\no=- 1 1 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\n"
      "m=audio 40000 RTP/AVP 0\r\n";
  const std::size_t ct_count = msg.headerCount(HeaderType::kContentType);
  const std::size_t cl_count = msg.headerCount(HeaderType::kContentLength);
  const bool can = ct_count <= 1;  // parse() kOk: at most one Content-Length

  msg.edits().clear();
  const bool first = msg.replaceBody("first body", "text/plain");
  SL_FUZZ_CHECK(first == can);
  SL_FUZZ_CHECK(msg.replaceBody(std::string(kSdp), "application/sdp") == can);
  if (!can) {
    SL_FUZZ_CHECK(msg.edits().empty());
    return;
  }
  std::string out;
  SL_FUZZ_CHECK(msg.build(out));
  SipMessage next;
  SL_FUZZ_CHECK(next.parse(out, generousLimits(out.size())) == ParseError::kOk);
  SL_FUZZ_CHECK(next.body() == kSdp && next.callId() == msg.callId());
  SL_FUZZ_CHECK(next.buffer().size() == out.size());
  SL_FUZZ_CHECK(next.headerCount(HeaderType::kContentLength) == 1);
  SL_FUZZ_CHECK(next.headerCount(HeaderType::kContentType) == 1);
  SL_FUZZ_CHECK(next.headers().size() ==
                msg.headers().size() + (cl_count == 0 ? 1 : 0) + (ct_count == 0 ? 1 : 0));
  const ContentType* ct = next.contentType();
  SL_FUZZ_CHECK(ct != nullptr && ct->is("application", "sdp"));
  fuzz::checkBody(next.header(HeaderType::kContentType)->body, next.body());

  // An empty body without a Content-Type removes the Content-Type header.
  SL_FUZZ_CHECK(msg.replaceBody(std::string(), ""));
  SL_FUZZ_CHECK(msg.build(out));
  SL_FUZZ_CHECK(next.parse(out, generousLimits(out.size())) == ParseError::kOk);
  SL_FUZZ_CHECK(next.body().empty() && next.headerCount(HeaderType::kContentType) == 0);
  SL_FUZZ_CHECK(next.headerCount(HeaderType::kContentLength) == 1);
  SL_FUZZ_CHECK(next.header(HeaderType::kContentLength)->body == "0");
}

void fuzzMessage(std::string_view in) {
  SipMessage msg;
  const ParseError e = msg.parse(in);
  checkEager(msg, in, e);
  checkLazy(msg, in);
  checkTypedAccessors(msg, in);
  if (e == ParseError::kOk) {
    const HeaderField* ct = msg.header(HeaderType::kContentType);
    fuzz::checkBody(ct != nullptr ? ct->body : std::string_view(), msg.body());
    std::string out;
    SL_FUZZ_CHECK(msg.build(out) && out == msg.buffer());  // no edits: the message as received
    relayRequestEdits(msg, msg.buffer());
    relayReplyEdits(msg, msg.buffer());
    replaceBodyEdits(msg);
    // Conflicting edits are refused, not built: remove the whole first Via header and also
    // replace a part of it.
    const HeaderField* via = msg.header(HeaderType::kVia);
    msg.edits().clear();
    msg.removeHeader(*via);
    std::size_t off = 0;
    SL_FUZZ_CHECK(msg.offsetOf(via->raw, off));
    msg.edits().replace(off + 1, 1, "x");
    SL_FUZZ_CHECK(!msg.build(out));
  } else {
    // Edits that need a parsed message are refused.
    SL_FUZZ_CHECK(!msg.replaceBody("x", "text/plain"));
  }
  fuzz::checkStream(in, msg, e);

  // parse() resets everything: the same object, reused after edits and lazy parsing, gives the
  // same result as a fresh one.
  SipMessage fresh;
  SL_FUZZ_CHECK(msg.parse(in) == e && fresh.parse(in) == e);
  SL_FUZZ_CHECK(msg.headers().size() == fresh.headers().size());
  SL_FUZZ_CHECK(msg.edits().empty());
  SL_FUZZ_CHECK((msg.vias() == nullptr) == (fresh.vias() == nullptr));
  SL_FUZZ_CHECK(msg.maxForwards() == fresh.maxForwards());
  SL_FUZZ_CHECK((msg.requestUri() == nullptr) == (fresh.requestUri() == nullptr));
  SL_FUZZ_CHECK((msg.contacts() == nullptr) == (fresh.contacts() == nullptr));
  SL_FUZZ_CHECK((msg.contentType() == nullptr) == (fresh.contentType() == nullptr));
  SL_FUZZ_CHECK((msg.routes() == nullptr) == (fresh.routes() == nullptr));
}

}  // namespace
}  // namespace sipline

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sipline::fuzzMessage(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
