// Database errors as the subscriber and domain commands report them. Two rules:
//  - Only siplinectl's own refusals ("unknown domain", "domain has subscribers") carry
//    kFailedPrecondition; the PostgreSQL driver uses that code for many SQLSTATE classes
//    (read-only standby 25006, deadlock 40P01, a rolled-back commit), which must not pass for
//    a refusal and its exit code. fromDatabase() turns them into kInternal.
//  - The server's DETAIL is never shown: for a constraint violation (class 23) PostgreSQL puts
//    the failing row there, clear password and HA1s included.
#pragma once

#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/db/db.h"

namespace sipline::ctl {

// A refusal of siplinectl's own (see above).
inline Status refusal(std::string message) {
  return Status::failedPrecondition(std::move(message));
}
inline bool isRefusal(const Status& st) { return st.code() == Code::kFailedPrecondition; }

// `message` without the server's DETAIL: "primary: detail (SQLSTATE 23514)" becomes
// "primary (SQLSTATE 23514)"; a "DETAIL:" line of libpq's text form is cut too.
std::string withoutServerDetail(std::string_view message);

// A failed statement's Status: ok stays ok, a lost connection stays kUnavailable, everything
// else becomes kInternal; the message loses the DETAIL.
Status fromDatabase(const Status& st);

// Rolls the open transaction back and returns `st`. A failed rollback only matters when the
// connection is gone, and then the server discards the transaction anyway.
Status rollbackWith(db::Connection& conn, Status st);

}  // namespace sipline::ctl
