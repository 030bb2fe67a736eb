// Character classes and small scanning helpers shared by the parsers in core/parser. Internal
// to the parser (other code should use the typed parsers). Everything is ASCII-only (no
// locale), allocation-free, and bounds-checked: every helper takes the whole view and an
// index, never a raw pointer past the end.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sipline::lex {

inline bool isDigit(char c) { return c >= '0' && c <= '9'; }
inline bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool isAlnum(char c) { return isDigit(c) || isAlpha(c); }
inline bool isHex(char c) { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
// Value of a hex digit; 0 for anything else (check isHex() first).
inline int hexValue(char c) {
  if (isDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 0;
}
inline char toLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
// SP / HT, and CR / LF, which inside a header body can only come from folding (RFC 3261 §7.3.1).
inline bool isLws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// RFC 3261 §25.1 token: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~"
constexpr bool isTokenCharSlow(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '-':
    case '.':
    case '!':
    case '%':
    case '*':
    case '_':
    case '+':
    case '`':
    case '\'':
    case '~':
      return true;
    default:
      return false;
  }
}

inline constexpr std::array<bool, 256> kTokenChars = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c) table[c] = isTokenCharSlow(static_cast<char>(c));
  return table;
}();

inline bool isTokenChar(char c) { return kTokenChars[static_cast<unsigned char>(c)]; }

// RFC 3261 §25.1 unreserved = alphanum / mark.
inline bool isUnreserved(char c) {
  if (isAlnum(c)) return true;
  switch (c) {
    case '-':
    case '_':
    case '.':
    case '!':
    case '~':
    case '*':
    case '\'':
    case '(':
    case ')':
      return true;
    default:
      return false;
  }
}

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (toLower(a[i]) != toLower(b[i])) return false;
  }
  return true;
}

inline std::size_t skipLws(std::string_view s, std::size_t pos) {
  while (pos < s.size() && isLws(s[pos])) ++pos;
  return pos;
}

inline std::string_view trimLws(std::string_view s) {
  std::size_t b = 0;
  std::size_t e = s.size();
  while (b < e && isLws(s[b])) ++b;
  while (e > b && isLws(s[e - 1])) --e;
  return s.substr(b, e - b);
}

inline std::size_t scanToken(std::string_view s, std::size_t pos) {
  while (pos < s.size() && isTokenChar(s[pos])) ++pos;
  return pos;
}

// Decimal digits only (leading zeros allowed); false when empty, non-digit or > max.
inline bool parseUint(std::string_view s, std::uint64_t max, std::uint64_t& out) {
  if (s.empty()) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (!isDigit(c)) return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
    if (v > max) return false;  // max < 2^60, so no wrap before this check
  }
  out = v;
  return true;
}

// s[pos] == '"'. Returns the index just past the closing quote, or npos if unterminated.
// quoted-pair (backslash + any char except CR/LF) is honoured (RFC 3261 §25.1).
inline std::size_t skipQuoted(std::string_view s, std::size_t pos) {
  for (std::size_t i = pos + 1; i < s.size(); ++i) {
    if (s[i] == '\\') {
      if (i + 1 >= s.size()) return std::string_view::npos;
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// One generic-param of a header (Via, name-addr): name [EQUAL (token / host / quoted-string)].
struct Param {
  std::string_view name;
  std::string_view value;  // quotes kept for a quoted-string; "" for a flag
  bool has_value = false;
};

// Parses header params "; name [= value]" with LWS allowed around ';' and '='. pos is at the
// first ';' (or LWS before it). Stops at end of s or at the first char that is not ';' after
// LWS, leaving pos there (last_end = end of the last param, for raw views). Calls
// on_param(const Param&) for each. Returns false on a malformed param (empty name, missing
// value after '=', unterminated quote).
template <class Fn>
bool scanHeaderParams(std::string_view s, std::size_t& pos, std::size_t& last_end, Fn&& on_param) {
  for (;;) {
    std::size_t p = skipLws(s, pos);
    if (p >= s.size() || s[p] != ';') {
      pos = p;
      return true;
    }
    p = skipLws(s, p + 1);
    const std::size_t name_end = scanToken(s, p);
    if (name_end == p) return false;
    Param param;
    param.name = s.substr(p, name_end - p);
    last_end = name_end;
    p = skipLws(s, name_end);
    if (p < s.size() && s[p] == '=') {
      p = skipLws(s, p + 1);
      std::size_t v_end = p;
      if (p < s.size() && s[p] == '"') {
        v_end = skipQuoted(s, p);
        if (v_end == std::string_view::npos) return false;
      } else {
        while (v_end < s.size()) {
          const char c = s[v_end];
          if (isLws(c) || c == ';' || c == ',' || c == '"' || c == '<' || c == '>' ||
              static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            break;
          }
          ++v_end;
        }
        if (v_end == p) return false;
      }
      param.value = s.substr(p, v_end - p);
      param.has_value = true;
      last_end = v_end;
      pos = v_end;
    } else {
      pos = name_end;
    }
    on_param(static_cast<const Param&>(param));
  }
}

}  // namespace sipline::lex
