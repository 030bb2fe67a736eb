// Every command the routing script may call, by name: core built-ins (xlog, forward, ...)
// and the commands of loaded modules. Filled by the master before the script compiles;
// read-only afterwards. Process-private.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/script/script_api.h"

namespace sipline {

class CommandRegistry {
 public:
  // kAlreadyExists naming both owners when the name is taken.
  Status add(CommandSpec spec);
  const CommandSpec* find(const std::string& name) const;
  std::vector<std::string> names() const;

 private:
  std::map<std::string, CommandSpec> commands_;
};

}  // namespace sipline
