#include "core/server/server.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <optional>

#include "core/base/accounts.h"
#include "core/base/log.h"
#include "core/config/settings.h"
#include "core/dns/dns_stats.h"
#include "core/dns/resolver.h"
#include "core/mi/jsonrpc.h"
#include "core/mi/mi_http.h"
#include "core/mi/mi_server.h"
#include "core/mi/mi_stats.h"
#include "core/module/loader.h"
#include "core/proc/process_load.h"
#include "core/proc/process_table.h"
#include "core/proc/supervisor.h"
#include "core/proc/workers.h"
#include "core/script/script.h"
#include "core/server/config_loader.h"
#include "core/server/core_mi.h"
#include "core/server/script_reload.h"
#include "core/server/script_routes.h"
#include "core/shm/segment.h"
#include "core/sip/receive.h"
#include "core/stats/core_stats.h"
#include "core/stats/prometheus.h"
#include "core/trace/flight_recorder.h"
#include "core/transport/conn_index.h"
#include "core/transport/listener.h"
#include "core/transport/stream_send.h"
#include "core/transport/tcp_handoff.h"
#include "core/transport/tcp_worker.h"
#include "core/transport/tls_context.h"

namespace sipline {
namespace {

void fail(const Status& st) { std::fprintf(stderr, "sipline: %s\n", st.message().c_str()); }

// user and group: names or numeric ids. The group list is the user's (initgroups) when the
// user has a passwd entry; a bare uid without one needs `group`, and gets only that group
// (else it would keep root's group 0).
Status dropPrivileges(const Settings& s) {
  if (s.user.empty() && s.group.empty()) return Status::ok();
  if (geteuid() != 0) {
    SL_WARN("user/group set but not running as root; keeping uid %d", static_cast<int>(geteuid()));
    return Status::ok();
  }
  std::optional<gid_t> gid;
  if (!s.group.empty()) {
    Result<gid_t> g = groupId(s.group);
    if (!g.isOk()) return Status::notFound("group: " + g.status().message());
    gid = g.value();
  }
  if (s.user.empty()) {
    if (setgroups(1, &*gid) != 0 || setgid(*gid) != 0) {
      return Status::ioError("cannot switch to group " + s.group + ": " + std::strerror(errno));
    }
    return Status::ok();
  }
  Result<uid_t> u = userId(s.user);
  if (!u.isOk()) return Status::notFound("user: " + u.status().message());
  // The account as configured by name, else the one the number belongs to.
  std::string name = getpwnam(s.user.c_str()) != nullptr ? s.user : userName(u.value());
  if (!gid && !name.empty()) {
    if (passwd* p = getpwnam(name.c_str())) gid = p->pw_gid;
  }
  if (!gid) {
    return Status::invalidArgument("user " + s.user +
                                   " has no passwd entry: set group as well (its group id)");
  }
  int groups_rc = name.empty() ? setgroups(1, &*gid) : initgroups(name.c_str(), *gid);
  if (groups_rc != 0 || setgid(*gid) != 0 || setuid(u.value()) != 0) {
    return Status::ioError("cannot switch to user " + s.user + ": " + std::strerror(errno));
  }
  return Status::ok();
}

// Classic double fork; the parent exits 0 once the daemon runs.
Status daemonize() {
  pid_t pid = fork();
  if (pid < 0) return Status::ioError(std::string("fork: ") + std::strerror(errno));
  if (pid > 0) _exit(0);
  if (setsid() < 0) return Status::ioError(std::string("setsid: ") + std::strerror(errno));
  pid = fork();
  if (pid < 0) return Status::ioError(std::string("fork: ") + std::strerror(errno));
  if (pid > 0) _exit(0);
  int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    if (null > STDERR_FILENO) close(null);
  }
  return Status::ok();
}

// The TCP/TLS side every process shares: the stream settings, the connection index in shm
// and the TCP workers' hand-off channels (before fork, so every child has them).
Status setUpStreams(const Settings& settings, shm::Segment& segment) {
  StreamConfig& config = streamConfig();
  config.lifetime_ms = static_cast<std::int64_t>(settings.tcp.connection_lifetime) * 1000;
  config.connect_timeout_ms = settings.tcp.connect_timeout_ms;
  config.handshake_timeout_ms = settings.tls.handshake_timeout_ms;
  config.max_write_queue = settings.tcp.max_write_queue_kb * 1024;
  // A sixteenth of the slots stays free for the connections the server opens (to gateways,
  // to phones whose connection closed), whatever peers open.
  config.incoming.max_per_ip = static_cast<std::size_t>(settings.tcp.max_connections_per_ip);
  config.incoming.reserved = static_cast<std::size_t>(settings.tcp.max_connections) / 16;
  config.limits.max_message = settings.max_message_size;
  config.limits.max_header_block = std::min<std::size_t>(
      settings.max_message_size,
      static_cast<std::size_t>(settings.max_headers) * settings.max_header_length);
  Result<ConnIndex*> index = ConnIndex::create(
      segment, static_cast<std::size_t>(settings.tcp.max_connections), settings.tcp_workers);
  if (!index.isOk()) return index.status();
  setConnIndex(index.value());
  return handoffChannels().create(settings.tcp_workers, settings.max_message_size);
}

// Every TCP/TLS connection is a descriptor in one worker (and, while it is handed over, in
// two): the soft limit is raised to what tcp_max_connections needs, the hard one too when
// we are root. Falls short only with a warning: the server still runs, and refuses
// connections it has no descriptor for (counted in tcp:refused).
void raiseDescriptorLimit(const Settings& settings) {
  rlim_t want = static_cast<rlim_t>(settings.tcp.max_connections) + 1024;
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= want) return;
  rlimit raised = lim;
  raised.rlim_cur = want;
  if (raised.rlim_max < want) raised.rlim_max = want;  // root only
  if (setrlimit(RLIMIT_NOFILE, &raised) == 0) return;
  raised.rlim_cur = lim.rlim_max;
  raised.rlim_max = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &raised);
  SL_WARN(
      "open files limited to %llu (tcp_max_connections %d wants %llu): raise the hard "
      "limit (ulimit -Hn) or lower tcp_max_connections",
      static_cast<unsigned long long>(raised.rlim_cur), settings.tcp.max_connections,
      static_cast<unsigned long long>(want));
}

