// The postgres:// driver of the DB API (core/db/db.h): makes PgConnections. One static object
// per process, registered by the db_postgres module in describe(); its statistics are the
// module's (db_postgres:queries, errors, reconnects).
#pragma once

#include <memory>

#include "core/db/db.h"
#include "modules/db_postgres/pg_connection.h"

namespace sipline::pg {

class PgDriver final : public db::Driver {
 public:
  const char* scheme() const override { return "postgres"; }
  // Checks the options (timeouts >= 1 ms, reconnect_min_ms <= reconnect_max_ms) and makes an
  // unconnected PgConnection; kInvalidArgument for anything else than a postgres URL.
  Result<std::unique_ptr<db::Connection>> open(const db::DbUrl& url,
                                               const db::Options& options) override;
  PgStats& stats() { return stats_; }

 private:
  PgStats stats_;
};

// The process's driver object (static storage: registered pointers stay valid).
PgDriver& pgDriver();

}  // namespace sipline::pg
