#include "core/parser/name_addr.h"

#include <cstddef>

#include "core/parser/lex.h"

namespace sipline {

namespace {

constexpr std::size_t kNpos = std::string_view::npos;

// absoluteURI of a scheme this server does not parse: scheme ":" then printable non-space,
// no <>, quotes or commas (RFC 3261 §25.1, loosely).
bool isOtherAbsoluteUri(std::string_view text) {
  const std::size_t colon = text.find(':');
  if (colon == kNpos || colon == 0 || colon + 1 >= text.size() || !lex::isAlpha(text[0])) {
    return false;
  }
  for (std::size_t i = 1; i < colon; ++i) {
    const char c = text[i];
    if (!lex::isAlnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  for (std::size_t i = colon + 1; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"' || c == ',') return false;
  }
  return true;
}

ParseError parseAnyUri(std::string_view text, NameAddr& out) {
  out.uri_text = text;
  if (parseUri(text, out.uri) == ParseError::kOk) {
    out.uri_ok = true;
    return ParseError::kOk;
  }
  const std::size_t colon = text.find(':');
  if (colon != kNpos) {
    const std::string_view scheme = text.substr(0, colon);
    if (lex::iequals(scheme, "sip") || lex::iequals(scheme, "sips") ||
        lex::iequals(scheme, "tel")) {
      return ParseError::kBadUri;
    }
  }
  out.uri = SipUri();
  return isOtherAbsoluteUri(text) ? ParseError::kOk : ParseError::kBadUri;
}

}  // namespace

ParseError parseNameAddr(std::string_view value, NameAddr& out) {
  out = NameAddr();
  const std::string_view s = lex::trimLws(value);
  out.text = s;
  if (s.empty()) return ParseError::kBadUri;

  std::size_t pos = 0;
  bool angle = false;
  if (s[0] == '"') {
    const std::size_t end = lex::skipQuoted(s, 0);
    if (end == kNpos) return ParseError::kBadHeader;
    out.display = s.substr(1, end - 2);
    pos = lex::skipLws(s, end);
    if (pos >= s.size() || s[pos] != '<') return ParseError::kBadHeader;
    angle = true;
  } else {
    std::size_t i = 0;
    while (i < s.size() && (lex::isTokenChar(s[i]) || lex::isLws(s[i]))) ++i;
    if (i < s.size() && s[i] == '<') {
      out.display = lex::trimLws(s.substr(0, i));  // RFC 4475 lwsdisp: no LWS before '<'
      pos = i;
      angle = true;
    }
  }

  ParseError e;
  if (angle) {
    const std::size_t close = s.find('>', pos + 1);
    if (close == kNpos) return ParseError::kBadHeader;
    e = parseAnyUri(s.substr(pos + 1, close - pos - 1), out);
    pos = close + 1;
  } else {
    pos = s.find(';');
    if (pos == kNpos) pos = s.size();
    const std::string_view uri = lex::trimLws(s.substr(0, pos));
    // RFC 3261 §20: a URI with ',', '?' or ';' must be enclosed in <>.
    if (uri.find_first_of("?,") != kNpos) return ParseError::kBadUri;
    e = parseAnyUri(uri, out);
  }
  if (e != ParseError::kOk) return e;

  std::size_t params_start = lex::skipLws(s, pos);
  if (params_start < s.size() && s[params_start] == ';') {
    params_start = lex::skipLws(s, params_start + 1);
  }
  std::size_t last_end = params_start;
  const bool ok = lex::scanHeaderParams(s, pos, last_end, [&out](const lex::Param& p) {
    if (p.name.size() == 3 && lex::iequals(p.name, "tag")) out.tag = p.value;
  });
  if (!ok || pos != s.size()) return ParseError::kBadHeader;
  if (last_end > params_start) out.params = s.substr(params_start, last_end - params_start);
  return ParseError::kOk;
}

bool nextListElement(std::string_view body, std::size_t& pos, std::string_view& element,
                     ParseError& err) {
  if (err != ParseError::kOk || pos > body.size()) return false;
  const std::size_t start = pos;
  bool in_quote = false;
  bool in_angle = false;
  std::size_t i = start;
  for (; i < body.size(); ++i) {
    const char c = body[i];
    if (in_quote) {
      if (c == '\\') {
        if (i + 1 >= body.size()) break;
        ++i;  // quoted-pair
      } else if (c == '"') {
        in_quote = false;
      }
    } else if (in_angle) {
      if (c == '>') in_angle = false;
    } else if (c == '"') {
      in_quote = true;
    } else if (c == '<') {
      in_angle = true;
    } else if (c == ',') {
      break;
    }
  }
  element = lex::trimLws(body.substr(start, i - start));
  if (in_quote || in_angle || i > body.size() || element.empty()) {
    err = ParseError::kBadHeader;
    return false;
  }
  pos = i + 1;  // past the comma, or body.size() + 1 at the end
  return true;
}

ParseError parseNameAddrList(std::string_view body, std::vector<NameAddr>& out) {
  std::size_t pos = 0;
  std::string_view element;
  ParseError err = ParseError::kOk;
  while (nextListElement(body, pos, element, err)) {
    NameAddr na;
    const ParseError e = parseNameAddr(element, na);
    if (e != ParseError::kOk) return e;
    out.push_back(na);
  }
  return err;
}

}  // namespace sipline
