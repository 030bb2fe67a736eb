// Write-back persistence of the dialog table: the reload in the master at start (before
// fork; the connection is closed before the children exist) and the "dialog-db" process that
// writes the changes every db_flush_interval and once more when the server stops. A DB that
// is down costs retries in that process only; one down at start delays the reload to that
// process's first contact with it (the server starts empty meanwhile). A table that is not
// as expected refuses the start. Process-private.
#pragma once

#include <memory>

#include "core/base/status.h"
#include "core/db/db.h"
#include "core/proc/process_info.h"
#include "modules/dialog/dialog.h"
#include "modules/dialog/dlg_db.h"

namespace sipline::dialog {

class Store {
 public:
  explicit Store(Service& service) : service_(service) {}
  // Master, after the table exists: checks the schema and loads every row; ok (reload
  // deferred) when the DB cannot be reached.
  Status load();
  // The writer process opens its (lazy) connection.
  Status childInit(const ProcessInfo& proc);
  // The writer process's body: returns at stop, after a final flush.
  int run();
  // Master at shutdown, after the children: writes what changed after the writer's last
  // flush (a BYE handled while the server was stopping).
  void shutdownFlush();

 private:
  Result<std::unique_ptr<db::Connection>> open();
  // Checks the table and loads every row into shm (deferred: into a table in use).
  Status loadRows(db::Connection& conn, bool deferred);
  // Writes the changes; first loads the last run's rows while Table::loadPending() (the DB
  // was down at start; the mark is in shm, so only one process ever loads them).
  void flushNow();

  Service& service_;
  std::unique_ptr<db::Connection> conn_;
};

}  // namespace sipline::dialog
