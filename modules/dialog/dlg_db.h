// The dialog table in PostgreSQL (db_mode write-back, scripts/sql/dialog.sql): one row per
// live dialog, written by the module's own process ("dialog-db") from the shm marks, read
// back by the master at start. Workers never reach this code. Process-private.
#pragma once

#include <cstdint>
#include <string>

#include "core/base/status.h"
#include "core/db/db.h"
#include "core/db/schema.h"
#include "modules/dialog/dlg_table.h"

namespace sipline::dialog {

inline constexpr const char* kWriterName = "dialog-db";
inline constexpr int kTableVersion = 1;

class DialogSql {
 public:
  explicit DialogSql(std::string table) : table_(std::move(table)) {}
  // kInvalidArgument unless the name is a plain identifier (it is put into SQL text).
  static Status checkTableName(const std::string& name);
  db::TableSpec spec() const;

  Status upsert(db::Connection& conn, const DialogInfo& info) const;
  Status remove(db::Connection& conn, std::uint64_t id) const;
  // Every row; fn gets each readable one. `bad` counts rows that could not be read.
  Status loadAll(db::Connection& conn, const std::function<void(DialogInfo&)>& fn,
                 std::uint64_t& bad) const;

 private:
  std::string table_;
};

struct FlushReport {
  std::uint64_t written = 0;
  std::uint64_t deleted = 0;
  std::uint64_t refused = 0;  // rows the DB refused (kept marked, tried again next flush)
  Status refused_status;      // the first of them
  Status status;              // the DB unreachable: the flush stopped there
};

// Writes every change the table marked: upserts dirty dialogs, deletes the rows of ended ones.
// A row the DB refuses is skipped; the DB unreachable stops the flush. Either way the marks
// of what was not written stay and the next flush retries.
FlushReport flushChanges(db::Connection& conn, const DialogSql& sql, Table& table);

}  // namespace sipline::dialog
