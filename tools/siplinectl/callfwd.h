// Call forwarding in table usr_preferences (scripts/sql/usr_preferences.sql), as `siplinectl
// callfwd` maintains it and avpops' avp_db_load reads it: per subscriber (username, domain)
// the attributes "callfwd" (unconditional), "fwdbusy" and "fwdnoanswer", type 0 (string), one
// row each holding a SIP URI. Setting one replaces every row of that attribute. Values come
// in checked (service_input.h). Parameterised statements only; kUnavailable when the database
// is gone, kInternal for any other database error (db_errors.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/db/db.h"
#include "tools/siplinectl/identity.h"

namespace sipline::ctl {

inline constexpr char kFwdAlways[] = "callfwd";
inline constexpr char kFwdBusy[] = "fwdbusy";
inline constexpr char kFwdNoAnswer[] = "fwdnoanswer";

struct Forwarding {
  std::optional<std::string> always, busy, noanswer;  // nullopt = not set / leave alone
};

// Replaces the attributes `fwd` sets (others stay), in one transaction. With
// check_subscriber, kNotFound when there is no such subscriber.
Status setForwarding(db::Connection& conn, const Aor& aor, const Forwarding& fwd,
                     bool check_subscriber);

// Removes the named attributes ("callfwd", ...); returns how many rows went (0 is fine:
// nothing was set).
Result<std::int64_t> clearForwarding(db::Connection& conn, const Aor& aor,
                                     const std::vector<std::string>& attributes);

// The subscriber's forwardings (a value per attribute; with several rows of one attribute,
// which no siplinectl writes, the newest).
Result<Forwarding> showForwarding(db::Connection& conn, const Aor& aor);

}  // namespace sipline::ctl
