#include "tools/siplinectl/aliases.h"

#include "tools/siplinectl/db_errors.h"
#include "tools/siplinectl/service_db.h"

namespace sipline::ctl {

Status addAlias(db::Connection& conn, const AliasRow& row, bool check_subscriber) {
  return withSubscriber(conn, row.target, check_subscriber, [&]() -> Status {
    // The routes look aliases up before the location: such an alias would take over the
    // subscriber's calls.
    Result<db::Rows> shadowed =
        conn.query("SELECT 1 FROM subscriber WHERE username = $1 AND domain = $2",
                   {row.alias.user, row.alias.domain});
    if (!shadowed.isOk()) return fromDatabase(shadowed.status());
    if (!shadowed.value().empty()) {
      return Status::alreadyExists("alias " + row.alias.text() +
                                   " is a subscriber's address; its calls would go to " +
                                   row.target.text() + " (call forwarding does that)");
    }
    Result<std::int64_t> added = conn.exec(
        "INSERT INTO dbaliases (alias_username, alias_domain, username, domain)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (alias_username, alias_domain) DO NOTHING",
        {row.alias.user, row.alias.domain, row.target.user, row.target.domain});
    if (!added.isOk()) return fromDatabase(added.status());
    if (added.value() != 0) return Status::ok();
    Result<db::Rows> owner = conn.query(
        "SELECT username, domain FROM dbaliases WHERE alias_username = $1 AND alias_domain = $2",
        {row.alias.user, row.alias.domain});
    std::string whose;
    if (owner.isOk() && owner.value().size() == 1) {
      whose = " (for " + cellText(owner.value(), 0, 0) + "@" + cellText(owner.value(), 0, 1) + ")";
    }
    return Status::alreadyExists("alias " + row.alias.text() + " exists already" + whose);
  });
}

Result<AliasRow> removeAlias(db::Connection& conn, const std::string& user,
                             const std::optional<std::string>& domain) {
  // RETURNING tells what went; without a domain, more than one row means the name was
  // ambiguous, and the transaction puts them back.
  Status st = conn.begin();
  if (!st.isOk()) return fromDatabase(st);
  Result<db::Rows> removed = conn.query(
      "DELETE FROM dbaliases WHERE alias_username = $1 AND ($2 OR alias_domain = $3)"
      " RETURNING alias_domain, username, domain",
      {user, !domain.has_value(), domain.value_or("")});
  if (!removed.isOk()) return rollbackWith(conn, fromDatabase(removed.status()));
  const db::Rows& r = removed.value();
  if (r.empty()) {
    return rollbackWith(
        conn, Status::notFound("no alias " + user + (domain ? "@" + *domain : std::string())));
  }
  if (r.size() > 1) {
    std::string domains;
    for (std::size_t i = 0; i < r.size(); ++i) {
      domains += (i == 0 ? "" : ", ") + user + "@" + cellText(r, i, 0);
    }
    return rollbackWith(conn, refusal("alias " + user + " exists in " + std::to_string(r.size()) +
                                      " domains (" + domains + "); name one as ALIAS@DOMAIN"));
  }
  AliasRow row{Aor{user, cellText(r, 0, 0)}, Aor{cellText(r, 0, 1), cellText(r, 0, 2)}};
  st = conn.commit();
  if (!st.isOk()) return fromDatabase(st).withPrefix("commit");
  return row;
}

Result<AliasPage> listAliases(db::Connection& conn, const std::optional<Aor>& target, int limit) {
  Result<db::Rows> rows = conn.query(
      "SELECT alias_username, alias_domain, username, domain FROM dbaliases"
      " WHERE ($1 OR (username = $2 AND domain = $3))"
      " ORDER BY alias_domain, alias_username LIMIT $4",
      {!target.has_value(), target ? target->user : std::string(),
       target ? target->domain : std::string(), fetchLimit(limit)});
  if (!rows.isOk()) return fromDatabase(rows.status());
  const db::Rows& r = rows.value();
  AliasPage page;
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (limitFilled(page.rows.size(), limit)) {
      page.truncated = true;
      break;
    }
    page.rows.push_back(AliasRow{Aor{cellText(r, i, 0), cellText(r, i, 1)},
                                 Aor{cellText(r, i, 2), cellText(r, i, 3)}});
  }
  return page;
}

}  // namespace sipline::ctl
