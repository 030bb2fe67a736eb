#include "tools/siplinectl/subscribers.h"

#include "core/crypto/digest.h"
#include "tools/siplinectl/db_errors.h"
#include "tools/siplinectl/service_db.h"

namespace sipline::ctl {

namespace {

using crypto::DigestAlgorithm;

// to_char keeps the text independent of the session's DateStyle and time zone.
constexpr char kCreatedColumn[] =
    "to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";

}  // namespace

Ha1Set ha1For(const Aor& aor, std::string_view password) {
  return Ha1Set{crypto::digestHa1(DigestAlgorithm::kMd5, aor.user, aor.domain, password),
                crypto::digestHa1(DigestAlgorithm::kSha256, aor.user, aor.domain, password),
                crypto::digestHa1(DigestAlgorithm::kSha512_256, aor.user, aor.domain, password)};
}

namespace {

Status insertSubscriber(db::Connection& conn, const NewSubscriber& sub) {
  const Ha1Set h = ha1For(sub.aor, sub.password);
  Result<std::int64_t> added = conn.exec(
      "INSERT INTO subscriber (username, domain, password, ha1, ha1_sha256, ha1_sha512t256,"
      " email_address) VALUES ($1, $2, $3, $4, $5, $6, $7)"
      " ON CONFLICT (username, domain) DO NOTHING",
      {sub.aor.user, sub.aor.domain, sub.store_password ? sub.password : std::string(), h.md5,
       h.sha256, h.sha512_256, sub.email});
  if (!added.isOk()) return fromDatabase(added.status());
  if (added.value() == 0) {
    return Status::alreadyExists("subscriber " + sub.aor.text() +
                                 " exists already ('siplinectl subscriber passwd' changes its "
                                 "password)");
  }
  return Status::ok();
}

}  // namespace

Status addSubscriber(db::Connection& conn, const NewSubscriber& sub) {
  if (!sub.check_domain) return insertSubscriber(conn, sub);
  // The check and the INSERT in one transaction, the domain row locked FOR SHARE: a
  // concurrent `domain rm` (which locks it FOR UPDATE) waits for us, or we for it and then
  // find the domain gone; no subscriber is left in a removed domain.
  Status st = conn.begin();
  if (!st.isOk()) return fromDatabase(st);
  Result<db::Rows> known =
      conn.query("SELECT 1 FROM domain WHERE domain = $1 FOR SHARE", {sub.aor.domain});
  if (!known.isOk()) return rollbackWith(conn, fromDatabase(known.status()));
  if (known.value().empty()) {
    return rollbackWith(conn, refusal("domain " + sub.aor.domain +
                                      " is not in table domain ('siplinectl domain add " +
                                      sub.aor.domain + "' adds it; --force skips this check)"));
  }
  st = insertSubscriber(conn, sub);
  if (!st.isOk()) return rollbackWith(conn, st);
  st = conn.commit();
  if (!st.isOk()) return fromDatabase(st).withPrefix("commit");
  return Status::ok();
}

Status setSubscriberPassword(db::Connection& conn, const Aor& aor, std::string_view password,
                             bool store_password) {
  const Ha1Set h = ha1For(aor, password);
  Result<std::int64_t> changed = conn.exec(
      "UPDATE subscriber SET password = $3, ha1 = $4, ha1_sha256 = $5, ha1_sha512t256 = $6"
      " WHERE username = $1 AND domain = $2",
      {aor.user, aor.domain, store_password ? std::string(password) : std::string(), h.md5,
       h.sha256, h.sha512_256});
  if (!changed.isOk()) return fromDatabase(changed.status());
  if (changed.value() == 0) return Status::notFound("no subscriber " + aor.text());
  return Status::ok();
}

Status removeSubscriber(db::Connection& conn, const Aor& aor) {
  Result<std::int64_t> removed = conn.exec(
      "DELETE FROM subscriber WHERE username = $1 AND domain = $2", {aor.user, aor.domain});
  if (!removed.isOk()) return fromDatabase(removed.status());
  if (removed.value() == 0) return Status::notFound("no subscriber " + aor.text());
  return Status::ok();
}

Result<SubscriberRow> findSubscriber(db::Connection& conn, const Aor& aor) {
  Result<db::Rows> rows = conn.query(std::string("SELECT id, email_address, ") + kCreatedColumn +
                                         ", password <> '', ha1, ha1_sha256, ha1_sha512t256"
                                         " FROM subscriber WHERE username = $1 AND domain = $2",
                                     {aor.user, aor.domain});
  if (!rows.isOk()) return fromDatabase(rows.status());
  const db::Rows& r = rows.value();
  if (r.empty()) return Status::notFound("no subscriber " + aor.text());
  SubscriberRow row;
  row.aor = aor;
  if (!r.getInt(0, 0, row.id) || !r.getBool(0, 3, row.password_stored)) {
    return unexpectedAnswer("subscriber " + aor.text());
  }
  row.email = cellText(r, 0, 1);
  row.created = cellText(r, 0, 2);
  row.ha1 = Ha1Set{cellText(r, 0, 4), cellText(r, 0, 5), cellText(r, 0, 6)};
  return row;
}

Result<SubscriberPage> listSubscribers(db::Connection& conn, const std::string& domain, int limit) {
  // One more row than asked tells whether the list was cut.
  std::int64_t fetch = limit > 0 ? std::int64_t{limit} + 1 : INT64_MAX;
  Result<db::Rows> rows =
      conn.query(std::string("SELECT id, username, domain, email_address, ") + kCreatedColumn +
                     ", password <> '' FROM subscriber WHERE ($1 = '' OR domain = $1)"
                     " ORDER BY domain, username LIMIT $2",
                 {domain, db::Param(fetch)});
  if (!rows.isOk()) return fromDatabase(rows.status());
  const db::Rows& r = rows.value();
  SubscriberPage page;
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (limit > 0 && page.rows.size() == static_cast<std::size_t>(limit)) {
      page.truncated = true;
      break;
    }
    SubscriberRow row;
    if (!r.getInt(i, 0, row.id) || !r.getBool(i, 5, row.password_stored)) {
      return unexpectedAnswer("subscriber list");
    }
    row.aor = Aor{cellText(r, i, 1), cellText(r, i, 2)};
    row.email = cellText(r, i, 3);
    row.created = cellText(r, i, 4);
    page.rows.push_back(std::move(row));
  }
  return page;
}

}  // namespace sipline::ctl
