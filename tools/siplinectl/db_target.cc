#include "tools/siplinectl/db_target.h"

#include <variant>

namespace sipline::ctl {

namespace {

std::string article(const std::string& type_name) {
  return (type_name.front() == 'i' ? "an " : "a ") + type_name;
}

}  // namespace

Result<DbTarget> dbTargetFromSettings(const Settings& settings) {
  DbTarget target;
  std::string first_module;
  for (const ModuleConfig& module : settings.modules) {
    const ModuleParamValue* param = module.findParam("db_url");
    if (param == nullptr) continue;
    const std::string where = settings.file + ":" + std::to_string(param->line);
    const std::string* url = std::get_if<std::string>(&param->value);
    if (url == nullptr || url->empty()) {
      return Status::invalidArgument(where + ": " + module.name +
                                     " db_url must be a non-empty string, got " +
                                     (url == nullptr ? article(param->typeName()) : "\"\""));
    }
    if (target.url.empty()) {
      target.url = *url;
      target.source = where + " (" + module.name + " db_url)";
      first_module = module.name;
    } else if (*url != target.url) {
      target.warnings.push_back(where + ": " + module.name +
                                " db_url names another database than " + first_module +
                                "'s; using " + first_module + "'s (--db-url chooses)");
    }
  }
  if (target.url.empty()) {
    return Status::notFound(settings.file + ": no module group sets db_url");
  }
  return target;
}

Result<DbTarget> resolveDbTarget(const Invocation& inv, const char* env_url) {
  if (!inv.db_url.empty()) return DbTarget{inv.db_url, "--db-url", {}};
  if (env_url != nullptr && *env_url != '\0') return DbTarget{env_url, kDbUrlEnv, {}};
  Result<Settings> settings = loadSettings(inv.settings_file, SettingsFiles::kUnchecked);
  if (!settings.isOk()) {
    return Status::invalidArgument(settings.status().message() +
                                   " (siplinectl reads the DB URL from the server's settings;" +
                                   " -f FILE names them, --db-url URL bypasses them)");
  }
  Result<DbTarget> target = dbTargetFromSettings(settings.value());
  if (!target.isOk() && target.status().code() == Code::kNotFound) {
    return Status::notFound(target.status().message() + " (give --db-url URL or set " + kDbUrlEnv +
                            ")");
  }
  return target;
}

}  // namespace sipline::ctl
