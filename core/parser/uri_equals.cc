// uriEquals(): RFC 3261 §19.1.4 and RFC 3966 §4 URI equivalence, on parsed views without
// allocating (escapes are decoded on the fly).
#include <cstddef>

#include "core/parser/lex.h"
#include "core/parser/uri.h"

namespace sipline {

namespace {

constexpr std::size_t kNpos = std::string_view::npos;

// RFC 3261 §25.1 reserved: an escaped reserved character is not the character itself.
bool isReserved(char c) {
  switch (c) {
    case ';':
    case '/':
    case '?':
    case ':':
    case '@':
    case '&':
    case '=':
    case '+':
    case '$':
    case ',':
      return true;
    default:
      return false;
  }
}

// One character of a URI component: the decoded value and whether it stays distinct from the
// literal character (an escaped reserved character).
struct Unit {
  char c;
  bool escaped_reserved;
};

Unit nextUnit(std::string_view s, std::size_t& i) {
  if (s[i] == '%' && i + 2 < s.size() && lex::isHex(s[i + 1]) && lex::isHex(s[i + 2])) {
    const char c = static_cast<char>(lex::hexValue(s[i + 1]) * 16 + lex::hexValue(s[i + 2]));
    i += 3;
    return Unit{c, isReserved(c)};
  }
  return Unit{s[i++], false};
}

bool escapedEquals(std::string_view a, std::string_view b, bool case_insensitive) {
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() && j < b.size()) {
    const Unit x = nextUnit(a, i);
    const Unit y = nextUnit(b, j);
    if (x.escaped_reserved != y.escaped_reserved) return false;
    if (case_insensitive ? lex::toLower(x.c) != lex::toLower(y.c) : x.c != y.c) return false;
  }
  return i == a.size() && j == b.size();
}

bool ieq(std::string_view a, std::string_view b) { return escapedEquals(a, b, true); }

// Calls fn(name, value, has_value) for each element of a list separated by sep; stops early
// when fn returns false and returns false then.
template <class Fn>
bool forEachPair(std::string_view list, char sep, Fn&& fn) {
  while (!list.empty()) {
    const std::size_t end = list.find(sep);
    const std::string_view one = list.substr(0, end);
    list = end == kNpos ? std::string_view() : list.substr(end + 1);
    const std::size_t eq = one.find('=');
    if (!fn(one.substr(0, eq), eq == kNpos ? std::string_view() : one.substr(eq + 1),
            eq != kNpos)) {
      return false;
    }
  }
  return true;
}

// Finds the first parameter `name` (escape-aware, case-insensitive) in params; found_name is
// its name as written (a view into params, so callers can tell repeats apart).
bool findParam(std::string_view params, std::string_view name, std::string_view& value,
               std::string_view& found_name) {
  bool found = false;
  forEachPair(params, ';', [&](std::string_view n, std::string_view v, bool) {
    if (!ieq(n, name)) return true;
    value = v;
    found_name = n;
    found = true;
    return false;
  });
  return found;
}

bool isStrictParam(std::string_view name) {
  return ieq(name, "transport") || ieq(name, "user") || ieq(name, "ttl") || ieq(name, "method") ||
         ieq(name, "maddr");
}

// §19.1.4: the strict parameters must match when present in either; others when in both.
// A repeated parameter counts with its first occurrence only, as uriParam() reads it.
bool paramsMatch(std::string_view a, std::string_view b) {
  auto check = [](std::string_view self, std::string_view other) {
    return forEachPair(self, ';', [&](std::string_view n, std::string_view v, bool) {
      std::string_view first_value, first_name;
      findParam(self, n, first_value, first_name);
      if (first_name.data() != n.data()) return true;  // a repeat
      std::string_view ov, on;
      if (!findParam(other, n, ov, on)) return !isStrictParam(n);
      return ieq(v, ov);
    });
  };
  return check(a, b) && check(b, a);
}

std::size_t countPairs(std::string_view list, char sep) {
  std::size_t n = 0;
  forEachPair(list, sep, [&n](std::string_view, std::string_view, bool) {
    ++n;
    return true;
  });
  return n;
}

// Every element of a (name=value, compared case-insensitively) has an equal one in b and
// vice versa; the order does not matter.
bool sameSet(std::string_view a, std::string_view b, char sep) {
  if (countPairs(a, sep) != countPairs(b, sep)) return false;
  auto contained = [sep](std::string_view self, std::string_view other) {
    return forEachPair(self, sep, [&](std::string_view n, std::string_view v, bool hv) {
      return !forEachPair(other, sep, [&](std::string_view on, std::string_view ov, bool ohv) {
        return !(hv == ohv && ieq(n, on) && ieq(v, ov));  // false = found, stop
      });
    });
  };
  return contained(a, b) && contained(b, a);
}

// tel: number without visual separators, case-insensitive (hex digits of local numbers).
bool telNumbersEqual(std::string_view a, std::string_view b) {
  auto skip = [](std::string_view s, std::size_t i) {
    while (i < s.size() && (s[i] == '-' || s[i] == '.' || s[i] == '(' || s[i] == ')')) ++i;
    return i;
  };
  std::size_t i = skip(a, 0);
  std::size_t j = skip(b, 0);
  while (i < a.size() && j < b.size()) {
    if (lex::toLower(a[i]) != lex::toLower(b[j])) return false;
    i = skip(a, i + 1);
    j = skip(b, j + 1);
  }
  return i == a.size() && j == b.size();
}

}  // namespace

bool uriEquals(const SipUri& a, const SipUri& b) {
  if (a.scheme != b.scheme) return false;
  if (a.scheme == SipUri::Scheme::kTel) {
    return telNumbersEqual(a.user, b.user) && sameSet(a.params, b.params, ';');
  }
  // Userinfo is case-sensitive; an absent user or password differs from an empty one only by
  // being absent, which parseUri() does not allow to be empty anyway.
  if (!escapedEquals(a.user, b.user, false) || !escapedEquals(a.password, b.password, false)) {
    return false;
  }
  if (!lex::iequals(a.host, b.host) || a.port != b.port) return false;
  return paramsMatch(a.params, b.params) && sameSet(a.headers, b.headers, '&');
}

}  // namespace sipline
