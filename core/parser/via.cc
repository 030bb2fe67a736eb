#include "core/parser/via.h"

#include <cstddef>

#include "core/parser/lex.h"
#include "core/parser/uri.h"

namespace sipline {

namespace {

using lex::skipLws;

bool isHostChar(char c) { return lex::isAlnum(c) || c == '-' || c == '.' || c == '_'; }

// "token LWS / LWS" at s[pos]: stores the token, leaves pos after it.
bool protocolPart(std::string_view s, std::size_t& pos, std::string_view& out) {
  pos = skipLws(s, pos);
  const std::size_t end = lex::scanToken(s, pos);
  if (end == pos) return false;
  out = s.substr(pos, end - pos);
  pos = end;
  return true;
}

bool slash(std::string_view s, std::size_t& pos) {
  pos = skipLws(s, pos);
  if (pos >= s.size() || s[pos] != '/') return false;
  ++pos;
  return true;
}

// One via-parm starting at s[pos] (LWS already skipped); pos ends after its last part.
bool parseOne(std::string_view s, std::size_t& pos, Via& via) {
  const std::size_t start = pos;
  if (!protocolPart(s, pos, via.protocol_name) || !slash(s, pos) ||
      !protocolPart(s, pos, via.protocol_version) || !slash(s, pos) ||
      !protocolPart(s, pos, via.transport)) {
    return false;
  }
  // RFC 3261: sent-protocol LWS sent-by; the LWS is mandatory.
  if (pos >= s.size() || !lex::isLws(s[pos])) return false;
  pos = skipLws(s, pos);
  const std::size_t host_start = pos;
  if (pos < s.size() && s[pos] == '[') {
    ++pos;
    while (pos < s.size() && (lex::isHex(s[pos]) || s[pos] == ':' || s[pos] == '.')) ++pos;
    if (pos >= s.size() || s[pos] != ']' ||
        !isIpv6Address(s.substr(host_start + 1, pos - host_start - 1))) {
      return false;
    }
    ++pos;
  } else {
    while (pos < s.size() && isHostChar(s[pos])) ++pos;
    if (pos == host_start) return false;
  }
  via.host = s.substr(host_start, pos - host_start);
  std::size_t end = pos;

  std::size_t p = skipLws(s, pos);
  if (p < s.size() && s[p] == ':') {
    p = skipLws(s, p + 1);
    const std::size_t port_start = p;
    while (p < s.size() && lex::isDigit(s[p])) ++p;
    std::uint64_t port = 0;
    if (!lex::parseUint(s.substr(port_start, p - port_start), 65535, port) || port == 0) {
      return false;
    }
    via.port = static_cast<std::uint16_t>(port);
    end = pos = p;
  }

  p = skipLws(s, pos);
  if (p < s.size() && s[p] == ';') {
    const std::size_t params_start = skipLws(s, p + 1);
    std::size_t last_end = params_start;
    std::size_t q = pos;
    const bool ok = lex::scanHeaderParams(s, q, last_end, [&via](const lex::Param& prm) {
      switch (prm.name.size()) {
        case 3:
          if (lex::iequals(prm.name, "ttl")) via.ttl = prm.value;
          break;
        case 5:
          if (lex::iequals(prm.name, "rport")) {
            via.has_rport = true;
            via.rport_value = prm.value;
          } else if (lex::iequals(prm.name, "maddr")) {
            via.maddr = prm.value;
          }
          break;
        case 6:
          if (lex::iequals(prm.name, "branch")) via.branch = prm.value;
          break;
        case 8:
          if (lex::iequals(prm.name, "received")) via.received = prm.value;
          break;
        default:
          break;
      }
    });
    if (!ok) return false;
    via.params = s.substr(params_start, last_end - params_start);
    end = last_end;
    pos = q;
  }
  // RFC 3581: rport has no value in requests, digits in responses.
  if (!via.rport_value.empty()) {
    std::uint64_t port = 0;
    if (!lex::parseUint(via.rport_value, 65535, port)) return false;
  }
  via.text = s.substr(start, end - start);
  return true;
}

}  // namespace

std::string_view Via::hostNoBrackets() const {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

ParseError parseViaList(std::string_view header_body, std::vector<Via>& out) {
  const std::string_view s = header_body;
  std::size_t pos = skipLws(s, 0);
  if (pos >= s.size()) return ParseError::kBadVia;
  for (;;) {
    Via via;
    if (!parseOne(s, pos, via)) return ParseError::kBadVia;
    out.push_back(via);
    pos = skipLws(s, pos);
    if (pos >= s.size()) return ParseError::kOk;
    if (s[pos] != ',') return ParseError::kBadVia;
    pos = skipLws(s, pos + 1);
    if (pos >= s.size()) return ParseError::kBadVia;
  }
}

}  // namespace sipline
