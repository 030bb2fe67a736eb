#include "core/parser/header_values.h"

#include <cstddef>

#include "core/parser/lex.h"

namespace sipline {

namespace {

constexpr std::size_t kNpos = std::string_view::npos;
constexpr std::uint64_t kMaxDelta = 0xffffffffu;

// Optional ";params" from s[pos] to the end of s; anything else after pos fails. params gets
// the raw list without the leading ';'.
template <class Fn>
bool trailingParams(std::string_view s, std::size_t pos, std::string_view& params, Fn&& fn) {
  std::size_t p = lex::skipLws(s, pos);
  if (p >= s.size()) return true;
  if (s[p] != ';') return false;
  const std::size_t start = lex::skipLws(s, p + 1);
  std::size_t last_end = start;
  std::size_t q = pos;
  if (!lex::scanHeaderParams(s, q, last_end, fn) || q != s.size()) return false;
  params = s.substr(start, last_end - start);
  return true;
}

// Splits body at commas outside quoted strings; calls fn(element) with LWS trimmed. False
// when fn does, or for an unterminated quote.
template <class Fn>
bool forEachElement(std::string_view body, Fn&& fn) {
  std::size_t start = 0;
  for (std::size_t i = 0; i <= body.size(); ++i) {
    if (i < body.size()) {
      if (body[i] == '"') {
        const std::size_t end = lex::skipQuoted(body, i);
        if (end == kNpos) return false;
        i = end - 1;
        continue;
      }
      if (body[i] != ',') continue;
    }
    if (!fn(lex::trimLws(body.substr(start, i - start)))) return false;
    start = i + 1;
  }
  return true;
}

// token SWS "/" SWS token at s[pos]; pos ends after the second token.
bool typeSlashSubtype(std::string_view s, std::size_t& pos, std::string_view& type,
                      std::string_view& subtype) {
  std::size_t p = lex::skipLws(s, pos);
  std::size_t end = lex::scanToken(s, p);
  if (end == p) return false;
  type = s.substr(p, end - p);
  p = lex::skipLws(s, end);
  if (p >= s.size() || s[p] != '/') return false;
  p = lex::skipLws(s, p + 1);
  end = lex::scanToken(s, p);
  if (end == p) return false;
  subtype = s.substr(p, end - p);
  pos = end;
  return true;
}

std::string_view unquoted(std::string_view v) {
  return v.size() >= 2 && v.front() == '"' ? v.substr(1, v.size() - 2) : v;
}

bool digitsAt(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!lex::isDigit(s[i])) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t daysFromCivil(int y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

bool isLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

}  // namespace

bool parseDeltaSeconds(std::string_view text, std::uint32_t& out) {
  std::uint64_t v = 0;
  if (!lex::parseUint(lex::trimLws(text), kMaxDelta, v)) return false;
  out = static_cast<std::uint32_t>(v);
  return true;
}

bool parseQValue(std::string_view t, std::uint16_t& out) {
  if (t.empty() || (t[0] != '0' && t[0] != '1')) return false;
  const bool one = t[0] == '1';
  unsigned value = one ? 1000 : 0;
  if (t.size() > 1) {
    if (t[1] != '.' || t.size() > 5) return false;
    unsigned scale = 100;
    for (std::size_t i = 2; i < t.size(); ++i, scale /= 10) {
      if (!lex::isDigit(t[i]) || (one && t[i] != '0')) return false;
      value += static_cast<unsigned>(t[i] - '0') * scale;
    }
  }
  out = static_cast<std::uint16_t>(value);
  return true;
}

bool ContentType::is(std::string_view t, std::string_view s) const {
  return lex::iequals(type, t) && lex::iequals(subtype, s);
}

ParseError parseContentType(std::string_view body, ContentType& out) {
  out = ContentType();
  const std::string_view s = lex::trimLws(body);
  std::size_t pos = 0;
  if (!typeSlashSubtype(s, pos, out.type, out.subtype)) return ParseError::kBadHeader;
  bool ok = trailingParams(s, pos, out.params, [&out](const lex::Param& p) {
    if (p.name.size() == 8 && lex::iequals(p.name, "boundary")) out.boundary = unquoted(p.value);
  });
  return ok ? ParseError::kOk : ParseError::kBadHeader;
}

ParseError parseAccept(std::string_view body, std::vector<MediaRange>& out) {
  if (lex::trimLws(body).empty()) return ParseError::kOk;
  const bool ok = forEachElement(body, [&out](std::string_view e) {
    MediaRange r;
    std::size_t pos = 0;
    if (!typeSlashSubtype(e, pos, r.type, r.subtype)) return false;
    if (r.type == "*" && r.subtype != "*") return false;
    bool q_ok = true;
    if (!trailingParams(e, pos, r.params, [&r, &q_ok](const lex::Param& p) {
          if (p.name.size() == 1 && lex::toLower(p.name[0]) == 'q') {
            q_ok = q_ok && parseQValue(p.value, r.q);
          }
        })) {
      return false;
    }
    if (!q_ok) return false;
    out.push_back(r);
    return true;
  });
  return ok ? ParseError::kOk : ParseError::kBadHeader;
}

ParseError parseTokenList(std::string_view body, std::vector<std::string_view>& out) {
  if (lex::trimLws(body).empty()) return ParseError::kOk;
  const bool ok = forEachElement(body, [&out](std::string_view e) {
    if (e.empty() || lex::scanToken(e, 0) != e.size()) return false;
    out.push_back(e);
    return true;
  });
  return ok ? ParseError::kOk : ParseError::kBadHeader;
}

bool tokenListContains(std::string_view body, std::string_view token) {
  bool found = false;
  forEachElement(body, [&](std::string_view e) {
    found = e == token;
    return !found;
  });
  return found;
}

ParseError parseEvent(std::string_view body, EventHeader& out) {
  out = EventHeader();
  const std::string_view s = lex::trimLws(body);
  const std::size_t end = lex::scanToken(s, 0);
  if (end == 0 || s[0] == '.' || s[end - 1] == '.') return ParseError::kBadHeader;
  out.type = s.substr(0, end);
  const bool ok = trailingParams(s, end, out.params, [&out](const lex::Param& p) {
    if (p.name.size() == 2 && lex::iequals(p.name, "id")) out.id = p.value;
  });
  return ok ? ParseError::kOk : ParseError::kBadHeader;
}

ParseError parseSessionExpires(std::string_view body, SessionExpires& out) {
  out = SessionExpires();
  const std::string_view s = lex::trimLws(body);
  std::size_t end = 0;
  while (end < s.size() && lex::isDigit(s[end])) ++end;
  if (!parseDeltaSeconds(s.substr(0, end), out.delta)) return ParseError::kBadHeader;
  bool refresher_ok = true;
  const bool ok = trailingParams(s, end, out.params, [&](const lex::Param& p) {
    if (!lex::iequals(p.name, "refresher")) return;
    if (lex::iequals(p.value, "uac")) {
      out.refresher = SessionExpires::Refresher::kUac;
    } else if (lex::iequals(p.value, "uas")) {
      out.refresher = SessionExpires::Refresher::kUas;
    } else {
      refresher_ok = false;
    }
  });
  return ok && refresher_ok ? ParseError::kOk : ParseError::kBadHeader;
}

ParseError parseRetryAfter(std::string_view body, RetryAfter& out) {
  out = RetryAfter();
  const std::string_view s = lex::trimLws(body);
  std::size_t pos = 0;
  while (pos < s.size() && lex::isDigit(s[pos])) ++pos;
  if (!parseDeltaSeconds(s.substr(0, pos), out.delta)) return ParseError::kBadHeader;
  std::size_t p = lex::skipLws(s, pos);
  if (p < s.size() && s[p] == '(') {  // comment, nested, with quoted-pairs
    int depth = 0;
    std::size_t i = p;
    for (; i < s.size(); ++i) {
      if (s[i] == '\\') {
        ++i;
      } else if (s[i] == '(') {
        ++depth;
      } else if (s[i] == ')' && --depth == 0) {
        break;
      }
    }
    if (i >= s.size()) return ParseError::kBadHeader;
    out.comment = lex::trimLws(s.substr(p + 1, i - p - 1));
    pos = i + 1;
  }
  bool duration_ok = true;
  const bool ok = trailingParams(s, pos, out.params, [&](const lex::Param& prm) {
    if (prm.name.size() == 8 && lex::iequals(prm.name, "duration")) {
      out.has_duration = true;
      duration_ok = duration_ok && parseDeltaSeconds(prm.value, out.duration);
    }
  });
  return ok && duration_ok ? ParseError::kOk : ParseError::kBadHeader;
}

ParseError parseDate(std::string_view body, std::time_t& out) {
  // wkday "," SP 2DIGIT SP month SP 4DIGIT SP 2DIGIT ":" 2DIGIT ":" 2DIGIT SP "GMT"
  static constexpr std::string_view kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  static constexpr int kMonthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const std::string_view s = lex::trimLws(body);
  if (s.size() != 29 || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT") {
    return ParseError::kBadHeader;
  }
  bool day_ok = false;
  for (std::string_view d : kDays) day_ok = day_ok || s.substr(0, 3) == d;
  int month = 0;
  for (int m = 0; m < 12; ++m) {
    if (s.substr(8, 3) == kMonths[m]) month = m + 1;
  }
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  if (!day_ok || month == 0 || !digitsAt(s, 5, 2, day) || !digitsAt(s, 12, 4, year) ||
      !digitsAt(s, 17, 2, hour) || !digitsAt(s, 20, 2, minute) || !digitsAt(s, 23, 2, second)) {
    return ParseError::kBadHeader;
  }
  const int max_day = kMonthDays[month - 1] + (month == 2 && isLeap(year) ? 1 : 0);
  if (day < 1 || day > max_day || hour > 23 || minute > 59 || second > 60) {
    return ParseError::kBadHeader;
  }
  out = static_cast<std::time_t>(daysFromCivil(year, month, day) * 86400 + hour * 3600 +
                                 minute * 60 + second);
  return ParseError::kOk;
}

}  // namespace sipline
