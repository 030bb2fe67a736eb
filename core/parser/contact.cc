#include "core/parser/contact.h"

#include <cstddef>

#include "core/parser/lex.h"

namespace sipline {

namespace {

// Decodes expires and q from the header params of c.addr. False for a malformed q.
bool decodeParams(Contact& c) {
  const std::string_view text = c.addr.text;
  if (c.addr.params.empty()) return true;
  // params lies inside text after a ';' (parseNameAddr checked the syntax): rescan from there.
  std::size_t pos = static_cast<std::size_t>(c.addr.params.data() - text.data());
  while (pos > 0 && text[pos] != ';') --pos;
  std::size_t last_end = pos;
  bool ok = true;
  lex::scanHeaderParams(text, pos, last_end, [&c, &ok](const lex::Param& p) {
    if (p.name.size() == 1 && lex::toLower(p.name[0]) == 'q') {
      c.has_q = true;
      ok = ok && parseQValue(p.value, c.q);
    } else if (p.name.size() == 7 && lex::iequals(p.name, "expires") &&
               c.expires.state == FieldState::kAbsent) {
      // The first expires counts (as for repeated URI params); a bad one keeps value 0.
      std::uint32_t value = 0;
      bool good = parseDeltaSeconds(p.value, value);
      c.expires.state = good ? FieldState::kOk : FieldState::kBad;
      c.expires.value = good ? value : 0;
    }
  });
  return ok;
}

}  // namespace

ParseError parseContactBody(std::string_view body, ContactList& out) {
  const std::string_view s = lex::trimLws(body);
  if (s == "*") {
    if (!out.items.empty()) return ParseError::kBadHeader;
    out.star = true;
    return ParseError::kOk;
  }
  if (out.star) return ParseError::kBadHeader;
  std::size_t pos = 0;
  std::string_view element;
  ParseError e = ParseError::kOk;
  while (nextListElement(s, pos, element, e)) {
    Contact& c = out.items.emplace_back();
    e = parseNameAddr(element, c.addr);
    if (e != ParseError::kOk) return e;
    if (!decodeParams(c)) return ParseError::kBadHeader;
  }
  return e;
}

}  // namespace sipline
