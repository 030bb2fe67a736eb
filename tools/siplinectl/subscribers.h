// The subscriber table (scripts/sql/subscriber.sql) as siplinectl provisions it: add, new
// password, remove, show, list. Only the HA1 hashes are stored (MD5, SHA-256, SHA-512-256 with
// realm = the domain, core/crypto/digest.h); the clear password only when asked for, because
// auth_db's calculate_ha1 mode needs it. A clear password is never read back. Parameterised
// statements only. Errors: kUnavailable when the database is gone, kInternal for any other
// database error (without the server's DETAIL: db_errors.h); the outcomes an operator must
// tell apart have their own codes, documented per function.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/db/db.h"
#include "tools/siplinectl/identity.h"

namespace sipline::ctl {

struct Ha1Set {
  std::string md5, sha256, sha512_256;
};
// HA1 = H(user:domain:password) for every algorithm; the realm is the (lower-case) domain.
Ha1Set ha1For(const Aor& aor, std::string_view password);

struct NewSubscriber {
  Aor aor;
  std::string password;
  bool store_password = false;
  std::string email;         // "" = none
  bool check_domain = true;  // false: --force
};

// kFailedPrecondition (a refusal, db_errors.h): the domain is not in table domain (only with
// check_domain); kAlreadyExists: the subscriber exists (nothing changed). With check_domain
// the check (SELECT ... FOR SHARE on the domain row) and the INSERT are one transaction.
Status addSubscriber(db::Connection& conn, const NewSubscriber& sub);

// New hashes (and the clear password with store_password, else the password column is
// emptied: a stale clear password must not outlive a change). kNotFound: no such subscriber.
Status setSubscriberPassword(db::Connection& conn, const Aor& aor, std::string_view password,
                             bool store_password);

// kNotFound: no such subscriber.
Status removeSubscriber(db::Connection& conn, const Aor& aor);

struct SubscriberRow {
  std::int64_t id = 0;
  Aor aor;
  std::string email;
  std::string created;           // ISO 8601 UTC, "2026-11-27T02:50:00Z"
  bool password_stored = false;  // the clear password column is not empty
  Ha1Set ha1;                    // only filled by findSubscriber()
};

// kNotFound: no such subscriber.
Result<SubscriberRow> findSubscriber(db::Connection& conn, const Aor& aor);

struct SubscriberPage {
  std::vector<SubscriberRow> rows;  // by domain, then user; no hashes
  bool truncated = false;           // more rows than the limit
};
// domain "" = every domain; limit 0 = no limit.
Result<SubscriberPage> listSubscribers(db::Connection& conn, const std::string& domain, int limit);

}  // namespace sipline::ctl
