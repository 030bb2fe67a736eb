// The siptrace-writer: the one process that empties the trace queue. Each round takes a batch
// of traced messages, sends each as a HEPv3 packet (when hep_destination is set; the Call-ID
// is the correlation id) and loads them into the sip_trace table, one COPY per `batch` rows
// (when db_url is set). A batch the DB does not take (down, slow, a schema problem) is dropped and
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
#include "modules/siptrace/packet_arena.h"
#include "modules/siptrace/trace_item.h"
#include "modules/siptrace/trace_queue.h"
#include "modules/siptrace/traced_set.h"

namespace sipline::siptrace {

struct Counters {
  StatCounter traced;     // messages queued for tracing
  StatCounter written;    // rows the DB took
  StatCounter hep_sent;   // HEP packets written whole to the socket (UDP or TCP)
  StatCounter dropped;    // messages lost: queue full, DB or collector not taking them
  StatCounter db_errors;  // batches the DB refused or could not take
};

using Connector = std::function<Result<std::unique_ptr<db::Connection>>()>;

struct WriterOptions {
  std::string table = "sip_trace";
  std::size_t batch = 500;  // rows per COPY, entries per pop (module parameter db_batch)
  std::size_t batch_bytes = 512 * 1024;
  std::uint32_t hep_capture_id = 0;
  std::string hep_auth_key;
};

// The COPY ... FROM STDIN of the 15 columns into `table`, and a row of its data.
std::string copySql(const std::string& table);
void appendCopyRow(const TraceRow& row, std::string& out);

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
        hep_(std::move(hep)) {
    hep_opts_.capture_id = options_.hep_capture_id;
    hep_opts_.auth_key = options_.hep_auth_key;
    hep_opts_.max_packet =
        hep_ != nullptr && hep_->tcp() ? trace::kHepMaxPacket : trace::kHepMaxUdpPacket;
  }

  static constexpr std::int64_t kReorderMs = 200;
  static constexpr std::size_t kMaxHeld = 20000;  // beyond: written at once, oldest first

  // One round at monotonic time now_ms: takes a batch from the queue and writes what has
  // waited the reorder window (all with flush_all). True when it moved messages.
  bool step(std::int64_t now_ms, bool flush_all = false);
  // The process body: step() until the stop signal, then what is queued (bounded).
  int run();

  // How long run() naps after a round that left the queue empty, given that `bytes` came in
  // over the last `over_ms`: long enough that a steady trickle is taken in large batches (a
  // wake-up costs the same however little it brings), short enough that at that rate the
  // queue of `capacity` bytes is at most a quarter full by the next round. After a quiet
  // interval it naps kIdleNapMs, not the longest: traffic that starts then has no rate yet.
  static constexpr std::int64_t kMinNapMs = 2;
  static constexpr std::int64_t kIdleNapMs = 10;
  static constexpr std::int64_t kMaxNapMs = 50;
  static std::int64_t napMs(std::size_t bytes, std::int64_t over_ms, std::size_t capacity);

  // Tests: the bytes the pop slots keep between rounds.
  std::size_t keptSlotBytesForTest() const {
    std::size_t n = 0;
    for (const std::string& s : slots_) n += s.capacity();
    return n;
  }

 private:
  // Loads `count` rows (COPY text, each ending in its newline) as one COPY.
  void writeDb(const std::string_view* rows, std::size_t count);
  // Takes one popped entry into held_, made into what will be written (its HEP packet, its
  // COPY row) while its bytes are still in the CPU's cache (by the time it is due they are
  // not: encoding then cost twice as much); drops and counts an unreadable entry.
  void hold(std::string_view entry, std::int64_t now_ms);
  // Writes the first `due` held messages (HEP packets, then rows) and lets them go.
  void sendDue(std::size_t due, std::int64_t now_ms);
  void sendHep(std::size_t due, std::int64_t now_ms);
  // Moves what the HEP sender wrote or lost since the last call into the counters: TCP
  // packets count when they reach the socket, not when buffered.
  void countHep();
  void writeRows(std::size_t due);
  struct Held {
    std::int64_t time_us = 0;  // capture time (the sort key)
    PacketArena::Ref hep;      // the HEPv3 packet, in packets_ (HEP only)
    PacketArena::Ref row;      // the sip_trace row as COPY text, in rows_ (DB only)
  };

  TraceQueue& queue_;
  TracedCalls& calls_;
  Counters& counters_;
  WriterOptions options_;
  Connector connector_;
  std::unique_ptr<HepSender> hep_;
  std::uint64_t hep_sent_seen_ = 0;  // hep_->sent() and lost() as last counted
  std::uint64_t hep_lost_seen_ = 0;
  std::unique_ptr<db::Connection> conn_;
  std::string copy_sql_;   // copySql(), made once
  std::string copy_data_;  // the batch's rows joined, reused up to kMaxKeptCopyBytes
  static constexpr std::size_t kMaxKeptCopyBytes = 4 << 20;
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
  std::size_t last_popped_ = 0;        // entries taken from the queue by the last step()
  std::size_t last_popped_bytes_ = 0;  // and their bytes
  std::int64_t next_sweep_ms_ = 0;
  db::OutageLog outage_;
  // Reused from round to round: no allocation per message once they have grown.
  std::vector<std::string> slots_;  // what the queue pops into
  static constexpr std::size_t kMaxKeptSlotBytes = 16 * 1024;
  PacketArena packets_;  // the held messages' HEP packets
  PacketArena rows_;     // and their rows
  trace::HepOptions hep_opts_;
  Item scratch_;  // the entry being held, decoded
  std::vector<std::string_view> hep_views_;
  std::vector<std::string_view> row_views_;
};

}  // namespace sipline::siptrace
