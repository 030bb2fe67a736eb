#include "core/db/db_text.h"

#include <algorithm>
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

// Non-zero when a byte of the 8 at `p` does not pass as it is: not plain ASCII (1..0x7f),
// or for COPY a backslash, tab, newline or CR.
template <bool kCopy>
std::uint64_t stopsIn(const char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  std::uint64_t stop = (w & kHighs) | zeroByteIn(w);
  if constexpr (kCopy) {
    stop |= zeroByteIn(w ^ ('\\' * kOnes)) | zeroByteIn(w ^ ('\t' * kOnes)) |
            zeroByteIn(w ^ ('\n' * kOnes)) | zeroByteIn(w ^ ('\r' * kOnes));
  }
  return stop;
}

// dbText's body, appending; with kCopy, COPY's escapes too. Written into a buffer on the
// stack and appended to `out` a buffer at a time: a SIP message has a line end to escape
// every few dozen bytes, and an append() per piece cost more than the scan. Eight plain
// bytes are copied at once; a word holding anything else is done byte by byte.
template <bool kCopy>
void appendText(std::string_view v, std::string& out) {
  constexpr std::size_t kBuf = 2048;
  constexpr std::size_t kWordRoom = 8 * 3 + 4;  // a word's worst: replacements, a sequence
  char buf[kBuf];
  std::size_t n = 0;
  const char* s = v.data();
  const std::size_t size = v.size();
  // (Only when short of room: asking for a little more than the capacity doubles it.)
  if (out.capacity() - out.size() < size) out.reserve(out.size() + size + size / 16);
  for (std::size_t i = 0; i < size;) {
    if (n + kWordRoom > kBuf) {
      out.append(buf, n);
      n = 0;
    }
    if (i + 8 <= size && stopsIn<kCopy>(s + i) == 0) {
      std::memcpy(buf + n, s + i, 8);
      n += 8;
      i += 8;
      continue;
    }
    // The word's bytes one by one (a sequence begun in it may end past it).
    for (const std::size_t end = std::min(i + 8, size); i < end;) {
      const char c = s[i];
      const auto u = static_cast<unsigned char>(c);
      if (u != 0 && u < 0x80) {
        if (kCopy && (c == '\\' || c == '\t' || c == '\n' || c == '\r')) {
          buf[n++] = '\\';
          buf[n++] = c == '\\' ? '\\' : c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
        } else {
          buf[n++] = c;
        }
        ++i;
        continue;
      }
      const std::size_t seq = utf8SequenceAt(v, i);
      if (seq == 0) {
        std::memcpy(buf + n, kReplacement.data(), kReplacement.size());
        n += kReplacement.size();
        ++i;
      } else {
        std::memcpy(buf + n, s + i, seq);
        n += seq;
        i += seq;
      }
    }
  }
  out.append(buf, n);
}

}  // namespace

std::string dbText(std::string_view v) {
  std::string out;
  appendText<false>(v, out);
  return out;
}

void appendCopyText(std::string_view v, std::string& out) { appendText<true>(v, out); }

}  // namespace sipline::db
