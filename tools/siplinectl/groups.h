// Table grp (scripts/sql/grp.sql) as `siplinectl group` maintains it: which groups ("local",
// "ld", "int", ...) a subscriber belongs to, for the group module's db_is_user_in(). Rows are
// keyed by the subscriber's user and domain. Values come in checked (service_input.h).
// Parameterised statements only; kUnavailable when the database is gone, kInternal for any
// other database error (db_errors.h).
#pragma once

#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/db/db.h"
#include "tools/siplinectl/identity.h"

namespace sipline::ctl {

// kAlreadyExists: the subscriber is in the group. With check_subscriber, kNotFound when there
// is no such subscriber (the check and the INSERT are one transaction).
Status addToGroup(db::Connection& conn, const Aor& aor, const std::string& group,
                  bool check_subscriber);

// kNotFound: the subscriber is not in the group.
Status removeFromGroup(db::Connection& conn, const Aor& aor, const std::string& group);

struct GroupMembership {
  Aor aor;
  std::string group;
  std::string last_modified;  // ISO 8601 UTC
};

// The subscriber's groups, by name (empty when none).
Result<std::vector<GroupMembership>> groupsOf(db::Connection& conn, const Aor& aor);

struct GroupPage {
  std::vector<GroupMembership> rows;  // by domain, user
  bool truncated = false;
};
// The members of a group; limit 0 = no limit.
Result<GroupPage> groupMembers(db::Connection& conn, const std::string& group, int limit);

}  // namespace sipline::ctl
