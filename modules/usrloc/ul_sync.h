// Writing a table's pending changes (ul_table.h marks) to the DB: the write-back flush, the
// write-through retries and the shutdown flush (syncTable), and write-through's immediate
// write of one AOR's changes (writeThrough). No bucket lock is held while the DB is called.
//
// Failures never lose a change: on an outage (kUnavailable) the marks stay for the next
// attempt. A batch the DB refuses for another reason is retried row by row, so one bad row
// cannot block the others; a row refused as bad data (kInvalidArgument: too long, invalid
// encoding) is logged and forgotten, one refused otherwise stays pending.
#pragma once

#include <cstdint>
#include <vector>

#include "core/base/status.h"
#include "core/db/db.h"
#include "modules/usrloc/ul_sql.h"
#include "modules/usrloc/ul_table.h"

namespace sipline::usrloc {

inline constexpr std::size_t kFlushBatch = 1000;  // writes per transaction

struct SyncResult {
  std::uint64_t written = 0;  // changes that reached the DB
  std::uint64_t dropped = 0;  // changes the DB refused as bad data (forgotten)
  std::uint64_t kept = 0;     // changes left pending by a refused row
  Status status;              // the outage that stopped the sync, else ok
};

// One pass over the table: every pending change, in transactions of up to kFlushBatch.
SyncResult syncTable(db::Connection& conn, Table& table, const TableSql& sql, Counters& counters);

// Write-through: `writes` (one AOR's, from Table::edit) in statements of their own; stops at
// the first outage (the rest stays pending for the flusher).
SyncResult writeThrough(db::Connection& conn, Table& table, const TableSql& sql,
                        const std::vector<PendingWrite>& writes, Counters& counters);

}  // namespace sipline::usrloc
