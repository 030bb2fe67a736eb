#include "modules/alias_db/alias_db_config.h"

#include <utility>

#include "core/db/db.h"
#include "core/db/schema.h"

namespace sipline::alias_db {

Result<Flags> parseFlags(std::string_view text) {
  Flags f;
  for (char c : text) {
    switch (c) {
      case 'd':
        f.no_domain = true;
        break;
      case 'r':
        f.reverse = true;
        break;
      default:
        return Status::invalidArgument(std::string("unknown flag '") + c +
                                       "' (d: ignore the domain, r: reverse lookup)");
    }
  }
  return f;
}

Status checkConfig(const Config& c) {
  const std::pair<const char*, const std::string*> columns[] = {
      {"user_column", &c.user_column},
      {"domain_column", &c.domain_column},
      {"alias_user_column", &c.alias_user_column},
      {"alias_domain_column", &c.alias_domain_column}};
  for (const auto& [param, value] : columns) {
    if (!db::isSqlIdentifier(*value)) {
      return Status::invalidArgument(std::string("alias_db: ") + param + " \"" + *value +
                                     "\" is not a column name ([A-Za-z_][A-Za-z0-9_]*)");
    }
  }
  if (c.db_url.empty()) {
    return Status::invalidArgument(
        "alias_db: db_url is required (e.g. postgres://sipline@127.0.0.1/sipline)");
  }
  Result<db::DbUrl> url = db::parseDbUrl(c.db_url);
  if (!url.isOk()) return url.status().withPrefix("alias_db: db_url");
  return Status::ok();
}

}  // namespace sipline::alias_db
