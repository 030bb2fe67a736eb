#include "core/script/command_registry.h"

namespace sipline {

Status CommandRegistry::add(CommandSpec spec) {
  auto it = commands_.find(spec.name);
  if (it != commands_.end()) {
    return Status::alreadyExists("command '" + spec.name + "' is exported by both " +
                                 it->second.module + " and " + spec.module);
  }
  std::string name = spec.name;
  commands_.emplace(std::move(name), std::move(spec));
  return Status::ok();
}

const CommandSpec* CommandRegistry::find(const std::string& name) const {
  auto it = commands_.find(name);
  return it == commands_.end() ? nullptr : &it->second;
}

std::vector<std::string> CommandRegistry::names() const {
  std::vector<std::string> out;
  out.reserve(commands_.size());
  for (const auto& [name, spec] : commands_) out.push_back(name);
  return out;
}

}  // namespace sipline
