// The SQL of one location table (layout: scripts/sql/location.sql, table_version 1) through
// the DB API: parameterised statements only; the table name is the one thing spliced into the
// text, and checkTableName() admits only plain lower-case identifiers. Rows convert to and
// from Contact here; a row that does not convert is reported, never trusted.
// Process-private; each call uses the caller's connection and blocks at most its timeouts.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "core/db/db.h"
#include "core/db/schema.h"
#include "modules/usrloc/api.h"
#include "modules/usrloc/contact_fields.h"

namespace sipline::usrloc {

inline constexpr int kTableVersion = 1;
inline constexpr std::size_t kMaxRowsPerStatement = 64;

// [a-z_][a-z0-9_]* up to 63 characters (unquoted PostgreSQL identifiers, no keywords check).
Status checkTableName(std::string_view name);

struct AorContact {
  std::string aor;
  Contact contact;
};

struct LoadReport {
  std::uint64_t loaded = 0;
  std::uint64_t expired_deleted = 0;
  std::uint64_t bad_rows = 0;       // skipped: NULL or unconvertible cells
  std::uint64_t foreign_rows = 0;   // skipped: a domain while use_domain is off
  std::uint64_t rejected_rows = 0;  // skipped: the table refused them (e.g. shm full)
};

class TableSql {
 public:
  TableSql(std::string table, bool use_domain)
      : table_(std::move(table)), use_domain_(use_domain) {}

  const std::string& table() const { return table_; }
  // Version and the columns queried, for db::checkTable().
  db::TableSpec spec() const;

  // Deletes the rows expired by `now`; the number deleted.
  Result<std::int64_t> deleteExpired(db::Connection& conn, std::int64_t now) const;
  // Every row unexpired at `now`, in pages by contact_id, handed to fn; a row fn refuses is
  // counted as rejected. Stops at the first DB error.
  Status loadAll(db::Connection& conn, std::int64_t now,
                 const std::function<Status(const AorContact&)>& fn, LoadReport& report) const;
  // The AOR's rows; `unexpired_at` > 0 leaves out those expired by then. `for_update` locks
  // them (inside a transaction).
  Result<std::vector<Contact>> selectAor(db::Connection& conn, std::string_view aor,
                                         std::int64_t unexpired_at, bool for_update) const;
  // Takes the AOR's transaction-scoped advisory lock (pg_advisory_xact_lock on a hash of
  // table and AOR), waiting for the transaction holding it; inside a transaction. Lets
  // DB-only edits that add rows take turns even when there is no row to lock yet.
  Status lockAor(db::Connection& conn, std::string_view aor) const;
  // Every unexpired row (MI dump in DB-only mode), ordered by AOR.
  Result<std::vector<AorContact>> selectAll(db::Connection& conn, std::int64_t now) const;

  // Writes in statements of up to kMaxRowsPerStatement rows; no transaction of its own.
  Status upsert(db::Connection& conn, const std::vector<AorContact>& rows) const;
  // Deletes (aor, uri) pairs.
  Status remove(db::Connection& conn,
                const std::vector<std::pair<std::string, std::string>>& keys) const;

  // The text of the statements (tests, and the prepared-statement cache keys).
  std::string upsertSql(std::size_t rows) const;
  std::string deleteSql(std::size_t rows) const;

 private:
  Result<std::vector<AorContact>> rowsToContacts(const db::Rows& rows, LoadReport* report) const;

  std::string table_;
  bool use_domain_;
};

}  // namespace sipline::usrloc
