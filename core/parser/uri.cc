#include "core/parser/uri.h"

#include <cstddef>

#include "core/parser/lex.h"

namespace sipline {

namespace {

using lex::isAlnum;
using lex::isDigit;
using lex::isHex;
using lex::isUnreserved;

constexpr std::size_t kNpos = std::string_view::npos;

// True when s[i] is '%' followed by two hex digits.
bool isEscape(std::string_view s, std::size_t i) {
  return s[i] == '%' && i + 2 < s.size() && isHex(s[i + 1]) && isHex(s[i + 2]);
}

// Checks every char of s with `allowed`, accepting %HH escapes; false on anything else.
template <class Pred>
bool allChars(std::string_view s, Pred allowed) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      if (!isEscape(s, i)) return false;
      i += 2;
    } else if (!allowed(c)) {
      return false;
    }
  }
  return true;
}

// RFC 3261 §25.1: user-unreserved and the password chars, plus ':' between user and password.
bool isUserinfoChar(char c) {
  if (isUnreserved(c)) return true;
  switch (c) {
    case '&':
    case '=':
    case '+':
    case '$':
    case ',':
    case ';':
    case '?':
    case '/':
    case ':':
      return true;
    default:
      return false;
  }
}

// paramchar (param-unreserved / unreserved) plus the separators ';' and '='.
bool isParamsChar(char c) {
  if (isUnreserved(c)) return true;
  switch (c) {
    case '[':
    case ']':
    case '/':
    case ':':
    case '&':
    case '+':
    case '$':
    case ';':
    case '=':
      return true;
    default:
      return false;
  }
}

// hnv-unreserved / unreserved plus the separators '=' and '&'.
bool isHeadersChar(char c) {
  if (isUnreserved(c)) return true;
  switch (c) {
    case '[':
    case ']':
    case '/':
    case '?':
    case ':':
    case '+':
    case '$':
    case '=':
    case '&':
      return true;
    default:
      return false;
  }
}

bool isHostnameChar(char c) { return isAlnum(c) || c == '-' || c == '.' || c == '_'; }

// Every ';'-separated element has a non-empty name.
bool paramsWellFormed(std::string_view params) {
  if (!allChars(params, isParamsChar)) return false;
  std::size_t start = 0;
  for (;;) {
    const std::size_t semi = params.find(';', start);
    const std::string_view one = params.substr(start, semi == kNpos ? kNpos : semi - start);
    if (one.empty() || one[0] == '=') return false;
    if (semi == kNpos) return true;
    start = semi + 1;
  }
}

// A repeated parameter keeps its first value, as uriParam() reads it.
void extractKnownParams(SipUri& out) {
  unsigned seen = 0;
  auto once = [&seen](unsigned bit, std::string_view& field, std::string_view value) {
    if ((seen & bit) == 0) field = value;
    seen |= bit;
  };
  std::string_view p = out.params;
  while (!p.empty()) {
    const std::size_t semi = p.find(';');
    const std::string_view one = p.substr(0, semi);
    p = semi == kNpos ? std::string_view() : p.substr(semi + 1);
    const std::size_t eq = one.find('=');
    const std::string_view name = one.substr(0, eq);
    const std::string_view value = eq == kNpos ? std::string_view() : one.substr(eq + 1);
    switch (name.size()) {
      case 2:
        if (lex::iequals(name, "lr")) out.lr = true;
        break;
      case 3:
        if (lex::iequals(name, "ttl")) {
          once(1u << 0, out.ttl, value);
        } else if (lex::iequals(name, "ext")) {
          once(1u << 1, out.ext, value);
        }
        break;
      case 4:
        if (lex::iequals(name, "user")) {
          once(1u << 2, out.user_param, value);
        } else if (lex::iequals(name, "isub")) {
          once(1u << 3, out.isub, value);
        }
        break;
      case 5:
        if (lex::iequals(name, "maddr")) once(1u << 4, out.maddr, value);
        break;
      case 6:
        if (lex::iequals(name, "method")) once(1u << 5, out.method_param, value);
        break;
      case 9:
        if (lex::iequals(name, "transport")) once(1u << 6, out.transport, value);
        break;
      case 13:
        if (lex::iequals(name, "phone-context")) once(1u << 7, out.phone_context, value);
        break;
      default:
        break;
    }
  }
}

