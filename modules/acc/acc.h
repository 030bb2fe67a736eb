// The acc service: the module's parameters, the shm queue, the spool, and the watchers that
// turn transactions (tm) and calls (dialog) into records.
//
// Workers: do_accounting() notes what to record for the request (and asks tm, and dialog for
// CDRs, to follow it); tm's attach() captures the request side (method, Call-ID, tags, CSeq,
// extras) into the transaction; onReply() builds the rows and syslog messages of the first
// final reply and queues them; dialog's onEnd() does the same for a CDR. Workers never touch
// the DB or the syslog socket: a full queue sends the row to the spool (flock, one write).
// The acc-writer process empties the queue (acc_writer.h); the master drains what is left at
// shutdown.
//
// Process-private object inherited through fork; the queue and the counters live in shm.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/db/db.h"
#include "core/proc/process_info.h"
#include "core/shm/segment.h"
#include "modules/acc/acc_events.h"
#include "modules/acc/acc_extra.h"
#include "modules/acc/acc_queue.h"
#include "modules/acc/acc_spool.h"
#include "modules/acc/acc_syslog.h"
#include "modules/acc/acc_writer.h"
#include "modules/dialog/api.h"
#include "modules/tm/api.h"

namespace sipline {
class MsgContext;
}

namespace sipline::acc {

inline constexpr const char* kWriterName = "acc-writer";

struct Config {
  std::string db_url;
  std::string db_table_acc = "acc";
  std::string db_table_missed_calls = "missed_calls";
  std::string db_extra;
  std::string log_extra;
  // Flag model of the seed book: message flag numbers, -1 = unset.
  std::int64_t log_flag = -1;
  std::int64_t db_flag = -1;
  std::int64_t log_missed_flag = -1;
  std::int64_t db_missed_flag = -1;
  std::int64_t failed_transaction_flag = -1;
  std::int64_t cdr_flag = -1;
  bool report_cancels = false;
  std::string syslog_socket = "/dev/log";
  std::string log_facility = "local0";
  std::string spool_dir = "/var/lib/sipline/acc";
  std::int64_t queue_size = 10000;  // records in shm
  std::int64_t db_batch = 100;      // rows per insert transaction
  std::int64_t db_connect_timeout_ms = 2000;
  std::int64_t db_query_timeout_ms = 2000;
};

class Service final : public tm::TsxWatcher, public dialog::DialogWatcher {
 public:
  Service();
  Config& config() { return config_; }
  Counters& counters() { return counters_; }
  bool flagModel() const;

  // Master, before fork: checks the parameters, parses the extras, opens (recovers) the spool,
  // makes the queue, registers with tm and (when loaded) dialog. Errors refuse the start.
  Status init(shm::Segment& segment, tm::Api* tm, dialog::Api* dialog);
  // For tests: the queue in caller-provided memory (queueBytesFor(queue_size)), tm and dialog
  // optional.
  Status initForTest(void* queue_memory, std::size_t queue_bytes, tm::Api* tm = nullptr,
                     dialog::Api* dialog = nullptr);
  static std::size_t queueBytesFor(std::int64_t queue_size);

  // do_accounting(): records `modes` for ctx's request. -1 when it cannot (logged).
  int doAccounting(MsgContext& ctx, std::uint32_t modes);
  // acc_log_request() / acc_db_request(): the request at once.
  int accRequest(MsgContext& ctx, std::string_view comment, bool log, std::string_view table);

  // tm::TsxWatcher
  std::optional<std::string> attach(MsgContext& ctx) override;
  std::optional<std::string> reattach(MsgContext& ctx, std::string_view kept) override;
  void onReply(const tm::TsxEvent& event) override;
  // dialog::DialogWatcher
  void onEnd(const dialog::DialogEnd& end) override;

  // The acc-writer body.
  int runWriter();
  // Master at shutdown, children gone: what is still queued goes to the spool, and so do
  // records made later (by modules destroyed after acc).
  void shutdownDrain();

  // Queues one record (a worker); a full queue spools a row at once. Public for tests.
  void emit(const Records& records);
  RecordQueue* queue() { return queue_; }
  Spool& spool() { return spool_; }
  const Layout& layout() const { return layout_; }
  void setConnectorForTest(Connector c) { connector_ = std::move(c); }
  WriterOptions writerOptions() const;
  SyslogSender& syslog() { return syslog_; }

 private:
  Status applyConfig();
  RequestInfo requestInfo(MsgContext& ctx, std::uint32_t modes);
  std::uint32_t flagModes(const MsgContext& ctx) const;
  bool watchCall(MsgContext& ctx, const RequestInfo& info);  // false: no dialog follows it

  Config config_;
  Counters counters_;
  Layout layout_;
  std::vector<Extra> db_extras_;
  std::vector<Extra> log_extras_;
  RecordQueue* queue_ = nullptr;
  Spool spool_;
  SyslogSender syslog_;
  Connector connector_;
  db::Options db_options_;
  tm::Api* tm_ = nullptr;
  dialog::Api* dialog_ = nullptr;
  std::uint8_t tm_watcher_ = 0;
  bool use_spool_ = false;
  bool initialized_ = false;
  bool drained_ = false;  // master, after shutdownDrain(): records go to disk directly
  // What do_accounting() asked for the request being routed in this process (a worker
  // routes one message at a time), until tm's attach() takes it.
  struct Pending {
    const MsgContext* ctx = nullptr;
    const void* msg = nullptr;
    std::string call_id;
    std::uint32_t cseq = 0;
    std::uint32_t modes = 0;
  } pending_;
};

// "caller", "callee", ... for dialog::EndedBy (acc links nothing of the dialog module).
const char* endedByText(dialog::EndedBy by);

}  // namespace sipline::acc
