// libFuzzer target for the stand-alone value parsers of core/parser: parseUri, parseViaList,
// parseNameAddr/parseNameAddrList, parseCSeq, unescapeUri, isIpv4Address/isIpv6Address, each
// run on the whole input, and uriEquals on two URIs separated by the first LF. Besides what
// ASan/UBSan catch, it checks that every returned view lies inside the input (or inside the
// value it belongs to), that accepted values rebuild or re-parse to the same result, and that
// numeric fields respect their documented ranges. A violation traps (see fuzz_check.h).
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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

// Views of an accepted URI lie inside text, in grammar order, and rebuild text exactly
// (parseUri keeps everything as written and accepts only when it consumed the whole text).
void checkUriViews(const SipUri& uri, std::string_view text) {
  const std::string_view parts[] = {uri.user,    uri.password,   uri.host,        uri.params,
                                    uri.headers, uri.port_text,  uri.transport,   uri.maddr,
                                    uri.ttl,     uri.user_param, uri.method_param};
  for (std::string_view p : parts) {
    SL_FUZZ_CHECK(within(p, text));
    g_sink = g_sink + touch(p);
  }
  SL_FUZZ_CHECK(within(uri.hostNoBrackets(), uri.host));
  for (std::string_view p : {uri.transport, uri.maddr, uri.ttl, uri.user_param, uri.method_param}) {
    SL_FUZZ_CHECK(within(p, uri.params));
  }
}

void checkUri(std::string_view text, const SipUri& uri) {
  checkUriViews(uri, text);
  const std::size_t colon = text.find(':');
  SL_FUZZ_CHECK(colon != std::string_view::npos);
  const std::string_view scheme = text.substr(0, colon);
  std::string rebuilt(scheme);
  rebuilt += ':';
  if (uri.scheme == SipUri::Scheme::kTel) {
    SL_FUZZ_CHECK(iequalsAscii(scheme, "tel"));
    SL_FUZZ_CHECK(!uri.user.empty() && uri.host.empty() && uri.port == 0);
    // RFC 3966 §5.1.4/§5.1.5: '+' makes a global number; a local one needs phone-context.
    SL_FUZZ_CHECK(uri.tel_global == (uri.user.front() == '+'));
    if (!uri.tel_global) SL_FUZZ_CHECK(hasUriParam(uri.params, "phone-context"));
    for (std::string_view v : {uri.phone_context, uri.isub, uri.ext}) {
      SL_FUZZ_CHECK(within(v, uri.params));
    }
    rebuilt += uri.user;
  } else {
    SL_FUZZ_CHECK(iequalsAscii(scheme, uri.scheme == SipUri::Scheme::kSip ? "sip" : "sips"));
    SL_FUZZ_CHECK(!uri.host.empty());
    if (!uri.user.empty()) {
      rebuilt += uri.user;
      if (uri.password.data() != nullptr) {  // "user:@host" has an empty, present password
        rebuilt += ':';
        rebuilt += uri.password;
      }
      rebuilt += '@';
    } else {
      SL_FUZZ_CHECK(uri.password.empty());
    }
    rebuilt += uri.host;
    if (uri.host_is_ipv6) {
      SL_FUZZ_CHECK(uri.host.size() >= 4 && uri.host.front() == '[' && uri.host.back() == ']');
      SL_FUZZ_CHECK(!uri.host_is_ipv4 && isIpv6Address(uri.hostNoBrackets()));
    } else {
      SL_FUZZ_CHECK(uri.host_is_ipv4 == isIpv4Address(uri.host));
    }
    SL_FUZZ_CHECK((uri.port == 0) == uri.port_text.empty());
    if (!uri.port_text.empty()) {
      rebuilt += ':';
      rebuilt += uri.port_text;
      SL_FUZZ_CHECK(uri.port >= 1);
      unsigned long long value = 0;
      for (char c : uri.port_text) {
        SL_FUZZ_CHECK(c >= '0' && c <= '9');
        value = value * 10 + static_cast<unsigned>(c - '0');
        if (value > 70000) break;
      }
      SL_FUZZ_CHECK(value == uri.port);
    }
  }
  if (!uri.params.empty()) {
    rebuilt += ';';
    rebuilt += uri.params;
  }
  if (!uri.headers.empty()) {
    SL_FUZZ_CHECK(uri.scheme != SipUri::Scheme::kTel);
    rebuilt += '?';
    rebuilt += uri.headers;
  }
  SL_FUZZ_CHECK(rebuilt == text);

  // The well-known params agree with the generic lookups.
  SL_FUZZ_CHECK(uri.lr == hasUriParam(uri.params, "lr"));
  if (!uri.transport.empty()) SL_FUZZ_CHECK(hasUriParam(uri.params, "transport"));
  if (!uri.maddr.empty()) SL_FUZZ_CHECK(hasUriParam(uri.params, "maddr"));
  SL_FUZZ_CHECK(within(uriParam(uri.params, "transport"), uri.params));
  SL_FUZZ_CHECK(within(uriParam(uri.params, "user"), uri.params));

  // Parsing is a pure function of the text.
  SipUri again;
  SL_FUZZ_CHECK(parseUri(text, again) == ParseError::kOk);
  SL_FUZZ_CHECK(again.host.data() == uri.host.data() && again.host.size() == uri.host.size());
  SL_FUZZ_CHECK(again.port == uri.port && again.lr == uri.lr);
  // Equivalence (RFC 3261 §19.1.4) is reflexive, also across two parses of the same text.
  SL_FUZZ_CHECK(uriEquals(uri, uri) && uriEquals(uri, again));
}

