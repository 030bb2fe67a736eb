// The usrloc service (api.h) behind the "usrloc" name: the tables declared by the script, the
// DB mode, and what each process does with them.
//
//   memory         shm only.
//   write-through  shm, and every edit is written to the DB right after it (by the worker,
//                  outside the bucket lock); what fails stays marked and the flusher retries.
//   write-back     shm; edits only mark; the flusher writes the marks every
//                  write_back_interval, at ul_flush and at shutdown.
//   db-only        no shm: every edit and lookup goes to the DB.
//
// Contacts flagged kContactMemoryOnly (save()'s memory-only) stay in shm in every mode with
// shm: never written, never reloaded (a restart loses them); db-only refuses them.
//
// Processes: the master makes the tables in init() and, with write-through/write-back, loads
// every unexpired row (its connection is closed before fork). Workers and the MI process open
// their own connection in childInit() for write-through and db-only; the flusher
// ("usrloc-flusher") opens one in every DB mode. The timer process sweeps expired contacts in
// shm and never touches the DB: the flusher writes the resulting deletes (DB-only: deletes
// expired rows), so a slow DB cannot hold up the transaction timers sharing that process.
// The master writes whatever is still pending once the children are gone.
//
// Process-private object (inherited through fork); its tables live in shm.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/db/db.h"
#include "core/db/named_tables.h"
#include "core/proc/process_info.h"
#include "core/shm/segment.h"
#include "core/stats/stats.h"
#include "modules/usrloc/api.h"
#include "modules/usrloc/ul_shm.h"
#include "modules/usrloc/ul_sql.h"
#include "modules/usrloc/ul_table.h"

namespace sipline::usrloc {

enum class DbMode : std::uint8_t { kMemory, kWriteThrough, kWriteBack, kDbOnly };
// "memory", "write-through", "write-back", "db-only".
bool parseDbMode(std::string_view text, DbMode& out);
const char* dbModeName(DbMode mode);

inline constexpr const char* kFlusherName = "usrloc-flusher";

// The module parameters (the module binds them here directly, so they are current from the
// moment the settings are applied, before the script binds).
struct Config {
  std::string db_mode = "memory";  // see parseDbMode
  std::string db_url;
  bool use_domain = false;
  std::int64_t hash_size = 4096;  // buckets per table, a power of two
  std::int64_t timer_interval_s = 10;
  std::int64_t write_back_interval_s = 30;
  std::int64_t db_connect_timeout_ms = 3000;
  std::int64_t db_query_timeout_ms = 2000;
  std::int64_t nat_bflag = -1;  // for nathelper's keepalives (OpenSIPS keeps it here too)
};

// A table (the opaque type of api.h).
class Domain {
 public:
  Domain(std::string name, bool use_domain) : name_(std::move(name)), sql_(name_, use_domain) {}
  const std::string& name() const { return name_; }
  Table* table() const { return table_.get(); }  // null before init() and in db-only mode
  const TableSql& sql() const { return sql_; }

 private:
  friend class Service;
  std::string name_;
  TableSql sql_;
  std::unique_ptr<Table> table_;
};

struct FlushReport {
  std::uint64_t written = 0;
  std::uint64_t dropped = 0;
  std::uint64_t pending = 0;  // left after the flush
  Status status;
};

using Connector = std::function<Result<std::unique_ptr<db::Connection>>()>;

class Service final : public Api {
 public:
  Service();

  // The parameters; read by init() (and use_domain by everything).
  Config& config() { return config_; }
  const Config& config() const { return config_; }
  DbMode mode() const { return mode_; }
  Counters& counters() { return counters_; }

  Result<Domain*> domain(std::string_view name) override;
  Status withRecord(Domain* d, std::string_view aor,
                    const std::function<Status(Record&)>& fn) override;
  Result<std::vector<Contact>> get(Domain* d, std::string_view aor) override;
  bool useDomain() const override { return config_.use_domain; }
  // False in db-only mode (read from the parameter, so right at bind time too).
  bool memoryOnlyContacts() const override;
  int natBflag() const override { return static_cast<int>(config_.nat_bflag); }
  std::uint64_t pingBuckets() const override;
  void collectPings(std::uint64_t from, std::uint64_t to, const PingSelect& select, int max_lost,
                    PingBatch& out) override;
  void pingAnswered(std::uint32_t table, std::uint32_t bucket, std::uint32_t uri_hash) override;

  // Master, before fork: checks the settings, makes every declared table, and with a DB mode
  // checks the schema and (write-through/write-back) loads the rows. Errors refuse the start.
  Status init(shm::Segment& segment);
  // Declares the gauges: usrloc:registered_users/_contacts/pending_writes and per table
  // "<table>:users", ":contacts", ":expires". Master, after init().
  void declareStats(StatsRegistry& registry);
  // Every child: opens this process's DB connection when its role needs one.
  Status childInit(const ProcessInfo& proc);
  // Master at shutdown (children gone): writes what is still pending.
  void shutdownFlush();

  // Timer process, about every second: a sweep each timer_interval.
  void onTimerTick(std::int64_t mono_ms);
  // Removes expired contacts from every table; how many.
  std::uint64_t sweep();
  // One pass of the flusher: pending changes of every table (DB-only: expired rows).
  FlushReport flush();
  // The body of the "usrloc-flusher" process.
  int runFlusher();
  // MI: has the flusher flush now and waits for it (at most timeout_ms).
  Result<FlushReport> requestFlush(int timeout_ms);

  const db::NamedTables<Domain>& domains() const { return domains_; }
  Domain* findDomain(std::string_view name) const;
  std::int64_t now() const { return clock_(); }
  db::Connection* connection() const { return conn_.get(); }
  bool needsDbIn(const ProcessInfo& proc) const;

  void setConnectorForTest(Connector c) { connector_ = std::move(c); }
  void setClockForTest(std::function<std::int64_t()> clock) { clock_ = std::move(clock); }
  void closeConnectionForTest() { conn_.reset(); }

 private:
  bool shmTables() const { return mode_ != DbMode::kDbOnly; }
  bool persists() const { return mode_ == DbMode::kWriteThrough || mode_ == DbMode::kWriteBack; }
  Status applyConfig();
  Status loadTables();
  Status withRecordDbOnly(Domain& d, std::string_view aor,
                          const std::function<Status(Record&)>& fn);
  void noteDbError(const Status& st, const char* what);

  Config config_;
  DbMode mode_ = DbMode::kMemory;
  db::Options db_options_;
  Counters counters_;
  db::NamedTables<Domain> domains_{"usrloc"};
  bool initialized_ = false;
  UsrlocShm* state_ = nullptr;
  std::unique_ptr<db::Connection> conn_;
  Connector connector_;
  std::function<std::int64_t()> clock_;
  std::int64_t next_sweep_ms_ = 0;
};

}  // namespace sipline::usrloc
