#include "modules/auth_db/auth_db_config.h"

#include "core/db/db.h"
#include "core/db/schema.h"

namespace sipline::auth_db {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool isAvpName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Result<std::vector<LoadedColumn>> parseLoadCredentials(std::string_view text) {
  std::vector<LoadedColumn> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t semi = text.find(';', start);
    std::string_view item = trim(
        text.substr(start, semi == std::string_view::npos ? std::string_view::npos : semi - start));
    start = semi == std::string_view::npos ? text.size() + 1 : semi + 1;
    if (item.empty()) continue;
    LoadedColumn lc;
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      lc.column = std::string(item);
      lc.avp = lc.column;
    } else {
      std::string_view lhs = trim(item.substr(0, eq));
      std::string_view rhs = trim(item.substr(eq + 1));
      constexpr std::string_view kOpen = "$avp(";
      if (lhs.size() <= kOpen.size() + 1 || lhs.substr(0, kOpen.size()) != kOpen ||
          lhs.back() != ')' ||
          !isAvpName(lhs.substr(kOpen.size(), lhs.size() - kOpen.size() - 1))) {
        return Status::invalidArgument("load_credentials: \"" + std::string(item) +
                                       "\": the left side must be $avp(name)");
      }
      lc.avp = std::string(lhs.substr(kOpen.size(), lhs.size() - kOpen.size() - 1));
      lc.column = std::string(rhs);
    }
    if (!db::isSqlIdentifier(lc.column)) {
      return Status::invalidArgument("load_credentials: \"" + std::string(item) + "\": \"" +
                                     lc.column + "\" is not a column name");
    }
    out.push_back(std::move(lc));
  }
  if (out.size() > 32) return Status::invalidArgument("load_credentials: more than 32 columns");
  return out;
}

Status checkConfig(const Config& c) {
  const std::pair<const char*, const std::string*> columns[] = {
      {"user_column", &c.user_column},
      {"domain_column", &c.domain_column},
      {"password_column", &c.password_column},
      {"hash_column", &c.hash_column},
      {"hash_column_sha256", &c.hash_column_sha256},
      {"hash_column_sha512t256", &c.hash_column_sha512t256}};
  for (const auto& [param, value] : columns) {
    if (!db::isSqlIdentifier(*value)) {
      return Status::invalidArgument(std::string("auth_db: ") + param + " \"" + *value +
                                     "\" is not a column name ([A-Za-z_][A-Za-z0-9_]*)");
    }
  }
  Result<std::vector<LoadedColumn>> lc = parseLoadCredentials(c.load_credentials);
  if (!lc.isOk()) return lc.status().withPrefix("auth_db");
  if (c.db_url.empty()) {
    return Status::invalidArgument(
        "auth_db: db_url is required (e.g. postgres://sipline@127.0.0.1/sipline)");
  }
  Result<db::DbUrl> url = db::parseDbUrl(c.db_url);
  if (!url.isOk()) return url.status().withPrefix("auth_db: db_url");
  if (c.db_error_reply != 0 && (c.db_error_reply < 500 || c.db_error_reply > 599)) {
    return Status::invalidArgument("auth_db: db_error_reply must be 0 or a 5xx code, got " +
                                   std::to_string(c.db_error_reply));
  }
  return Status::ok();
}

}  // namespace sipline::auth_db
