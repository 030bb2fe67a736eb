#include "core/parser/stream_framer.h"

#include <algorithm>

#include "core/parser/lex.h"

namespace sipline {
namespace {

constexpr std::string_view kPing = "\r\n\r\n";

bool isBlank(char c) { return c == ' ' || c == '\t'; }

}  // namespace

const char* frameStatusText(FrameStatus s) {
  switch (s) {
    case FrameStatus::kNeedMore:
      return "Need more data";
    case FrameStatus::kMessage:
      return "Message";
    case FrameStatus::kPing:
      return "Keep-alive ping";
    case FrameStatus::kNoContentLength:
      return "Missing Content-Length on a stream";
    case FrameStatus::kBadContentLength:
      return "Bad Content-Length";
    case FrameStatus::kHeaderTooLarge:
      return "Header block too large";
    case FrameStatus::kMessageTooLarge:
      return "Message too large";
  }
  return "Unknown framing status";
}

StreamFramer::StreamFramer(StreamLimits limits) : limits_(limits) {}

void StreamFramer::reset() {
  buffer_.clear();
  keep_ = 0;
  events_.clear();
  next_event_ = 0;
  phase_ = Phase::kBetween;
  frame_start_ = line_start_ = scan_pos_ = frame_end_ = 0;
  error_ = FrameStatus::kNeedMore;
}

bool StreamFramer::releaseIfIdle() {
  if (failed() || next_event_ < events_.size() || phase_ != Phase::kBetween ||
      frame_start_ != buffer_.size()) {
    return false;
  }
  std::string().swap(buffer_);
  std::vector<Event>().swap(events_);
  keep_ = 0;
  next_event_ = 0;
  frame_start_ = line_start_ = scan_pos_ = frame_end_ = 0;
  return true;
}

FrameStatus StreamFramer::feed(std::string_view bytes) {
  compact();
  if (failed()) return error_;
  buffer_.append(bytes.data(), bytes.size());
  advance();
  return failed() ? error_ : FrameStatus::kNeedMore;
}

FrameStatus StreamFramer::next(std::string_view& message) {
  compact();
  if (next_event_ < events_.size()) {
    const Event e = events_[next_event_++];
    keep_ = e.offset + e.length;
    if (e.type == FrameStatus::kMessage) {
      message = std::string_view(buffer_).substr(e.offset, e.length);
    }
    return e.type;
  }
  return failed() ? error_ : FrameStatus::kNeedMore;
}

std::size_t StreamFramer::buffered() const {
  return buffer_.size() - (next_event_ < events_.size() ? keep_ : frame_start_);
}

bool StreamFramer::betweenMessages() const {
  return next_event_ >= events_.size() && phase_ == Phase::kBetween && !failed();
}

// Drops the octets already delivered (and the CRLFs skipped after them). The copy is done only
// when at least as many octets go as stay, so its cost is amortised over the bytes consumed.
void StreamFramer::compact() {
  const bool pending = next_event_ < events_.size();
  if (!pending) {
    events_.clear();
    next_event_ = 0;
  }
  const std::size_t drop = pending ? keep_ : frame_start_;
  if (drop == 0) return;
  if (drop < buffer_.size() && drop < buffer_.size() - drop) return;
  buffer_.erase(0, drop);
  keep_ = keep_ > drop ? keep_ - drop : 0;
  for (std::size_t i = next_event_; i < events_.size(); ++i) events_[i].offset -= drop;
  frame_start_ -= drop;
  if (phase_ == Phase::kHeaders) {
    line_start_ -= drop;
    scan_pos_ -= drop;
  } else if (phase_ == Phase::kBody) {
    frame_end_ -= drop;
  }
}

void StreamFramer::fail(FrameStatus error) {
  error_ = error;
  buffer_.resize(frame_start_);  // the failed frame and anything after it are never delivered
  phase_ = Phase::kBetween;
}

void StreamFramer::advance() {
  const std::string_view buf(buffer_);
  while (!failed()) {
    switch (phase_) {
      case Phase::kBetween: {
        // RFC 3261 §7.5 / RFC 5626 §3.5.1: CRLFs between messages; "\r\n\r\n" is a ping.
        if (frame_start_ >= buf.size()) return;
        const char c = buf[frame_start_];
        if (c != '\r' && c != '\n') {
          phase_ = Phase::kHeaders;
          line_start_ = scan_pos_ = frame_start_;
          break;
        }
        const std::string_view rest = buf.substr(frame_start_);
        if (rest.substr(0, kPing.size()) == kPing) {
          events_.push_back({FrameStatus::kPing, frame_start_, kPing.size()});
          frame_start_ += kPing.size();
        } else if (rest.size() < kPing.size() && kPing.substr(0, rest.size()) == rest) {
          return;  // maybe the start of a ping: wait for the rest
        } else if (rest.substr(0, 2) == "\r\n") {
          frame_start_ += 2;  // a lone CRLF (e.g. a pong): skipped
        } else {
          frame_start_ += 1;  // a bare CR or LF
        }
        break;
      }
      case Phase::kHeaders: {
        const std::size_t lf = buf.find('\n', scan_pos_);
        if (lf == std::string_view::npos) {
          scan_pos_ = buf.size();
          if (buf.size() - frame_start_ > limits_.max_header_block) {
            fail(FrameStatus::kHeaderTooLarge);
          }
          return;
        }
        const std::size_t line_len = lf - line_start_;
        const std::size_t next_line = lf + 1;
        if (next_line - frame_start_ > limits_.max_header_block) {
          fail(FrameStatus::kHeaderTooLarge);
          return;
        }
        const bool empty = line_len == 0 || (line_len == 1 && buf[line_start_] == '\r');
        if (!empty) {
          line_start_ = scan_pos_ = next_line;
          break;
        }
        std::size_t body_len = 0;
        const FrameStatus st = contentLength(line_start_, body_len);
        if (st != FrameStatus::kMessage) {
          fail(st);
          return;
        }
        const std::size_t header_len = next_line - frame_start_;
        if (body_len > limits_.max_message || header_len + body_len > limits_.max_message) {
          fail(FrameStatus::kMessageTooLarge);
          return;
        }
        frame_end_ = next_line + body_len;
        phase_ = Phase::kBody;
        break;
      }
      case Phase::kBody:
        if (buf.size() < frame_end_) return;
        events_.push_back({FrameStatus::kMessage, frame_start_, frame_end_ - frame_start_});
        frame_start_ = frame_end_;
        phase_ = Phase::kBetween;
        break;
    }
  }
}

// RFC 3261 §20.14 / §7.3.1: Content-Length (compact l) HCOLON 1*DIGIT, LWS and folding allowed.
// Returns kMessage when exactly one was found and it is a number.
FrameStatus StreamFramer::contentLength(std::size_t block_end, std::size_t& length) const {
  const std::string_view block =
      std::string_view(buffer_).substr(frame_start_, block_end - frame_start_);
  std::size_t pos = block.find('\n');  // skip the start line
  bool found = false;
  while (pos != std::string_view::npos && pos + 1 < block.size()) {
    const std::size_t start = pos + 1;
    // The header runs to the next line that does not start with SP/HT (folding).
    std::size_t end = block.find('\n', start);
    while (end != std::string_view::npos && end + 1 < block.size() && isBlank(block[end + 1])) {
      end = block.find('\n', end + 1);
    }
    const std::size_t stop = end == std::string_view::npos ? block.size() : end;
    pos = end;
    const std::string_view header = block.substr(start, stop - start);
    const std::size_t colon = header.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = lex::trimLws(header.substr(0, colon));
    if (!lex::iequals(name, "Content-Length") && !lex::iequals(name, "l")) continue;
    if (found) return FrameStatus::kBadContentLength;
    found = true;
    const std::string_view value = lex::trimLws(header.substr(colon + 1));
    if (value.empty()) return FrameStatus::kBadContentLength;
    for (char c : value) {
      if (!lex::isDigit(c)) return FrameStatus::kBadContentLength;
    }
    std::uint64_t v = 0;
    const std::uint64_t cap = std::min<std::uint64_t>(limits_.max_message, 1ull << 59) + 1;
    if (!lex::parseUint(value, cap, v) || v > limits_.max_message) {
      length = limits_.max_message + 1;  // digits, but too many: the caller says too large
    } else {
      length = static_cast<std::size_t>(v);
    }
  }
  return found ? FrameStatus::kMessage : FrameStatus::kNoContentLength;
}

}  // namespace sipline
