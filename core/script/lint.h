// Load-time warnings found on the syntax tree, before anything is bound: statements that can
// never run (after exit, drop, return or break in the same block, or after an if/else whose
// every branch leaves), and flags that are set (setflag/setbflag with a constant) but never
// tested (no isflagset/isbflagset of the same number, no read of $mf/$bf, and no module
// parameter naming it). Each warning is "file:line:col: text". Pure; process-private.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/script/ast.h"

namespace sipline::script {

struct LintOptions {
  // Flags that module parameters name (acc log_flag = 3, usrloc nat_bflag = 6, ...): setting
  // them is how the script talks to the module, so they count as tested.
  std::vector<std::int64_t> module_flags;
};

std::vector<std::string> lintScript(const ScriptAst& ast, const LintOptions& options);

}  // namespace sipline::script