bool isVisualSeparator(char c) { return c == '-' || c == '.' || c == '(' || c == ')'; }

// RFC 3966 §3: global-number-digits = "+" *phonedigit DIGIT *phonedigit; local-number-digits =
// *phonedigit-hex (HEXDIG / "*" / "#") *phonedigit-hex.
bool isTelNumber(std::string_view n, bool& global) {
  global = !n.empty() && n[0] == '+';
  bool any = false;
  for (std::size_t i = global ? 1 : 0; i < n.size(); ++i) {
    const char c = n[i];
    if (global ? isDigit(c) : (isHex(c) || c == '*' || c == '#')) {
      any = true;
    } else if (!isVisualSeparator(c)) {
      return false;
    }
  }
  return any;
}

ParseError parseTel(std::string_view rest, SipUri& out) {
  const std::size_t semi = rest.find(';');
  out.user = rest.substr(0, semi);
  if (!isTelNumber(out.user, out.tel_global)) return ParseError::kBadUri;
  if (semi != kNpos) {
    out.params = rest.substr(semi + 1);
    if (!paramsWellFormed(out.params)) return ParseError::kBadUri;
  }
  return ParseError::kOk;
}

}  // namespace

std::string_view SipUri::hostNoBrackets() const {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

ParseError parseUri(std::string_view text, SipUri& out) {
  out = SipUri();
  const std::size_t colon = text.find(':');
  if (colon == kNpos) return ParseError::kBadUri;
  const std::string_view scheme = text.substr(0, colon);
  std::string_view rest = text.substr(colon + 1);
  if (lex::iequals(scheme, "sip")) {
    out.scheme = SipUri::Scheme::kSip;
  } else if (lex::iequals(scheme, "sips")) {
    out.scheme = SipUri::Scheme::kSips;
  } else if (lex::iequals(scheme, "tel")) {
    out.scheme = SipUri::Scheme::kTel;
    if (parseTel(rest, out) != ParseError::kOk) return ParseError::kBadUri;
    extractKnownParams(out);
    // RFC 3966 §5.1.5: a local number is meaningless without its context.
    if (!out.tel_global && !hasUriParam(out.params, "phone-context")) return ParseError::kBadUri;
    return ParseError::kOk;
  } else {
    return ParseError::kBadUri;
  }

  const std::size_t at = rest.find('@');
  if (at != kNpos) {
    const std::string_view userinfo = rest.substr(0, at);
    if (!allChars(userinfo, isUserinfoChar)) return ParseError::kBadUri;
    const std::size_t pw = userinfo.find(':');
    out.user = userinfo.substr(0, pw);
    if (pw != kNpos) out.password = userinfo.substr(pw + 1);
    if (out.user.empty()) return ParseError::kBadUri;
    rest = rest.substr(at + 1);
  }

  std::size_t pos = 0;
  if (!rest.empty() && rest[0] == '[') {
    const std::size_t close = rest.find(']');
    if (close == kNpos || !isIpv6Address(rest.substr(1, close - 1))) return ParseError::kBadUri;
    pos = close + 1;
    out.host_is_ipv6 = true;
  } else {
    while (pos < rest.size() && isHostnameChar(rest[pos])) ++pos;
    if (pos == 0) return ParseError::kBadUri;
  }
  out.host = rest.substr(0, pos);
  if (!out.host_is_ipv6) out.host_is_ipv4 = isIpv4Address(out.host);

  if (pos < rest.size() && rest[pos] == ':') {
    const std::size_t start = ++pos;
    while (pos < rest.size() && isDigit(rest[pos])) ++pos;
    out.port_text = rest.substr(start, pos - start);
    std::uint64_t port = 0;
    if (!lex::parseUint(out.port_text, 65535, port) || port == 0) return ParseError::kBadUri;
    out.port = static_cast<std::uint16_t>(port);
  }
  if (pos < rest.size() && rest[pos] == ';') {
    const std::size_t start = ++pos;
    const std::size_t q = rest.find('?', start);
    pos = q == kNpos ? rest.size() : q;
    out.params = rest.substr(start, pos - start);
    if (!paramsWellFormed(out.params)) return ParseError::kBadUri;
  }
  if (pos < rest.size() && rest[pos] == '?') {
    out.headers = rest.substr(pos + 1);
    if (out.headers.empty() || !allChars(out.headers, isHeadersChar)) return ParseError::kBadUri;
    pos = rest.size();
  }
  if (pos != rest.size()) return ParseError::kBadUri;
  extractKnownParams(out);
  return ParseError::kOk;
}

std::string_view uriParam(std::string_view params, std::string_view name) {
  while (!params.empty()) {
    const std::size_t semi = params.find(';');
    const std::string_view one = params.substr(0, semi);
    params = semi == kNpos ? std::string_view() : params.substr(semi + 1);
    const std::size_t eq = one.find('=');
    if (lex::iequals(one.substr(0, eq), name)) {
      return eq == kNpos ? std::string_view() : one.substr(eq + 1);
    }
  }
  return std::string_view();
}

bool hasUriParam(std::string_view params, std::string_view name) {
  while (!params.empty()) {
    const std::size_t semi = params.find(';');
    const std::string_view one = params.substr(0, semi);
    params = semi == kNpos ? std::string_view() : params.substr(semi + 1);
    if (lex::iequals(one.substr(0, one.find('=')), name)) return true;
  }
  return false;
}

bool isIpv4Address(std::string_view s) {
  int parts = 0;
  std::size_t i = 0;
  while (i <= s.size()) {
    std::size_t j = i;
    unsigned v = 0;
    while (j < s.size() && isDigit(s[j]) && j - i < 3) v = v * 10 + (s[j++] - '0');
    if (j == i || v > 255) return false;
    ++parts;
    if (j == s.size()) return parts == 4;
    if (s[j] != '.' || parts == 4) return false;
    i = j + 1;
  }
  return false;
}

bool isIpv6Address(std::string_view s) {
  const std::size_t n = s.size();
  if (n < 2 || n > 45) return false;
  int groups = 0;
  bool compressed = false;
  std::size_t i = 0;
  if (s[0] == ':') {
    if (s[1] != ':') return false;
    compressed = true;
    i = 2;
    if (i == n) return true;  // "::"
  }
  for (;;) {
    std::size_t j = i;
    while (j < n && isHex(s[j]) && j - i < 5) ++j;
    if (j < n && s[j] == '.') {  // dotted IPv4 tail: two groups' worth
      if (!isIpv4Address(s.substr(i))) return false;
      groups += 2;
      break;
    }
    if (j == i || j - i > 4) return false;
    ++groups;
    if (j == n) break;
    if (s[j] != ':') return false;
    if (j + 1 < n && s[j + 1] == ':') {
      if (compressed) return false;
      compressed = true;
      i = j + 2;
      if (i == n) break;
    } else {
      i = j + 1;
      if (i == n) return false;
    }
  }
  return compressed ? groups <= 7 : groups == 8;
}

std::size_t unescapeUri(std::string_view in, char* out) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (isEscape(in, i)) {
      out[n++] = static_cast<char>(lex::hexValue(in[i + 1]) * 16 + lex::hexValue(in[i + 2]));
      i += 2;
    } else {
      out[n++] = in[i];
    }
  }
  return n;
}

std::string unescapeUri(std::string_view in) {
  std::string out(in.size(), '\0');
  out.resize(unescapeUri(in, out.data()));
  return out;
}

}  // namespace sipline
