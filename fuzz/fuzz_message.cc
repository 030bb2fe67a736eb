// libFuzzer target for SipMessage: parses the input with the default ParseLimits, then, whatever
// parse() returned, checks the eager results (first line, header index, body), touches every lazy
// accessor and the header index the way modules do, and, when parse() accepted the message,
// records the edits the stateless relay makes (core/sip/forward.cc, via_ops.cc, the maxfwd
// module) and builds the outgoing bytes. The built message must have the size the edits imply
// and must parse again with the expected changes and nothing else. Besides what ASan/UBSan
// catch, every view must lie inside the input. A violation traps (see fuzz_check.h).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/parser/header_type.h"
#include "core/parser/method.h"
#include "core/parser/name_addr.h"
#include "core/parser/parse_error.h"
#include "core/parser/sip_message.h"
#include "core/parser/uri.h"
#include "core/parser/via.h"
#include "fuzz/fuzz_check.h"

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
    switch (h.type) {
      case HeaderType::kContact:
      case HeaderType::kRoute:
      case HeaderType::kRecordRoute:
      case HeaderType::kPath:
      case HeaderType::kServiceRoute: {
        std::vector<NameAddr> list;
        if (h.body != "*" && parseNameAddrList(h.body, list) == ParseError::kOk) {
          SL_FUZZ_CHECK(!list.empty());
        }
        for (const NameAddr& na : list) checkNameAddr(na, h.body);
        break;
      }
      case HeaderType::kReferTo:
      case HeaderType::kReplyTo:
      case HeaderType::kPAssertedIdentity: {
        NameAddr na;
        if (parseNameAddr(h.body, na) == ParseError::kOk) checkNameAddr(na, h.body);
        break;
      }
      case HeaderType::kVia: {
        std::vector<Via> list;
        g_sink = g_sink + static_cast<unsigned>(parseViaList(h.body, list));
        for (const Via& v : list) SL_FUZZ_CHECK(within(v.text, h.body));
        break;
      }
      default:
        break;
    }
  }
}

// in: the message as parsed (buffer()). The request path of the stateless relay: annotate the top
// Via (received/rport), add our Via before the first one, Record-Route, rewrite the Request-URI,
// decrement or add Max-Forwards.
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
  msg.appendHeader(std::string(kRecordRoute));
  grow += kRecordRoute.size();
  if (msg.isRequest()) {
    msg.replaceRequestUri(std::string(kNewRuri));
    grow += kNewRuri.size();
    shrink += msg.requestUriText().size();
  } else {
    const std::size_t before = msg.edits().size();
    msg.replaceRequestUri(std::string(kNewRuri));  // no-op for a reply
    SL_FUZZ_CHECK(msg.edits().size() == before);
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

void fuzzMessage(std::string_view in) {
  SipMessage msg;
  const ParseError e = msg.parse(in);
  checkEager(msg, in, e);
  checkLazy(msg, in);
  if (e == ParseError::kOk) {
    std::string out;
    SL_FUZZ_CHECK(msg.build(out) && out == msg.buffer());  // no edits: the message as received
    relayRequestEdits(msg, msg.buffer());
    relayReplyEdits(msg, msg.buffer());
    // Conflicting edits are refused, not built: remove the whole first Via header and also
    // replace a part of it.
    const HeaderField* via = msg.header(HeaderType::kVia);
    msg.edits().clear();
    msg.removeHeader(*via);
    std::size_t off = 0;
    SL_FUZZ_CHECK(msg.offsetOf(via->raw, off));
    msg.edits().replace(off + 1, 1, "x");
    SL_FUZZ_CHECK(!msg.build(out));
  }

  // parse() resets everything: the same object, reused after edits and lazy parsing, gives the
  // same result as a fresh one.
  SipMessage fresh;
  SL_FUZZ_CHECK(msg.parse(in) == e && fresh.parse(in) == e);
  SL_FUZZ_CHECK(msg.headers().size() == fresh.headers().size());
  SL_FUZZ_CHECK(msg.edits().empty());
  SL_FUZZ_CHECK((msg.vias() == nullptr) == (fresh.vias() == nullptr));
  SL_FUZZ_CHECK(msg.maxForwards() == fresh.maxForwards());
  SL_FUZZ_CHECK((msg.requestUri() == nullptr) == (fresh.requestUri() == nullptr));
}

}  // namespace
}  // namespace sipline

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sipline::fuzzMessage(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
