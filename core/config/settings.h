// The settings file (sipline.cfg, libconfig syntax): listeners, processes, shm size, logging,
// the MI endpoints, which modules to load with their parameters, and the routing script path.
// loadSettings() reads and checks the whole file once, in the master before anything is bound
// or forked; the result is a plain value that nothing re-parses later. Every error is a
// Status::invalidArgument whose message starts with "FILE:LINE: " (or "FILE: " for a setting
// that is missing altogether) and names the key. libconfig++ exceptions never leave this unit.
// Relative paths (mpath, routes, pid_file, mi.socket, the tls files, @include) resolve against
// the directory of the settings file. Private memory only (std::string inside), not shm-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/base/log.h"
#include "core/base/status.h"
#include "core/config/socket_spec.h"

namespace sipline {

// One `name = value;` inside a module's group. Which params exist and their ranges are the
// module's business (checked when its describe() is applied); here only the type is fixed.
struct ModuleParamValue {
  std::string name;
  int line = 0;
  std::variant<std::int64_t, bool, double, std::string> value;
  // "integer", "boolean", "float", "string".
  std::string typeName() const;
};

struct ModuleConfig {
  std::string name;  // [a-z0-9_]+, the module's directory and .so name under mpath
  int line = 0;
  std::vector<ModuleParamValue> params;  // in file order
  // nullptr if the param was not set.
  const ModuleParamValue* findParam(std::string_view param) const;
};

// One `NAME = value;` of the `defines` group: a define of the routing script (as if the
// script began with #!define NAME value). A string or an integer becomes that token; true
// defines NAME as 1; false leaves NAME undefined (so `#!ifdef NAME` is false).
struct ScriptDefineSetting {
  std::string name;   // [A-Za-z_][A-Za-z0-9_]*
  std::string where;  // "FILE:LINE" of the setting
  std::variant<std::int64_t, bool, std::string> value;
};

struct MiSettings {
  std::string socket;                     // absolute path of the JSON-RPC unix socket; "" = none
  std::string socket_mode = "0660";       // octal digits, as written
  std::string socket_user, socket_group;  // "" = leave as created
  std::string http;  // canonical "ADDR:PORT" ("[::1]:8888"); "" = no HTTP endpoint
  // HTTP basic auth for every path of the endpoint; both set (non-empty, no ':' in the user)
  // or neither. Required when `http` is not a loopback address (127.0.0.0/8, ::1). The
  // password is a secret: nothing logs it.
  std::string http_user, http_password;
};

// The next-hop resolver (RFC 3263; core/dns). Names follow OpenSIPS/Kamailio where they exist.
struct DnsSettings {
  std::vector<std::string> servers;  // dns_servers: canonical "ADDR:PORT" (port defaults to 53);
                                     // empty = the servers of /etc/resolv.conf
  int timeout_ms = 1000;             // dns_timeout: a whole resolution, 10..60000 ms
  int retries = 1;                   // dns_retries: retransmissions of one query, 0..5
  bool try_naptr = true;             // dns_try_naptr: NAPTR first (RFC 3263 §4.1)
  bool try_ipv6 = false;             // dns_try_ipv6: AAAA besides A
  std::size_t cache_kb = 1024;       // dns_cache_mem: shm for the cache, 0..1048576 KB (0 = off);
                                     // unset: 1024, at most shm_size / 16
  int cache_min_ttl = 5;             // dns_cache_min_ttl: 0..86400 s
  int cache_max_ttl = 3600;          // dns_cache_max_ttl: 1..604800 s, >= the minimum
  int cache_negative_ttl = 30;       // dns_cache_negative_ttl: 0..3600 s (0 = not cached)
  int blacklist_time = 30;           // dns_blacklist_time: default seconds, 0..3600 (0 = off)
  int blacklist_size = 256;          // dns_blacklist_size: destinations, 16..65536
};

// The stream transports, TCP and TLS alike (top-level tcp_* keys; OpenSIPS names).
struct TcpSettings {
  int max_connections = 4096;            // tcp_max_connections: 16..1048576, TCP and TLS
                                         // together, for the whole server
  int connection_lifetime = 120;         // tcp_connection_lifetime: seconds a connection may
                                         // stay idle, 1..86400
  int connect_timeout_ms = 3000;         // tcp_connect_timeout: ms, 100..60000
  std::size_t max_write_queue_kb = 256;  // tcp_max_write_queue: KB queued on one connection
                                         // before it is closed, 16..65536
  int max_connections_per_ip = 1024;     // tcp_max_connections_per_ip: connections one IP
                                         // address may open to us, 0..1048576 (0 = no limit)
};

// One member of tls.server or tls.client. The loader has checked every field: the files exist
// and are readable, min_version is one of the two names, the names and matches are unique.
struct TlsProfile {
  std::string name;  // required, unique within its side
  // Lower-case. Server: SNI names it serves, exact ("sip.example.com") or "*.example.com" (one
  // label). Client: destinations it is used for: a host name, an IP ("192.0.2.1", "::1") or
  // "IP:PORT" ("192.0.2.1:5061", "[::1]:5061"). Empty: the side's default profile (at most one).
  std::vector<std::string> match;
  std::string certificate;  // absolute path of a PEM chain; server: required
  std::string private_key;  // absolute path; client: set with certificate or not at all
  std::string ca_list;      // absolute path of CA certificates (PEM); "" = none for a server,
                            // the system store for a client
  // Server: verify a client certificate when one is presented (default false). Client: verify
  // the server (default true; the loader sets it before reading the group).
  bool verify_peer = false;
  bool require_peer_certificate = false;  // server only; true implies verify_peer
  std::string ciphers;                    // TLS 1.2 cipher list; "" = OpenSSL's default
  std::string min_version = "TLSv1.2";    // "TLSv1.2" or "TLSv1.3"
  int line = 0;                           // of the profile's group
  bool isDefault() const { return match.empty(); }
};

struct TlsSettings {
  int handshake_timeout_ms = 5000;  // tls.handshake_timeout: 100..60000
  std::vector<TlsProfile> servers;  // tls.server, in file order
  std::vector<TlsProfile> clients;  // tls.client, in file order
};

struct Settings {
  std::string file;                 // absolute path of the settings file
  std::string dir;                  // its directory (relative paths resolve against it)
  std::vector<SocketSpec> sockets;  // at least one, no two with the same text; a tls socket
                                    // only with a server profile in tls.server
  int udp_workers = 4;              // per UDP socket, 1..256
  int tcp_workers = 4;              // 1..256
  std::size_t shm_size_mb = 64;     // 1..65536
  LogLevel log_level = LogLevel::kNotice;
  LogTarget log_target = LogTarget::kStderr;
  std::string log_facility = "daemon";  // daemon, user, local0..local7
  std::string user, group;  // drop privileges to after binding; "" = stay. Checked to exist.
  std::string pid_file;     // absolute; "" = none (required for -d)
  std::string mpath;        // absolute module directory; exists
  std::string routes;       // absolute path of the routing script; exists and is readable
  std::vector<std::string> aliases;  // extra names for `myself`: "example.com", "host:5060"
  MiSettings mi;
  std::vector<ModuleConfig> modules;         // in file order = load order
  std::vector<ScriptDefineSetting> defines;  // in file order; names are unique
  int max_while_loops = 10000;               // 1..100000000
  std::size_t max_message_size = 65535;      // 1024..1048576
  int max_headers = 256;                     // 8..4096
  int max_header_length = 16384;             // 256..65535: one header line, folding included
  DnsSettings dns;
  TcpSettings tcp;
  TlsSettings tls;
  // The flight recorder (core/trace/flight_recorder.h): KB of shm for the last messages,
  // 0..4194304 (0 = off; unset: 4096, at most shm_size / 8; set: at most shm_size / 2), and
  // how far back they are kept, 1..1440 minutes.
  std::size_t flight_recorder_kb = 4096;
  int flight_recorder_minutes = 10;

