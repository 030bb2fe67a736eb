// The flight recorder: every SIP message the server received or sent in the last
// flight_recorder_minutes, kept in shared memory whether tracing is on or not, so that a call
// can be examined after it failed (MI "flight_recorder", `siplinectl trace`).
//
// Layout: kRings byte rings, each behind its own robust mutex; a process appends to ring
// (process index % kRings), so workers seldom contend. An entry is a header and the message
// bytes, 8-byte aligned; the oldest entries are overwritten when a ring is full, and entries
// older than the window are skipped when read. A message larger than a quarter of a ring is
// not kept (counted). A process that dies holding a ring's lock leaves that ring emptied. A
// worker waits at most 1 ms for its ring (a reader may be copying from it), then skips the
// message (counted); a reader copies at most max_messages entries per ring under the lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/shm/robust_mutex.h"
#include "core/shm/segment.h"
#include "core/trace/capture.h"

namespace sipline::trace {

// One message as read back (a copy).
struct RecordedMessage {
  std::int64_t time_us = 0;
  Proto proto = Proto::kUdp;
  bool outgoing = false;
  SockAddr src, dst;
  std::string call_id;
  std::string message;
};

struct RecorderQuery {
  std::string call_id;        // "" = every message
  std::int64_t since_us = 0;  // only messages at or after (0 = the whole window)
  std::size_t max_messages = 10000;
};

class FlightRecorder final : public CaptureSink {
 public:
  static constexpr int kRings = 8;

  // Master, before fork: `bytes` of the segment split over the rings (at least 64 KB each).
  static Result<std::unique_ptr<FlightRecorder>> create(shm::Segment& segment, std::size_t bytes,
                                                        int minutes);
  // The ring this process appends to (after fork; the master's default is ring 0).
  void setProcessIndex(int index) { ring_ = static_cast<unsigned>(index) % kRings; }

  void onCaptured(const Captured& c) override;
  // Messages matching q, oldest first (all rings merged by time). Any process.
  std::vector<RecordedMessage> read(const RecorderQuery& q, std::int64_t now_us) const;

  std::uint64_t recorded() const;  // messages ever appended
  std::uint64_t skipped() const;   // too large, or the lock was not had
  std::size_t capacity() const { return ring_bytes_ * kRings; }
  int minutes() const { return minutes_; }

 private:
  struct Ring;
  FlightRecorder(Ring* rings, std::size_t ring_bytes, int minutes)
      : rings_(rings), ring_bytes_(ring_bytes), minutes_(minutes) {}

  Ring* rings_;
  std::size_t ring_bytes_;
  int minutes_;
  unsigned ring_ = 0;
};

// The server's recorder (nullptr when flight_recorder_size is 0 or before init).
FlightRecorder* flightRecorder();
void setFlightRecorder(FlightRecorder* recorder);

}  // namespace sipline::trace
