#include "tools/siplinectl/db_init.h"

#include "tools/siplinectl/catalog.h"

namespace sipline::ctl {

namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Rolls back and returns `st` (a rollback failure only matters if the connection is gone, and
// then the server discards the transaction anyway).
Status abort(db::Connection& conn, Status st) {
  Status rb = conn.rollback();
  (void)rb;
  return st;
}

}  // namespace

Result<InitReport> initSchema(db::Connection& conn, const std::vector<TableDef>& schema) {
  Status st = conn.ensureConnected();
  if (!st.isOk()) return st;
  st = conn.begin();
  if (!st.isOk()) return st;
  // Checked inside the transaction: DDL is transactional in PostgreSQL, so a table created
  // concurrently makes our CREATE TABLE fail and nothing is committed.
  std::vector<std::string> existing, missing;
  for (const TableDef& def : schema) {
    Result<bool> exists = tableExists(conn, def.name);
    if (!exists.isOk()) return abort(conn, exists.status());
    (exists.value() ? existing : missing).push_back(def.name);
  }
  if (!existing.empty()) {
    std::string message = "the database already has " +
                          std::string(existing.size() == 1 ? "table " : "tables ") +
                          joined(existing);
    if (!missing.empty()) message += " (missing: " + joined(missing) + ")";
    message += "; nothing was changed. 'siplinectl db check' verifies an existing schema";
    return abort(conn, Status::alreadyExists(message));
  }
  InitReport report;
  for (const TableDef& def : schema) {
    for (const SqlStatement& s : def.statements) {
      Result<std::int64_t> done = conn.exec(s.text);
      if (!done.isOk()) {
        const Status& e = done.status();
        if (e.code() == Code::kUnavailable) return abort(conn, e);
        return abort(conn, e.withPrefix(def.file + ":" + std::to_string(s.line)));
      }
      ++report.statements;
    }
    report.created.push_back(def.name);
  }
  st = conn.commit();
  if (!st.isOk()) return st.withPrefix("commit");
  return report;
}

}  // namespace sipline::ctl
