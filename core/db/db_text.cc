#include "core/db/db_text.h"

#include <cstdint>
#include <cstring>

namespace sipline::db {
namespace {

constexpr std::string_view kReplacement = "\xef\xbf\xbd";  // U+FFFD

// Bytes of the valid UTF-8 sequence at text[i] (1..4), 0 when none starts there.
std::size_t utf8SequenceAt(std::string_view text, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) return c == 0 ? 0 : 1;
  std::size_t n = 0;
  unsigned char lo = 0x80;  // the second byte's range excludes overlongs and surrogates
  unsigned char hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
  }
  return n;
}

constexpr std::uint64_t kOnes = 0x0101010101010101ull;
constexpr std::uint64_t kHighs = 0x8080808080808080ull;

// Non-zero when a byte of w is zero (the classic test; exact as to whether one is).
constexpr std::uint64_t zeroByteIn(std::uint64_t w) { return (w - kOnes) & ~w & kHighs; }

// The length of the run starting at text[i] of bytes that pass as they are: plain ASCII
// (1..0x7f), and for COPY not backslash, tab, newline or CR either. Eight bytes at a time,
// since a SIP message is mostly such runs and this is the hot part of storing one.
template <bool kCopy>
std::size_t plainRunAt(std::string_view text, std::size_t i) {
  std::size_t j = i;
  for (; j + 8 <= text.size(); j += 8) {
    std::uint64_t w;
    std::memcpy(&w, text.data() + j, 8);
    std::uint64_t stop = (w & kHighs) | zeroByteIn(w);
    if constexpr (kCopy) {
      stop |= zeroByteIn(w ^ ('\\' * kOnes)) | zeroByteIn(w ^ ('\t' * kOnes)) |
              zeroByteIn(w ^ ('\n' * kOnes)) | zeroByteIn(w ^ ('\r' * kOnes));
    }
    if (stop != 0) break;
  }
  for (; j < text.size(); ++j) {
    auto c = static_cast<unsigned char>(text[j]);
    if (c == 0 || c >= 0x80) break;
    if (kCopy && (c == '\\' || c == '\t' || c == '\n' || c == '\r')) break;
  }
  return j - i;
}

// dbText's body, appending; with kCopy, COPY's escapes too.
template <bool kCopy>
void appendText(std::string_view v, std::string& out) {
  for (std::size_t i = 0; i < v.size();) {
    std::size_t run = plainRunAt<kCopy>(v, i);
    if (run != 0) {
      out.append(v.substr(i, run));
      i += run;
      continue;
    }
    if (kCopy) {
      const char c = v[i];
      const char* escaped = c == '\\'   ? "\\\\"
                            : c == '\t' ? "\\t"
                            : c == '\n' ? "\\n"
                            : c == '\r' ? "\\r"
                                        : nullptr;
      if (escaped != nullptr) {
        out.append(escaped, 2);
        ++i;
        continue;
      }
    }
    std::size_t n = utf8SequenceAt(v, i);
    if (n == 0) {
      out += kReplacement;
      ++i;
    } else {
      out.append(v.substr(i, n));
      i += n;
    }
  }
}

}  // namespace

std::string dbText(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  appendText<false>(v, out);
  return out;
}

void appendCopyText(std::string_view v, std::string& out) { appendText<true>(v, out); }

}  // namespace sipline::db
