#include "modules/auth_db/auth_db_mi.h"

#include <optional>
#include <string>

namespace sipline::auth_db {

Result<Json> miCacheFlush(Service& service, const MiParams& params) {
  std::optional<std::string> user;
  std::string domain;
  if (params.has("aor")) {
    std::string aor = params.str("aor");
    if (aor.rfind("sip:", 0) == 0) aor.erase(0, 4);
    std::size_t at = aor.rfind('@');
    if (at == std::string::npos) {
      if (service.config().use_domain || aor.empty()) {
        return Status::invalidArgument("aor must be user@domain, got \"" + params.str("aor") +
                                       "\"");
      }
      user = aor;
    } else {
      user = aor.substr(0, at);
      domain = aor.substr(at + 1);
      if (user->empty() || domain.empty()) {
        return Status::invalidArgument("aor must be user@domain, got \"" + params.str("aor") +
                                       "\"");
      }
    }
  }
  std::uint64_t n = service.flushCache(user, domain);
  Json out = Json::object();
  out["cache"] = service.cache() != nullptr;
  out["flushed"] = n;
  out["entries"] = service.cache() != nullptr ? service.cache()->size() : 0;
  return out;
}

}  // namespace sipline::auth_db
