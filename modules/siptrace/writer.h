// The siptrace-writer: the one process that empties the trace queue. Each round takes a batch
// of traced messages, sends each as a HEPv3 packet (when hep_destination is set; the Call-ID
// is the correlation id) and inserts the batch into the sip_trace table in one statement (when
// db_url is set). A batch the DB does not take (down, slow, a schema problem) is dropped and
// counted (dropped, db_errors): traces are not spooled, and the DB driver's back-off makes an
// outage cost microseconds per batch until the DB answers again, when writing resumes.
//
// Order: producers push in the order they get to it, not in the order the messages crossed the
// wire (a worker preempted between sending an INVITE and queueing its copy lets the 180 that
// answers it in first). The writer therefore holds messages for a short reorder window
// (kReorderMs after they reached it) and writes them sorted by capture time, so rows and
// packets follow the wire order unless a producer stalled for longer than the window (a
// message that comes later than that is written at once, out of order).
// Expired traced calls are swept here once a second. Process-private object.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/db/db.h"
#include "core/db/outage_log.h"
#include "core/stats/stats.h"
#include "core/trace/hep.h"
#include "modules/siptrace/hep_sender.h"
#include "modules/siptrace/trace_item.h"
#include "modules/siptrace/trace_queue.h"
#include "modules/siptrace/traced_set.h"

namespace sipline::siptrace {

struct Counters {
  StatCounter traced;     // messages queued for tracing
  StatCounter written;    // rows the DB took
  StatCounter hep_sent;   // HEP packets sent (UDP) or handed to the TCP stream
  StatCounter dropped;    // messages lost: queue full, DB or collector not taking them
  StatCounter db_errors;  // batches the DB refused or could not take
};

using Connector = std::function<Result<std::unique_ptr<db::Connection>>()>;

struct WriterOptions {
  std::string table = "sip_trace";
  std::size_t batch = 100;
  std::size_t batch_bytes = 512 * 1024;
  std::uint32_t hep_capture_id = 0;
  std::string hep_auth_key;
};

// The INSERT of `rows` rows into `table` (15 columns each) and its parameters.
std::string insertSql(const std::string& table, std::size_t rows);
void appendParams(const TraceRow& row, std::vector<db::Param>& out);

class Writer {
 public:
  // connector empty: no DB; hep nullptr: no HEP.
  Writer(TraceQueue& queue, TracedCalls& calls, Counters& counters, WriterOptions options,
         Connector connector, std::unique_ptr<HepSender> hep)
      : queue_(queue),
        calls_(calls),
        counters_(counters),
        options_(std::move(options)),
        connector_(std::move(connector)),
        hep_(std::move(hep)) {}

  static constexpr std::int64_t kReorderMs = 200;
  static constexpr std::size_t kMaxHeld = 20000;  // beyond: written at once, oldest first

  // One round at monotonic time now_ms: takes a batch from the queue and writes what has
  // waited the reorder window (all with flush_all). True when it moved messages.
  bool step(std::int64_t now_ms, bool flush_all = false);
  // The process body: step() until the stop signal, then what is queued (bounded).
  int run();

 private:
  void writeDb(const Item* items, std::size_t count);
  // Decodes the due entries kSendChunk at a time into decoded_ and sends them; the entries'
  // strings go back to spare_.
  void sendDue(std::size_t due, std::int64_t now_ms);
  void send(const Item* items, std::size_t count, std::int64_t now_ms);
  void sendHep(const Item* items, std::size_t count, std::int64_t now_ms);
  static constexpr std::size_t kHepChunk = HepSender::kUdpBatch;
  static constexpr std::size_t kKeepHepBuffer = 1 << 20;
  static constexpr std::size_t kSendChunk = 256;
  // Strings kept for reuse: enough for a round's batch, none of an outsized message.
  static constexpr std::size_t kMaxSpare = 512;
  static constexpr std::size_t kMaxSpareBytes = 16 * 1024;  // at most 8 MB kept
  // A queue entry as popped (encoded), kept until it is due: small, so the deque holds many
  // per block, and decoded only when written.
  struct Held {
    std::int64_t time_us;  // capture time (the sort key)
    std::string entry;
  };

  TraceQueue& queue_;
  TracedCalls& calls_;
  Counters& counters_;
  WriterOptions options_;
  Connector connector_;
  std::unique_ptr<HepSender> hep_;
  std::unique_ptr<db::Connection> conn_;
  // Sorted by capture time; a deque: messages are inserted near the end and leave from the
  // front, both without moving the rest.
  std::deque<Held> held_;
  // Per round that took messages: when, and the latest capture time among them. The rounds
  // that have waited the window raise waited_max_us_, up to which held messages are due.
  struct Arrival {
    std::int64_t arrived_ms;
    std::int64_t max_time_us;
  };
  std::deque<Arrival> arrivals_;
  std::int64_t waited_max_us_ = INT64_MIN;
  std::size_t last_popped_ = 0;  // taken from the queue by the last step()
  std::int64_t next_sweep_ms_ = 0;
  db::OutageLog outage_;
  // Reused from round to round: no allocation per message once they have grown.
  std::vector<std::string> slots_;  // what the queue pops into
  std::vector<std::string> spare_;  // buffers of written entries, handed to slots_ again
  std::vector<Item> decoded_;       // the chunk being written

  trace::HepOptions hep_opts_;
  std::string hep_buf_;
  std::vector<std::size_t> hep_ends_;
  std::vector<std::string_view> hep_views_;
};

}  // namespace sipline::siptrace
