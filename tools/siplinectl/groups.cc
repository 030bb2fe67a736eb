#include "tools/siplinectl/groups.h"

#include "tools/siplinectl/db_errors.h"
#include "tools/siplinectl/service_db.h"

namespace sipline::ctl {

namespace {

constexpr char kModifiedColumn[] =
    "to_char(last_modified AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";

std::vector<GroupMembership> memberships(const db::Rows& r) {
  std::vector<GroupMembership> out;
  for (std::size_t i = 0; i < r.size(); ++i) {
    out.push_back(GroupMembership{Aor{cellText(r, i, 0), cellText(r, i, 1)}, cellText(r, i, 2),
                                  cellText(r, i, 3)});
  }
  return out;
}

}  // namespace

Status addToGroup(db::Connection& conn, const Aor& aor, const std::string& group,
                  bool check_subscriber) {
  return withSubscriber(conn, aor, check_subscriber, [&]() -> Status {
    Result<std::int64_t> added = conn.exec(
        "INSERT INTO grp (username, domain, grp) VALUES ($1, $2, $3)"
        " ON CONFLICT (username, domain, grp) DO NOTHING",
        {aor.user, aor.domain, group});
    if (!added.isOk()) return fromDatabase(added.status());
    if (added.value() == 0) {
      return Status::alreadyExists(aor.text() + " is in group " + group + " already");
    }
    return Status::ok();
  });
}

Status removeFromGroup(db::Connection& conn, const Aor& aor, const std::string& group) {
  Result<std::int64_t> removed =
      conn.exec("DELETE FROM grp WHERE username = $1 AND domain = $2 AND grp = $3",
                {aor.user, aor.domain, group});
  if (!removed.isOk()) return fromDatabase(removed.status());
  if (removed.value() == 0) return Status::notFound(aor.text() + " is not in group " + group);
  return Status::ok();
}

Result<std::vector<GroupMembership>> groupsOf(db::Connection& conn, const Aor& aor) {
  Result<db::Rows> rows =
      conn.query(std::string("SELECT username, domain, grp, ") + kModifiedColumn +
                     " FROM grp WHERE username = $1 AND domain = $2"
                     " ORDER BY grp",
                 {aor.user, aor.domain});
  if (!rows.isOk()) return fromDatabase(rows.status());
  return memberships(rows.value());
}

Result<GroupPage> groupMembers(db::Connection& conn, const std::string& group, int limit) {
  Result<db::Rows> rows =
      conn.query(std::string("SELECT username, domain, grp, ") + kModifiedColumn +
                     " FROM grp WHERE grp = $1 ORDER BY domain, username"
                     " LIMIT $2",
                 {group, fetchLimit(limit)});
  if (!rows.isOk()) return fromDatabase(rows.status());
  GroupPage page;
  page.rows = memberships(rows.value());
  if (limit > 0 && page.rows.size() > static_cast<std::size_t>(limit)) {
    page.rows.resize(static_cast<std::size_t>(limit));
    page.truncated = true;
  }
  return page;
}

}  // namespace sipline::ctl
