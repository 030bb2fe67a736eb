// Pieces shared by the DB code of siplinectl's table commands (subscribers.h, domains.h,
// gateways.h, addresses.h, groups.h, aliases.h, callfwd.h): reading cells, the "one row more than
// the limit" paging, and the check that a subscriber exists before a row is added for it. Errors
// follow db_errors.h: kUnavailable when the database is gone, kInternal for any other database
// error.
#pragma once

#include <cstdint>
#include <string>

#include "core/base/status.h"
#include "core/db/db.h"
#include "tools/siplinectl/identity.h"

namespace sipline::ctl {

// The text of a cell, "" for NULL.
std::string cellText(const db::Rows& rows, std::size_t row, int col);

// kInternal "unexpected answer from the database (WHAT)".
Status unexpectedAnswer(const std::string& what);

// The LIMIT parameter for `limit` rows (0 = no limit): one more row than asked tells whether
// the list was cut.
db::Param fetchLimit(int limit);
// True when `shown` rows already fill `limit` (and a further row means "truncated").
inline bool limitFilled(std::size_t shown, int limit) {
  return limit > 0 && shown >= static_cast<std::size_t>(limit);
}

// Inside the caller's open transaction: locks the subscriber's row FOR SHARE (a concurrent
// `subscriber rm` waits for the caller's commit). kNotFound "no subscriber AOR (... --force
// ...)" when there is none.
Status lockSubscriber(db::Connection& conn, const Aor& aor);

// Runs `body` (which returns the Status of the change) in one transaction: committed when it
// succeeds, rolled back on any failure.
template <typename Fn>
Status inTransaction(db::Connection& conn, Fn body);

// Runs `insert` (which returns the Status of the change) after lockSubscriber() in one
// transaction when `check` is set, else alone; rolls back on any failure.
template <typename Fn>
Status withSubscriber(db::Connection& conn, const Aor& aor, bool check, Fn insert);

}  // namespace sipline::ctl

#include "tools/siplinectl/db_errors.h"

namespace sipline::ctl {

template <typename Fn>
Status inTransaction(db::Connection& conn, Fn body) {
  Status st = conn.begin();
  if (!st.isOk()) return fromDatabase(st);
  st = body();
  if (!st.isOk()) return rollbackWith(conn, st);
  st = conn.commit();
  if (!st.isOk()) return fromDatabase(st).withPrefix("commit");
  return Status::ok();
}

template <typename Fn>
Status withSubscriber(db::Connection& conn, const Aor& aor, bool check, Fn insert) {
  if (!check) return insert();
  return inTransaction(conn, [&]() -> Status {
    Status st = lockSubscriber(conn, aor);
    return st.isOk() ? insert() : st;
  });
}

}  // namespace sipline::ctl
