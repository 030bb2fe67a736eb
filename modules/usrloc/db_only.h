// DB-only mode (no shm cache): an edit reads the AOR's rows (locked with SELECT ... FOR UPDATE
// inside a transaction, so two workers editing one AOR take turns; an edit adding a row also
// takes the AOR's advisory lock), runs the caller's function on a private copy, and writes
// back only the difference. Expired rows of the AOR
// are deleted on the way. Process-private; blocks at most the connection's timeouts.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/db/db.h"
#include "modules/usrloc/api.h"
#include "modules/usrloc/contact_fields.h"
#include "modules/usrloc/ul_sql.h"

namespace sipline::usrloc {

// A record held in private memory: the same rules as the shm one (insert replaces a contact
// of the same URI, update needs one, strings checked against `limits`).
class PrivateRecord final : public Record {
 public:
  PrivateRecord(std::string aor, std::vector<Contact> contacts, std::int64_t now,
                const FieldLimits& limits)
      : aor_(std::move(aor)), contacts_(std::move(contacts)), now_(now), limits_(limits) {}

  const std::string& aor() const override { return aor_; }
  std::vector<Contact> contacts() const override;
  Status insert(const Contact& c) override;
  Status update(const Contact& c) override;
  bool remove(std::string_view uri) override;
  void removeAll() override;

  // Everything held, expired or not.
  const std::vector<Contact>& all() const { return contacts_; }

 private:
  std::string aor_;
  std::vector<Contact> contacts_;
  std::int64_t now_;
  FieldLimits limits_;
};

struct DbOnlyEdit {
  Status fn_status;           // what fn returned
  std::uint64_t expired = 0;  // expired rows deleted
  std::uint64_t written = 0;  // rows inserted, updated or deleted
};

// Runs fn on the AOR's rows and writes the difference, all in one transaction. When fn adds a
// row, the AOR's advisory lock (TableSql::lockAor) is taken and fn runs once more on the rows
// read under it, so concurrent inserts cannot pass a limit fn enforces; the last run counts.
// A DB failure is the Status (kUnavailable when the DB is out); then nothing was written.
Result<DbOnlyEdit> editDbOnly(db::Connection& conn, const TableSql& sql, std::string_view aor,
                              std::int64_t now, const FieldLimits& limits,
                              const std::function<Status(Record&)>& fn);

}  // namespace sipline::usrloc
