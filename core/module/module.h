// The module ABI: the only header a module needs. A module is modules/<name>/<name>.so built
// in-tree with the same compiler and flags as the core (C++ types cross the boundary; the
// loader checks kModuleAbi and the build id). Its one extern "C" entry point, made by
// SIPLINE_MODULE("name", Class), returns a ModuleEntry. Exceptions must not cross it: the
// loader wraps every call into a module in a catch-all.
//
// Life cycle (master unless said otherwise): create → describe(spec) (pure data) → params
// applied from the settings (typed, range-checked) → the script is compiled and every call
// site bound → the segment is created → init() in dependency order → fork → childInit() in
// every child → destroy() in reverse order at shutdown.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <typeindex>
#include <vector>

#include "core/base/status.h"
#include "core/mi/mi_registry.h"
#include "core/proc/process_info.h"
#include "core/script/pvar.h"
#include "core/script/script_api.h"
#include "core/stats/stats.h"

namespace sipline {

// Bumped whenever a type modules share changes layout (2: ModuleSpec summary and description;
// 3: module pseudo-variables, MsgContext dialog and tm watchers).
inline constexpr std::uint32_t kModuleAbi = 4;
#ifndef SIPLINE_BUILD_ID
#define SIPLINE_BUILD_ID "unknown"
#endif
inline constexpr const char* kBuildId = SIPLINE_BUILD_ID;

namespace shm {
class Segment;
}

// Named interfaces modules offer each other ("usrloc", "tm", "db"). The object is the
// provider's; it exists from describe() on, its shm state only after the provider's init().
class Services {
 public:
  template <class T>
  Status provide(const std::string& name, T* api, const std::string& module) {
    if (entries_.count(name) != 0) {
      return Status::alreadyExists("service '" + name + "' is provided by both " +
                                   entries_.at(name).module + " and " + module);
    }
    entries_.emplace(name, Entry{std::type_index(typeid(T)), api, module});
    return Status::ok();
  }
  // `who` names the consumer for the error message.
  template <class T>
  Result<T*> require(const std::string& name, const std::string& who) const {
    auto it = entries_.find(name);
    if (it == entries_.end()) {
      return Status::notFound(who + " needs service '" + name + "': load the module providing it");
    }
    if (it->second.type != std::type_index(typeid(T))) {
      return Status::internal("service '" + name + "' of module " + it->second.module +
                              " has another type than " + who + " expects");
    }
    return static_cast<T*>(it->second.object);
  }

 private:
  struct Entry {
    std::type_index type;
    void* object;
    std::string module;
  };
  std::map<std::string, Entry> entries_;
};

enum class Dependency : std::uint8_t { kRequired, kOptional };

struct IntRange {
  std::int64_t min;
  std::int64_t max;
};
struct OneOf {
  std::vector<std::string> values;
};

struct ParamSpec {
  enum class Type : std::uint8_t { kInt, kStr, kBool };
  std::string name;
  Type type = Type::kStr;
  std::int64_t* int_target = nullptr;
  std::string* str_target = nullptr;
  bool* bool_target = nullptr;
  IntRange range{INT64_MIN, INT64_MAX};
  std::vector<std::string> one_of;  // allowed string values; empty = any
  std::string help;
};

// "integer", "string" or "boolean": how errors and sipline-modules(7) name a parameter type.
const char* paramTypeName(ParamSpec::Type type);

struct TimerSpec {
  std::string name;
  std::uint32_t interval_ms = 1000;
  std::function<void()> fn;  // runs in the timer process
};

// A process of the module's own (a DB flusher, a prober), forked with the workers after
// childInit(). The body loops until signals::stopRequested() (core/proc/supervisor.h),
// sleeping only in calls that take signals::childWaitMask() (ppoll) or in bounded waits, and
// returns its exit code; returning while no stop was asked shuts the whole server down.
struct ProcessSpec {
  std::string name;  // "usrloc-flusher": its label in logs and the process list
  std::function<int()> body;
  // Asked in the master after init(), when the parameters are known: false skips the process
  // (a DB flusher in memory mode). Empty: always.
  std::function<bool()> enabled;
  // At shutdown it is asked to stop only once every worker, the timer and the MI have exited,
  // so it sees the last of what they produced (a writer draining a queue to the DB or a spool).
  bool stops_last = false;
};

// Filled by Module::describe(). Pure data: no I/O, no shm.
class ModuleSpec {
 public:
  explicit ModuleSpec(std::string module) : module_(std::move(module)) {}

  // The module's entry in sipline-modules(7) (core/module/module_doc.h): a one-line summary
  // and a description of what the module is for and what it needs; paragraphs are separated
  // by an empty line. Plain text: the generator escapes it.
  void summary(std::string text) { summary_ = std::move(text); }
  void description(std::string text) { description_ = std::move(text); }

