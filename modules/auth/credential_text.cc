#include "modules/auth/credential_text.h"

#include <cstdio>

#include "core/base/strings.h"

namespace sipline::auth {
namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool isTokenChar(char c) {
  return c > ' ' && c < 0x7f && c != ',' && c != '=' && c != '"' && c != ';';
}

}  // namespace

bool readRealmLeniently(std::string_view body, std::string& realm) {
  std::size_t i = 0, n = body.size();
  auto skipSpace = [&] {
    while (i < n && isSpace(body[i])) ++i;
  };
  auto token = [&] {
    std::size_t b = i;
    while (i < n && isTokenChar(body[i])) ++i;
    return body.substr(b, i - b);
  };
  skipSpace();
  if (token().empty()) return false;  // the scheme
  for (;;) {
    while (i < n && (isSpace(body[i]) || body[i] == ',')) ++i;
    if (i >= n) return false;
    std::string_view name = token();
    skipSpace();
    if (name.empty() || i >= n || body[i] != '=') return false;
    ++i;
    skipSpace();
    std::string value;
    if (i < n && body[i] == '"') {
      ++i;
      bool closed = false;
      while (i < n) {
        char c = body[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\') {
          if (i >= n) break;
          c = body[i++];
        }
        value += c;
      }
      if (!closed) return false;
    } else {
      value = std::string(token());
    }
    if (iequals(name, "realm")) {
      realm = std::move(value);
      return true;
    }
  }
}

std::string printableForLog(std::string_view text, std::size_t max) {
  std::string out;
  bool cut = text.size() > max;
  if (cut) text = text.substr(0, max);
  out.reserve(text.size());
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '\\') {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", u);
      out += hex;
    } else {
      out += c;
    }
  }
  if (cut) out += "...";
  return out;
}

}  // namespace sipline::auth
