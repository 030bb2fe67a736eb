#include "modules/usrloc/contact_fields.h"

#include <algorithm>

namespace sipline::usrloc {
namespace {

const char* const kFieldNames[kTextFields] = {"contact URI", "received", "path",    "Call-ID",
                                              "user agent",  "socket",   "instance"};

std::string_view fieldOf(const Contact& c, int f) {
  switch (f) {
    case kUri:
      return c.uri;
    case kReceived:
      return c.received;
    case kPath:
      return c.path;
    case kCallId:
      return c.callid;
    case kUserAgent:
      return c.user_agent;
    case kSocket:
      return c.socket;
    default:
      return c.instance;
  }
}

}  // namespace

FieldLimits memoryLimits() {
  FieldLimits l{};
  for (std::size_t& t : l.text) t = 65535;
  l.username = 1024;
  l.domain = 1024;
  return l;
}

FieldLimits dbLimits() {
  FieldLimits l{};
  l.text[kUri] = 512;
  l.text[kReceived] = 255;
  l.text[kPath] = 512;
  l.text[kCallId] = 255;
  l.text[kUserAgent] = 255;
  l.text[kSocket] = 128;
  l.text[kInstance] = 255;
  l.username = 64;
  l.domain = 64;
  return l;
}

Status checkContact(const Contact& c, const FieldLimits& limits) {
  if (c.uri.empty()) return Status::invalidArgument("usrloc: a contact needs a URI");
  for (int f = 0; f < kTextFields; ++f) {
    if (f == kUserAgent) continue;
    std::size_t n = fieldOf(c, f).size();
    if (n > limits.text[f]) {
      return Status::invalidArgument("usrloc: " + std::string(kFieldNames[f]) + " of " +
                                     std::to_string(n) + " bytes is over the limit of " +
                                     std::to_string(limits.text[f]));
    }
  }
  if (c.q < -1 || c.q > 1000) {
    return Status::invalidArgument("usrloc: q " + std::to_string(c.q) + " is out of 0..1000");
  }
  return Status::ok();
}

AorParts splitAor(std::string_view aor, bool use_domain) {
  if (!use_domain) return AorParts{aor, std::string_view()};
  std::size_t at = aor.rfind('@');
  if (at == std::string_view::npos) return AorParts{aor, std::string_view()};
  return AorParts{aor.substr(0, at), aor.substr(at + 1)};
}

Status checkAor(std::string_view aor, bool use_domain, const FieldLimits& limits) {
  if (aor.empty()) return Status::invalidArgument("usrloc: empty AOR");
  AorParts parts = splitAor(aor, use_domain);
  if (parts.username.size() > limits.username || parts.domain.size() > limits.domain) {
    return Status::invalidArgument(
        "usrloc: AOR '" + std::string(aor.substr(0, 80)) + "' is too long (user part at most " +
        std::to_string(limits.username) + " bytes, domain " + std::to_string(limits.domain) + ")");
  }
  return Status::ok();
}

namespace {

// Length of the valid UTF-8 sequence at s[i] (RFC 3629: no overlongs, no surrogates, at most
// U+10FFFF); 0 when none starts there.
std::size_t utf8Sequence(std::string_view s, std::size_t i) {
  auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b = at(i);
  if (b >= 0x01 && b < 0x80) return 1;
  std::size_t n = b >= 0xC2 && b <= 0xDF   ? 2
                  : b >= 0xE0 && b <= 0xEF ? 3
                  : b >= 0xF0 && b <= 0xF4 ? 4
                                           : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((at(i + k) & 0xC0) != 0x80) return 0;
  }
  unsigned char c1 = at(i + 1);
  if ((b == 0xE0 && c1 < 0xA0) || (b == 0xED && c1 > 0x9F) || (b == 0xF0 && c1 < 0x90) ||
      (b == 0xF4 && c1 > 0x8F)) {
    return 0;
  }
  return n;
}

}  // namespace

std::string storableText(std::string_view s, std::size_t max) {
  std::string out;
  out.reserve(std::min(s.size(), max));
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8Sequence(s, i);
    std::size_t add = n == 0 ? 1 : n;
    if (out.size() + add > max) break;
    if (n == 0) {
      out += '?';
    } else {
      out.append(s.substr(i, n));
    }
    i += add;
  }
  return out;
}

Contact storableContact(const Contact& c, const FieldLimits& limits) {
  Contact out = c;
  std::string* fields[kTextFields] = {};
  fields[kUri] = &out.uri;
  fields[kReceived] = &out.received;
  fields[kPath] = &out.path;
  fields[kCallId] = &out.callid;
  fields[kUserAgent] = &out.user_agent;
  fields[kSocket] = &out.socket;
  fields[kInstance] = &out.instance;
  for (int f = 0; f < kTextFields; ++f) {
    if (fields[f] != nullptr) *fields[f] = storableText(*fields[f], limits.text[f]);
  }
  return out;
}

PackedText packText(const Contact& c, const FieldLimits& limits) {
  PackedText out;
  std::size_t total = 0;
  for (int f = 0; f < kTextFields; ++f) total += fieldOf(c, f).size();
  out.bytes.reserve(total);
  for (int f = 0; f < kTextFields; ++f) {
    std::string v = storableText(fieldOf(c, f), std::min<std::size_t>(limits.text[f], 65535));
    out.len[f] = static_cast<std::uint16_t>(v.size());
    out.bytes.append(v);
  }
  return out;
}

Contact unpackContactLocked(const ContactShm& s) {
  Contact c;
  c.uri = std::string(s.field(kUri));
  c.received = std::string(s.field(kReceived));
  c.path = std::string(s.field(kPath));
  c.callid = std::string(s.field(kCallId));
  c.user_agent = std::string(s.field(kUserAgent));
  c.socket = std::string(s.field(kSocket));
  c.instance = std::string(s.field(kInstance));
  c.expires = s.expires;
  c.q = s.q;
  c.cseq = s.cseq;
  c.reg_id = s.reg_id;
  c.flags = s.flags;
  c.cflags = s.cflags;
  c.methods = s.methods;
  c.last_modified = s.last_modified;
  return c;
}

void setNumbers(ContactShm& s, const Contact& c) {
  s.expires = c.expires;
  s.last_modified = c.last_modified;
  s.q = c.q;
  s.cseq = c.cseq;
  s.reg_id = c.reg_id;
  s.flags = c.flags;
  s.cflags = c.cflags;
  s.methods = c.methods;
  s.ping_pending = false;
  s.pings_lost = 0;
}

bool sameContact(const Contact& a, const Contact& b) {
  return a.uri == b.uri && a.received == b.received && a.path == b.path && a.callid == b.callid &&
         a.user_agent == b.user_agent && a.socket == b.socket && a.instance == b.instance &&
         a.expires == b.expires && a.q == b.q && a.cseq == b.cseq && a.reg_id == b.reg_id &&
         a.flags == b.flags && a.cflags == b.cflags && a.methods == b.methods &&
         a.last_modified == b.last_modified;
}

}  // namespace sipline::usrloc