  void dependsOn(std::string module, Dependency kind = Dependency::kRequired) {
    deps_.push_back({std::move(module), kind});
  }
  void param(std::string name, std::int64_t* target, IntRange range, std::string help = "");
  void param(std::string name, std::string* target, std::string help = "");
  void param(std::string name, std::string* target, OneOf allowed, std::string help = "");
  void param(std::string name, bool* target, std::string help = "");
  void command(std::string name, std::vector<ArgSpec> args, std::uint32_t route_mask, BindFn bind,
               std::string help = "");
  void mi(std::string name, std::vector<MiParamSpec> params, std::string help, MiHandler fn);
  void stat(std::string name, StatCounter* counter, std::string help = "",
            StatKind kind = StatKind::kCounter);
  // A member of a labelled family of this module's group (see StatLabels in stats.h), e.g.
  // stat("2xx_replies", &c, "replies sent, by class", kCounter, {"sent_replies_class",
  // {{"class", "2xx"}}}).
  void stat(std::string name, StatCounter* counter, std::string help, StatKind kind,
            StatLabels labels) {
    stats_.push_back(StatDecl{std::move(name), counter, std::move(help), kind, std::move(labels)});
  }
  // A pseudo-variable of the module ($DLG_timeout); name and help must outlive the module
  // (string literals).
  void pvar(script::PvarSpec spec) { pvars_.push_back(spec); }
  void timer(std::string name, std::uint32_t interval_ms, std::function<void()> fn);
  void process(std::string name, std::function<int()> body, std::function<bool()> enabled = nullptr,
               bool stops_last = false);
  template <class T>
  void provide(std::string name, T* api) {
    provides_.push_back([name = std::move(name), api](Services& s, const std::string& m) {
      return s.provide<T>(name, api, m);
    });
  }

  struct Dep {
    std::string module;
    Dependency kind;
  };
  const std::string& module() const { return module_; }
  const std::string& summary() const { return summary_; }
  const std::string& description() const { return description_; }
  const std::vector<Dep>& deps() const { return deps_; }
  const std::vector<ParamSpec>& params() const { return params_; }
  const std::vector<CommandSpec>& commands() const { return commands_; }
  const std::vector<MiCommand>& miCommands() const { return mi_; }
  const std::vector<TimerSpec>& timers() const { return timers_; }
  const std::vector<script::PvarSpec>& pvars() const { return pvars_; }
  const std::vector<ProcessSpec>& processes() const { return processes_; }
  struct StatDecl {
    std::string name;
    StatCounter* counter;
    std::string help;
    StatKind kind;
    StatLabels labels{};  // empty: not in a family
  };
  const std::vector<StatDecl>& statDecls() const { return stats_; }
  const std::vector<std::function<Status(Services&, const std::string&)>>& provides() const {
    return provides_;
  }

 private:
  std::string module_;
  std::string summary_;
  std::string description_;
  std::vector<Dep> deps_;
  std::vector<ParamSpec> params_;
  std::vector<CommandSpec> commands_;
  std::vector<MiCommand> mi_;
  std::vector<StatDecl> stats_;
  std::vector<TimerSpec> timers_;
  std::vector<script::PvarSpec> pvars_;
  std::vector<ProcessSpec> processes_;
  std::vector<std::function<Status(Services&, const std::string&)>> provides_;
};

struct Settings;

// Given to init() in the master, after the segment exists and before fork.
class InitContext {
 public:
  InitContext(shm::Segment* segment, Services* services, const Settings* settings)
      : segment_(segment), services_(services), settings_(settings) {}
  shm::Segment& segment() { return *segment_; }
  const Settings& settings() const { return *settings_; }
  template <class T>
  Result<T*> require(const std::string& name, const std::string& who) {
    return services_->require<T>(name, who);
  }

 private:
  shm::Segment* segment_;
  Services* services_;
  const Settings* settings_;
};

class Module {
 public:
  virtual ~Module() = default;
  // Declares params, commands, MI, stats, deps. Pure data: no I/O, no shm, no threads.
  virtual void describe(ModuleSpec& spec) = 0;
  // Master, after the whole config is checked and before fork. Reserve/construct shm here.
  virtual Status init(InitContext& /*ctx*/) { return Status::ok(); }
  // Every process after fork; open per-process resources (DB connection, sockets).
  virtual Status childInit(const ProcessInfo& /*proc*/) { return Status::ok(); }
  // Master at shutdown, in reverse dependency order.
  virtual void destroy() noexcept {}
};
using ModulePtr = std::unique_ptr<Module>;

struct ModuleEntry {     // returned by the one extern "C" symbol
  std::uint32_t abi;     // == kModuleAbi, else refused
  const char* build_id;  // == kBuildId, else refused
  const char* name;
  ModulePtr (*create)();
};

}  // namespace sipline

#define SIPLINE_MODULE_ENTRY_SYMBOL "sipline_module_entry"
// Exactly one per module, last line of <name>_module.cc.
#define SIPLINE_MODULE(NAME, CLASS)                                                             \
  namespace {                                                                                   \
  ::sipline::ModulePtr sipline_create_module() { return std::make_unique<CLASS>(); }            \
  }                                                                                             \
  extern "C" __attribute__((visibility("default"))) const ::sipline::ModuleEntry*               \
  sipline_module_entry() {                                                                      \
    static const ::sipline::ModuleEntry entry{::sipline::kModuleAbi, ::sipline::kBuildId, NAME, \
                                              &sipline_create_module};                          \
    return &entry;                                                                              \
  }
