#include "core/config/settings.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <libconfig.h++>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/base/strings.h"
#include "core/config/config_lint.h"

namespace sipline {
namespace {

using libconfig::Setting;
namespace fs = std::filesystem;

// clang-format off
constexpr const char* kFacilities[] = {"daemon", "user",   "local0", "local1", "local2",
                                       "local3", "local4", "local5", "local6", "local7"};
// clang-format on

// The members of the `mi` group.
constexpr std::string_view kMiKeys[] = {"socket", "socket_mode", "socket_user",  "socket_group",
                                        "http",   "http_user",   "http_password"};

// The members of the `tls` group, and of each profile in tls.server and tls.client.
constexpr std::string_view kTlsKeys[] = {"handshake_timeout", "server", "client"};
constexpr std::string_view kTlsProfileKeys[] = {"name",
                                                "match",
                                                "certificate",
                                                "private_key",
                                                "ca_list",
                                                "verify_peer",
                                                "require_peer_certificate",
                                                "ciphers",
                                                "min_version"};

const char* typeText(Setting::Type type) {
  switch (type) {
    case Setting::TypeInt:
    case Setting::TypeInt64:
      return "an integer";
    case Setting::TypeFloat:
      return "a float";
    case Setting::TypeString:
      return "a string";
    case Setting::TypeBoolean:
      return "a boolean";
    case Setting::TypeGroup:
      return "a group";
    case Setting::TypeArray:
      return "an array";
    case Setting::TypeList:
      return "a list";
    default:
      return "nothing";
  }
}

bool isLowerName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!std::islower(static_cast<unsigned char>(c)) &&
        !std::isdigit(static_cast<unsigned char>(c)) && c != '_') {
      return false;
    }
  }
  return true;
}

// Whether OpenSSL's TLS 1.2 cipher list syntax selects at least one cipher from `list`.
bool ciphersSelectSome(const std::string& list) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  if (ctx == nullptr) return true;  // cannot tell here; the TLS context load checks again
  const bool ok = SSL_CTX_set_cipher_list(ctx, list.c_str()) == 1;
  SSL_CTX_free(ctx);
  ERR_clear_error();
  return ok;
}

bool isAllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

class Loader {
 public:
  Loader(std::string file, std::string dir, const std::string& text, SettingsFiles files)
      : file_(std::move(file)), dir_(std::move(dir)), text_(text), files_(files) {
    settings_.file = file_;
    settings_.dir = dir_;
  }

  Result<Settings> load() {
    // Before libconfig: its error path for `loadmodule "tm.so"` says only "syntax error" (and
    // libconfig 1.5 leaks the string token while saying it).
    if (const LintFinding bare = findBareName(text_); bare.found()) {
      if (const char* hint = legacyNameHint(bare.text)) {
        return Status::invalidArgument(file_ + ":" + std::to_string(bare.line) +
                                       ": syntax error (OpenSIPS 1.x '" + bare.text + "': " + hint +
                                       ")");
      }
    }
    libconfig::Config config;
    config.setAutoConvert(false);
    config.setIncludeDir(dir_.c_str());
    try {
      config.readString(withRelativeIncludes());
    } catch (const libconfig::ParseException& e) {
      return parseError(e);
    } catch (const libconfig::ConfigException& e) {
      return Status::invalidArgument(file_ + ": cannot be parsed: " + e.what());
    }
    if (const LintFinding wrapped = findWrappedInteger(text_); wrapped.found()) {
      return Status::invalidArgument(file_ + ":" + std::to_string(wrapped.line) + ": integer " +
                                     wrapped.text + " does not fit in 32 bits; write " +
                                     wrapped.text + "L for a 64-bit integer");
    }
    try {
      Status st = walk(config.getRoot());
      if (!st.isOk()) return st;
    } catch (const libconfig::ConfigException& e) {
      return Status::internal(file_ + ": unexpected libconfig error: " + e.what());
    } catch (const std::exception& e) {
      return Status::internal(file_ + ": " + e.what());
    }
    return std::move(settings_);
  }

  // Top-level keys, then the mi members as "mi.NAME" (knownSettingKeysForTest()).
  static std::vector<std::string> keyNames() {
    std::vector<std::string> names;
    for (const Key& k : keyTable()) names.emplace_back(k.name);
    for (std::string_view m : kMiKeys) names.push_back("mi." + std::string(m));
    for (std::string_view t : kTlsKeys) names.push_back("tls." + std::string(t));
    for (const char* side : {"tls.server.", "tls.client."}) {
      for (std::string_view k : kTlsProfileKeys) {
        // Refused in a client profile (with its own message): not a client key.
        if (side[4] == 'c' && k == "require_peer_certificate") continue;
        names.push_back(side + std::string(k));
      }
    }
    return names;
  }

 private:
  using Handler = Status (*)(Loader&, const Setting&);
  struct Key {
    const char* name;
    Handler handle;
  };

