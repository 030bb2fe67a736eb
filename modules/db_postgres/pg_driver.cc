// The postgres:// driver: option checks and the factory of PgConnections.
#include "modules/db_postgres/pg_driver.h"

#include <string>

namespace sipline::pg {

Result<std::unique_ptr<db::Connection>> PgDriver::open(const db::DbUrl& url,
                                                       const db::Options& options) {
  if (url.scheme != "postgres") {
    return Status::invalidArgument("db_postgres cannot open " + url.text +
                                   " (not a postgres:// URL)");
  }
  auto positive = [&](int v, const char* name) -> Status {
    if (v >= 1) return Status::ok();
    return Status::invalidArgument(std::string("DB option ") + name + " for " + url.text +
                                   " must be at least 1 ms, not " + std::to_string(v));
  };
  for (Status st : {positive(options.connect_timeout_ms, "connect_timeout_ms"),
                    positive(options.query_timeout_ms, "query_timeout_ms"),
                    positive(options.reconnect_min_ms, "reconnect_min_ms"),
                    positive(options.reconnect_max_ms, "reconnect_max_ms")}) {
    if (!st.isOk()) return st;
  }
  if (options.reconnect_min_ms > options.reconnect_max_ms) {
    return Status::invalidArgument("DB options for " + url.text + ": reconnect_min_ms (" +
                                   std::to_string(options.reconnect_min_ms) +
                                   ") exceeds reconnect_max_ms (" +
                                   std::to_string(options.reconnect_max_ms) + ")");
  }
  return std::unique_ptr<db::Connection>(std::make_unique<PgConnection>(url, options, &stats_));
}

PgDriver& pgDriver() {
  static PgDriver driver;
  return driver;
}

}  // namespace sipline::pg
