#include "core/base/strings.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

namespace sipline {

// ASCII only, as SIP is (RFC 3261 §7.3.1); no locale lookup per character.
bool isUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    // The lead byte gives the length and the range of the second byte (RFC 3629 §4).
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 3;
      if (c == 0xe0) lo = 0xa0;  // no overlong form
      if (c == 0xed) hi = 0x9f;  // no surrogate
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 4;
      if (c == 0xf0) lo = 0x90;  // no overlong form
      if (c == 0xf4) hi = 0x8f;  // nothing past U+10FFFF
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    const auto second = static_cast<unsigned char>(s[i + 1]);
    if (second < lo || second > hi) return false;
    for (std::size_t k = 2; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  auto lower = [](unsigned char c) { return c >= 'A' && c <= 'Z' ? c | 0x20 : c; };
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(static_cast<unsigned char>(a[i])) != lower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// ASCII only, like iequals().
std::string toLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c | 0x20);
  }
  return out;
}

bool parseInt(std::string_view s, std::int64_t& out) {
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || s.size() > 19) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return false;
  out = neg ? -static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v);
  return true;
}

std::size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

namespace {
// True when b is a with exactly one pair of adjacent characters swapped ("ur" for "ru").
bool isAdjacentSwap(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  std::size_t i = 0;
  while (i < a.size() && a[i] == b[i]) ++i;
  if (i + 1 >= a.size() || a[i] != b[i + 1] || a[i + 1] != b[i]) return false;
  return a.substr(i + 2) == b.substr(i + 2);
}
}  // namespace

// Two neighbouring letters swapped is the likeliest typo, so such a name wins over one that
// is merely as close by edit distance.
std::string closestMatch(std::string_view word, const std::vector<std::string_view>& candidates) {
  for (std::string_view c : candidates) {
    if (isAdjacentSwap(word, c)) return std::string(c);
  }
  std::string best;
  std::size_t best_d = 3;
  for (std::string_view c : candidates) {
    std::size_t d = iequals(word, c) ? 0 : editDistance(word, c);
    if (d < best_d) {
      best_d = d;
      best = std::string(c);
    }
  }
  return best;
}

std::string closestMatch(std::string_view word, const std::vector<std::string>& candidates) {
  return closestMatch(word, std::vector<std::string_view>(candidates.begin(), candidates.end()));
}

std::string didYouMean(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string m = closestMatch(word, candidates);
  return m.empty() ? "" : " (did you mean '" + m + "'?)";
}

std::string didYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  return didYouMean(word, std::vector<std::string_view>(candidates.begin(), candidates.end()));
}

void appendHex(std::string& out, std::uint64_t v, int width) {
  char buf[16];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, 16);
  (void)ec;  // 16 hex digits always fit
  int digits = static_cast<int>(end - buf);
  if (width > digits) out.append(static_cast<std::size_t>(width - digits), '0');
  out.append(buf, end);
}

void appendDecimal(std::string& out, std::int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  (void)ec;  // 20 digits and a sign always fit
  out.append(buf, end);
}

}  // namespace sipline
