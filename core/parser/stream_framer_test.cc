// Tests of StreamFramer: keep-alives, Content-Length forms, partial and coalesced reads,
// limits, failure handling and linear cost on small reads.
#include "core/parser/stream_framer.h"

#include <cppunit/extensions/HelperMacros.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sipline {
namespace {

std::string msg(const std::string& body, const std::string& cl_header = "") {
  return "MESSAGE sip:bob@example.com SIP/2.0\r\n"
         "Via: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bK1\r\n"
         "Call-ID: abc\r\nCSeq: 1 MESSAGE\r\n" +
         (cl_header.empty() ? "Content-Length: " + std::to_string(body.size()) : cl_header) +
         "\r\n\r\n" + body;
}

// One event as seen by the transport: "M:<message>", "P" (ping) or "E:<status>".
struct Collector {
  std::vector<std::string> events;
  void drain(StreamFramer& f) {
    for (;;) {
      std::string_view m;
      const FrameStatus st = f.next(m);
      if (st == FrameStatus::kNeedMore) return;
      if (st == FrameStatus::kMessage) {
        events.push_back("M:" + std::string(m));
      } else if (st == FrameStatus::kPing) {
        events.push_back("P");
      } else {
        events.push_back(std::string("E:") + frameStatusText(st));
        return;
      }
    }
  }
};

std::vector<std::string> frameInChunks(const std::string& stream, std::size_t chunk,
                                       StreamLimits limits = {}) {
  StreamFramer f(limits);
  Collector c;
  for (std::size_t i = 0; i < stream.size(); i += chunk) {
    f.feed(std::string_view(stream).substr(i, chunk));
    c.drain(f);
    if (f.failed()) break;
  }
  return c.events;
}

std::string err(FrameStatus s) { return std::string("E:") + frameStatusText(s); }

}  // namespace

class StreamFramerTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(StreamFramerTest);
  CPPUNIT_TEST(framesOneMessage);
  CPPUNIT_TEST(framesSeveralMessagesInOneRead);
  CPPUNIT_TEST(framesMessageFedByteByByte);
  CPPUNIT_TEST(sameEventsWhateverTheReadSizes);
  CPPUNIT_TEST(reportsDoubleCrlfPingAndSkipsSingleCrlf);
  CPPUNIT_TEST(acceptsContentLengthForms);
  CPPUNIT_TEST(rejectsBadContentLength);
  CPPUNIT_TEST(missingContentLengthFailsTheStream);
  CPPUNIT_TEST(deliversMessagesCompletedBeforeAFailure);
  CPPUNIT_TEST(boundsTheHeaderBlock);
  CPPUNIT_TEST(boundsTheMessageBeforeBufferingTheBody);
  CPPUNIT_TEST(keepsOnlyThePartialMessage);
  CPPUNIT_TEST(largeHeaderBlockInTinyReadsIsLinear);
  CPPUNIT_TEST(resetStartsOver);
  CPPUNIT_TEST(releasesItsBufferOnlyWhenNothingIsHeld);
  CPPUNIT_TEST(aHeldPongIsBetweenMessagesAPartialMessageIsNot);
  CPPUNIT_TEST_SUITE_END();

 public:
  void framesOneMessage() {
    StreamFramer f;
    const std::string m = msg("hello");
    CPPUNIT_ASSERT(f.feed(m) == FrameStatus::kNeedMore);
    std::string_view out;
    CPPUNIT_ASSERT(f.next(out) == FrameStatus::kMessage);
    CPPUNIT_ASSERT_EQUAL(m, std::string(out));
    CPPUNIT_ASSERT(f.next(out) == FrameStatus::kNeedMore);
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, f.buffered());
    CPPUNIT_ASSERT(!f.failed());
  }

  void aHeldPongIsBetweenMessagesAPartialMessageIsNot() {
    StreamFramer f;
    std::string_view out;
    CPPUNIT_ASSERT(f.betweenMessages());
    f.feed("\r\n");  // a pong (RFC 5626 §4.4.1), held in case it starts a ping
    CPPUNIT_ASSERT(f.next(out) == FrameStatus::kNeedMore);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, f.buffered());
    CPPUNIT_ASSERT(f.betweenMessages());
    const std::string m = msg("body");
    f.feed(m.substr(0, 10));
    CPPUNIT_ASSERT(f.next(out) == FrameStatus::kNeedMore);
    CPPUNIT_ASSERT(!f.betweenMessages());
    f.feed(m.substr(10));
    CPPUNIT_ASSERT(!f.betweenMessages());  // a message not taken yet
    CPPUNIT_ASSERT(f.next(out) == FrameStatus::kMessage);
    CPPUNIT_ASSERT(f.betweenMessages());
  }

  void releasesItsBufferOnlyWhenNothingIsHeld() {
    StreamFramer f;
    const std::string m = msg("body");
    f.feed(m + m.substr(0, 5));
    std::string_view out;
    CPPUNIT_ASSERT(!f.releaseIfIdle());  // a message not taken yet
    CPPUNIT_ASSERT(f.next(out) == FrameStatus::kMessage);
    CPPUNIT_ASSERT(!f.releaseIfIdle());  // a partial message held
    CPPUNIT_ASSERT_EQUAL(std::size_t{5}, f.buffered());
    f.feed(m.substr(5));
    CPPUNIT_ASSERT(f.next(out) == FrameStatus::kMessage);
    CPPUNIT_ASSERT_EQUAL(m, std::string(out));
    CPPUNIT_ASSERT(f.next(out) == FrameStatus::kNeedMore);
    CPPUNIT_ASSERT(f.releaseIfIdle());
    // Framing goes on as before after a release.
    f.feed(m);
    CPPUNIT_ASSERT(f.next(out) == FrameStatus::kMessage);
    CPPUNIT_ASSERT_EQUAL(m, std::string(out));
  }

  void framesSeveralMessagesInOneRead() {
    const std::string a = msg("");
    const std::string b = msg("v=0\r\n");
    const std::string c = "SIP/2.0 200 OK\nl: 3\n\nabc";  // LF-only line ends
    const std::vector<std::string> ev = frameInChunks(a + b + c + a.substr(0, 10), 1 << 20);
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, ev.size());
    CPPUNIT_ASSERT_EQUAL("M:" + a, ev[0]);
    CPPUNIT_ASSERT_EQUAL("M:" + b, ev[1]);
    CPPUNIT_ASSERT_EQUAL("M:" + c, ev[2]);
  }

  void framesMessageFedByteByByte() {
    const std::string m = msg(std::string("bin\0\r\n\r\nary", 12));
    StreamFramer f;
    std::string_view out;
    for (std::size_t i = 0; i < m.size(); ++i) {
      CPPUNIT_ASSERT(f.feed(m.substr(i, 1)) == FrameStatus::kNeedMore);
      const FrameStatus st = f.next(out);
      if (i + 1 < m.size()) {
        CPPUNIT_ASSERT(st == FrameStatus::kNeedMore);
        CPPUNIT_ASSERT_EQUAL(i + 1, f.buffered());
      } else {
        CPPUNIT_ASSERT(st == FrameStatus::kMessage);
        CPPUNIT_ASSERT_EQUAL(m, std::string(out));
      }
    }
  }

  void sameEventsWhateverTheReadSizes() {
    std::string stream;
    for (int i = 0; i < 40; ++i) {
      stream += msg(std::string(static_cast<std::size_t>(i * 37 % 300), 'x'));
      if (i % 3 == 0) stream += "\r\n\r\n";
      if (i % 5 == 0) stream += "\r\n";
    }
    const std::vector<std::string> whole = frameInChunks(stream, stream.size());
    CPPUNIT_ASSERT_EQUAL(std::size_t{40 + 14}, whole.size());
    for (std::size_t chunk : {1, 2, 3, 7, 64, 1000, 4096}) {
      CPPUNIT_ASSERT(frameInChunks(stream, chunk) == whole);
    }
  }

  void reportsDoubleCrlfPingAndSkipsSingleCrlf() {
    const std::string m = msg("x");
    CPPUNIT_ASSERT(frameInChunks("\r\n\r\n", 4) == std::vector<std::string>{"P"});
    CPPUNIT_ASSERT(frameInChunks("\r\n\r\n", 1) == std::vector<std::string>{"P"});
    CPPUNIT_ASSERT(frameInChunks("\r\n", 1).empty());
    CPPUNIT_ASSERT(frameInChunks("\r\n" + m, 1) == std::vector<std::string>{"M:" + m});
    CPPUNIT_ASSERT((frameInChunks("\r\n\r\n\r\n\r\n\r\n" + m + "\r\n\r\n", 3) ==
                    std::vector<std::string>{"P", "P", "M:" + m, "P"}));
    CPPUNIT_ASSERT((frameInChunks(m + "\r\n\r\n" + m, 1) ==
                    std::vector<std::string>{"M:" + m, "P", "M:" + m}));
    // Bare LFs and CRs between messages are skipped too (RFC 3261 §7.5).
    CPPUNIT_ASSERT(frameInChunks("\n\r\r\n" + m, 2) == std::vector<std::string>{"M:" + m});
    // A half ping stays pending until the rest decides.
    StreamFramer f;
    std::string_view out;
    f.feed("\r\n\r");
    CPPUNIT_ASSERT(f.next(out) == FrameStatus::kNeedMore);
    f.feed("\n");
    CPPUNIT_ASSERT(f.next(out) == FrameStatus::kPing);
  }

  void acceptsContentLengthForms() {
    const char* kForms[] = {"Content-Length: 0005",
                            "Content-Length :   5  ",
                            "content-length:5",
                            "l: 5",
                            "L:\t5",
                            "Content-Length:\r\n 5",
                            "Content-Length: 00000000000000000000000000000000000000005"};
    for (const char* form : kForms) {
      const std::string m = msg("12345", form);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(form, "M:" + m, frameInChunks(m + "tail", 1).at(0));
    }
    // A header that merely ends in "l" or starts with "Content-Length" is not it.
    const std::string m = msg("", "Content-Length: 0\r\nUrl: 99\r\nContent-Length-X: 7");
    CPPUNIT_ASSERT(frameInChunks(m, 5) == std::vector<std::string>{"M:" + m});
  }

  void rejectsBadContentLength() {
    const char* kBad[] = {"Content-Length: -1",
                          "Content-Length: 5x",
                          "Content-Length:",
                          "Content-Length: 1 2",
                          "Content-Length: 0x10",
                          "Content-Length: 5\r\nl: 5",
                          "Content-Length: 5\r\nContent-Length: 6"};
    for (const char* bad : kBad) {
      const std::vector<std::string> ev = frameInChunks(msg("12345", bad), 4);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(bad, std::size_t{1}, ev.size());
      CPPUNIT_ASSERT_EQUAL_MESSAGE(bad, err(FrameStatus::kBadContentLength), ev[0]);
    }
  }

  void missingContentLengthFailsTheStream() {
    StreamFramer f;
    const std::string m = msg("", "X-No-Length: 1");
    CPPUNIT_ASSERT(f.feed(m) == FrameStatus::kNoContentLength);
    CPPUNIT_ASSERT(f.failed());
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, f.buffered());
    std::string_view out = "untouched";
    CPPUNIT_ASSERT(f.next(out) == FrameStatus::kNoContentLength);
    CPPUNIT_ASSERT(f.next(out) == FrameStatus::kNoContentLength);  // sticky
    CPPUNIT_ASSERT_EQUAL(std::string("untouched"), std::string(out));
    // Later bytes are dropped, not buffered.
    CPPUNIT_ASSERT(f.feed(msg("ok")) == FrameStatus::kNoContentLength);
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, f.buffered());
    CPPUNIT_ASSERT(isFrameError(FrameStatus::kNoContentLength));
    CPPUNIT_ASSERT(!isFrameError(FrameStatus::kPing));
  }

  void deliversMessagesCompletedBeforeAFailure() {
    const std::string good = msg("hi");
    StreamFramer f;
    CPPUNIT_ASSERT(f.feed(good + "\r\n\r\n" + msg("", "X: 1") + good) ==
                   FrameStatus::kNoContentLength);
    Collector c;
    c.drain(f);
    CPPUNIT_ASSERT((c.events == std::vector<std::string>{"M:" + good, "P",
                                                         err(FrameStatus::kNoContentLength)}));
  }

  void boundsTheHeaderBlock() {
    StreamLimits limits;
    limits.max_header_block = 1024;
    limits.max_message = 4096;
    StreamFramer f(limits);
    const std::string chunk(100, 'a');  // never a line end: no end of headers in sight
    FrameStatus st = FrameStatus::kNeedMore;
    std::size_t fed = 0;
    while (st == FrameStatus::kNeedMore && fed < (1u << 20)) {
      st = f.feed(chunk);
      fed += chunk.size();
      CPPUNIT_ASSERT(f.buffered() <= limits.max_header_block);
    }
    CPPUNIT_ASSERT(st == FrameStatus::kHeaderTooLarge);
    CPPUNIT_ASSERT(fed <= limits.max_header_block + chunk.size());

    // Exactly at the limit passes; one octet more fails.
    const std::string m = msg("");
    const std::size_t header_len = m.size();
    limits.max_header_block = header_len;
    CPPUNIT_ASSERT(frameInChunks(m, 1, limits) == std::vector<std::string>{"M:" + m});
    limits.max_header_block = header_len - 1;
    CPPUNIT_ASSERT(frameInChunks(m, 1, limits) ==
                   std::vector<std::string>{err(FrameStatus::kHeaderTooLarge)});
  }

  void boundsTheMessageBeforeBufferingTheBody() {
    StreamLimits limits;
    limits.max_message = 2000;
    const std::string head = msg("", "Content-Length: 99999999999999999999999999");
    StreamFramer f(limits);
    CPPUNIT_ASSERT(f.feed(head) == FrameStatus::kMessageTooLarge);
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, f.buffered());

    const std::string m = msg(std::string(500, 'b'));
    limits.max_message = m.size();
    CPPUNIT_ASSERT(frameInChunks(m, 50, limits) == std::vector<std::string>{"M:" + m});
    limits.max_message = m.size() - 1;
    // Reported once the headers are in, long before the 500 body octets arrive.
    StreamFramer g(limits);
    CPPUNIT_ASSERT(g.feed(m.substr(0, m.size() - 500)) == FrameStatus::kMessageTooLarge);
  }

  void keepsOnlyThePartialMessage() {
    const std::string m = msg(std::string(300, 'z'));
    StreamFramer f;
    Collector c;
    std::string stream;
    for (int i = 0; i < 500; ++i) stream += m;
    for (std::size_t i = 0; i < stream.size(); i += 777) {
      f.feed(std::string_view(stream).substr(i, 777));
      c.drain(f);
      CPPUNIT_ASSERT(f.buffered() < m.size());
    }
    CPPUNIT_ASSERT_EQUAL(std::size_t{500}, c.events.size());
    for (const std::string& e : c.events) CPPUNIT_ASSERT(e == "M:" + m);
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, f.buffered());
  }

  // 2 MiB of headers one octet per read: linear scanning finishes at once, rescanning from the
  // start of the message would take ~10^12 steps.
  void largeHeaderBlockInTinyReadsIsLinear() {
    std::string m = "INVITE sip:a@b SIP/2.0\r\n";
    while (m.size() < (2u << 20)) m += "X-Filler: 0123456789012345678901234567890123456789\r\n";
    m += "Content-Length: 3\r\n\r\nabc";
    StreamLimits limits;
    limits.max_header_block = 16u << 20;
    limits.max_message = 16u << 20;
    StreamFramer f(limits);
    std::string_view out;
    for (std::size_t i = 0; i + 1 < m.size(); ++i) f.feed(std::string_view(m).substr(i, 1));
    CPPUNIT_ASSERT(f.next(out) == FrameStatus::kNeedMore);
    f.feed(std::string_view(m).substr(m.size() - 1));
    CPPUNIT_ASSERT(f.next(out) == FrameStatus::kMessage);
    CPPUNIT_ASSERT(out == m);
  }

  void resetStartsOver() {
    StreamFramer f;
    f.feed(msg("", "X: 1"));
    CPPUNIT_ASSERT(f.failed());
    f.reset();
    CPPUNIT_ASSERT(!f.failed());
    const std::string m = msg("ok");
    CPPUNIT_ASSERT(f.feed(m) == FrameStatus::kNeedMore);
    std::string_view out;
    CPPUNIT_ASSERT(f.next(out) == FrameStatus::kMessage);
    CPPUNIT_ASSERT_EQUAL(m, std::string(out));
    CPPUNIT_ASSERT_EQUAL(std::string("Unknown framing status"),
                         std::string(frameStatusText(static_cast<FrameStatus>(77))));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(StreamFramerTest);

}  // namespace sipline
