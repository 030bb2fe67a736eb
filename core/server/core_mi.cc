#include "core/server/core_mi.h"

#include <cstdint>
#include <ctime>
#include <vector>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/proc/process_log_level.h"
#include "core/proc/process_table.h"
#include "core/server/script_reload.h"
#include "core/shm/segment.h"
#include "core/stats/stats.h"
#include "core/trace/recorder_mi.h"
#include "core/transport/conn_index.h"
#include "core/transport/listener.h"

namespace sipline {
namespace {

std::time_t g_started = std::time(nullptr);

Result<Json> version(const MiParams&) {
  Json j = Json::object();
  j["server"] = "sipline " SIPLINE_VERSION;
  j["version"] = SIPLINE_VERSION;
  j["revision"] = SIPLINE_GIT_REV;
  j["build"] = SIPLINE_BUILD_ID;
  return j;
}

Result<Json> uptime(const MiParams&) {
  std::time_t now = std::time(nullptr);
  Json j = Json::object();
  j["now"] = static_cast<std::int64_t>(now);
  j["up_since"] = static_cast<std::int64_t>(g_started);
  j["uptime"] = static_cast<std::int64_t>(now - g_started);
  return j;
}

double percent(const std::atomic<std::uint32_t>& load_units) {
  return static_cast<double>(load_units.load(std::memory_order_relaxed)) / 100.0;
}

Result<Json> ps(const MiParams&) {
  ProcessTable* table = processTable();
  Json list = Json::array();
  if (table != nullptr) {
    for (int i = 0; i < table->count(); ++i) {
      ProcessSlot& s = table->slot(i);
      Json p = Json::object();
      p["id"] = i;
      p["pid"] = s.pid.load(std::memory_order_relaxed);
      p["role"] = processRoleName(s.role);
      p["index"] = s.index;
      if (s.name[0] != '\0') p["name"] = std::string(s.name);
      p["started"] = s.started;
      p["handled"] = s.handled.load(std::memory_order_relaxed);
      p["script_generation"] = s.script_generation.load(std::memory_order_relaxed);
      // Percent of the time busy (the slot keeps 1/10000): the last second, ~1 and ~10 minutes.
      Json load = Json::object();
      load["recent"] = percent(s.load_recent);
      load["1m"] = percent(s.load_1m);
      load["10m"] = percent(s.load_10m);
      p["load"] = std::move(load);
      p["busy_seconds"] = static_cast<double>(s.busy_us.load(std::memory_order_relaxed)) / 1e6;
      p["log_level"] = logLevelName(slotLogLevel(s));
      if (std::uint64_t heap = s.heap_bytes.load(std::memory_order_relaxed); heap != 0) {
        p["heap_bytes"] = heap;
      }
      list.push_back(std::move(p));
    }
  }
  Json j = Json::object();
  j["processes"] = std::move(list);
  return j;
}

// Accepts a list of names/groups/"all", a single string, or nothing (= all).
Result<std::vector<std::string>> selectors(const MiParams& params) {
  std::vector<std::string> out;
  if (!params.has("statistics")) return std::vector<std::string>{"all"};
  const Json& v = params.raw("statistics");
  if (v.is_string()) {
    out.push_back(v.get<std::string>());
  } else if (v.is_array()) {
    for (const Json& e : v) {
      if (!e.is_string()) return Status::invalidArgument("statistics: expected names (strings)");
      out.push_back(e.get<std::string>());
    }
  } else {
    return Status::invalidArgument("statistics: expected a name or a list of names");
  }
  if (out.empty()) out.push_back("all");
  return out;
}

Result<Json> getStatistics(const MiParams& params) {
  Result<std::vector<std::string>> sel = selectors(params);
  if (!sel.isOk()) return sel.status();
  Json j = Json::object();
  for (const std::string& s : sel.value()) {
    if (!stats().exists(s)) return Status::notFound("no statistic or group '" + s + "'");
    for (const StatsRegistry::Entry& e : stats().read(s)) j[e.name] = e.value;
  }
  return j;
}

Result<Json> resetStatistics(const MiParams& params) {
  Result<std::vector<std::string>> sel = selectors(params);
  if (!sel.isOk()) return sel.status();
  std::size_t n = 0;
  for (const std::string& s : sel.value()) {
    if (!stats().exists(s)) return Status::notFound("no statistic or group '" + s + "'");
    n += stats().reset(s);
  }
  Json j = Json::object();
  j["reset"] = n;
  return j;
}

Result<Json> shmUsage(const MiParams&) {
  shm::Segment* seg = shm::segment();
  if (seg == nullptr) return Status::unavailable("no shared memory segment");
  shm::Usage u = seg->usage();
  Json j = Json::object();
  j["size"] = u.size;
  j["used"] = u.used;
  j["free"] = u.free;
  j["max_used"] = u.max_used;
  return j;
}

// The master compiles and checks; the answer is its result (an error names file:line:col).
Result<Json> reloadRoutes(const MiParams&) {
  Result<std::string> done = ScriptReloader::requestReload(10000);
  if (!done.isOk()) return done.status();
  Json j = Json::object();
  j["result"] = done.value();
  j["generation"] = reloadShared()->generation.load();
  return j;
}

Result<Json> routesStatus(const MiParams&) {
  ReloadShared* shared = reloadShared();
  if (shared == nullptr) return Status::unavailable("the server is not running");
  Json j = Json::object();
  j["generation"] = shared->generation.load();
  {
    shm::Lock lock(shared->mutex);
    j["last_reload"] = shared->last_time.load();
    j["last_reload_ok"] = shared->last_ok;
    j["last_result"] = std::string(shared->last_result);
  }
  // Processes still on an older script have not received a message since the reload.
  Json behind = Json::array();
  if (ProcessTable* table = processTable()) {
    for (int i = 0; i < table->count(); ++i) {
      ProcessSlot& s = table->slot(i);
      if (s.role == ProcessRole::kUdpWorker &&
          s.script_generation.load() != shared->generation.load()) {
        behind.push_back(i);
      }
    }
  }
  j["processes_behind"] = std::move(behind);
  return j;
}

constexpr const char* kLogLevelNames =
    "alert, crit, error, warning, notice, info, debug (or the OpenSIPS numbers -3 .. 4)";

// "level" as a name or an OpenSIPS number, given as a string or a JSON integer.
Result<LogLevel> levelParam(const Json& v) {
  std::string text;
  if (v.is_string()) {
    text = v.get<std::string>();
  } else if (v.is_number_integer()) {
    text = std::to_string(v.get<std::int64_t>());
  } else {
    return Status::invalidArgument(std::string("level: expected a name, one of ") + kLogLevelNames);
  }
  LogLevel level = LogLevel::kNotice;
  if (!parseLogLevel(text, level)) {
    return Status::invalidArgument("level: unknown log level '" + text +
                                   "'; valid: " + kLogLevelNames);
  }
  return level;
}

Json logLevelEntry(ProcessTable& table, int n) {
  ProcessSlot& s = table.slot(n);
  Json p = Json::object();
  p["pid"] = s.pid.load(std::memory_order_relaxed);
  p["role"] = processRoleName(s.role);
  p["index"] = s.index;
  if (s.name[0] != '\0') p["name"] = std::string(s.name);
  p["log_level"] = logLevelName(slotLogLevel(s));
  return p;
}

// No level: every process's level (or with "pid" that process's). A level: sets every process and
// the default level of processes started later, or with "pid" only that process. Answers the
// processes concerned.
Result<Json> logLevelCommand(const MiParams& params) {
  ProcessTable* table = processTable();
  if (table == nullptr) return Status::unavailable("the server is not running");
  std::vector<int> slots;
  if (!params.has("level")) {
    slots = liveProcessSlots(*table);
    if (params.has("pid")) {  // only that process's level
      std::int64_t pid = params.integer("pid");
      std::erase_if(slots, [&](int n) { return table->slot(n).pid.load() != pid; });
      if (slots.empty())
        return Status::notFound("no server process with pid " + std::to_string(pid));
    }
  } else {
    Result<LogLevel> level = levelParam(params.raw("level"));
    if (!level.isOk()) return level.status();
    if (params.has("pid")) {
      std::int64_t pid = params.integer("pid");
      if (pid <= 0 || pid > INT32_MAX) {
        return Status::notFound("no server process with pid " + std::to_string(pid));
      }
      Result<int> n = setProcessLogLevel(*table, static_cast<std::int32_t>(pid), level.value());
      if (!n.isOk()) return n.status();
      slots.push_back(n.value());
    } else {
      slots = setEveryLogLevel(*table, level.value());
    }
  }
  Json list = Json::array();
  for (int n : slots) list.push_back(logLevelEntry(*table, n));
  Json j = Json::object();
  j["processes"] = std::move(list);
  return j;
}

// The TCP/TLS connections of the whole server, from the connection index.
Result<Json> tcpList(const MiParams&) {
  Json list = Json::array();
  ConnIndex* index = connIndex();
  const std::vector<Listener>& sockets = listeners().all();
  std::int64_t now_ms = monotonicMs();
  std::int64_t now_s = std::time(nullptr);
  if (index != nullptr) {
    index->forEach([&](const ConnInfo& c) {
      Json e = Json::object();
      e["id"] = c.id;
      e["proto"] = protoName(c.proto);
      e["peer"] = c.peer.toString();
      if (c.listener >= 0 && static_cast<std::size_t>(c.listener) < sockets.size()) {
        e["socket"] = sockets[static_cast<std::size_t>(c.listener)].text;
      }
      e["direction"] = c.outgoing ? "out" : "in";
      e["worker"] = c.owner;
      e["age"] = now_s - c.created_s;
      if (c.keep_until_ms > now_ms) e["kept_for"] = (c.keep_until_ms - now_ms) / 1000;
      list.push_back(std::move(e));
    });
  }
  Json j = Json::object();
  j["max"] = index != nullptr ? index->capacity() : 0;
  j["connections"] = std::move(list);
  return j;
}

}  // namespace

Status registerCoreMiCommands(MiRegistry& registry) {
  std::vector<MiCommand> cmds = {
      {"version", {}, "Server version, revision and build id.", "core", version},
      {"uptime", {}, "Start time and seconds since start.", "core", uptime},
      {"ps",
       {},
       "Every server process: role, index, pid, start time, messages handled, load (percent "
       "busy: last second, 1 and 10 minute averages), busy seconds, log level.",
       "core",
       ps},
      {"get_statistics",
       {MiParamSpec::any("statistics", "names, groups (\"core:\") or \"all\"").opt()},
       "Current values of statistics.",
       "core",
       getStatistics},
      {"reset_statistics",
       {MiParamSpec::any("statistics", "names, groups (\"core:\") or \"all\"").opt()},
       "Resets counters (not gauges) to 0.",
       "core",
       resetStatistics},
      {"shm", {}, "Shared memory size, used, free and max used (bytes).", "core", shmUsage},
      {"flight_recorder", trace::flightRecorderMiParams(),
       "The messages the flight recorder holds (the last flight_recorder_minutes), oldest "
       "first: time (unix us), transport, direction, source, destination, Call-ID, text.",
       "core",
       [](const MiParams& p) {
         return trace::flightRecorderMi(p, trace::flightRecorder(), unixNowUs());
       }},
      {"tcp_list",
       {},
       "Every TCP and TLS connection: id, transport, peer, local socket, direction, owning "
       "TCP worker, age in seconds, and how long a registration keeps it open (kept_for, s).",
       "core",
       tcpList},
      {"reload_routes",
       {},
       "Reloads the routing script (as SIGHUP): the master checks it first; on an error the "
       "running script stays and the error is returned.",
       "core",
       reloadRoutes},
      {"routes_status",
       {},
       "Generation of the routing script, the last reload's result, processes not yet "
       "switched.",
       "core",
       routesStatus},
      {"log_level",
       {MiParamSpec::any("level", std::string("new level: ") + kLogLevelNames).opt(),
        MiParamSpec::integer("pid", "only this process").opt()},
       "Log level of every process (or of pid); with level sets it for every process (and "
       "those started later), with pid only for that process.",
       "core",
       logLevelCommand},
  };
  for (MiCommand& c : cmds) {
    Status st = registry.add(std::move(c));
    if (!st.isOk()) return st;
  }
  return Status::ok();
}

}  // namespace sipline
