#include "core/parser/sdp.h"

#include "core/parser/lex.h"

namespace sipline {
namespace {

bool isSdpSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view trimSpaces(std::string_view s) {
  std::size_t b = 0;
  std::size_t e = s.size();
  while (b < e && isSdpSpace(s[b])) ++b;
  while (e > b && isSdpSpace(s[e - 1])) --e;
  return s.substr(b, e - b);
}

// Splits s at runs of SP/HT into at most max_fields fields; the last field takes the rest of
// the line (trailing blanks removed). Returns the number of fields found.
std::size_t splitFields(std::string_view s, std::string_view* fields, std::size_t max_fields) {
  s = trimSpaces(s);
  std::size_t n = 0;
  std::size_t pos = 0;
  while (pos < s.size() && n < max_fields) {
    if (n + 1 == max_fields) {
      fields[n++] = s.substr(pos);
      break;
    }
    std::size_t end = pos;
    while (end < s.size() && !isSdpSpace(s[end])) ++end;
    fields[n++] = s.substr(pos, end - pos);
    pos = end;
    while (pos < s.size() && isSdpSpace(s[pos])) ++pos;
  }
  return n;
}

bool parseU32(std::string_view s, std::uint32_t max, std::uint32_t& out) {
  std::uint64_t v = 0;
  if (!lex::parseUint(s, max, v)) return false;
  out = static_cast<std::uint32_t>(v);
  return true;
}

SdpAddrType addrTypeOf(std::string_view addrtype) {
  if (lex::iequals(addrtype, "IP4")) return SdpAddrType::kIp4;
  if (lex::iequals(addrtype, "IP6")) return SdpAddrType::kIp6;
  return SdpAddrType::kOther;
}

// RFC 8866 §5.2: exactly six fields.
bool parseOrigin(std::string_view value, std::string_view line, SdpOrigin& out) {
  std::string_view f[7];
  if (splitFields(value, f, 7) != 6) return false;
  for (std::string_view field : f) {
    for (char c : field) {
      if (isSdpSpace(c)) return false;  // only possible in the 7th field, absent here
    }
  }
  out.username = f[0];
  out.sess_id = f[1];
  out.sess_version = f[2];
  out.nettype = f[3];
  out.addrtype = f[4];
  out.address = f[5];
  out.addr_type = addrTypeOf(f[4]);
  out.line = line;
  return true;
}

// RFC 8866 §5.7 and its ABNF (§9): IP4 multicast carries /ttl[/count], IP6 multicast /count.
bool parseConnection(std::string_view value, std::string_view line, SdpConnection& out) {
  std::string_view f[4];
  if (splitFields(value, f, 4) != 3) return false;
  out = SdpConnection{};
  out.nettype = f[0];
  out.addrtype = f[1];
  out.addr_type = addrTypeOf(f[1]);
  out.line = line;
  std::string_view addr = f[2];
  const std::size_t slash = addr.find('/');
  out.address = addr.substr(0, slash);
  if (out.address.empty()) return false;
  for (char c : addr) {
    if (isSdpSpace(c)) return false;
  }
  if (slash == std::string_view::npos) return true;
  std::string_view rest = addr.substr(slash + 1);
  const std::size_t slash2 = rest.find('/');
  std::string_view first = rest.substr(0, slash2);
  if (out.addr_type == SdpAddrType::kIp6) {
    if (slash2 != std::string_view::npos) return false;
    return parseU32(first, 0xffffffffu, out.count) && out.count > 0;
  }
  if (!parseU32(first, 255, out.ttl)) return false;
  if (slash2 == std::string_view::npos) return true;
  return parseU32(rest.substr(slash2 + 1), 0xffffffffu, out.count) && out.count > 0;
}

// RFC 8866 §5.8: <bwtype>:<bandwidth>.
bool parseBandwidth(std::string_view value, std::string_view line, SdpBandwidth& out) {
  value = trimSpaces(value);
  const std::size_t colon = value.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  std::uint64_t v = 0;
  if (!lex::parseUint(trimSpaces(value.substr(colon + 1)), (1ull << 60) - 1, v)) return false;
  out.type = value.substr(0, colon);
  out.value = v;
  out.line = line;
  return true;
}

// RFC 8866 §5.14: <media> <port>[/<number of ports>] <proto> <fmt> ...
SdpError parseMediaLine(std::string_view value, SdpMedia& out) {
  std::string_view f[4];
  const std::size_t n = splitFields(value, f, 4);
  if (n < 3) return SdpError::kBadMedia;
  out.media = f[0];
  std::string_view port = f[1];
  const std::size_t slash = port.find('/');
  out.port_text = port.substr(0, slash);
  std::uint32_t p = 0;
  if (!parseU32(out.port_text, 65535, p)) return SdpError::kBadPort;
  out.port = static_cast<std::uint16_t>(p);
  if (slash != std::string_view::npos) {
    if (!parseU32(port.substr(slash + 1), 65535, out.port_count) || out.port_count == 0) {
      return SdpError::kBadPort;
    }
  }
  out.proto = f[2];
  if (n == 4) {
    out.formats = f[3];
    std::size_t pos = 0;
    const std::string_view fmts = out.formats;
    while (pos < fmts.size()) {
      std::size_t end = pos;
      while (end < fmts.size() && !isSdpSpace(fmts[end])) ++end;
      out.format_list.push_back(fmts.substr(pos, end - pos));
      pos = end;
      while (pos < fmts.size() && isSdpSpace(fmts[pos])) ++pos;
    }
  }
  return SdpError::kOk;
}

bool parseRtpMap(std::string_view value, SdpRtpMap& out) {
  std::string_view f[3];
  if (splitFields(value, f, 3) != 2) return false;
  if (!parseU32(f[0], 127, out.payload_type)) return false;
  std::string_view enc = f[1];
  const std::size_t s1 = enc.find('/');
  if (s1 == 0 || s1 == std::string_view::npos) return false;
  out.encoding = enc.substr(0, s1);
  std::string_view rest = enc.substr(s1 + 1);
  const std::size_t s2 = rest.find('/');
  if (!parseU32(rest.substr(0, s2), 0xffffffffu, out.clock_rate)) return false;
  if (s2 != std::string_view::npos) {
    out.encoding_params = rest.substr(s2 + 1);
    if (out.encoding_params.empty()) return false;
    std::uint32_t ch = 0;
    if (parseU32(out.encoding_params, 0xffffu, ch)) out.channels = ch;
  }
  return true;
}

bool parseFmtp(std::string_view value, SdpFmtp& out) {
  std::string_view f[2];
  const std::size_t n = splitFields(value, f, 2);
  if (n == 0) return false;
  out.format = f[0];
  out.params = n == 2 ? f[1] : std::string_view();
  return true;
}

// RFC 3605 §2.1: the port alone, or the port and a full connection address.
bool parseRtcp(std::string_view value, SdpRtcp& out) {
  std::string_view f[5];
  const std::size_t n = splitFields(value, f, 5);
  if (n != 1 && n != 4) return false;
  std::uint32_t p = 0;
  if (!parseU32(f[0], 65535, p)) return false;
  out.port = static_cast<std::uint16_t>(p);
  out.port_text = f[0];
  if (n == 4) {
    for (char c : f[3]) {
      if (isSdpSpace(c)) return false;
    }
    out.nettype = f[1];
    out.addrtype = f[2];
    out.address = f[3];
    out.addr_type = addrTypeOf(f[2]);
  }
  return true;
}

// a=ptime:<ms>; a fractional value ("20.0") keeps its whole milliseconds.
std::uint32_t parsePtime(std::string_view value) {
  value = trimSpaces(value);
  const std::size_t dot = value.find('.');
  std::uint32_t ms = 0;
  if (!parseU32(value.substr(0, dot), 0xffffffu, ms)) return 0;
  if (dot != std::string_view::npos) {
    for (char c : value.substr(dot + 1)) {
      if (!lex::isDigit(c)) return 0;
    }
  }
  return ms;
}

SdpDirection directionOf(std::string_view name) {
  if (name == "sendrecv") return SdpDirection::kSendRecv;
  if (name == "sendonly") return SdpDirection::kSendOnly;
  if (name == "recvonly") return SdpDirection::kRecvOnly;
  if (name == "inactive") return SdpDirection::kInactive;
  return SdpDirection::kUnset;
}

SdpAttribute parseAttribute(std::string_view value, std::string_view line) {
  SdpAttribute a;
  a.line = line;
  const std::size_t colon = value.find(':');
  if (colon == std::string_view::npos) {
    a.name = trimSpaces(value);
  } else {
    a.name = trimSpaces(value.substr(0, colon));
    a.value = value.substr(colon + 1);
    a.has_value = true;
  }
  return a;
}

void applyMediaAttribute(const SdpAttribute& a, SdpMedia& m) {
  if (!a.has_value) {
    const SdpDirection d = directionOf(a.name);
    if (d != SdpDirection::kUnset) m.direction = d;
    return;
  }
  if (a.name == "rtpmap") {
    SdpRtpMap r;
    if (parseRtpMap(a.value, r)) m.rtpmaps.push_back(r);
  } else if (a.name == "fmtp") {
    SdpFmtp f;
    if (parseFmtp(a.value, f)) m.fmtps.push_back(f);
  } else if (a.name == "rtcp") {
    SdpRtcp r;
    if (!m.has_rtcp && parseRtcp(a.value, r)) {
      m.rtcp = r;
      m.has_rtcp = true;
    }
  } else if (a.name == "ptime") {
    m.ptime = parsePtime(a.value);
  }
}

}  // namespace

const char* sdpErrorText(SdpError e) {
  switch (e) {
    case SdpError::kOk:
      return "OK";
    case SdpError::kEmpty:
      return "Empty SDP";
    case SdpError::kNoVersion:
      return "SDP does not start with v=";
    case SdpError::kBadVersion:
      return "Bad SDP version";
    case SdpError::kBadLine:
      return "Bad SDP line";
    case SdpError::kBadOrigin:
      return "Bad SDP origin";
    case SdpError::kBadConnection:
      return "Bad SDP connection";
    case SdpError::kBadMedia:
      return "Bad SDP media";
    case SdpError::kBadPort:
      return "Bad SDP media port";
  }
  return "Unknown SDP error";
}

bool SdpConnection::isUnspecified() const {
  return address == "0.0.0.0" || address == "::" || address == "0:0:0:0:0:0:0:0";
}

const SdpRtpMap* SdpMedia::rtpmap(std::uint32_t payload_type) const {
  for (const SdpRtpMap& r : rtpmaps) {
    if (r.payload_type == payload_type) return &r;
  }
  return nullptr;
}

const SdpAttribute* SdpMedia::attribute(std::string_view name) const {
  for (const SdpAttribute& a : attributes) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

SdpAddressRef SdpSession::effectiveConnection(std::size_t index) const {
  SdpAddressRef ref;
  if (index >= media.size()) return ref;
  const SdpMedia& m = media[index];
  if (!m.connections.empty()) {
    ref.connection = &m.connections.front();
  } else if (has_connection) {
    ref.connection = &connection;
    ref.from_session = true;
  } else {
    return ref;
  }
  ref.offset = offsetOf(ref.connection->address);
  ref.length = ref.connection->address.size();
  return ref;
}

SdpDirection SdpSession::effectiveDirection(std::size_t index) const {
  if (index < media.size() && media[index].direction != SdpDirection::kUnset) {
    return media[index].direction;
  }
  return direction != SdpDirection::kUnset ? direction : SdpDirection::kSendRecv;
}

bool SdpSession::isOnHold(std::size_t index) const {
  const SdpDirection d = effectiveDirection(index);
  if (d == SdpDirection::kSendOnly || d == SdpDirection::kInactive) return true;
  const SdpAddressRef ref = effectiveConnection(index);
  return ref.connection != nullptr && ref.connection->isUnspecified();
}

SdpError parseSdp(std::string_view body, SdpSession& out) {
  out = SdpSession{};
  out.body = body;
  bool seen_version = false;
  SdpMedia* cur = nullptr;
  std::size_t pos = 0;
  while (pos < body.size()) {
    const std::size_t lf = body.find('\n', pos);
    const std::size_t next = lf == std::string_view::npos ? body.size() : lf + 1;
    const std::string_view line = body.substr(pos, next - pos);
    std::string_view content = body.substr(pos, (lf == std::string_view::npos ? next : lf) - pos);
    if (!content.empty() && content.back() == '\r') content.remove_suffix(1);
    const std::size_t line_start = pos;
    pos = next;
    if (content.empty()) continue;
    if (content.size() < 2 || content[1] != '=' || !lex::isAlpha(content[0])) {
      return seen_version ? SdpError::kBadLine : SdpError::kNoVersion;
    }
    const char type = content[0];
    const std::string_view value = content.substr(2);
    if (!seen_version) {
      if (type != 'v') return SdpError::kNoVersion;
      if (trimSpaces(value) != "0") return SdpError::kBadVersion;
      seen_version = true;
      continue;
    }
    if (type == 'm') {
      if (cur != nullptr) {
        const std::size_t start = out.offsetOf(cur->text);
        cur->text = body.substr(start, line_start - start);
      }
      out.media.emplace_back();
      cur = &out.media.back();
      cur->text = line;  // start; completed when the section ends
      const SdpError e = parseMediaLine(value, *cur);
      if (e != SdpError::kOk) return e;
      continue;
    }
    switch (type) {
      case 'v':
        return SdpError::kBadVersion;
      case 'o':
        if (cur == nullptr) {
          if (out.has_origin || !parseOrigin(value, line, out.origin)) return SdpError::kBadOrigin;
          out.has_origin = true;
        }
        break;
      case 's':
        if (cur == nullptr && out.session_name.empty()) out.session_name = value;
        break;
      case 't':
        if (cur == nullptr && out.start_time.empty()) {
          std::string_view f[2];
          if (splitFields(value, f, 2) == 2) {
            out.start_time = f[0];
            out.stop_time = f[1];
          }
        }
        break;
      case 'c': {
        SdpConnection c;
        if (!parseConnection(value, line, c)) return SdpError::kBadConnection;
        if (cur != nullptr) {
          cur->connections.push_back(c);
        } else {
          if (out.has_connection) return SdpError::kBadConnection;
          out.connection = c;
          out.has_connection = true;
        }
        break;
      }
      case 'b': {
        SdpBandwidth b;
        if (parseBandwidth(value, line, b)) {
          (cur != nullptr ? cur->bandwidths : out.bandwidths).push_back(b);
        }
        break;
      }
      case 'a': {
        const SdpAttribute a = parseAttribute(value, line);
        if (a.name.empty()) break;
        if (cur != nullptr) {
          cur->attributes.push_back(a);
          applyMediaAttribute(a, *cur);
        } else {
          out.attributes.push_back(a);
          if (!a.has_value) {
            const SdpDirection d = directionOf(a.name);
            if (d != SdpDirection::kUnset) out.direction = d;
          }
        }
        break;
      }
      default:
        break;  // i= u= e= p= r= z= k= and unknown types (RFC 8866 §5: ignore unknown)
    }
  }
  if (!seen_version) return SdpError::kEmpty;
  const std::size_t first_m = out.media.empty() ? body.size() : out.offsetOf(out.media[0].text);
  out.session_text = body.substr(0, first_m);
  if (cur != nullptr) {
    const std::size_t start = out.offsetOf(cur->text);
    cur->text = body.substr(start);
  }
  return SdpError::kOk;
}

}  // namespace sipline