Status writePidFile(const std::string& path) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) return Status::ioError("cannot write pid file " + path + ": " + std::strerror(errno));
  out << getpid() << "\n";
  return Status::ok();
}

}  // namespace

int runServer(const ServerOptions& options) {
  Result<Settings> loaded = loadSettings(options.config);
  if (!loaded.isOk()) {
    fail(loaded.status());
    return 1;
  }
  const Settings& settings = loaded.value();
  logInit(options.check_only ? LogTarget::kStderr : settings.log_target, settings.log_level,
          settings.log_facility);
  logSetRole("master");

  // Everything the script and the MI may name, before the script compiles (as -c and the
  // simulator do).
  LoadedConfig config;
  Status st = loadModules(settings, config);
  if (!st.isOk()) {
    fail(st);
    return 1;
  }
  CommandRegistry& commands = config.commands;
  MiRegistry& mi = config.mi;
  Services& services = config.services;
  ModuleSet& modules = config.modules;
  ScriptReloader reloader(settings.routes, commands, &services, scriptOptionsFrom(settings));
  SourceSet sources;
  Result<ScriptPtr> script = reloader.compileFresh(sources);
  if (!script.isOk()) {
    fail(script.status());
    return 1;
  }
  for (const std::string& w : script.value()->warnings()) {
    // `sipline -c` shows every warning, whatever the log level.
    if (options.check_only) {
      std::fprintf(stderr, "%s\n", w.c_str());
    } else {
      SL_WARN("%s", w.c_str());
    }
  }
  // TLS certificates and keys: a profile that does not load stops the start (and -c).
  if (!settings.tls.servers.empty() || !settings.tls.clients.empty() ||
      std::any_of(settings.sockets.begin(), settings.sockets.end(),
                  [](const SocketSpec& s) { return s.proto == Proto::kTls; })) {
    st = tlsContexts().load(settings.tls);
    if (!st.isOk()) {
      fail(st);
      return 1;
    }
  }
  if (options.check_only) {
    std::printf("sipline: %s: configuration OK (%zu modules, routes %s)\n", settings.file.c_str(),
                settings.modules.size(), settings.routes.c_str());
    return 0;
  }
  if (options.daemonize && settings.pid_file.empty()) {
    fail(Status::invalidArgument(settings.file + ": -d needs pid_file in the settings"));
    return 1;
  }

  // Resources: sockets first, so their errors reach the terminal.
  st = listeners().bindAll(settings.sockets);
  if (!st.isOk()) {
    fail(st);
    return 1;
  }
  listeners().setAliases(settings.aliases);
  MiServer mi_server;
  bool have_mi = !settings.mi.socket.empty();
  if (have_mi) {
    st = mi_server.listen(settings.mi.socket, settings.mi.socket_mode, settings.mi.socket_user,
                          settings.mi.socket_group);
    if (!st.isOk()) {
      fail(st);
      return 1;
    }
  }
  // The HTTP endpoint is served by the same MI process (and loop) as the socket.
  MiHttp mi_http;
  bool have_http = !settings.mi.http.empty();
  if (have_http) {
    st = mi_http.listen(settings.mi.http);
    if (!st.isOk()) {
      fail(st);
      if (have_mi) mi_server.unlinkSocket();
      return 1;
    }
    mi_http.setCredentials(settings.mi.http_user, settings.mi.http_password);
    mi_http.setMetricsRenderer([] {
      BusyScope busy;  // a scrape is MI work like a request
      return renderPrometheus(stats(), processTable());
    });
  }
  if (options.daemonize) {
    if (settings.log_target == LogTarget::kStderr) {
      // A daemon has no terminal: its log goes to syslog instead of nowhere.
      std::fprintf(stderr, "sipline: running as a daemon; logging to syslog (%s)\n",
                   settings.log_facility.c_str());
      logInit(LogTarget::kSyslog, settings.log_level, settings.log_facility);
    }
    st = daemonize();
    if (!st.isOk()) {
      fail(st);
      return 1;
    }
  }
  if (!settings.pid_file.empty()) {
    st = writePidFile(settings.pid_file);
    if (!st.isOk()) {
      SL_ERR("%s", st.message().c_str());
      return 1;
    }
  }
  signals::installMaster();

  Result<std::unique_ptr<shm::Segment>> seg = shm::Segment::create(settings.shm_size_mb << 20);
  if (!seg.isOk()) {
    SL_CRIT("%s", seg.status().message().c_str());
    return 1;
  }
  shm::setSegment(seg.value().get());
  st = declareMiStats(stats());
  if (st.isOk()) st = stats().materialize(*seg.value());
  // The RFC 3263 resolver's settings, shared cache and blacklist, inherited by every child.
  if (st.isOk()) st = dns::setUp(settings, seg.value().get());
  Result<ProcessTable*> table =
      st.isOk() ? ProcessTable::create(*seg.value()) : Result<ProcessTable*>(st);
  if (!table.isOk()) {
    SL_CRIT("%s", table.status().message().c_str());
    return 1;
  }
  setProcessTable(table.value());
  // The flight recorder: every message in and out, from the first worker on.
  std::unique_ptr<trace::FlightRecorder> recorder;
  if (settings.flight_recorder_kb > 0) {
    Result<std::unique_ptr<trace::FlightRecorder>> made = trace::FlightRecorder::create(
        *seg.value(), settings.flight_recorder_kb * 1024, settings.flight_recorder_minutes);
    if (!made.isOk()) {
      SL_CRIT("%s", made.status().message().c_str());
      return 1;
    }
    recorder = std::move(made.value());
    trace::setFlightRecorder(recorder.get());
    trace::addCaptureSink(recorder.get());
  }
  const bool streams = listeners().has(Proto::kTcp) || listeners().has(Proto::kTls);
  if (streams) {
    raiseDescriptorLimit(settings);
    st = setUpStreams(settings, *seg.value());
    if (!st.isOk()) {
      SL_CRIT("%s", st.message().c_str());
      return 1;
    }
  }
  int master_slot =
      table.value()->add(ProcessInfo{ProcessRole::kMaster, 0, ""}, std::time(nullptr));
  table.value()->slot(master_slot).pid.store(getpid());
  setMySlot(&table.value()->slot(master_slot));
  st = reloader.start(*seg.value(), std::move(script.value()), sources);
  if (!st.isOk()) {
    SL_CRIT("%s", st.message().c_str());
    return 1;
  }
  setScriptReloader(&reloader);

  InitContext init_ctx(seg.value().get(), &services, &settings);
  st = modules.initAll(init_ctx);
  if (st.isOk()) st = dropPrivileges(settings);
  if (!st.isOk()) {
    SL_CRIT("%s", st.message().c_str());
    modules.destroyAll();
    if (have_mi) mi_server.unlinkSocket();
    return 1;
  }

  ParseLimits limits;
  limits.max_message = settings.max_message_size;
  limits.max_headers = static_cast<std::size_t>(settings.max_headers);
  limits.max_header_len = static_cast<std::size_t>(settings.max_header_length);
  std::vector<TimerSpec> timers = modules.timers();
  timers.push_back(scriptTimerRoutes(reloader));
  // Before any worker exists, so what it sets up is inherited by all of them.
  runStartupRoute(*reloader.current());
  Supervisor supervisor;
  // Common start of every child: its table slot, its modules, the sockets it must not keep.
  auto childStart = [&](const ProcessInfo& info, int slot_no) -> bool {
    ProcessSlot& slot = table.value()->slot(slot_no);
    slot.pid.store(getpid());
    setMySlot(&slot);
    if (recorder) recorder->setProcessIndex(slot_no);
    if (info.role != ProcessRole::kMi && have_mi) mi_server.closeListener();
    if (info.role != ProcessRole::kMi && have_http) mi_http.closeListener();
    Status cs = modules.childInitAll(info);
    if (!cs.isOk()) {
      SL_CRIT("%s", cs.message().c_str());
      return false;
    }
    return true;
  };
  auto spawnRole = [&](ProcessInfo info, std::function<int()> body,
                       bool stops_last = false) -> bool {
    int slot_no = table.value()->add(info, std::time(nullptr));
    if (slot_no < 0) {
      SL_CRIT("too many processes (max %d)", ProcessTable::kMaxProcesses);
      return false;
    }
    pid_t pid = supervisor.spawn(
        info, [&, info, slot_no, body] { return childStart(info, slot_no) ? body() : 1; },
        stops_last);
    if (pid <= 0) return false;
    // The child stores it too, but the MI `ps` must not show pid 0 until the child runs.
    table.value()->slot(slot_no).pid.store(pid);
    return true;
  };

  bool spawned = true;
  int udp_index = 0;
  for (const Listener& l : listeners().all()) {
    if (l.proto != Proto::kUdp) continue;  // TCP and TLS are the TCP workers'
    for (int i = 0; i < settings.udp_workers && spawned; ++i) {
      const Listener* lp = &l;
      spawned =
          spawnRole(ProcessInfo{ProcessRole::kUdpWorker, udp_index++, ""}, [lp, &reloader, limits] {
            MessageProcessor processor(reloader.current(), limits);
            return runUdpWorker(*lp, processor, [&] { processor.setScript(reloader.current()); });
          });
    }
  }
  for (int i = 0; streams && i < settings.tcp_workers && spawned; ++i) {
    spawned = spawnRole(ProcessInfo{ProcessRole::kTcpWorker, i, ""}, [i, &reloader, limits] {
      MessageProcessor processor(reloader.current(), limits);
      return runTcpWorker(i, processor, [&] { processor.setScript(reloader.current()); });
    });
  }
  if (spawned) {
    spawned = spawnRole(ProcessInfo{ProcessRole::kTimer, 0, ""},
                        [&timers] { return runTimerProcess(timers); });
  }
  int module_index = 0;
  for (const ProcessSpec& p : modules.processes()) {
    if (!spawned) break;
    if (p.enabled && !p.enabled()) continue;
    spawned =
        spawnRole(ProcessInfo{ProcessRole::kModule, module_index++, p.name}, p.body, p.stops_last);
  }
  if (spawned && (have_mi || have_http)) {
    spawned = spawnRole(ProcessInfo{ProcessRole::kMi, 0, ""}, [&mi_server, &mi_http, &mi] {
      signals::unblockStop();
      Status ss = mi_server.serve(
          mi, [] { return signals::stopRequested(); }, &mi_http);
      if (!ss.isOk()) SL_CRIT("management interface: %s", ss.message().c_str());
      return ss.isOk() ? 0 : 1;
    });
  }
  if (have_mi) mi_server.closeListener();
  if (have_http) mi_http.closeListener();
  listeners().closeAll();
  SL_NOTICE("sipline %s started: %zu sockets, %d processes, %zu MB shared memory", SIPLINE_VERSION,
            listeners().all().size(), supervisor.childCount() + 1, settings.shm_size_mb);

  supervisor.onHangup([&reloader] { reloader.onHangup(); });
  int rc = spawned ? supervisor.run() : 1;
  supervisor.stopAll();
  modules.destroyAll();
  if (have_mi) mi_server.unlinkSocket();
  if (!settings.pid_file.empty()) unlink(settings.pid_file.c_str());
  SL_NOTICE("stopped");
  return rc;
}

}  // namespace sipline
