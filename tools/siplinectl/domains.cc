#include "tools/siplinectl/domains.h"

#include <algorithm>

#include "tools/siplinectl/db_errors.h"
#include "tools/siplinectl/service_db.h"

namespace sipline::ctl {

namespace {

Status rollbackOnDbError(db::Connection& conn, const Status& st) {
  return rollbackWith(conn, fromDatabase(st));
}

}  // namespace

Status addDomain(db::Connection& conn, const std::string& domain) {
  Result<std::int64_t> added = conn.exec(
      "INSERT INTO domain (domain) VALUES ($1) ON CONFLICT (domain) DO NOTHING", {domain});
  if (!added.isOk()) return fromDatabase(added.status());
  if (added.value() == 0) return Status::alreadyExists("domain " + domain + " exists already");
  return Status::ok();
}

Result<DomainRemoval> removeDomain(db::Connection& conn, const std::string& domain, bool force) {
  Status st = conn.begin();
  if (!st.isOk()) return fromDatabase(st);
  // The row lock keeps a concurrent `subscriber add` check from passing until we are done.
  Result<db::Rows> found =
      conn.query("SELECT 1 FROM domain WHERE domain = $1 FOR UPDATE", {domain});
  if (!found.isOk()) return rollbackOnDbError(conn, found.status());
  if (found.value().empty()) {
    return rollbackWith(conn, Status::notFound("no domain " + domain));
  }
  DomainRemoval removal;
  if (force) {
    Result<db::Rows> users =
        conn.query("DELETE FROM subscriber WHERE domain = $1 RETURNING username", {domain});
    if (!users.isOk()) return rollbackOnDbError(conn, users.status());
    for (std::size_t i = 0; i < users.value().size(); ++i) {
      std::optional<std::string_view> user = users.value().text(i, 0);
      if (user) removal.removed_users.emplace_back(*user);
    }
    std::sort(removal.removed_users.begin(), removal.removed_users.end());
  } else {
    Result<db::Rows> count =
        conn.query("SELECT count(*) FROM subscriber WHERE domain = $1", {domain});
    if (!count.isOk()) return rollbackOnDbError(conn, count.status());
    std::int64_t n = 0;
    if (count.value().size() != 1 || !count.value().getInt(0, 0, n)) {
      return rollbackWith(conn, Status::internal("unexpected answer from the database (count)"));
    }
    if (n > 0) {
      return rollbackWith(conn, refusal("domain " + domain + " still has " + std::to_string(n) +
                                        (n == 1 ? " subscriber" : " subscribers") +
                                        "; remove them first, or use --force to remove them "
                                        "with it"));
    }
  }
  Result<std::int64_t> removed = conn.exec("DELETE FROM domain WHERE domain = $1", {domain});
  if (!removed.isOk()) return rollbackOnDbError(conn, removed.status());
  st = conn.commit();
  if (!st.isOk()) return fromDatabase(st).withPrefix("commit");
  return removal;
}

Result<DomainPage> listDomains(db::Connection& conn, int limit) {
  db::Param fetch = fetchLimit(limit);
  Result<db::Rows> rows = conn.query(
      "SELECT d.domain,"
      " to_char(d.created AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
      " (SELECT count(*) FROM subscriber s WHERE s.domain = d.domain)"
      " FROM domain d ORDER BY d.domain LIMIT $1",
      {fetch});
  if (!rows.isOk()) return fromDatabase(rows.status());
  const db::Rows& r = rows.value();
  DomainPage page;
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (limitFilled(page.rows.size(), limit)) {
      page.truncated = true;
      break;
    }
    DomainRow row;
    std::optional<std::string_view> name = r.text(i, 0), created = r.text(i, 1);
    if (!name || !r.getInt(i, 2, row.subscribers)) {
      return Status::internal("unexpected answer from the database (domain list)");
    }
    row.domain = std::string(*name);
    row.created = created ? std::string(*created) : std::string();
    page.rows.push_back(std::move(row));
  }
  return page;
}

}  // namespace sipline::ctl
