// System accounts named in the settings (user, group, mi.socket_user, mi.socket_group): a
// name from the account database or a numeric id, as chown(1) takes them.
#pragma once

#include <sys/types.h>

#include <string>

#include "core/base/status.h"

namespace sipline {

// The uid of `user`: its number, or the passwd entry of that name; NotFound if there is none.
Result<uid_t> userId(const std::string& user);
// The gid of `group`, likewise.
Result<gid_t> groupId(const std::string& group);
// The name of the account `uid` has in the passwd database; "" when it has none (a bare id).
std::string userName(uid_t uid);

}  // namespace sipline
