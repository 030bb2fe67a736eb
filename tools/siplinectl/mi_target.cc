#include "tools/siplinectl/mi_target.h"

#include "core/config/settings.h"
#include "tools/siplinectl/http_client.h"

namespace sipline::ctl {

namespace {

Result<MiTarget> httpTarget(const std::string& url, const std::string& source,
                            const Invocation& inv, const char* env_password) {
  Result<HttpUrl> parsed = parseHttpUrl(url);
  if (!parsed.isOk()) {
    return Status::invalidArgument(parsed.status().message() + " (from " + source + ")");
  }
  HttpUrl u = parsed.value();
  if (!inv.http_user.empty()) u.user = inv.http_user;
  const bool env_has_password = env_password != nullptr && *env_password != '\0';
  if (env_has_password && (!inv.http_user.empty() || u.password.empty())) u.password = env_password;
  MiTarget t;
  t.http = true;
  t.source = source;
  const std::string host = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
  const std::string where = host + ":" + std::to_string(u.port) + u.path;
  std::string userinfo;
  if (!u.user.empty() || !u.password.empty()) {
    userinfo =
        encodeUserInfo(u.user) + (u.password.empty() ? "" : ":" + encodeUserInfo(u.password)) + "@";
  }
  t.connect = "http://" + userinfo + where;
  t.shown = u.text;
  return t;
}

// mi.http as an address to connect to: a server listening on every address (0.0.0.0, [::])
// is reached on loopback.
std::string reachableAddress(const std::string& listen) {
  if (listen.rfind("0.0.0.0:", 0) == 0) return "127.0.0.1" + listen.substr(7);
  if (listen.rfind("[::]:", 0) == 0) return "[::1]" + listen.substr(4);
  return listen;
}

}  // namespace

Result<MiTarget> resolveMiTarget(const Invocation& inv, const char* env_url,
                                 const char* env_password) {
  if (!inv.mi_url.empty() && !inv.mi_socket.empty()) {
    return Status::invalidArgument("give --url or --mi-socket, not both");
  }
  if (!inv.mi_url.empty()) return httpTarget(inv.mi_url, "--url", inv, env_password);
  if (!inv.mi_socket.empty()) {
    if (!inv.http_user.empty()) return Status::invalidArgument("--http-user needs an http:// URL");
    return MiTarget{inv.mi_socket, inv.mi_socket, "--mi-socket", false};
  }
  if (env_url != nullptr && *env_url != '\0') {
    return httpTarget(env_url, kMiUrlEnv, inv, env_password);
  }
  if (!inv.http_user.empty()) {
    return Status::invalidArgument("--http-user needs --url or SIPLINE_MI_URL");
  }
  Result<Settings> settings = loadSettings(inv.settings_file, SettingsFiles::kUnchecked);
  if (!settings.isOk()) {
    return Status::notFound("no MI to reach the server: " + settings.status().message() +
                            " (--mi-socket PATH or --url URL name one)");
  }
  const MiSettings& mi = settings.value().mi;
  if (!mi.socket.empty()) {
    return MiTarget{mi.socket, mi.socket, settings.value().file + " (mi.socket)", false};
  }
  if (mi.http.empty()) {
    return Status::notFound("no MI to reach the server: " + settings.value().file +
                            " sets neither mi.socket nor mi.http (--mi-socket PATH or --url URL "
                            "name one)");
  }
  // The endpoint's own credentials: whoever may read the settings file (root, the server's
  // user) may read them, and siplinectl runs as one of those.
  std::string userinfo;
  if (!mi.http_user.empty() || !mi.http_password.empty()) {
    userinfo = encodeUserInfo(mi.http_user) + ":" + encodeUserInfo(mi.http_password) + "@";
  }
  return httpTarget("http://" + userinfo + reachableAddress(mi.http) + "/mi",
                    settings.value().file + " (mi.http)", inv, env_password);
}

}  // namespace sipline::ctl
