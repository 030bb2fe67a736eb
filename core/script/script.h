// A compiled routing script: the routes of a *.routes file, parsed, checked and bound to the
// commands of the core and the loaded modules. Compiled once per process (at start or on
// reload) into private memory; run per message by the workers. Never in shm.
//
// Return-code semantics (OpenSIPS): a command returning > 0 is true, < 0 false, and 0 stops
// the script like `exit`. `return(n)` leaves the current route with n ($rc); a route that
// ends without `return` returns 1. `drop` stops the script and marks the message dropped.
//
// Run-time errors of script actions are logged as "FILE:LINE:COL: what (Call-ID x)", at most
// 10 lines a second per action; commands report theirs through a ScriptErrorSite.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/base/log.h"
#include "core/base/status.h"
#include "core/script/command_registry.h"
#include "core/script/script_api.h"

namespace sipline {

namespace script {
struct CompiledRoute;
}

class Services;
class ScriptTracer;

class Script {
 public:
  ~Script();
  // Reads, parses, checks and binds a script file. Errors carry file:line:col.
  static Result<std::unique_ptr<Script>> load(const std::string& path,
                                              const CommandRegistry& commands, Services* services);
  static Result<std::unique_ptr<Script>> compile(const std::string& text, const std::string& file,
                                                 const CommandRegistry& commands,
                                                 Services* services);

  // The iteration bound of every `while` (settings: max_while_loops), for this process.
  static void setMaxWhileLoops(int n);

  bool hasRequestRoute() const { return request_ != nullptr; }
  bool hasReplyRoute() const { return reply_ != nullptr; }
  // Runs the main request route / main onreply_route. Returns the route's return code.
  int runRequest(MsgContext& ctx) const;
  int runReply(MsgContext& ctx) const;
  // Runs a named route of the given kind; false if it does not exist.
  bool runNamed(RouteType type, const std::string& name, MsgContext& ctx, int* rc) const;
  // The names of the named routes of a type, in script order (route[a], route[b] -> a, b).
  std::vector<std::string> routeNames(RouteType type) const;
  // Whether the script has the (unnamed) route of a type: error_route, startup_route.
  bool hasRoute(RouteType type) const;
  bool hasErrorRoute() const { return hasRoute(kErrorRoute); }
  // timer_route[name, seconds] of the script, in script order.
  struct TimerRoute {
    std::string name;
    int interval_s = 0;
  };
  std::vector<TimerRoute> timerRoutes() const;

  // Every run reports to `tracer` from now on (the simulator); nullptr turns tracing off.
  // The tracer must outlive the runs.
  // Errors that commands report (ScriptErrorSite) go to the last tracer set in the process.
  void setTracer(ScriptTracer* tracer);

  // Load-time warnings (unused routes, ...), "file:line:col: warning text".
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  friend class ScriptCompiler;
  Script() = default;
  std::vector<std::unique_ptr<script::CompiledRoute>> routes_;
  const script::CompiledRoute* request_ = nullptr;
  const script::CompiledRoute* reply_ = nullptr;
  std::vector<std::string> warnings_;
  ScriptTracer* tracer_ = nullptr;
};
using ScriptPtr = std::unique_ptr<Script>;

// Registers the core's own script commands (xlog, is_method, forward, ...).
Status registerCoreCommands(CommandRegistry& commands);

// How a command reports a run-time error of one call site. Made by its bind function
// (`ScriptErrorSite site(bc.pos(), "append_branch");`) and kept in the BoundCall; report()
// logs "FILE:LINE:COL: append_branch(): text (Call-ID x)", at most 10 lines a second for this
// call site, and shows the error in the simulator's trace. Nothing runs until an error.
class ScriptErrorSite {
 public:
  ScriptErrorSite(SourcePos pos, std::string command)
      : pos_(std::move(pos)), command_(std::move(command)) {}
  void report(MsgContext& ctx, const char* fmt, ...) const __attribute__((format(printf, 3, 4)));

 private:
  SourcePos pos_;
  std::string command_;
  mutable LogRateLimit rate_;
};

}  // namespace sipline