  // The line of `s` (0: none): libconfig's, corrected for a string element of a list or array
  // (libconfig records the line of the token after it; stringElementLine()), in this file or
  // in an @include'd one (read again here; unreadable: libconfig's line).
  int settingLine(const Setting& s) const {
    const int line = static_cast<int>(s.getSourceLine());
    if (line == 0 || s.isRoot() || s.getType() != Setting::TypeString ||
        !(s.getParent().isList() || s.getParent().isArray())) {
      return line;
    }
    if (s.getSourceFile() == nullptr) {
      return stringElementLine(text_, line, static_cast<const char*>(s));
    }
    std::ifstream in(resolve(s.getSourceFile()));
    const std::string included((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    return in ? stringElementLine(included, line, static_cast<const char*>(s)) : line;
  }

  // "FILE:LINE: " of `s`, using the nearest ancestor that has a line.
  std::string where(const Setting& s) const {
    const Setting* at = &s;
    while (at->getSourceLine() == 0 && !at->isRoot()) at = &at->getParent();
    std::string file = file_;
    if (at->getSourceFile() != nullptr) file = resolve(at->getSourceFile());
    if (at->getSourceLine() == 0) return file + ": ";
    return file + ":" + std::to_string(settingLine(*at)) + ": ";
  }

  Status fail(const Setting& s, const std::string& message) const {
    return Status::invalidArgument(where(s) + message);
  }

  Status typeError(const Setting& s, const std::string& key, const std::string& expected) const {
    return fail(s, "'" + key + "' must be " + expected + ", got " + typeText(s.getType()));
  }

  // libconfig 1.5 prefixes the include directory to every @include path, absolute ones too;
  // rewrites absolute paths in this file relative to dir_ (lines and columns of other text
  // stay put). Absolute @include inside included files is not rewritten.
  std::string withRelativeIncludes() const {
    std::string out;
    std::size_t pos = 0;
    while (pos < text_.size()) {
      std::size_t end = text_.find('\n', pos);
      if (end == std::string::npos) end = text_.size();
      std::string line = text_.substr(pos, end - pos);
      const std::size_t at = line.find_first_not_of(" \t");
      const std::size_t q1 = line.find('"');
      const std::size_t q2 = q1 == std::string::npos ? q1 : line.find('"', q1 + 1);
      if (at != std::string::npos && line.compare(at, 8, "@include") == 0 &&
          q2 != std::string::npos && line[q1 + 1] == '/') {
        const fs::path target(line.substr(q1 + 1, q2 - q1 - 1));
        line.replace(q1 + 1, q2 - q1 - 1, target.lexically_relative(dir_).string());
      }
      out += line;
      if (end < text_.size()) out += '\n';
      pos = end + 1;
    }
    return out;
  }

  std::string resolve(const std::string& path) const {
    fs::path p(path);
    if (p.is_relative()) p = fs::path(dir_) / p;
    return p.lexically_normal().string();
  }

  Status parseError(const libconfig::ParseException& e) const {
    const std::string file = e.getFile() != nullptr ? resolve(e.getFile()) : file_;
    const std::string at = file + ":" + std::to_string(e.getLine()) + ": ";
    const std::string error = e.getError();
    if (e.getFile() == nullptr && error == "duplicate setting name") {
      const LintFinding dup = findDuplicateName(text_);
      if (dup.found() && dup.line == e.getLine()) {
        return Status::invalidArgument(at + "duplicate setting '" + dup.text +
                                       "' (a setting, or a module in 'modules', may appear "
                                       "only once)");
      }
    }
    const std::string line = e.getFile() == nullptr ? lineOf(text_, e.getLine()) : "";
    std::size_t word = line.find_first_not_of(" \t");
    const std::size_t word_end =
        word == std::string::npos ? word : line.find_first_of(" \t=:(", word);
    if (word != std::string::npos) {
      const std::string first =
          line.substr(word, word_end == std::string::npos ? word_end : word_end - word);
      if (const char* hint = legacyNameHint(first)) {
        return Status::invalidArgument(at + error + " (OpenSIPS 1.x '" + first + "': " + hint +
                                       ")");
      }
    }
    if (e.getFile() == nullptr && error == "cannot open include file") {
      const std::size_t q1 = line.find('"');
      const std::size_t q2 = q1 == std::string::npos ? q1 : line.find('"', q1 + 1);
      if (line.find("@include") != std::string::npos && q2 != std::string::npos) {
        return Status::invalidArgument(at + error + " '" +
                                       resolve(line.substr(q1 + 1, q2 - q1 - 1)) + "'");
      }
    }
    return Status::invalidArgument(at + error);
  }

  Status unknownKey(const Setting& s, const std::string& prefix,
                    const std::vector<std::string_view>& known) const {
    const std::string name = s.getName();
    if (prefix.empty()) {
      if (const char* hint = legacyNameHint(name)) {
        return fail(s, "unknown setting '" + name + "' (OpenSIPS 1.x name: " + hint + ")");
      }
    }
    return fail(s, "unknown setting '" + prefix + name + "'" + didYouMean(name, known));
  }

  Status getInt(const Setting& s, const std::string& key, long long lo, long long hi,
                long long& out) const {
    if (s.getType() == Setting::TypeInt) {
      out = static_cast<int>(s);
    } else if (s.getType() == Setting::TypeInt64) {
      out = static_cast<long long>(s);
    } else {
      return typeError(s, key, "an integer");
    }
    if (out < lo || out > hi) {
      return fail(s, "'" + key + "' must be in " + std::to_string(lo) + ".." + std::to_string(hi) +
                         ", got " + std::to_string(out));
    }
    return Status::ok();
  }

  template <class T>
  Status intInto(const Setting& s, const std::string& key, long long lo, long long hi, T& out) {
    long long value = 0;
    Status st = getInt(s, key, lo, hi, value);
    if (st.isOk()) out = static_cast<T>(value);
    return st;
  }

  Status boolInto(const Setting& s, const std::string& key, bool& out) const {
    if (s.getType() != Setting::TypeBoolean) return typeError(s, key, "a boolean");
    out = static_cast<bool>(s);
    return Status::ok();
  }

  Status getString(const Setting& s, const std::string& key, std::string& out) const {
    if (s.getType() != Setting::TypeString) return typeError(s, key, "a string");
    out = static_cast<const char*>(s);
    return Status::ok();
  }

  Status getNonEmpty(const Setting& s, const std::string& key, std::string& out) const {
    Status st = getString(s, key, out);
    if (st.isOk() && out.empty()) return fail(s, "'" + key + "' must not be empty");
    return st;
  }

  // A string, or a list/array of strings: the Setting of each string, in order.
  Status stringItems(const Setting& s, const std::string& key,
                     std::vector<const Setting*>& out) const {
    if (s.getType() == Setting::TypeString) {
      out.push_back(&s);
      return Status::ok();
    }
    if (!s.isList() && !s.isArray()) return typeError(s, key, "a string or a list of strings");
    for (int i = 0; i < s.getLength(); ++i) {
      const Setting& item = s[i];
      if (item.getType() != Setting::TypeString) {
        return fail(item, "'" + key + "' entries must be strings, got " + typeText(item.getType()));
      }
      out.push_back(&item);
    }
    return Status::ok();
  }

  // The top-level keys and the handler of each (man/sipline.cfg.5 documents every one).
  static std::span<const Key> keyTable() {
    // clang-format off
    static const Key kKeys[] = {
      {"socket", [](Loader& l, const Setting& s) { return l.onSocket(s); }},
      {"udp_workers", [](Loader& l, const Setting& s) {
        return l.intInto(s, "udp_workers", 1, 256, l.settings_.udp_workers); }},
      {"tcp_workers", [](Loader& l, const Setting& s) {
        return l.intInto(s, "tcp_workers", 1, 256, l.settings_.tcp_workers); }},
      {"shm_size", [](Loader& l, const Setting& s) {
        return l.intInto(s, "shm_size", 1, 65536, l.settings_.shm_size_mb); }},
      {"log_level", [](Loader& l, const Setting& s) { return l.onLogLevel(s); }},
      {"log_target", [](Loader& l, const Setting& s) { return l.onLogTarget(s); }},
      {"log_facility", [](Loader& l, const Setting& s) { return l.onLogFacility(s); }},
      {"user", [](Loader& l, const Setting& s) {
        return l.onAccount(s, "user", false, l.settings_.user); }},
      {"group", [](Loader& l, const Setting& s) {
        return l.onAccount(s, "group", true, l.settings_.group); }},
      {"pid_file", [](Loader& l, const Setting& s) {
        return l.onPath(s, "pid_file", l.settings_.pid_file); }},
      {"mpath", [](Loader& l, const Setting& s) { return l.onMpath(s); }},
      {"routes", [](Loader& l, const Setting& s) { return l.onRoutes(s); }},
      {"alias", [](Loader& l, const Setting& s) { return l.onAlias(s); }},
      {"mi", [](Loader& l, const Setting& s) { return l.onMi(s); }},
      {"modules", [](Loader& l, const Setting& s) { return l.onModules(s); }},
      {"defines", [](Loader& l, const Setting& s) { return l.onDefines(s); }},
      {"max_while_loops", [](Loader& l, const Setting& s) {
        return l.intInto(s, "max_while_loops", 1, 100000000, l.settings_.max_while_loops); }},
      {"max_message_size", [](Loader& l, const Setting& s) {
        return l.intInto(s, "max_message_size", 1024, 1048576, l.settings_.max_message_size); }},
      {"max_headers", [](Loader& l, const Setting& s) {
        return l.intInto(s, "max_headers", 8, 4096, l.settings_.max_headers); }},
      {"max_header_length", [](Loader& l, const Setting& s) {
        return l.intInto(s, "max_header_length", 256, 65535, l.settings_.max_header_length); }},
      {"dns_servers", [](Loader& l, const Setting& s) { return l.onDnsServers(s); }},
      {"dns_timeout", [](Loader& l, const Setting& s) {
        return l.intInto(s, "dns_timeout", 10, 60000, l.settings_.dns.timeout_ms); }},
      {"dns_retries", [](Loader& l, const Setting& s) {
        return l.intInto(s, "dns_retries", 0, 5, l.settings_.dns.retries); }},
      {"dns_try_naptr", [](Loader& l, const Setting& s) {
        return l.boolInto(s, "dns_try_naptr", l.settings_.dns.try_naptr); }},
      {"dns_try_ipv6", [](Loader& l, const Setting& s) {
        return l.boolInto(s, "dns_try_ipv6", l.settings_.dns.try_ipv6); }},
      {"dns_cache_mem", [](Loader& l, const Setting& s) {
        l.dns_cache_line_ = &s;
        return l.intInto(s, "dns_cache_mem", 0, 1048576, l.settings_.dns.cache_kb); }},
      {"dns_cache_min_ttl", [](Loader& l, const Setting& s) {
        l.dns_ttl_line_ = &s;
        return l.intInto(s, "dns_cache_min_ttl", 0, 86400, l.settings_.dns.cache_min_ttl); }},
      {"dns_cache_max_ttl", [](Loader& l, const Setting& s) {
        l.dns_ttl_line_ = &s;
        return l.intInto(s, "dns_cache_max_ttl", 1, 604800, l.settings_.dns.cache_max_ttl); }},
      {"dns_cache_negative_ttl", [](Loader& l, const Setting& s) {
        return l.intInto(s, "dns_cache_negative_ttl", 0, 3600,
                         l.settings_.dns.cache_negative_ttl); }},
      {"dns_blacklist_time", [](Loader& l, const Setting& s) {
        return l.intInto(s, "dns_blacklist_time", 0, 3600, l.settings_.dns.blacklist_time); }},
      {"dns_blacklist_size", [](Loader& l, const Setting& s) {
        return l.intInto(s, "dns_blacklist_size", 16, 65536, l.settings_.dns.blacklist_size); }},
      {"tcp_max_connections", [](Loader& l, const Setting& s) {
        return l.intInto(s, "tcp_max_connections", 16, 1048576,
                         l.settings_.tcp.max_connections); }},
      {"tcp_connection_lifetime", [](Loader& l, const Setting& s) {
        return l.intInto(s, "tcp_connection_lifetime", 1, 86400,
                         l.settings_.tcp.connection_lifetime); }},
      {"tcp_connect_timeout", [](Loader& l, const Setting& s) {
        return l.intInto(s, "tcp_connect_timeout", 100, 60000,
                         l.settings_.tcp.connect_timeout_ms); }},
      {"tcp_max_connections_per_ip", [](Loader& l, const Setting& s) {
        return l.intInto(s, "tcp_max_connections_per_ip", 0, 1048576,
                         l.settings_.tcp.max_connections_per_ip); }},
      {"tcp_max_write_queue", [](Loader& l, const Setting& s) {
        return l.intInto(s, "tcp_max_write_queue", 16, 65536,
                         l.settings_.tcp.max_write_queue_kb); }},
      {"tls", [](Loader& l, const Setting& s) { return l.onTls(s); }},
      {"flight_recorder_size", [](Loader& l, const Setting& s) {
        l.recorder_line_ = &s;
        return l.intInto(s, "flight_recorder_size", 0, 4194304, l.settings_.flight_recorder_kb); }},
      {"flight_recorder_minutes", [](Loader& l, const Setting& s) {
        return l.intInto(s, "flight_recorder_minutes", 1, 1440,
                         l.settings_.flight_recorder_minutes); }},
    };
    // clang-format on
    return kKeys;
  }

  Status walk(const Setting& root) {
    const std::span<const Key> keys = keyTable();
    std::vector<std::string_view> known;
    for (const Key& k : keys) known.push_back(k.name);
    bool seen_socket = false, seen_mpath = false, seen_routes = false;
    for (int i = 0; i < root.getLength(); ++i) {
      const Setting& s = root[i];
      const std::string_view name = s.getName();
      const Key* key = nullptr;
      for (const Key& k : keys) {
        if (name == k.name) key = &k;
      }
      if (key == nullptr) return unknownKey(s, "", known);
      Status st = key->handle(*this, s);
      if (!st.isOk()) return st;
      seen_socket |= name == "socket";
      seen_mpath |= name == "mpath";
      seen_routes |= name == "routes";
    }
    if (!seen_socket) {
      return missing("socket", "at least one listener, e.g. socket = \"udp:127.0.0.1:5060\";");
    }
    if (!seen_mpath) {
      return missing("mpath", "the module directory, e.g. mpath = \"/usr/lib/sipline/modules\";");
    }
    if (!seen_routes) {
      return missing("routes", "the routing script, e.g. routes = \"sipline.routes\";");
    }
    Status st = checkDns();
    if (st.isOk()) st = checkFlightRecorder();
    if (!st.isOk()) return st;
    return checkTlsSockets();
  }

  // Cross-checks of the dns_* settings, once every key is read (their order is free).
  Status checkDns() {
    const DnsSettings& dns = settings_.dns;
    if (dns.cache_min_ttl > dns.cache_max_ttl) {
      return fail(*dns_ttl_line_, "'dns_cache_min_ttl' (" + std::to_string(dns.cache_min_ttl) +
                                      ") is above 'dns_cache_max_ttl' (" +
                                      std::to_string(dns.cache_max_ttl) + ")");
    }
    if (dns_cache_line_ == nullptr) {
      // Unset: 1 MB, or a sixteenth of a small segment.
      settings_.dns.cache_kb = std::min<std::size_t>(1024, settings_.shm_size_mb * 1024 / 16);
    } else if (dns.cache_kb * 2 > settings_.shm_size_mb * 1024) {
      return fail(*dns_cache_line_, "'dns_cache_mem' (" + std::to_string(dns.cache_kb) +
                                        " KB) may use at most half of shm_size (" +
                                        std::to_string(settings_.shm_size_mb) + " MB)");
    }
    return Status::ok();
  }

  // flight_recorder_size unset: 4 MB, or an eighth of a small segment; set: at most half of it.
  Status checkFlightRecorder() {
    if (recorder_line_ == nullptr) {
      settings_.flight_recorder_kb = std::min<std::size_t>(4096, settings_.shm_size_mb * 1024 / 8);
    } else if (settings_.flight_recorder_kb * 2 > settings_.shm_size_mb * 1024) {
      return fail(*recorder_line_, "'flight_recorder_size' (" +
                                       std::to_string(settings_.flight_recorder_kb) +
                                       " KB) may use at most half of shm_size (" +
                                       std::to_string(settings_.shm_size_mb) + " MB)");
    }
    return Status::ok();
  }

  // dns_servers = ["127.0.0.1:5353", "[::1]"]: numeric addresses, port 53 by default.
  Status onDnsServers(const Setting& s) {
    std::vector<const Setting*> items;
    Status st = stringItems(s, "dns_servers", items);
    if (!st.isOk()) return st;
    if (items.empty()) {
      return fail(s,
                  "'dns_servers' needs at least one server (leave it out to use "
                  "/etc/resolv.conf)");
    }
    for (const Setting* item : items) {
      const std::string text = static_cast<const char*>(*item);
      Result<HostPort> hp = parseHostPort(text, HostRule::kNumericOnly, PortRule::kOptional);
      if (!hp.isOk()) return fail(*item, "dns_servers '" + text + "': " + hp.status().message());
      if (hp.value().port == 0) hp.value().port = 53;
      settings_.dns.servers.push_back(hp.value().toString());
    }
    return Status::ok();
  }

  Status missing(const char* key, const char* what) const {
    return Status::invalidArgument(file_ + ": missing required setting '" + key + "' (" + what +
                                   ")");
  }

  Status onSocket(const Setting& s) {
    std::vector<const Setting*> items;
    Status st = stringItems(s, "socket", items);
    if (!st.isOk()) return st;
    if (items.empty()) return fail(s, "'socket' needs at least one socket");
    std::vector<int> lines;
    for (const Setting* item : items) {
      const std::string text = static_cast<const char*>(*item);
      Result<SocketSpec> spec = parseSocketSpec(text);
      if (!spec.isOk()) return fail(*item, spec.status().message());
      const SocketSpec& sock = spec.value();
      if (sock.proto == Proto::kTls) tls_sockets_.push_back(item);
      for (std::size_t j = 0; j < settings_.sockets.size(); ++j) {
        if (settings_.sockets[j].text == sock.text) {
          return fail(*item, "socket '" + text + "' duplicates the socket on line " +
                                 std::to_string(lines[j]) + " (both are " + sock.text + ")");
        }
      }
      lines.push_back(settingLine(*item));
      settings_.sockets.push_back(sock);
    }
    return Status::ok();
  }

  Status onLogLevel(const Setting& s) {
    if (s.getType() == Setting::TypeInt || s.getType() == Setting::TypeInt64) {
      const long long value =
          s.getType() == Setting::TypeInt ? static_cast<int>(s) : static_cast<long long>(s);
      if (!parseLogLevel(std::to_string(value), settings_.log_level)) {
        return fail(s, "'log_level' must be an OpenSIPS level -3..-1 or 1..4, got " +
                           std::to_string(value));
      }
      return Status::ok();
    }
    std::string text;
    if (s.getType() != Setting::TypeString) {
      return typeError(s, "log_level", "a string or an integer");
    }
    text = static_cast<const char*>(s);
    if (!parseLogLevel(text, settings_.log_level)) {
      return fail(
          s,
          "'log_level' must be one of alert, crit, error, warning, notice, info, "
          "debug (or an OpenSIPS number -3..4), got '" +
              text + "'" +
              didYouMean(text, std::vector<std::string_view>{"alert", "crit", "error", "warning",
                                                             "notice", "info", "debug"}));
    }
    return Status::ok();
  }

  Status onLogTarget(const Setting& s) {
    std::string text;
    Status st = getString(s, "log_target", text);
    if (!st.isOk()) return st;
    if (text == "stderr") {
      settings_.log_target = LogTarget::kStderr;
    } else if (text == "syslog") {
      settings_.log_target = LogTarget::kSyslog;
    } else {
      return fail(s, "'log_target' must be \"stderr\" or \"syslog\", got '" + text + "'");
    }
    return Status::ok();
  }

  Status onLogFacility(const Setting& s) {
    std::string text;
    Status st = getString(s, "log_facility", text);
    if (!st.isOk()) return st;
    std::vector<std::string_view> names(std::begin(kFacilities), std::end(kFacilities));
    for (std::string_view f : names) {
      if (text == f) {
        settings_.log_facility = text;
        return Status::ok();
      }
    }
    return fail(s, "'log_facility' must be daemon, user or local0..local7, got '" + text + "'" +
                       didYouMean(text, names));
  }

  // user / group / mi.socket_user / mi.socket_group: "" = unset; a name that exists on this
  // host, or a numeric id.
  Status onAccount(const Setting& s, const std::string& key, bool is_group, std::string& out) {
    Status st = getString(s, key, out);
    if (!st.isOk() || out.empty() || isAllDigits(out)) return st;
    const bool exists =
        is_group ? getgrnam(out.c_str()) != nullptr : getpwnam(out.c_str()) != nullptr;
    if (!exists) {
      return fail(s, "'" + key + "': " + (is_group ? "group '" : "user '") + out +
                         "' does not exist on this host");
    }
    return Status::ok();
  }

  // A path setting where "" means none; relative paths resolve against the settings file.
  Status onPath(const Setting& s, const std::string& key, std::string& out) {
    Status st = getString(s, key, out);
    if (st.isOk() && !out.empty()) out = resolve(out);
    return st;
  }

  Status onMpath(const Setting& s) {
    std::string path;
    Status st = getNonEmpty(s, "mpath", path);
    if (!st.isOk()) return st;
    settings_.mpath = resolve(path);
    struct stat sb;
    if (stat(settings_.mpath.c_str(), &sb) != 0) {
      return fail(s, "mpath '" + settings_.mpath + "' cannot be used: " + std::strerror(errno));
    }
    if (!S_ISDIR(sb.st_mode)) return fail(s, "mpath '" + settings_.mpath + "' is not a directory");
    return Status::ok();
  }

  Status onRoutes(const Setting& s) {
    std::string path;
    Status st = getNonEmpty(s, "routes", path);
    if (!st.isOk()) return st;
    settings_.routes = resolve(path);
    if (files_ == SettingsFiles::kUnchecked) return Status::ok();
    const int fd = open(settings_.routes.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return fail(s,
                  "routes file '" + settings_.routes + "' cannot be read: " + std::strerror(errno));
    }
    struct stat sb;
    const bool regular = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);
    close(fd);
    if (!regular) return fail(s, "routes file '" + settings_.routes + "' is not a regular file");
    return Status::ok();
  }

  Status onAlias(const Setting& s) {
    std::vector<const Setting*> items;
    Status st = stringItems(s, "alias", items);
    if (!st.isOk()) return st;
    for (const Setting* item : items) {
      const std::string text = static_cast<const char*>(*item);
      Result<HostPort> hp = parseHostPort(text, HostRule::kNameOrAddress, PortRule::kOptional);
      if (!hp.isOk()) return fail(*item, "alias '" + text + "': " + hp.status().message());
      const std::string alias = hp.value().toString();
      for (const std::string& a : settings_.aliases) {
        if (a == alias) return fail(*item, "alias '" + text + "' is listed twice");
      }
      settings_.aliases.push_back(alias);
    }
    return Status::ok();
  }

  Status onMi(const Setting& s) {
    if (!s.isGroup()) {
      return typeError(s, "mi", "a group, e.g. mi = { socket = \"/run/sipline/mi.sock\"; }");
    }
    static const std::vector<std::string_view> kKnown(std::begin(kMiKeys), std::end(kMiKeys));
    MiSettings& mi = settings_.mi;
    const Setting* http = nullptr;
    const Setting* http_user = nullptr;
    const Setting* http_password = nullptr;
    for (int i = 0; i < s.getLength(); ++i) {
      const Setting& m = s[i];
      const std::string_view name = m.getName();
      Status st;
      if (name == "socket") {
        st = onPath(m, "mi.socket", mi.socket);
        // bind() takes at most sun_path's size less the NUL: refuse here, with the line (and
        // in sipline -c), not at the start.
        if (st.isOk() && mi.socket.size() >= sizeof(sockaddr_un::sun_path)) {
          return fail(m, "'mi.socket' '" + mi.socket + "' is " + std::to_string(mi.socket.size()) +
                             " bytes; a unix socket path has at most " +
                             std::to_string(sizeof(sockaddr_un::sun_path) - 1));
        }
      } else if (name == "socket_mode") {
        if (m.isNumber()) {
          return fail(m, "'mi.socket_mode' must be a string of octal digits, got " +
                             std::string(typeText(m.getType())) + " (quote it: \"0660\")");
        }
        st = getString(m, "mi.socket_mode", mi.socket_mode);
        const std::string& mode = mi.socket_mode;
        bool octal = st.isOk() && mode.size() >= 3 && mode.size() <= 4;
        for (char c : mode) octal = octal && c >= '0' && c <= '7';
        if (st.isOk() && !octal) {
          return fail(
              m, "'mi.socket_mode' must be an octal mode such as \"0660\", got '" + mode + "'");
        }
      } else if (name == "socket_user") {
        st = onAccount(m, "mi.socket_user", false, mi.socket_user);
      } else if (name == "socket_group") {
        st = onAccount(m, "mi.socket_group", true, mi.socket_group);
      } else if (name == "http") {
        http = &m;
        st = getString(m, "mi.http", mi.http);
        if (st.isOk() && !mi.http.empty()) {
          Result<HostPort> hp = parseHostPort(mi.http, HostRule::kNumericOnly, PortRule::kRequired);
          if (!hp.isOk()) return fail(m, "'mi.http' '" + mi.http + "': " + hp.status().message());
          mi.http = hp.value().toString();
        }
      } else if (name == "http_user") {
        http_user = &m;
        st = getNonEmpty(m, "mi.http_user", mi.http_user);
        // RFC 7617 §2: the user-id of basic auth cannot contain a colon.
        if (st.isOk() && mi.http_user.find(':') != std::string::npos) {
          return fail(m, "'mi.http_user' must not contain ':' (HTTP basic auth splits on it)");
        }
      } else if (name == "http_password") {
        http_password = &m;
        st = getNonEmpty(m, "mi.http_password", mi.http_password);
      } else {
        return unknownKey(m, "mi.", kKnown);
      }
      if (!st.isOk()) return st;
    }
    return checkMiHttpAuth(http, http_user, http_password);
  }

  // Both credentials or neither; an endpoint reachable from other hosts must ask for them.
  Status checkMiHttpAuth(const Setting* http, const Setting* user, const Setting* password) const {
    if (user != nullptr && password == nullptr) {
      return fail(*user,
                  "'mi.http_user' is set but 'mi.http_password' is not; set both or neither");
    }
    if (password != nullptr && user == nullptr) {
      return fail(*password,
                  "'mi.http_password' is set but 'mi.http_user' is not; set both or neither");
    }
    const MiSettings& mi = settings_.mi;
    if (http != nullptr && !mi.http.empty() && user == nullptr && !isLoopbackHttp(mi.http)) {
      return fail(*http, "'mi.http' '" + mi.http +
                             "' is not a loopback address and has no credentials: set "
                             "mi.http_user and mi.http_password (HTTP basic auth), or listen on "
                             "127.0.0.1 or [::1]");
    }
    return Status::ok();
  }

  // `canonical` is "a.b.c.d:port" or "[v6]:port" (parseHostPort's form).
  static bool isLoopbackHttp(const std::string& canonical) {
    const std::size_t colon = canonical.rfind(':');
    if (colon == std::string::npos) return false;
    std::string host = canonical.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      in6_addr a6;
      if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &a6) != 1) return false;
      if (IN6_IS_ADDR_LOOPBACK(&a6)) return true;
      // ::ffff:127.x.y.z reaches the IPv4 loopback.
      return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
    }
    in_addr a4;
    return inet_pton(AF_INET, host.c_str(), &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
  }

  Status onModules(const Setting& s) {
    if (!s.isGroup()) {
      return typeError(s, "modules",
                       "a group, e.g. modules = { sl = {}; tm = { fr_timeout = 5; }; }");
    }
    for (int i = 0; i < s.getLength(); ++i) {
      const Setting& m = s[i];
      const std::string name = m.getName();
      if (!isLowerName(name)) {
        return fail(m, "module name '" + name + "' must be lower-case letters, digits and '_'");
      }
      if (!m.isGroup()) {
        return fail(m, "module '" + name + "' must be a group of its parameters, e.g. " + name +
                           " = { param = 1; }; or " + name + " = {}; got " + typeText(m.getType()));
      }
      if (settings_.findModule(name) != nullptr) {
        return fail(m, "module '" + name + "' is listed twice");
      }
      ModuleConfig module;
      module.name = name;
      module.line = static_cast<int>(m.getSourceLine());
      for (int j = 0; j < m.getLength(); ++j) {
        Result<ModuleParamValue> param = moduleParam(name, m[j]);
        if (!param.isOk()) return param.status();
        module.params.push_back(std::move(param).value());
      }
      settings_.modules.push_back(std::move(module));
    }
    return Status::ok();
  }

  // defines = { GW_ADDR = "10.0.0.5"; MAX_FWD = 70; DEBUG = true; };
  Status onDefines(const Setting& s) {
    if (!s.isGroup()) {
      return typeError(s, "defines", "a group, e.g. defines = { GW_ADDR = \"10.0.0.5\"; }");
    }
    for (int i = 0; i < s.getLength(); ++i) {
      const Setting& d = s[i];
      ScriptDefineSetting def;
      def.name = d.getName();
      std::string where = this->where(d);
      def.where = where.substr(0, where.size() - 2);  // without the trailing ": "
      const std::string what = "define '" + def.name + "'";
      bool word = !def.name.empty() && !std::isdigit(static_cast<unsigned char>(def.name[0]));
      for (char c : def.name) {
        word = word && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
      }
      if (!word) {
        return fail(d, what + ": a define's name is letters, digits and '_' (as in the script)");
      }
      switch (d.getType()) {
        case Setting::TypeInt:
          def.value = std::int64_t{static_cast<int>(d)};
          break;
        case Setting::TypeInt64: {
          const long long v = static_cast<long long>(d);
          if (v == std::numeric_limits<long long>::min()) {
            return fail(d, what + ": " + std::to_string(v) + " is out of range");
          }
          def.value = std::int64_t{v};
          break;
        }
        case Setting::TypeBoolean:
          def.value = static_cast<bool>(d);
          break;
        case Setting::TypeString:
          def.value = std::string(static_cast<const char*>(d));
          break;
        case Setting::TypeFloat:
          return fail(d, what +
                             " must be a string, an integer or a boolean, got a float (the "
                             "script has no floats; quote it to use it as text)");
        default:
          return fail(
              d, what + " must be a string, an integer or a boolean, got " + typeText(d.getType()));
      }
      settings_.defines.push_back(std::move(def));
    }
    return Status::ok();
  }

  Result<ModuleParamValue> moduleParam(const std::string& module, const Setting& p) const {
    ModuleParamValue param;
    param.name = p.getName();
    param.line = static_cast<int>(p.getSourceLine());
    const std::string what = "module '" + module + "' parameter '" + param.name + "'";
    if (!isLowerName(param.name)) {
      return fail(p, what + ": parameter names are lower-case letters, digits and '_'");
    }
    switch (p.getType()) {
      case Setting::TypeInt:
        param.value = std::int64_t{static_cast<int>(p)};
        break;
      case Setting::TypeInt64:
        param.value = std::int64_t{static_cast<long long>(p)};
        break;
      case Setting::TypeBoolean:
        param.value = static_cast<bool>(p);
        break;
      case Setting::TypeFloat:
        param.value = static_cast<double>(p);
        break;
      case Setting::TypeString:
        param.value = std::string(static_cast<const char*>(p));
        break;
      default:
        return fail(p, what + " must be an integer, boolean, float or string, got " +
                           typeText(p.getType()) + " (lists and groups are not parameter values)");
    }
    return param;
  }

  // tls = { handshake_timeout = 5000; server = ( {...} ); client = ( {...} ); };
  Status onTls(const Setting& s) {
    if (!s.isGroup()) {
      return typeError(s, "tls",
                       "a group, e.g. tls = { server = ( { name = \"default\"; certificate = "
                       "\"server.pem\"; private_key = \"server.key\"; } ); }");
    }
    static const std::vector<std::string_view> kKnown(std::begin(kTlsKeys), std::end(kTlsKeys));
    for (int i = 0; i < s.getLength(); ++i) {
      const Setting& m = s[i];
      const std::string_view name = m.getName();
      Status st;
      if (name == "handshake_timeout") {
        st = intInto(m, "tls.handshake_timeout", 100, 60000, settings_.tls.handshake_timeout_ms);
      } else if (name == "server" || name == "client") {
        st = tlsProfiles(m, name == "server");
      } else {
        return unknownKey(m, "tls.", kKnown);
      }
      if (!st.isOk()) return st;
    }
    return Status::ok();
  }

  // tls.server / tls.client: a list of profile groups (a single group is a list of one).
  // Names are unique, at most one profile is the default (no match), no name is matched twice.
  Status tlsProfiles(const Setting& s, bool server) {
    const std::string key = server ? "tls.server" : "tls.client";
    if (!s.isGroup() && !s.isList()) {
      return typeError(s, key, "a list of groups, e.g. " + key + " = ( { name = \"default\"; } )");
    }
    std::vector<const Setting*> groups;
    if (s.isGroup()) {
      groups.push_back(&s);
    } else {
      for (int i = 0; i < s.getLength(); ++i) {
        if (!s[i].isGroup()) {
          return fail(s[i], "'" + key + "' entries must be groups ({ name = ...; }), got " +
                                typeText(s[i].getType()));
        }
        groups.push_back(&s[i]);
      }
    }
    std::vector<TlsProfile>& profiles = server ? settings_.tls.servers : settings_.tls.clients;
    for (const Setting* g : groups) {
      Result<TlsProfile> r = tlsProfile(*g, server, key);
      if (!r.isOk()) return r.status();
      TlsProfile& p = r.value();
      for (const TlsProfile& other : profiles) {
        const std::string first = " (line " + std::to_string(other.line) + ")";
        if (other.name == p.name) {
          return fail(*g, key + " profile '" + p.name + "' is defined twice, first" + first);
        }
        if (other.isDefault() && p.isDefault()) {
          return fail(*g, key + " profiles '" + other.name + "'" + first + " and '" + p.name +
                              "' both have no 'match': only one may be the default");
        }
        for (const std::string& m : p.match) {
          if (std::find(other.match.begin(), other.match.end(), m) != other.match.end()) {
            return fail(*g, key + " profile '" + p.name + "': 'match' '" + m +
                                "' is already in profile '" + other.name + "'" + first);
          }
        }
      }
      profiles.push_back(std::move(p));
    }
    return Status::ok();
  }

  Result<TlsProfile> tlsProfile(const Setting& g, bool server, const std::string& side) {
    static const std::vector<std::string_view> kKnown(std::begin(kTlsProfileKeys),
                                                      std::end(kTlsProfileKeys));
    TlsProfile p;
    p.verify_peer = !server;
    p.line = static_cast<int>(g.getSourceLine());
    const Setting* certificate = nullptr;
    const Setting* private_key = nullptr;
    const Setting* ca_list = nullptr;
    const Setting* verify_peer = nullptr;
    const Setting* require = nullptr;
    bool has_name = false;
    for (int i = 0; i < g.getLength(); ++i) {
      const Setting& m = g[i];
      const std::string name = m.getName();
      const std::string key = side + "." + name;
      Status st;
      if (name == "name") {
        has_name = true;
        st = getNonEmpty(m, key, p.name);
      } else if (name == "match") {
        st = tlsMatch(m, key, server, p.match);
      } else if (name == "certificate") {
        certificate = &m;
        st = onPath(m, key, p.certificate);
      } else if (name == "private_key") {
        private_key = &m;
        st = onPath(m, key, p.private_key);
      } else if (name == "ca_list") {
        ca_list = &m;
        st = onPath(m, key, p.ca_list);
      } else if (name == "verify_peer") {
        verify_peer = &m;
        st = boolInto(m, key, p.verify_peer);
      } else if (name == "require_peer_certificate") {
        require = &m;
        st = boolInto(m, key, p.require_peer_certificate);
        if (st.isOk() && !server) {
          return fail(m, "'" + key +
                             "' is for server profiles (a client profile verifies the server "
                             "with verify_peer)");
        }
      } else if (name == "ciphers") {
        st = getString(m, key, p.ciphers);
        if (st.isOk() && !p.ciphers.empty() && !ciphersSelectSome(p.ciphers)) {
          return fail(m, "'" + key + "' '" + p.ciphers + "': no cipher matches");
        }
      } else if (name == "min_version") {
        st = getString(m, key, p.min_version);
        if (st.isOk() && iequals(p.min_version, "TLSv1.2")) {
          p.min_version = "TLSv1.2";
        } else if (st.isOk() && iequals(p.min_version, "TLSv1.3")) {
          p.min_version = "TLSv1.3";
        } else if (st.isOk()) {
          return fail(m, "'" + key + "' must be \"TLSv1.2\" or \"TLSv1.3\" (nothing older is " +
                             "accepted), got '" + p.min_version + "'");
        }
      } else {
        return unknownKey(m, side + ".", kKnown);
      }
      if (!st.isOk()) return st;
    }
    if (!has_name) return fail(g, "'" + side + "' profile without 'name'");
    const std::string what = side + " profile '" + p.name + "': ";
    if (server && certificate == nullptr) return fail(g, what + "'certificate' is required");
    if (server && private_key == nullptr) return fail(g, what + "'private_key' is required");
    if ((certificate == nullptr) != (private_key == nullptr)) {
      return fail(g, what + "set 'certificate' and 'private_key' together, or neither");
    }
    if (p.require_peer_certificate) {
      if (verify_peer != nullptr && !p.verify_peer) {
        return fail(*require, what +
                                  "'require_peer_certificate' needs 'verify_peer' (leave "
                                  "verify_peer out or set it to true)");
      }
      p.verify_peer = true;
    }
    if (server && p.verify_peer && p.ca_list.empty()) {
      return fail(verify_peer != nullptr ? *verify_peer : *require,
                  what + "verifying client certificates needs 'ca_list' (the CAs that sign them)");
    }
    const std::pair<const Setting*, const std::string*> files[] = {
        {certificate, &p.certificate}, {private_key, &p.private_key}, {ca_list, &p.ca_list}};
    for (const auto& [setting, path] : files) {
      // An empty ca_list is the default (none; the system store for a client).
      if (setting == nullptr || (path->empty() && setting == ca_list)) continue;
      const std::string key = side + "." + setting->getName();
      if (path->empty()) return fail(*setting, what + "'" + key + "' must not be empty");
      if (files_ == SettingsFiles::kUnchecked) continue;
      Status st = checkReadableFile(*setting, what + "'" + key + "'", *path);
      if (!st.isOk()) return st;
    }
    return p;
  }

  // match = [ "sip.example.com", "*.example.com" ] (server: SNI names) or
  // [ "gw.example.com", "192.0.2.1", "192.0.2.1:5061" ] (client: destinations).
  Status tlsMatch(const Setting& s, const std::string& key, bool server,
                  std::vector<std::string>& out) {
    std::vector<const Setting*> items;
    Status st = stringItems(s, key, items);
    if (!st.isOk()) return st;
    if (items.empty()) {
      return fail(s,
                  "'" + key + "' needs at least one entry (leave it out for the default profile)");
    }
    for (const Setting* item : items) {
      const std::string text = static_cast<const char*>(*item);
      const bool wildcard = server && text.rfind("*.", 0) == 0;
      Result<HostPort> hp =
          parseHostPort(wildcard ? std::string_view(text).substr(2) : std::string_view(text),
                        HostRule::kNameOrAddress, PortRule::kOptional);
      if (!hp.isOk()) return fail(*item, "'" + key + "' '" + text + "': " + hp.status().message());
      const HostPort& h = hp.value();
      if (server && (h.numeric || h.port != 0)) {
        return fail(*item, "'" + key + "' '" + text +
                               "': SNI carries a host name only (no address, no port)");
      }
      if (!server && !h.numeric && h.port != 0) {
        return fail(*item, "'" + key + "' '" + text +
                               "': a host name matches without a port (ports go with addresses)");
      }
      std::string entry = (wildcard ? "*." : "") + h.toString();
      if (std::find(out.begin(), out.end(), entry) != out.end()) {
        return fail(*item, "'" + key + "' '" + text + "' is listed twice");
      }
      out.push_back(std::move(entry));
    }
    return Status::ok();
  }

  // `what` names the setting in the message; the path is absolute.
  Status checkReadableFile(const Setting& s, const std::string& what, const std::string& path) {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(s, what + " '" + path + "' cannot be read: " + std::strerror(errno));
    struct stat sb;
    const bool regular = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);
    close(fd);
    if (!regular) return fail(s, what + " '" + path + "' is not a regular file");
    return Status::ok();
  }

  // Once every key is read: a tls socket needs a certificate to present.
  Status checkTlsSockets() const {
    if (tls_sockets_.empty() || !settings_.tls.servers.empty()) return Status::ok();
    const Setting& item = *tls_sockets_.front();
    return fail(item, "socket '" + std::string(static_cast<const char*>(item)) +
                          "' is a tls socket, but tls.server has no profile (a certificate "
                          "and key to present)");
  }

  const std::string file_;
  const std::string dir_;
  const std::string& text_;
  const SettingsFiles files_;
  Settings settings_;
  std::vector<const Setting*> tls_sockets_;  // the socket entries of tls sockets
  // Where the cross-checked dns_* settings were written (checkDns() reports there).
  const Setting* dns_ttl_line_ = nullptr;
  const Setting* dns_cache_line_ = nullptr;
  const Setting* recorder_line_ = nullptr;
};

