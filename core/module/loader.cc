#include "core/module/loader.h"

#include <dlfcn.h>

#include <cstring>
#include <functional>
#include <set>

#include "core/base/log.h"
#include "core/base/strings.h"

namespace sipline {
namespace {

// Runs a call into module code; exceptions never cross the module boundary.
template <class Fn>
Status guarded(const LoadedModule& m, const char* what, Fn&& fn) {
  try {
    return std::forward<Fn>(fn)();
  } catch (const std::exception& e) {
    return Status::internal("module '" + m.name + "' threw in " + what + ": " + e.what());
  } catch (...) {
    return Status::internal("module '" + m.name + "' threw in " + what);
  }
}

}  // namespace

ModuleSet::~ModuleSet() {
  // Module objects are deleted (their code is still mapped); handles stay open on purpose.
  for (auto& m : modules_) m->module.reset();
}

Status ModuleSet::loadFile(const std::string& name, const std::string& path,
                           const std::string& origin) {
  const std::string where = origin + ": module '" + name + "'";
  for (const auto& m : modules_) {
    if (m->name == name) return Status::alreadyExists(where + " is loaded twice");
  }
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* err = dlerror();
    return Status::notFound(where + ": cannot load " + path + ": " + (err ? err : "?"));
  }
  using EntryFn = const ModuleEntry* (*)();
  auto entry_fn = reinterpret_cast<EntryFn>(dlsym(handle, SIPLINE_MODULE_ENTRY_SYMBOL));
  if (entry_fn == nullptr) {
    dlclose(handle);
    return Status::invalidArgument(where + ": " + path + " is not a sipline module (no " +
                                   SIPLINE_MODULE_ENTRY_SYMBOL + ")");
  }
  const ModuleEntry* entry = entry_fn();
  if (entry == nullptr || entry->abi != kModuleAbi) {
    std::string got = entry ? std::to_string(entry->abi) : "none";
    dlclose(handle);
    return Status::invalidArgument(where + ": " + path + " has module ABI " + got +
                                   ", this server has ABI " + std::to_string(kModuleAbi) +
                                   " (rebuild the module)");
  }
  if (entry->build_id == nullptr || std::strcmp(entry->build_id, kBuildId) != 0) {
    std::string got = entry->build_id ? entry->build_id : "none";
    dlclose(handle);
    return Status::invalidArgument(where + ": " + path + " was built as '" + got +
                                   "', this server is '" + kBuildId + "' (rebuild the module)");
  }
  if (entry->name == nullptr || name != entry->name) {
    std::string got = entry->name ? entry->name : "none";
    dlclose(handle);
    return Status::invalidArgument(where + ": " + path + " declares itself as '" + got + "'");
  }
  auto lm = std::make_unique<LoadedModule>();
  lm->name = name;
  lm->path = path;
  lm->origin = origin;
  lm->handle = handle;
  lm->spec = std::make_unique<ModuleSpec>(name);
  Status st = guarded(*lm, "create/describe", [&] {
    lm->module = entry->create();
    if (!lm->module) return Status::internal("create() returned nothing");
    lm->module->describe(*lm->spec);
    return Status::ok();
  });
  if (!st.isOk()) return st.withPrefix(where);
  modules_.push_back(std::move(lm));
  return Status::ok();
}

Status ModuleSet::applyParams(LoadedModule& m, const ModuleConfig& config,
                              const std::string& file) {
  std::vector<std::string> names;
  for (const ParamSpec& p : m.spec->params()) names.push_back(p.name);
  for (const ModuleParamValue& v : config.params) {
    const std::string where = file + ":" + std::to_string(v.line) + ": module '" + m.name + "'";
    const ParamSpec* spec = nullptr;
    for (const ParamSpec& p : m.spec->params()) {
      if (p.name == v.name) spec = &p;
    }
    if (spec == nullptr) {
      return Status::invalidArgument(where + " has no parameter '" + v.name + "'" +
                                     didYouMean(v.name, names));
    }
    auto wrongType = [&] {
      return Status::invalidArgument(where + ": parameter '" + v.name + "' must be " +
                                     paramTypeName(spec->type) + ", got " + v.typeName());
    };
    switch (spec->type) {
      case ParamSpec::Type::kInt: {
        const auto* i = std::get_if<std::int64_t>(&v.value);
        if (i == nullptr) return wrongType();
        if (*i < spec->range.min || *i > spec->range.max) {
          return Status::invalidArgument(where + ": parameter '" + v.name +
                                         "' = " + std::to_string(*i) + " is out of range [" +
                                         std::to_string(spec->range.min) + ", " +
                                         std::to_string(spec->range.max) + "]");
        }
        *spec->int_target = *i;
        break;
      }
      case ParamSpec::Type::kStr: {
        const auto* s = std::get_if<std::string>(&v.value);
        if (s == nullptr) return wrongType();
        if (!spec->one_of.empty()) {
          bool ok = false;
          std::string list;
          for (const std::string& a : spec->one_of) {
            ok = ok || a == *s;
            list += (list.empty() ? "" : ", ") + a;
          }
          if (!ok) {
            return Status::invalidArgument(where + ": parameter '" + v.name + "' = \"" + *s +
                                           "\" is not one of: " + list);
          }
        }
        *spec->str_target = *s;
        break;
      }
      case ParamSpec::Type::kBool: {
        if (const auto* b = std::get_if<bool>(&v.value)) {
          *spec->bool_target = *b;
        } else if (const auto* i = std::get_if<std::int64_t>(&v.value); i && (*i == 0 || *i == 1)) {
          *spec->bool_target = *i == 1;
        } else {
          return wrongType();
        }
        break;
      }
    }
  }
  return Status::ok();
}