  // nullptr if the module is not listed.
  const ModuleConfig* findModule(std::string_view name) const;
};

// Whether the loader checks that the files the settings name can be read (the routing script,
// the TLS certificates, keys and CA lists): the server's master reads them, so it needs the
// check (kChecked). siplinectl reads only the mi group and db_url, as an operator who may read
// the settings but not a private key (kUnchecked: the paths are resolved, not opened).
enum class SettingsFiles : std::uint8_t { kChecked, kUnchecked };

// Reads and checks the whole file; the first error found (in file order) is returned, e.g.
//   "/etc/sipline/sipline.cfg:7: unknown setting 'udp_worker' (did you mean 'udp_workers'?)"
//   "/etc/sipline/sipline.cfg:3: 'udp_workers' must be an integer, got a string"
//   "/etc/sipline/sipline.cfg:12: syntax error"
//   "/etc/sipline/sipline.cfg: missing required setting 'routes' (...)"
// A file that cannot be opened gives "FILE: cannot be read: <strerror>".
Result<Settings> loadSettings(const std::string& path,
                              SettingsFiles files = SettingsFiles::kChecked);

// Same from text (for tests and tools): `virtual_path` is used in messages and its directory
// resolves relative paths and @include.
Result<Settings> loadSettingsFromString(const std::string& text, const std::string& virtual_path,
                                        SettingsFiles files = SettingsFiles::kChecked);

// Every key the loader accepts: the top-level ones ("udp_workers"), the members of the mi
// group as "mi.http", those of tls as "tls.handshake_timeout" and those of a tls profile as
// "tls.server.certificate" / "tls.client.certificate". The members of `modules` and `defines` are
// names the user chooses and are not listed. The man page test checks that sipline.cfg(5) documents
// each.
std::vector<std::string> knownSettingKeysForTest();

}  // namespace sipline
