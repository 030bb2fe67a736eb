// registerCoreCommands(): every core script command, gathered from the core_commands_*.cc
// files (one topic each, see core_commands.h).
#include "core/script/core_commands.h"

#include <vector>

#include "core/script/script.h"

namespace sipline {

Status registerCoreCommands(CommandRegistry& commands) {
  std::vector<CommandSpec> specs;
  addMessageCommands(specs);
  addFlagCommands(specs);
  addBranchCommands(specs);
  addUriCommands(specs);
  addSocketCommands(specs);
  for (CommandSpec& s : specs) {
    Status st = commands.add(std::move(s));
    if (!st.isOk()) return st;
  }
  return Status::ok();
}

}  // namespace sipline