// Absolute, normalised form of `path` (relative to the working directory).
std::string absolutePath(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::absolute(fs::path(path), ec);
  if (ec) p = fs::path(path);
  return p.lexically_normal().string();
}

}  // namespace

std::string ModuleParamValue::typeName() const {
  switch (value.index()) {
    case 0:
      return "integer";
    case 1:
      return "boolean";
    case 2:
      return "float";
    default:
      return "string";
  }
}

const ModuleParamValue* ModuleConfig::findParam(std::string_view param) const {
  for (const ModuleParamValue& p : params) {
    if (p.name == param) return &p;
  }
  return nullptr;
}

const ModuleConfig* Settings::findModule(std::string_view name) const {
  for (const ModuleConfig& m : modules) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::vector<std::string> knownSettingKeysForTest() { return Loader::keyNames(); }

Result<Settings> loadSettingsFromString(const std::string& text, const std::string& virtual_path,
                                        SettingsFiles files) {
  const std::string file = absolutePath(virtual_path);
  const std::string dir = fs::path(file).parent_path().string();
  return Loader(file, dir, text, files).load();
}

Result<Settings> loadSettings(const std::string& path, SettingsFiles files) {
  const std::string file = absolutePath(path);
  const int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::invalidArgument(file + ": cannot be read: " + std::strerror(errno));
  std::string text;
  char buf[8192];
  for (;;) {
    const ssize_t got = read(fd, buf, sizeof(buf));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const int err = errno;
      close(fd);
      return Status::invalidArgument(file + ": cannot be read: " + std::strerror(err));
    }
    if (got == 0) break;
    text.append(buf, static_cast<std::size_t>(got));
  }
  close(fd);
  return loadSettingsFromString(text, file, files);
}

}  // namespace sipline
