// The siptrace service: the module's parameters, what is traced (shm: traced calls, traced
// users, the on/off switch), the capture sink and the queue to the siptrace-writer.
//
// Capture path (every process, every message in and out, core/trace/capture.h): returns at
// once when tracing is off or nothing is traced (three relaxed loads); else a traced Call-ID
// (its TTL refreshed) or a From/To user match (whose Call-ID then joins the traced calls)
// sends a copy of the message to the queue. sip_trace() adds the current message's call and
// queues the message itself (it was captured before the script ran). Workers never block and
// never do I/O for tracing: a full queue drops the message and counts it (stat dropped).
//
// Process-private object inherited through fork; the queue, the sets and the counters live in
// shm.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/mi/json.h"
#include "core/mi/mi_registry.h"
#include "core/shm/segment.h"
#include "core/stats/stats.h"
#include "core/trace/capture.h"
#include "modules/siptrace/trace_queue.h"
#include "modules/siptrace/traced_set.h"
#include "modules/siptrace/writer.h"

namespace sipline {
class MsgContext;
}

namespace sipline::siptrace {

inline constexpr const char* kWriterName = "siptrace-writer";

struct Config {
  std::string db_url;
  std::string table = "sip_trace";
  std::string hep_destination;  // "udp:127.0.0.1:9060", "tcp:..."; "" = no HEP
  std::int64_t hep_capture_id = 0;
  std::string hep_auth_key;
  std::int64_t trace_call_ttl = 3600;  // s
  bool enabled = true;
  std::int64_t queue_size = 1024;  // KB
  std::int64_t max_traced_calls = 4096;
  std::int64_t db_batch = 500;
  std::int64_t db_connect_timeout_ms = 1000;
  std::int64_t db_query_timeout_ms = 2000;
};

class Service final : public trace::CaptureSink {
 public:
  Service();
  Config& config() { return config_; }
  Counters& counters() { return counters_; }

  // Master, before fork: checks the parameters, makes the queue and the sets in shm and
  // registers the capture sink. Errors refuse the start.
  Status init(shm::Segment& segment);
  // For tests: everything in caller memory (memoryFor() bytes), no sink registered.
  static std::size_t memoryFor(const Config& c);
  Status initForTest(void* memory);

  // The capture sink.
  void onCaptured(const trace::Captured& c) override;

  // sip_trace([attrs]): traces ctx's call from now on and its current message. 1, or -1
  // when tracing is off or the message has no Call-ID.
  int sipTrace(MsgContext& ctx, std::string_view attrs);
  // The same without a MsgContext (tests, and sipTrace() itself): `received` is the
  // message as it arrived (nullptr: only the call is added).
  int traceCall(std::string_view call_id, std::string_view attrs, const trace::Captured* received);

  // MI sip_trace (mode on/off/absent) and trace_user (action add/remove/list, user).
  Result<Json> miSipTrace(const MiParams& p);
  Result<Json> miTraceUser(const MiParams& p);

  bool enabled() const;
  void setEnabled(bool on);
  int runWriter();
  Writer makeWriter();

  TraceQueue* queue() { return queue_; }
  TracedCalls* calls() { return calls_; }
  TracedUsers* users() { return &shared_->users; }

 private:
  struct Shared {
    std::atomic<bool> enabled{true};
    TracedUsers users;
    static_assert(std::atomic<bool>::is_always_lock_free);
  };
  Status applyConfig();
  void place(void* memory);
  bool enqueue(std::int64_t time_us, Proto proto, bool outgoing, const SockAddr& src,
               const SockAddr& dst, std::string_view call_id, std::string_view attrs,
               std::string_view message);

  Config config_;
  Counters counters_;
  Shared* shared_ = nullptr;
  TracedCalls* calls_ = nullptr;
  TraceQueue* queue_ = nullptr;
  std::int64_t ttl_ms_ = 0;
  std::unique_ptr<HepDestination> hep_;
  UserMatcher matcher_;  // this process's copy of the traced users
  // The last message this process received (the capture of it), so that sip_trace() can
  // queue it with its arrival time.
  const char* last_in_data_ = nullptr;
  std::size_t last_in_size_ = 0;
  std::int64_t last_in_time_us_ = 0;
  // Buffers of this process's capture sink, reused from one traced message to the next.
  std::string header_;
  std::string attrs_;
};

}  // namespace sipline::siptrace
