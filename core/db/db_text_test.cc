#include "core/db/db_text.h"

#include <cppunit/extensions/HelperMacros.h>

#include <cstdint>
#include <random>
#include <string>

namespace sipline::db {

class DbTextTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DbTextTest);
  CPPUNIT_TEST(plainAndValidTextPassUnchanged);
  CPPUNIT_TEST(nulAndInvalidBytesBecomeReplacements);
  CPPUNIT_TEST(everyByteOfAnInvalidSequenceIsReplaced);
  CPPUNIT_TEST(badBytesAnywhereInALongMessage);
  CPPUNIT_TEST(copyTextEscapesItsSpecialCharacters);
  CPPUNIT_TEST(randomTextMatchesAByteByByteReference);
  CPPUNIT_TEST_SUITE_END();

  const std::string r_ = "\xef\xbf\xbd";  // U+FFFD

  // The rules written another way, a byte at a time: decode the code point a lead byte
  // announces and refuse overlongs, surrogates and anything above U+10FFFF by value.
  std::string reference(std::string_view v, bool copy) const {
    std::string out;
    for (std::size_t i = 0; i < v.size();) {
      const auto c = static_cast<unsigned char>(v[i]);
      if (c != 0 && c < 0x80) {
        const char* esc = nullptr;
        if (copy)
          esc = c == '\\'   ? "\\\\"
                : c == '\t' ? "\\t"
                : c == '\n' ? "\\n"
                : c == '\r' ? "\\r"
                            : nullptr;
        if (esc != nullptr) {
          out += esc;
        } else {
          out += static_cast<char>(c);
        }
        ++i;
        continue;
      }
      std::size_t n = c >= 0xc0 && c < 0xe0   ? 2
                      : c >= 0xe0 && c < 0xf0 ? 3
                      : c >= 0xf0 && c < 0xf8 ? 4
                                              : 0;
      std::uint32_t cp = n == 2 ? c & 0x1fu : n == 3 ? c & 0x0fu : c & 0x07u;
      bool ok = n != 0 && i + n <= v.size();
      for (std::size_t k = 1; ok && k < n; ++k) {
        const auto b = static_cast<unsigned char>(v[i + k]);
        ok = (b & 0xc0) == 0x80;
        cp = cp << 6 | (b & 0x3fu);
      }
      const std::uint32_t least = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
      ok = ok && cp >= least && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
      if (ok) {
        out.append(v.substr(i, n));
        i += n;
      } else {
        out += r_;
        ++i;
      }
    }
    return out;
  }
  std::string times(int n) const {
    std::string out;
    for (int i = 0; i < n; ++i) out += r_;
    return out;
  }

 public:
  void plainAndValidTextPassUnchanged() {
    CPPUNIT_ASSERT_EQUAL(std::string(), dbText(""));
    CPPUNIT_ASSERT_EQUAL(std::string("plain ascii ;=\t"), dbText("plain ascii ;=\t"));
    // Valid 2-, 3- and 4-byte sequences, at their range limits, stay.
    const std::string valid =
        "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xed\x9f\xbf \xf4\x8f\xbf\xbf";
    CPPUNIT_ASSERT_EQUAL(valid, dbText(valid));
    for (const char* good : {"\xdf\xbf", "\xe2\x82\xac", "\xef\xbf\xbf", "\xf0\x9f\x98\x80",
                             "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf", "a\xc3\xa9z"}) {
      CPPUNIT_ASSERT_EQUAL(std::string(good), dbText(good));
    }
  }

  void nulAndInvalidBytesBecomeReplacements() {
    CPPUNIT_ASSERT_EQUAL("a" + r_ + "b", dbText(std::string("a\0b", 3)));
    CPPUNIT_ASSERT_EQUAL("al" + r_ + "ce", dbText("al\xff"
                                                  "ce"));
    CPPUNIT_ASSERT_EQUAL(r_, dbText("\xff"));
    CPPUNIT_ASSERT_EQUAL(r_, dbText("\xc3"));
    CPPUNIT_ASSERT_EQUAL("x" + r_ + r_, dbText("x\xe2\x82"));  // cut short at the end
    CPPUNIT_ASSERT_EQUAL(r_ + "A", dbText("\xe2"
                                          "A"));
  }

  // Each byte of an invalid sequence becomes one U+FFFD.
  void everyByteOfAnInvalidSequenceIsReplaced() {
    const struct {
      const char* in;
      int replaced;
    } bad[] = {
        {"\xf8\x80\x80", 3},      // F5-FF are not leads (PostgreSQL refused these)
        {"\xf5\x80\x80\x80", 4},  // past U+10FFFF
        {"\xfb\xbf\xbf", 3},      // a five-byte lead
        {"\xfe\xff", 2},          // never in UTF-8
        {"\xc0\xaf", 2},          // overlong two-byte forms
        {"\xc1\xbf", 2},          // (C0 and C1 never lead)
        {"\x80", 1},              // a lone continuation byte
        {"\xe0\x80\xaf", 3},      // overlong three-byte
        {"\xed\xa0\x80", 3},      // a surrogate
        {"\xed\xa0", 2},          // a surrogate, cut short
        {"\xf0\x80\x80\xaf", 4},  // overlong four-byte
        {"\xf4\x90\x80\x80", 4},  // past U+10FFFF
        {"\xe2\x82", 2},          // cut short
    };
    for (const auto& b : bad) CPPUNIT_ASSERT_EQUAL_MESSAGE(b.in, times(b.replaced), dbText(b.in));
    // A bad continuation: the byte after the lead is itself again.
    CPPUNIT_ASSERT_EQUAL(r_ + "(" + r_, dbText("\xe2\x28\xa1"));
  }

  // The ASCII runs are scanned eight bytes at a time: a bad byte at every position of a word,
  // and at the end of a message, is still found.
  void badBytesAnywhereInALongMessage() {
    const std::string line =
        "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z\r\n";
    for (std::size_t at = 0; at < 24; ++at) {
      for (char bad : {'\0', '\xff', '\x80'}) {
        std::string in = line;
        in[at] = bad;
        std::string want = line.substr(0, at) + r_ + line.substr(at + 1);
        CPPUNIT_ASSERT_EQUAL(want, dbText(in));
      }
    }
    std::string tail = line + "\xc3";
    CPPUNIT_ASSERT_EQUAL(line + r_, dbText(tail));
    CPPUNIT_ASSERT_EQUAL(line + "\xc3\xa9" + line, dbText(line + "\xc3\xa9" + line));
  }

  // COPY's four specials are escaped wherever they fall in an eight-byte word, after the
  // same replacements as dbText(); the output is appended.
  void copyTextEscapesItsSpecialCharacters() {
    std::string out = "kept|";
    appendCopyText(std::string("a\\b\tc\nd\re\0f\xff", 12) + "\xc3\xa9", out);
    CPPUNIT_ASSERT_EQUAL("kept|a\\\\b\\tc\\nd\\re" + r_ + "f" + r_ + "\xc3\xa9", out);
    const std::string line = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP host;branch=z9hG4bK\r\n\r\n";
    out.clear();
    appendCopyText(line, out);
    CPPUNIT_ASSERT_EQUAL(std::string("SIP/2.0 200 OK\\r\\nVia: SIP/2.0/UDP host;branch=z9hG4bK"
                                     "\\r\\n\\r\\n"),
                         out);
    for (std::size_t at = 0; at < 17; ++at) {
      for (char special : {'\\', '\t', '\n', '\r'}) {
        std::string in(24, 'x');
        in[at] = special;
        out.clear();
        appendCopyText(in, out);
        const char letter = special == '\\'   ? '\\'
                            : special == '\t' ? 't'
                            : special == '\n' ? 'n'
                                              : 'r';
        CPPUNIT_ASSERT_EQUAL(std::size_t{25}, out.size());
        CPPUNIT_ASSERT_EQUAL(std::string(at, 'x') + '\\' + letter, out.substr(0, at + 2));
        CPPUNIT_ASSERT_EQUAL(std::string(24 - at - 1, 'x'), out.substr(at + 2));
      }
    }
  }

  // Random text of every kind of byte, at every length and alignment, and longer than the
  // writer's stack buffer (mostly replacements, which triple): both functions agree with the
  // reference.
  void randomTextMatchesAByteByByteReference() {
    std::mt19937 rng(20261128);
    const std::string pieces[] = {"a",
                                  "SIP/2.0 ",
                                  "\r\n",
                                  "\t",
                                  "\\",
                                  std::string(1, '\0'),
                                  "\xc3\xa9",
                                  "\xe2\x82\xac",
                                  "\xf0\x9f\x98\x80",
                                  "\xff",
                                  "\x80",
                                  "\xc0\xaf",
                                  "\xed\xa0\x80",
                                  "\xf4\x90\x80\x80",
                                  "\xe2\x82",
                                  "\xf0\x9f\x98",
                                  "0123456789abcdef"};
    const std::size_t kinds = sizeof pieces / sizeof pieces[0];
    for (int round = 0; round < 3000; ++round) {
      std::string in;
      const std::size_t want_size = round < 2900 ? rng() % 200 : 2000 + rng() % 6000;
      const bool junk = round >= 2950;  // long runs of bad bytes: output far over the input
      while (in.size() < want_size) in += junk ? pieces[9] : pieces[rng() % kinds];
      CPPUNIT_ASSERT_EQUAL(reference(in, false), dbText(in));
      std::string out = "x";
      appendCopyText(in, out);
      CPPUNIT_ASSERT_EQUAL("x" + reference(in, true), out);
    }
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(DbTextTest);

}  // namespace sipline::db
