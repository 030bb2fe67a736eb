// The domain table: the SIP domains this server serves, read from the DB (domain_table,
// domain_col) by the master at start and by domain_reload, and kept in shared memory as one
// immutable snapshot that a reload replaces as a whole (domain_shm.h). Every process answers
// isLocal() from a private sorted copy of the snapshot, refreshed without a lock unless the
// snapshot's generation moved (then once, under the snapshot's mutex): the per-request path
// takes no lock and does no I/O.
//
// Names are compared case-insensitively (they are stored lower case; a row in another case is
// folded), without a trailing dot, and numeric addresses in one canonical form ("[::1]" for
// "::1" or "[0:0::1]"; the snapshot lock is robust and taken with a timeout, domain_shm.h). A row
// that is NULL or not a plausible domain name or address is skipped with a log line. A reload that
// fails (DB down, timeout, shm full) changes nothing: the old snapshot keeps answering,
// reload_errors counts it and the caller gets the error.
//
// Life cycle: init() (master, before fork) checks the parameters and the table's schema and
// loads the first snapshot on a connection it closes; a wrong schema refuses the start. A DB
// that cannot be reached (kUnavailable) does not: the server starts with NO domain (every
// check answers "not local"), logs it, counts it in reload_errors and arms a background retry
// (core/db/load_retry.h: 1 s doubling to 30 s) that runLoader() runs in a process of its own
// (forked only then) until one load succeeds (or a domain_reload loaded the table first).
// reload() (the MI process) opens a connection for each call and closes it, so a reload right
// after an outage is not refused by a back-off left from it. Process-private object; its snapshot
// lives in shm.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/db/db.h"
#include "core/db/load_retry.h"
#include "core/shm/segment.h"
#include "core/stats/stats.h"
#include "modules/domain/api.h"

namespace sipline::domain {

struct DomainShm;

struct Config {
  std::string db_url;
  std::string domain_table = "domain";
  std::string domain_col = "domain";
  std::int64_t db_connect_timeout_ms = 2000;
  std::int64_t db_query_timeout_ms = 2000;
};

struct Counters {
  StatCounter domains;        // names in the current snapshot (gauge)
  StatCounter reloads;        // snapshots installed by domain_reload or the background retry
  StatCounter reload_errors;  // failed loads (domain_reload, DB down at start, retries)
};

// The key of a domain as the table or a URI writes it: a host name lower-cased without a
// trailing dot, or a numeric address in canonical form (IPv4 dotted, IPv6 "[...]" whether or
// not it was bracketed). nullopt when empty, longer than 255 bytes, or neither an address nor
// made of letters, digits and ".-_".
std::optional<std::string> normalizeDomain(std::string_view text);

using Connector = std::function<Result<std::unique_ptr<db::Connection>>()>;

class Service final : public Api {
 public:
  Service();
  ~Service() override;

  Config& config() { return config_; }
  Counters& counters() { return counters_; }

  // Master, before fork: parameters, schema (table version 1 with domain_col), first load.
  // `sm` is where the snapshot lives.
  Status init(shm::SegmentManager* sm);

  // Whether the start found the DB down and no load succeeded since (in this process's view:
  // the master asks it to decide whether to fork the loader process).
  bool loadPending() const { return retry_.armed(); }
  // The loader process's body (db::runLoaderProcess()): retries until loaded, then idles.
  int runLoader();
  // One step of it: when a retry is due, loads the table (schema check included) on a
  // connection of its own and installs it. Tests drive it with made-up times.
  void retryTick(std::int64_t now_ms);
  const db::LoadRetry& retry() const { return retry_; }

  // Reads the table and installs it as the new snapshot: the number of names. On any error
  // the old snapshot stays and reload_errors counts it.
  Result<std::size_t> reload();
  // Installs `names` (normalised, deduplicated here) as the snapshot; kNoMemory when shm is
  // full (the old one stays).
  Result<std::size_t> install(const std::vector<std::string>& names);

  // Api: whether `host` is in the current snapshot.
  bool isLocal(std::string_view host) override;
  // The names of the current snapshot, sorted.
  std::vector<std::string> names();
  std::uint64_t generation() const;

  void setConnectorForTest(Connector c) { connector_ = std::move(c); }
  // The shm part of init() alone (no parameters, no DB): an empty snapshot in `sm`.
  Status initShmForTest(shm::SegmentManager* sm) { return createShm(sm); }
  DomainShm* shmForTest() { return shm_; }

 private:
  Result<std::vector<std::string>> fetch(db::Connection& conn);
  Status checkConfig() const;
  // Version and column of the table: kUnavailable when the DB cannot be reached.
  Status checkSchema(db::Connection& conn);
  // One background attempt: true when the table is loaded (here or by a domain_reload).
  bool retryLoad();
  Status createShm(shm::SegmentManager* sm);
  // Brings names_ up to the shm snapshot's generation.
  void refresh();

  Config config_;
  Counters counters_;
  Connector connector_;
  db::Options db_options_;
  shm::SegmentManager* sm_ = nullptr;
  DomainShm* shm_ = nullptr;
  std::vector<std::string> names_;  // private sorted copy of the snapshot
  std::uint64_t names_generation_ = UINT64_MAX;
  db::LoadRetry retry_;  // armed by init() when the DB was down; ticked in the loader
};

}  // namespace sipline::domain
