// Checks for StreamFramer as fuzz_message drives it: the input read as the byte stream of one
// TCP connection. The events (messages, pings, the error) must not depend on how the stream is
// cut into reads, every message must be a piece of the stream taken in order, the framer must
// hold no more than one partial message after its events are drained, and the framer and
// SipMessage::parse must agree on where a message ends (else a message could be smuggled inside
// another's body). Header-only; for the fuzz targets in fuzz/ only. Failed checks trap.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/parser/parse_error.h"
#include "core/parser/sip_message.h"
#include "core/parser/stream_framer.h"
#include "fuzz/fuzz_check.h"

namespace sipline {
namespace fuzz {

struct FrameEvent {
  FrameStatus status;
  std::string message;  // kMessage only (a copy: the framer's view dies at the next call)
  bool operator==(const FrameEvent& o) const { return status == o.status && message == o.message; }
};

// Feeds in to a new framer in pieces of at most chunk bytes and collects every event.
inline std::vector<FrameEvent> frameStream(std::string_view in, std::size_t chunk,
                                           const StreamLimits& limits) {
  StreamFramer framer(limits);
  std::vector<FrameEvent> events;
  for (std::size_t pos = 0; pos < in.size(); pos += chunk) {
    FrameStatus st = framer.feed(in.substr(pos, chunk));
    SL_FUZZ_CHECK(frameStatusText(st) != nullptr);
    SL_FUZZ_CHECK(st == FrameStatus::kNeedMore || isFrameError(st));
    for (;;) {
      std::string_view message;
      st = framer.next(message);
      if (st == FrameStatus::kNeedMore) break;
      if (isFrameError(st)) {
        SL_FUZZ_CHECK(framer.failed());
        events.push_back({st, std::string()});
        // Sticky: every later call reports the same error.
        std::string_view ignored;
        SL_FUZZ_CHECK(framer.next(ignored) == st && framer.feed("\r\n") == st);
        return events;
      }
      if (st == FrameStatus::kMessage) {
        SL_FUZZ_CHECK(!message.empty() && message.size() <= limits.max_message);
        events.push_back({st, std::string(message)});
      } else {
        SL_FUZZ_CHECK(st == FrameStatus::kPing);
        events.push_back({st, std::string()});
      }
    }
    // Drained: at most the partial message being assembled is held.
    SL_FUZZ_CHECK(framer.buffered() <= limits.max_message);
  }
  SL_FUZZ_CHECK(!framer.failed());
  return events;
}

// in: the whole fuzz input. udp: what SipMessage::parse made of the same bytes as a datagram.
inline void checkStream(std::string_view in, const SipMessage& udp, ParseError udp_error) {
  const StreamLimits limits;
  const std::vector<FrameEvent> whole = frameStream(in, in.size() + 1, limits);
  // Same events whatever the read sizes (small inputs only: byte by byte is quadratic).
  if (in.size() <= 1024) {
    SL_FUZZ_CHECK(frameStream(in, 1, limits) == whole);
  }
  if (in.size() > 2) {
    SL_FUZZ_CHECK(frameStream(in, in.size() / 2 + 1, limits) == whole);
    SL_FUZZ_CHECK(frameStream(in, 7, limits) == whole);
  }

  // Messages are consecutive pieces of the stream, separated only by CR/LF (pings included).
  std::size_t cursor = 0;
  for (const FrameEvent& ev : whole) {
    if (ev.status != FrameStatus::kMessage) continue;
    while (cursor < in.size() && (in[cursor] == '\r' || in[cursor] == '\n')) ++cursor;
    SL_FUZZ_CHECK(in.compare(cursor, ev.message.size(), ev.message) == 0);
    cursor += ev.message.size();

    // The parser reads the framed message as it was cut: it uses the same Content-Length.
    SipMessage msg;
    const ParseError e = msg.parse(ev.message);
    SL_FUZZ_CHECK(e != ParseError::kBodyTruncated);
    if (e == ParseError::kOk) SL_FUZZ_CHECK(msg.buffer().size() == ev.message.size());
  }

  // A datagram the parser accepts with a Content-Length frames as the same message on a stream
  // (unless the framer's header-block limit, stricter than the parser's, refuses it).
  if (udp_error == ParseError::kOk && udp.headerCount(HeaderType::kContentLength) == 1 &&
      !whole.empty() && whole.front().status == FrameStatus::kMessage) {
    std::string_view expect = udp.buffer();
    while (!expect.empty() && (expect.front() == '\r' || expect.front() == '\n')) {
      expect.remove_prefix(1);
    }
    SL_FUZZ_CHECK(whole.front().message == expect);
  }
}

}  // namespace fuzz
}  // namespace sipline
