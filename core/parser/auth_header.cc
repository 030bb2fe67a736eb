#include "core/parser/auth_header.h"

#include "core/parser/lex.h"

namespace sipline {

namespace {

constexpr std::size_t kNpos = std::string_view::npos;

// The field of out named by name, or nullptr for an unknown (extension) parameter.
std::string_view* digestField(AuthHeader& out, std::string_view name) {
  struct Entry {
    std::string_view name;
    std::string_view AuthHeader::*field;
  };
  static constexpr Entry kFields[] = {
      {"username", &AuthHeader::username}, {"realm", &AuthHeader::realm},
      {"nonce", &AuthHeader::nonce},       {"uri", &AuthHeader::uri},
      {"response", &AuthHeader::response}, {"algorithm", &AuthHeader::algorithm},
      {"cnonce", &AuthHeader::cnonce},     {"opaque", &AuthHeader::opaque},
      {"qop", &AuthHeader::qop},           {"nc", &AuthHeader::nc},
      {"domain", &AuthHeader::domain},
  };
  for (const Entry& e : kFields) {
    if (lex::iequals(name, e.name)) return &(out.*e.field);
  }
  return nullptr;
}

}  // namespace

ParseError parseAuthHeader(std::string_view body, AuthHeader& out) {
  out = AuthHeader();
  const std::string_view s = lex::trimLws(body);
  const std::size_t scheme_end = lex::scanToken(s, 0);
  if (scheme_end == 0) return ParseError::kBadHeader;
  out.scheme = s.substr(0, scheme_end);
  if (scheme_end < s.size() && !lex::isLws(s[scheme_end])) return ParseError::kBadHeader;
  std::size_t pos = lex::skipLws(s, scheme_end);
  out.params = s.substr(pos);
  out.is_digest = lex::iequals(out.scheme, "Digest");
  if (!out.is_digest) return ParseError::kOk;
  if (pos >= s.size()) return ParseError::kBadHeader;  // RFC 3261: Digest needs its params

  bool seen_stale = false;
  for (;;) {
    const std::size_t name_end = lex::scanToken(s, pos);
    if (name_end == pos) return ParseError::kBadHeader;
    const std::string_view name = s.substr(pos, name_end - pos);
    std::size_t p = lex::skipLws(s, name_end);
    if (p >= s.size() || s[p] != '=') return ParseError::kBadHeader;
    p = lex::skipLws(s, p + 1);
    std::string_view value;
    if (p < s.size() && s[p] == '"') {
      const std::size_t end = lex::skipQuoted(s, p);
      if (end == kNpos) return ParseError::kBadHeader;
      value = s.substr(p + 1, end - p - 2);
      if (value.find('\\') != kNpos) out.has_escapes = true;
      p = end;
    } else {
      const std::size_t end = lex::scanToken(s, p);
      if (end == p) return ParseError::kBadHeader;
      value = s.substr(p, end - p);
      p = end;
    }
    if (std::string_view* field = digestField(out, name)) {
      if (field->data() != nullptr) return ParseError::kBadHeader;  // repeated
      *field = value;
    } else if (lex::iequals(name, "stale")) {
      if (seen_stale) return ParseError::kBadHeader;
      seen_stale = true;
      if (lex::iequals(value, "true")) {
        out.stale = true;
      } else if (!lex::iequals(value, "false")) {
        return ParseError::kBadHeader;
      }
    }
    p = lex::skipLws(s, p);
    if (p >= s.size()) return ParseError::kOk;
    if (s[p] != ',') return ParseError::kBadHeader;
    pos = lex::skipLws(s, p + 1);
  }
}

std::size_t unquoteTo(std::string_view in, char* out) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\\' && i + 1 < in.size()) ++i;
    out[n++] = in[i];
  }
  return n;
}

}  // namespace sipline
