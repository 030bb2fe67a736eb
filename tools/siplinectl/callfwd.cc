#include "tools/siplinectl/callfwd.h"

#include "tools/siplinectl/db_errors.h"
#include "tools/siplinectl/service_db.h"

namespace sipline::ctl {

namespace {

Status replaceOne(db::Connection& conn, const Aor& aor, const char* attribute,
                  const std::string& uri) {
  Result<std::int64_t> gone = conn.exec(
      "DELETE FROM usr_preferences WHERE username = $1 AND domain = $2 AND attribute = $3",
      {aor.user, aor.domain, std::string(attribute)});
  if (!gone.isOk()) return fromDatabase(gone.status());
  Result<std::int64_t> added = conn.exec(
      "INSERT INTO usr_preferences (username, domain, attribute, type, value)"
      " VALUES ($1, $2, $3, 0, $4)",
      {aor.user, aor.domain, std::string(attribute), uri});
  if (!added.isOk()) return fromDatabase(added.status());
  return Status::ok();
}

}  // namespace

Status setForwarding(db::Connection& conn, const Aor& aor, const Forwarding& fwd,
                     bool check_subscriber) {
  return inTransaction(conn, [&]() -> Status {
    // The DELETE and INSERT of replaceOne() keep one row per attribute only when no other
    // `callfwd set` of this subscriber runs between them: under READ COMMITTED both would
    // delete nothing and insert one row each. A lock per subscriber (until commit) orders them.
    Result<db::Rows> locked = conn.query(
        "SELECT pg_advisory_xact_lock(hashtext('usr_preferences'), hashtext($1))", {aor.text()});
    if (!locked.isOk()) return fromDatabase(locked.status());
    if (check_subscriber) {
      Status st = lockSubscriber(conn, aor);
      if (!st.isOk()) return st;
    }
    const std::pair<const char*, const std::optional<std::string>*> parts[] = {
        {kFwdAlways, &fwd.always}, {kFwdBusy, &fwd.busy}, {kFwdNoAnswer, &fwd.noanswer}};
    for (const auto& [attribute, value] : parts) {
      if (!value->has_value()) continue;
      Status st = replaceOne(conn, aor, attribute, **value);
      if (!st.isOk()) return st;
    }
    return Status::ok();
  });
}

Result<std::int64_t> clearForwarding(db::Connection& conn, const Aor& aor,
                                     const std::vector<std::string>& attributes) {
  std::int64_t total = 0;
  Status st = conn.begin();
  if (!st.isOk()) return fromDatabase(st);
  for (const std::string& attribute : attributes) {
    Result<std::int64_t> gone = conn.exec(
        "DELETE FROM usr_preferences WHERE username = $1 AND domain = $2 AND attribute = $3",
        {aor.user, aor.domain, attribute});
    if (!gone.isOk()) return rollbackWith(conn, fromDatabase(gone.status()));
    total += gone.value();
  }
  st = conn.commit();
  if (!st.isOk()) return fromDatabase(st).withPrefix("commit");
  return total;
}

Result<Forwarding> showForwarding(db::Connection& conn, const Aor& aor) {
  Result<db::Rows> rows = conn.query(
      "SELECT attribute, value FROM usr_preferences WHERE username = $1 AND domain = $2"
      " AND attribute IN ('callfwd', 'fwdbusy', 'fwdnoanswer')"
      " ORDER BY last_modified, id",
      {aor.user, aor.domain});
  if (!rows.isOk()) return fromDatabase(rows.status());
  const db::Rows& r = rows.value();
  Forwarding fwd;
  for (std::size_t i = 0; i < r.size(); ++i) {  // the newest row of an attribute wins
    const std::string attribute = cellText(r, i, 0), value = cellText(r, i, 1);
    if (attribute == kFwdAlways) fwd.always = value;
    if (attribute == kFwdBusy) fwd.busy = value;
    if (attribute == kFwdNoAnswer) fwd.noanswer = value;
  }
  return fwd;
}

}  // namespace sipline::ctl
