#include "tools/siplinectl/addresses.h"

#include "tools/siplinectl/db_errors.h"
#include "tools/siplinectl/service_db.h"

namespace sipline::ctl {

std::string addressText(const AddressRow& row) { return row.ip + "/" + std::to_string(row.mask); }

namespace {

// The INSERT unless an equal row exists (the caller holds the table lock).
Status insertAddress(db::Connection& conn, const AddressRow& row) {
  Result<std::int64_t> added = conn.exec(
      "INSERT INTO address (grp, ip, mask, port, proto, pattern, context_info)"
      " SELECT * FROM (VALUES ($1::integer, $2::text, $3::integer, $4::integer, $5::text,"
      " $6::text, $7::text)) AS v (grp, ip, mask, port, proto, pattern, context_info)"
      " WHERE NOT EXISTS (SELECT 1 FROM address a WHERE a.grp = v.grp AND a.ip = v.ip"
      " AND a.mask = v.mask AND a.port = v.port AND a.proto = v.proto)",
      {row.group, row.ip, row.mask, row.port, row.proto, row.pattern, row.context});
  if (!added.isOk()) return fromDatabase(added.status());
  if (added.value() == 0) {
    return Status::alreadyExists("group " + std::to_string(row.group) + " has " + addressText(row) +
                                 " port " +
                                 (row.port == 0 ? std::string("any") : std::to_string(row.port)) +
                                 " proto " + row.proto + " already");
  }
  return Status::ok();
}

}  // namespace

Status addAddress(db::Connection& conn, const AddressRow& row) {
  // The table has no unique key, so a lock makes the check and the INSERT atomic: SHARE ROW
  // EXCLUSIVE conflicts with itself (a second `address add` waits for this commit, and its
  // NOT EXISTS then sees this row) but not with readers (the module's reload).
  return inTransaction(conn, [&]() -> Status {
    Result<std::int64_t> locked = conn.exec("LOCK TABLE address IN SHARE ROW EXCLUSIVE MODE", {});
    if (!locked.isOk()) return fromDatabase(locked.status());
    return insertAddress(conn, row);
  });
}

Result<std::int64_t> removeAddresses(db::Connection& conn, std::int64_t group,
                                     const std::string& ip, std::int64_t mask,
                                     std::optional<std::int64_t> port,
                                     std::optional<std::string> proto) {
  Result<std::int64_t> removed = conn.exec(
      "DELETE FROM address WHERE grp = $1 AND ip = $2 AND mask = $3 AND ($4 OR port = $5)"
      " AND ($6 OR proto = $7)",
      {group, ip, mask, !port.has_value(), port.value_or(0), !proto.has_value(),
       proto.value_or("")});
  if (!removed.isOk()) return fromDatabase(removed.status());
  if (removed.value() == 0) {
    std::string what = ip + "/" + std::to_string(mask);
    if (port) what += " port " + std::to_string(*port);
    if (proto) what += " proto " + *proto;
    return Status::notFound("group " + std::to_string(group) + " has no " + what);
  }
  return removed.value();
}

Result<AddressPage> listAddresses(db::Connection& conn, std::optional<std::int64_t> group,
                                  int limit) {
  Result<db::Rows> rows = conn.query(
      "SELECT id, grp, ip, mask, port, proto, pattern, context_info FROM address"
      " WHERE ($1 OR grp = $2) ORDER BY grp, ip, mask, port, proto, id LIMIT $3",
      {!group.has_value(), group.value_or(0), fetchLimit(limit)});
  if (!rows.isOk()) return fromDatabase(rows.status());
  const db::Rows& r = rows.value();
  AddressPage page;
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (limitFilled(page.rows.size(), limit)) {
      page.truncated = true;
      break;
    }
    AddressRow row;
    if (!r.getInt(i, 0, row.id) || !r.getInt(i, 1, row.group) || !r.getInt(i, 3, row.mask) ||
        !r.getInt(i, 4, row.port)) {
      return unexpectedAnswer("address list");
    }
    row.ip = cellText(r, i, 2);
    row.proto = cellText(r, i, 5);
    row.pattern = cellText(r, i, 6);
    row.context = cellText(r, i, 7);
    page.rows.push_back(std::move(row));
  }
  return page;
}

}  // namespace sipline::ctl
