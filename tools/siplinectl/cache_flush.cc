#include "tools/siplinectl/cache_flush.h"

#include "core/config/settings.h"

namespace sipline::ctl {

namespace {

constexpr char kExpires[] = "cached credentials expire after auth_db's cache TTL";

// The socket to use, or a note saying why there is none.
Result<std::string> socketPath(const Invocation& inv) {
  if (!inv.mi_socket.empty()) return inv.mi_socket;
  Result<Settings> settings = loadSettings(inv.settings_file, SettingsFiles::kUnchecked);
  if (!settings.isOk()) {
    return Status::notFound("no MI socket to reach the server (" + settings.status().message() +
                            "; --mi-socket PATH names it)");
  }
  if (settings.value().mi.socket.empty()) {
    return Status::notFound("no MI socket to reach the server (" + settings.value().file +
                            " sets no mi.socket; --mi-socket PATH names it)");
  }
  return settings.value().mi.socket;
}

std::string what(const std::vector<std::string>& aors) {
  return aors.size() == 1 ? aors.front() : std::to_string(aors.size()) + " subscribers";
}

}  // namespace

FlushReport flushCredentialCache(const Invocation& inv, const MiConnect& connect,
                                 const std::vector<std::string>& aors) {
  FlushReport report;
  if (aors.empty()) {
    report.done = true;
    return report;
  }
  Result<std::string> path = socketPath(inv);
  if (!path.isOk()) {
    report.note = path.status().message() + "; if a server runs, its " + kExpires;
    return report;
  }
  report.socket = path.value();
  if (!connect) {
    report.note = std::string("this siplinectl cannot reach the MI; ") + kExpires;
    return report;
  }
  Result<std::unique_ptr<MiClient>> client = connect(report.socket);
  if (!client.isOk()) {
    report.note = client.status().code() == Code::kUnavailable
                      ? "no server answers on " + report.socket +
                            " (not running?); if one runs elsewhere, its " + kExpires
                      : client.status().message() + "; " + kExpires;
    return report;
  }
  for (const std::string& aor : aors) {
    Json params = Json::object();
    params["aor"] = aor;
    Result<Json> answer = client.value()->call(kCacheFlushCommand, params);
    if (answer.isOk()) {
      ++report.flushed;
      continue;
    }
    const Status& e = answer.status();
    if (e.code() == Code::kUnsupported) {
      report.note = "the server on " + report.socket + " has no " + kCacheFlushCommand +
                    " (auth_db is not loaded), so it caches no credentials";
    } else {
      report.note = "the server did not flush the cache for " + what(aors) + " (" + e.message() +
                    "); " + kExpires;
    }
    return report;
  }
  report.done = true;
  return report;
}

Json flushJson(const FlushReport& report) {
  Json j = Json::object();
  j["socket"] = report.socket.empty() ? Json(nullptr) : Json(report.socket);
  j["done"] = report.done;
  j["flushed"] = report.flushed;
  j["note"] = report.note.empty() ? Json(nullptr) : Json(report.note);
  return j;
}

}  // namespace sipline::ctl