// %HH decoding: one level, every valid escape shrinks the text by two octets.
void fuzzUnescape(std::string_view input) {
  std::size_t escapes = 0;
  for (std::size_t i = 0; i + 2 < input.size(); ++i) {
    if (input[i] == '%' && std::isxdigit(static_cast<unsigned char>(input[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(input[i + 2]))) {
      ++escapes;
      i += 2;
    }
  }
  std::string buf(input.size(), '\0');
  const std::size_t n = unescapeUri(input, buf.data());
  SL_FUZZ_CHECK(n == input.size() - 2 * escapes);
  SL_FUZZ_CHECK(unescapeUri(input) == std::string_view(buf.data(), n));
}

// The address predicates agree with what parseUri accepts as a host.
void fuzzAddresses(std::string_view input) {
  if (input.size() > 64) return;
  SipUri uri;
  if (isIpv4Address(input)) {
    const std::string text = "sip:" + std::string(input);  // outlives uri's views
    SL_FUZZ_CHECK(parseUri(text, uri) == ParseError::kOk);
    SL_FUZZ_CHECK(uri.host_is_ipv4 && uri.host == input);
  }
  // Only text an IPv6 reference could be made of: with ']' or ';' the URI would go on after
  // the host.
  if (input.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos) return;
  const bool v6 = isIpv6Address(input);
  const std::string bracketed = "sip:[" + std::string(input) + "]";
  SL_FUZZ_CHECK((parseUri(bracketed, uri) == ParseError::kOk) == v6);
  if (v6) SL_FUZZ_CHECK(uri.host_is_ipv6 && uri.hostNoBrackets() == input);
}

// Two URIs separated by the first '\n': equivalence is symmetric, and URIs that are equal
// byte for byte are equivalent.
void fuzzEquals(std::string_view input) {
  const std::size_t nl = input.find('\n');
  if (nl == std::string_view::npos) return;
  SipUri a;
  SipUri b;
  if (parseUri(input.substr(0, nl), a) != ParseError::kOk ||
      parseUri(input.substr(nl + 1), b) != ParseError::kOk) {
    return;
  }
  SL_FUZZ_CHECK(uriEquals(a, b) == uriEquals(b, a));
  if (input.substr(0, nl) == input.substr(nl + 1)) SL_FUZZ_CHECK(uriEquals(a, b));
}

void checkVia(const Via& via, std::string_view body) {
  SL_FUZZ_CHECK(!via.text.empty() && within(via.text, body));
  const std::string_view parts[] = {
      via.protocol_name, via.protocol_version, via.transport,   via.host,  via.params,
      via.branch,        via.received,         via.rport_value, via.maddr, via.ttl};
  for (std::string_view p : parts) {
    SL_FUZZ_CHECK(within(p, via.text));
    g_sink = g_sink + touch(p);
  }
  SL_FUZZ_CHECK(!via.protocol_name.empty() && !via.protocol_version.empty());
  SL_FUZZ_CHECK(!via.transport.empty() && !via.host.empty());
  SL_FUZZ_CHECK(via.text.data() == via.protocol_name.data());  // text starts at sent-protocol
  for (std::string_view p : {via.branch, via.received, via.rport_value, via.maddr, via.ttl}) {
    SL_FUZZ_CHECK(within(p, via.params));
  }
  if (!via.rport_value.empty()) SL_FUZZ_CHECK(via.has_rport);
  SL_FUZZ_CHECK(within(via.hostNoBrackets(), via.host));

  // A via-parm re-parses alone to the same values (its text is complete).
  std::vector<Via> one;
  SL_FUZZ_CHECK(parseViaList(via.text, one) == ParseError::kOk);
  SL_FUZZ_CHECK(one.size() == 1);
  const Via& v = one[0];
  SL_FUZZ_CHECK(v.text == via.text && v.host == via.host && v.port == via.port);
  SL_FUZZ_CHECK(v.branch == via.branch && v.received == via.received);
  SL_FUZZ_CHECK(v.has_rport == via.has_rport && v.params == via.params);
}

void fuzzVia(std::string_view input) {
  std::vector<Via> vias;
  const ParseError e = parseViaList(input, vias);
  SL_FUZZ_CHECK(e == ParseError::kOk || e == ParseError::kBadVia);
  if (e == ParseError::kOk) SL_FUZZ_CHECK(!vias.empty());
  std::size_t prev_end = 0;
  for (const Via& via : vias) {
    checkVia(via, input);
    const std::size_t off = offsetIn(via.text, input);
    SL_FUZZ_CHECK(off >= prev_end);  // in order, not overlapping
    prev_end = off + via.text.size();
  }
}

void checkNameAddr(const NameAddr& na, std::string_view input) {
  SL_FUZZ_CHECK(!na.text.empty() && within(na.text, input));
  for (std::string_view p : {na.display, na.uri_text, na.params, na.tag}) {
    SL_FUZZ_CHECK(within(p, na.text));
    g_sink = g_sink + touch(p);
  }
  SL_FUZZ_CHECK(within(na.tag, na.params));
  if (na.uri_ok) {
    checkUriViews(na.uri, na.uri_text);
    SipUri uri;
    SL_FUZZ_CHECK(parseUri(na.uri_text, uri) == ParseError::kOk);
  }
  NameAddr again;
  SL_FUZZ_CHECK(parseNameAddr(na.text, again) == ParseError::kOk);
  SL_FUZZ_CHECK(again.uri_text.data() == na.uri_text.data());
  SL_FUZZ_CHECK(again.uri_text.size() == na.uri_text.size());
  SL_FUZZ_CHECK(again.tag.data() == na.tag.data() && again.tag.size() == na.tag.size());
  SL_FUZZ_CHECK(again.uri_ok == na.uri_ok);
}

void fuzzNameAddr(std::string_view input) {
  NameAddr na;
  ParseError e = parseNameAddr(input, na);
  SL_FUZZ_CHECK(e == ParseError::kOk || e == ParseError::kBadUri || e == ParseError::kBadHeader);
  if (e == ParseError::kOk) checkNameAddr(na, input);

  std::vector<NameAddr> list;
  e = parseNameAddrList(input, list);
  SL_FUZZ_CHECK(e == ParseError::kOk || e == ParseError::kBadUri || e == ParseError::kBadHeader);
  if (e == ParseError::kOk) SL_FUZZ_CHECK(!list.empty());
  std::size_t prev_end = 0;
  for (const NameAddr& one : list) {
    checkNameAddr(one, input);
    const std::size_t off = offsetIn(one.text, input);
    SL_FUZZ_CHECK(off >= prev_end);
    prev_end = off + one.text.size();
  }
}

void fuzzCSeq(std::string_view input) {
  CSeq cseq;
  const ParseError e = parseCSeq(input, cseq);
  SL_FUZZ_CHECK(e == ParseError::kOk || e == ParseError::kBadCSeq);
  if (e != ParseError::kOk) return;
  SL_FUZZ_CHECK(cseq.number < 0x80000000u);
  SL_FUZZ_CHECK(!cseq.method_text.empty() && within(cseq.method_text, input));
  SL_FUZZ_CHECK(cseq.method == methodFromName(cseq.method_text));
  if (cseq.method != Method::kOther) SL_FUZZ_CHECK(methodName(cseq.method) == cseq.method_text);
  // "N METHOD" in canonical form parses to the same values.
  const std::string canonical = std::to_string(cseq.number) + " " + std::string(cseq.method_text);
  CSeq again;
  SL_FUZZ_CHECK(parseCSeq(canonical, again) == ParseError::kOk);
  SL_FUZZ_CHECK(again.number == cseq.number && again.method_text == cseq.method_text);
}

}  // namespace
}  // namespace sipline

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  sipline::SipUri uri;
  const sipline::ParseError e = sipline::parseUri(input, uri);
  SL_FUZZ_CHECK(e == sipline::ParseError::kOk || e == sipline::ParseError::kBadUri);
  if (e == sipline::ParseError::kOk) sipline::checkUri(input, uri);
  sipline::fuzzVia(input);
  sipline::fuzzNameAddr(input);
  sipline::fuzzCSeq(input);
  sipline::fuzzUnescape(input);
  sipline::fuzzAddresses(input);
  sipline::fuzzEquals(input);
  return 0;
}