Status ModuleSet::loadAll(const Settings& settings) {
  for (const ModuleConfig& mc : settings.modules) {
    std::string origin = settings.file + ":" + std::to_string(mc.line);
    std::string path = settings.mpath + "/" + mc.name + ".so";
    Status st = loadFile(mc.name, path, origin);
    if (!st.isOk()) return st;
    st = applyParams(*modules_.back(), mc, settings.file);
    if (!st.isOk()) return st;
  }
  return checkDependencies();
}

bool ModuleSet::has(const std::string& name) const {
  for (const auto& m : modules_) {
    if (m->name == name) return true;
  }
  return false;
}

Status ModuleSet::checkDependencies() {
  for (const auto& m : modules_) {
    for (const ModuleSpec::Dep& d : m->spec->deps()) {
      if (d.kind == Dependency::kRequired && !has(d.module)) {
        return Status::failedPrecondition(m->origin + ": module '" + m->name + "' needs module '" +
                                          d.module + "', which is not loaded (add it to modules)");
      }
    }
  }
  // Depth-first topological order, stable with respect to the settings order.
  init_order_.clear();
  std::set<std::string> done, visiting;
  std::function<Status(LoadedModule*)> visit = [&](LoadedModule* m) -> Status {
    if (done.count(m->name)) return Status::ok();
    if (visiting.count(m->name)) {
      return Status::failedPrecondition(m->origin + ": module '" + m->name +
                                        "' is part of a dependency cycle");
    }
    visiting.insert(m->name);
    for (const ModuleSpec::Dep& d : m->spec->deps()) {
      for (const auto& other : modules_) {
        if (other->name == d.module) {
          Status st = visit(other.get());
          if (!st.isOk()) return st;
        }
      }
    }
    visiting.erase(m->name);
    done.insert(m->name);
    init_order_.push_back(m);
    return Status::ok();
  };
  for (const auto& m : modules_) {
    Status st = visit(m.get());
    if (!st.isOk()) return st;
  }
  return Status::ok();
}

Status ModuleSet::publish(CommandRegistry& commands, MiRegistry& mi, StatsRegistry& stats,
                          Services& services) {
  for (const auto& m : modules_) {
    const std::string where = m->origin + ": module '" + m->name + "'";
    for (const CommandSpec& c : m->spec->commands()) {
      Status st = commands.add(c);
      if (!st.isOk()) return st.withPrefix(where);
    }
    for (const MiCommand& c : m->spec->miCommands()) {
      Status st = mi.add(c);
      if (!st.isOk()) return st.withPrefix(where);
    }
    for (const script::PvarSpec& p : m->spec->pvars()) {
      Status st = script::registerModulePvar(p, m->name);
      if (!st.isOk()) return st.withPrefix(where);
    }
    for (const ModuleSpec::StatDecl& s : m->spec->statDecls()) {
      Status st = stats.declare(m->name, s.name, s.counter, s.kind, s.help, s.labels);
      if (!st.isOk()) return st.withPrefix(where);
    }
    for (const auto& provide : m->spec->provides()) {
      Status st = provide(services, m->name);
      if (!st.isOk()) return st.withPrefix(where);
    }
  }
  return Status::ok();
}

Status ModuleSet::initAll(InitContext& ctx) {
  for (LoadedModule* m : init_order_) {
    Status st = guarded(*m, "init", [&] { return m->module->init(ctx); });
    if (!st.isOk()) return st.withPrefix("module '" + m->name + "' init failed");
  }
  return Status::ok();
}

Status ModuleSet::childInitAll(const ProcessInfo& proc) {
  for (LoadedModule* m : init_order_) {
    Status st = guarded(*m, "childInit", [&] { return m->module->childInit(proc); });
    if (!st.isOk()) return st.withPrefix("module '" + m->name + "' child init failed");
  }
  return Status::ok();
}

void ModuleSet::destroyAll() noexcept {
  for (auto it = init_order_.rbegin(); it != init_order_.rend(); ++it) {
    LoadedModule* m = *it;
    Status st = guarded(*m, "destroy", [&] {
      m->module->destroy();
      return Status::ok();
    });
    if (!st.isOk()) SL_ERR("%s", st.message().c_str());
  }
}

std::vector<TimerSpec> ModuleSet::timers() const {
  std::vector<TimerSpec> out;
  for (LoadedModule* m : init_order_) {
    for (const TimerSpec& t : m->spec->timers()) out.push_back(t);
  }
  return out;
}

std::vector<ProcessSpec> ModuleSet::processes() const {
  std::vector<ProcessSpec> out;
  for (LoadedModule* m : init_order_) {
    for (const ProcessSpec& p : m->spec->processes()) out.push_back(p);
  }
  return out;
}

}  // namespace sipline
