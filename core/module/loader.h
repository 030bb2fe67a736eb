// Loads the modules named in the settings (dlopen from mpath), checks their ABI and build id,
// collects their descriptions, applies their parameters, checks dependencies and orders
// init/childInit/destroy. Every error names the module and the settings line that loaded it.
// Master only; the ModuleSet is inherited by every child through fork. Modules are never
// dlclose'd while the server runs (their code backs the bound commands and MI handlers).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/config/settings.h"
#include "core/mi/mi_registry.h"
#include "core/module/module.h"
#include "core/script/command_registry.h"

namespace sipline {

struct LoadedModule {
  std::string name;
  std::string path;
  std::string origin;  // "FILE:LINE" of the settings entry
  void* handle = nullptr;
  ModulePtr module;
  std::unique_ptr<ModuleSpec> spec;
};

class ModuleSet {
 public:
  ModuleSet() = default;
  ~ModuleSet();
  ModuleSet(const ModuleSet&) = delete;
  ModuleSet& operator=(const ModuleSet&) = delete;

  // Loads one module file; `origin` ("FILE:LINE") prefixes errors. Does not apply params.
  Status loadFile(const std::string& name, const std::string& path, const std::string& origin);
  // Loads every module of the settings in order, applies params, checks dependencies.
  Status loadAll(const Settings& settings);
  Status applyParams(LoadedModule& m, const ModuleConfig& config, const std::string& file);
  // Every required dependency is loaded; computes the init order (dependencies first).
  Status checkDependencies();
  // Publishes commands, MI commands, statistics and services.
  Status publish(CommandRegistry& commands, MiRegistry& mi, StatsRegistry& stats,
                 Services& services);

  Status initAll(InitContext& ctx);
  Status childInitAll(const ProcessInfo& proc);
  void destroyAll() noexcept;

  std::vector<TimerSpec> timers() const;
  std::vector<ProcessSpec> processes() const;
  const std::vector<std::unique_ptr<LoadedModule>>& modules() const { return modules_; }
  bool has(const std::string& name) const;

 private:
  std::vector<std::unique_ptr<LoadedModule>> modules_;  // settings order
  std::vector<LoadedModule*> init_order_;               // dependencies first
};

}  // namespace sipline
