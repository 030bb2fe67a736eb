// Table dispatcher (scripts/sql/dispatcher.sql) as `siplinectl dispatcher` maintains it: the
// destinations (gateways, media servers) of the dispatcher module's sets. Values come in
// checked (service_input.h). Parameterised statements only; kUnavailable when the database is
// gone, kInternal for any other database error (db_errors.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/db/db.h"

namespace sipline::ctl {

// The administrative state column: 0 active, 1 inactive, 2 probing.
enum class DsState : int { kActive = 0, kInactive = 1, kProbing = 2 };
// "active", "inactive", "probing"; nullptr for anything else.
const char* dsStateName(std::int64_t state);
// By name; nullopt for an unknown one.
std::optional<DsState> dsStateFromName(std::string_view name);

struct Gateway {
  std::int64_t id = 0;  // read back only
  std::int64_t setid = 0;
  std::string destination;  // a sip:/sips: URI
  std::string socket;       // "" = any
  std::int64_t state = 0;   // DsState
  std::int64_t weight = 1;
  std::int64_t priority = 0;
  std::string attrs;
  std::string description;
};

// kAlreadyExists: the set holds that destination already (nothing changed).
Status addGateway(db::Connection& conn, const Gateway& gw);

// kNotFound: the set has no such destination.
Status removeGateway(db::Connection& conn, std::int64_t setid, const std::string& destination);

struct GatewayPage {
  std::vector<Gateway> rows;  // by set, priority, destination
  bool truncated = false;
};
// setid nullopt = every set; limit 0 = no limit.
Result<GatewayPage> listGateways(db::Connection& conn, std::optional<std::int64_t> setid,
                                 int limit);

}  // namespace sipline::ctl
