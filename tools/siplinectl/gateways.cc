#include "tools/siplinectl/gateways.h"

#include "tools/siplinectl/db_errors.h"
#include "tools/siplinectl/service_db.h"

namespace sipline::ctl {

const char* dsStateName(std::int64_t state) {
  switch (state) {
    case 0:
      return "active";
    case 1:
      return "inactive";
    case 2:
      return "probing";
    default:
      return nullptr;
  }
}

std::optional<DsState> dsStateFromName(std::string_view name) {
  if (name == "active") return DsState::kActive;
  if (name == "inactive") return DsState::kInactive;
  if (name == "probing") return DsState::kProbing;
  return std::nullopt;
}

Status addGateway(db::Connection& conn, const Gateway& gw) {
  Result<std::int64_t> added = conn.exec(
      "INSERT INTO dispatcher (setid, destination, socket, state, weight, priority, attrs,"
      " description) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
      " ON CONFLICT (setid, destination) DO NOTHING",
      {gw.setid, gw.destination, gw.socket, gw.state, gw.weight, gw.priority, gw.attrs,
       gw.description});
  if (!added.isOk()) return fromDatabase(added.status());
  if (added.value() == 0) {
    return Status::alreadyExists("set " + std::to_string(gw.setid) + " has " + gw.destination +
                                 " already");
  }
  return Status::ok();
}

Status removeGateway(db::Connection& conn, std::int64_t setid, const std::string& destination) {
  Result<std::int64_t> removed = conn.exec(
      "DELETE FROM dispatcher WHERE setid = $1 AND destination = $2", {setid, destination});
  if (!removed.isOk()) return fromDatabase(removed.status());
  if (removed.value() == 0) {
    return Status::notFound("set " + std::to_string(setid) + " has no destination " + destination);
  }
  return Status::ok();
}

Result<GatewayPage> listGateways(db::Connection& conn, std::optional<std::int64_t> setid,
                                 int limit) {
  Result<db::Rows> rows = conn.query(
      "SELECT id, setid, destination, socket, state, weight, priority, attrs, description"
      " FROM dispatcher WHERE ($1 OR setid = $2) ORDER BY setid, priority, destination"
      " LIMIT $3",
      {!setid.has_value(), setid.value_or(0), fetchLimit(limit)});
  if (!rows.isOk()) return fromDatabase(rows.status());
  const db::Rows& r = rows.value();
  GatewayPage page;
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (limitFilled(page.rows.size(), limit)) {
      page.truncated = true;
      break;
    }
    Gateway gw;
    if (!r.getInt(i, 0, gw.id) || !r.getInt(i, 1, gw.setid) || !r.getInt(i, 4, gw.state) ||
        !r.getInt(i, 5, gw.weight) || !r.getInt(i, 6, gw.priority)) {
      return unexpectedAnswer("dispatcher list");
    }
    gw.destination = cellText(r, i, 2);
    gw.socket = cellText(r, i, 3);
    gw.attrs = cellText(r, i, 7);
    gw.description = cellText(r, i, 8);
    page.rows.push_back(std::move(gw));
  }
  return page;
}

}  // namespace sipline::ctl
