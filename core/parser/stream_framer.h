// StreamFramer: cuts the byte stream of one TCP/TLS connection into SIP messages (RFC 3261
// §18.3). It accumulates partial reads, skips the CRLFs allowed between messages, reports a
// "\r\n\r\n" keep-alive ping so the transport can answer the "\r\n" pong (RFC 5626 §4.4.1),
// finds the end of each header block and takes the body length from Content-Length (or the
// compact 'l'), which is mandatory on a stream. Every byte is scanned once (the header scan
// resumes where it stopped), so a large message arriving in small pieces costs linear time.
// The partial message held is bounded: a header block beyond max_header_block or a message
// beyond max_message fails the stream as soon as that is known, before the bytes are buffered.
// A failure cannot be resynchronised: the transport must close the connection (after handling
// the messages that were complete before it). One framer per connection; it owns its buffer;
// the views it returns point into that buffer (see next()). Process-private, not thread-safe,
// not shm-safe. Never throws on input (only std::bad_alloc from its buffer can escape).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sipline {

struct StreamLimits {
  std::size_t max_header_block = 16384;  // start line through the empty line, line ends included
  std::size_t max_message = 65535;       // header block + body
};

enum class FrameStatus : std::uint8_t {
  kNeedMore,  // nothing complete is buffered: read and feed() more
  kMessage,   // next() set message to one complete SIP message
  kPing,      // a "\r\n\r\n" keep-alive was consumed: send the "\r\n" pong
  // Errors: sticky; close the connection.
  kNoContentLength,   // a header block without Content-Length (RFC 3261 §18.3)
  kBadContentLength,  // not 1*DIGIT after LWS, or several Content-Length headers
  kHeaderTooLarge,    // no end of headers within max_header_block
  kMessageTooLarge,   // header block + Content-Length above max_message
};

// Never nullptr; "Unknown framing status" for a value outside the enum.
const char* frameStatusText(FrameStatus s);
inline bool isFrameError(FrameStatus s) { return s >= FrameStatus::kNoContentLength; }

class StreamFramer {
 public:
  explicit StreamFramer(StreamLimits limits = {});

  // Appends the bytes of one read and frames as far as they allow. Returns kNeedMore, or the
  // error once the stream has failed (bytes given after the failure point are dropped, never
  // buffered). Either way, then call next() until it returns kNeedMore or an error: messages
  // completed before a failure are still delivered first. Invalidates the view last returned
  // by next().
  FrameStatus feed(std::string_view bytes);

  // Takes the next event in stream order. kMessage: message views the whole message (start line
  // through the last body octet, nothing after it) in the framer's buffer; it stays valid until
  // the next call to feed(), next() or reset() (copy it to keep it longer). kPing: answer
  // "\r\n". kNeedMore: nothing is ready. An error: the stream failed; returned again by every
  // later call. message is left untouched unless kMessage is returned.
  FrameStatus next(std::string_view& message);

  // Forgets everything (buffer, events, failure), as for a new connection.
  void reset();
  // Frees the buffer's memory when nothing is held (every event taken, no partial message),
  // so an idle connection costs no buffer. True when it did (or there was nothing to free).
  bool releaseIfIdle();

  bool failed() const { return error_ != FrameStatus::kNeedMore; }
  // Octets held that next() has not returned yet (complete or partial).
  std::size_t buffered() const;
  // True when what is held is no part of a message: nothing, or CRLFs between messages that
  // may still become a ping (a lone "\r\n" pong, RFC 5626 §4.4.1). Such a stream is idle,
  // not slow.
  bool betweenMessages() const;
  const StreamLimits& limits() const { return limits_; }

 private:
  enum class Phase : std::uint8_t { kBetween, kHeaders, kBody };
  struct Event {
    FrameStatus type;
    std::size_t offset;
    std::size_t length;
  };

  void compact();
  void advance();
  void fail(FrameStatus error);
  // Reads Content-Length from the header block [frame_start_, block_end).
  FrameStatus contentLength(std::size_t block_end, std::size_t& length) const;

  StreamLimits limits_;
  std::string buffer_;
  std::size_t keep_ = 0;  // bytes before this were delivered; dropped on the next compact()
  std::vector<Event> events_;
  std::size_t next_event_ = 0;
  Phase phase_ = Phase::kBetween;
  std::size_t frame_start_ = 0;  // first byte of the frame being assembled
  std::size_t line_start_ = 0;   // kHeaders: start of the line being scanned
  std::size_t scan_pos_ = 0;     // kHeaders: where the search for '\n' resumes
  std::size_t frame_end_ = 0;    // kBody: one past the last body octet
  FrameStatus error_ = FrameStatus::kNeedMore;
};

}  // namespace sipline
