// The acc-writer: the one process that empties the record queue. Syslog entries are sent at
// once; DB rows are inserted in batches of db_batch rows, one transaction per batch, each
// statement bounded by the query timeout, `INSERT ... ON CONFLICT (acc_key) DO NOTHING` so a
// row written twice (a replay after a crash) is a no-op.
//
// When the DB is down or slow (kUnavailable: refused, timed out), or a table lacks a column
// the rows carry (an error logged once, then retried every schema_retry_ms), the batch goes
// to the spool, and every later row goes there behind it until the spool is replayed, so
// rows reach the DB in the order they were made. Replay: a batch of lines from the spool
// position, inserted, then the position persisted. Only rows the DB refuses as bad data or for
// a constraint (SQLSTATE class 22 or 23) are moved to acc.rejected and counted as failed, so
// one bad row cannot block the rest; any other error (read-only after a failover, a
// serialization failure, a deadlock, ...) is handled as a DB that is down: spool and retry.
//
// At stop, drain() moves what is queued to the DB while it answers and there is time (10 s of
// the 15 s the writer gets: it stops last, after every worker and the timer exited), the rest
// to the spool; the master's drainToSpool() takes whatever a writer killed in the middle of a
// batch left in the queue.
// Process-private object (the writer process; the master at shutdown).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/db/db.h"
#include "core/stats/stats.h"
#include "modules/acc/acc_queue.h"
#include "modules/acc/acc_record.h"
#include "modules/acc/acc_spool.h"
#include "modules/acc/acc_syslog.h"

namespace sipline::acc {

struct Counters {
  StatCounter records;        // records made (rows and syslog messages)
  StatCounter db_written;     // rows the DB took (new and replayed)
  StatCounter spooled;        // rows appended to the spool
  StatCounter replayed;       // rows moved from the spool to the DB
  StatCounter failed;         // rows refused by the DB (acc.rejected) or lost (spool failed)
  StatCounter queue_full;     // entries the queue had no room for
  StatCounter log_written;    // syslog messages sent
  StatCounter log_failed;     // syslog messages not sent
  StatCounter spool_records;  // gauge: rows in the spool not replayed yet
};

struct WriterOptions {
  std::size_t batch = 100;       // rows per transaction
  std::int64_t retry_ms = 1000;  // after a DB failure, the wait before the next try
  std::int64_t schema_retry_ms = 10000;
};

using Connector = std::function<Result<std::unique_ptr<db::Connection>>()>;

class Writer {
 public:
  Writer(RecordQueue& queue, Spool& spool, SyslogSender& syslog, Counters& counters,
         WriterOptions options, Connector connector)
      : queue_(queue),
        spool_(spool),
        syslog_(syslog),
        counters_(counters),
        options_(options),
        connector_(std::move(connector)) {}

  // One round at monotonic time `now_ms`: a replay batch (when the spool has rows and a try
  // is due) and one batch from the queue. True when it did something.
  bool step(std::int64_t now_ms);
  // At stop: empties the queue (DB while healthy and before deadline_ms, else the spool).
  void drain(std::int64_t deadline_ms);
  // The process body: step() until the stop signal, then drain().
  int run();

  bool dbHealthy() const { return healthy_; }

 private:
  struct Outcome {
    std::size_t handled = 0;  // leading rows written or rejected
    std::size_t written = 0;
    Status status;  // kUnavailable: DB down/slow; kFailedPrecondition: schema
  };
  bool moveQueued(std::int64_t now_ms, bool allow_db);
  bool replayOnce(std::int64_t now_ms);
  Outcome writeRows(const std::vector<Row>& rows, const std::vector<std::string>& lines,
                    std::int64_t now_ms);
  Status connection();
  Status missingColumns(const Row& row, std::string& problem);
  bool isSchemaError(const Status& st) const;
  void noteFailure(const Status& st, std::int64_t now_ms);
  Status spoolLines(const std::vector<std::string>& lines, std::size_t from);

  RecordQueue& queue_;
  Spool& spool_;
  SyslogSender& syslog_;
  Counters& counters_;
  WriterOptions options_;
  Connector connector_;
  std::unique_ptr<db::Connection> conn_;
  std::map<std::string, std::set<std::string>> columns_;  // table -> its columns (cache)
  std::set<std::string> reported_;                        // schema problems logged once
  std::int64_t retry_at_ = 0;
  bool healthy_ = true;
  bool blocked_ = false;  // a schema problem: rows wait in the spool
};

// Master at shutdown (children gone): what is still queued goes to the spool and syslog.
void drainToSpool(RecordQueue& queue, Spool& spool, SyslogSender& syslog, Counters& counters);

}  // namespace sipline::acc
