// The script compiler (stage 3): turns a parsed ScriptAst into the interpreter's nodes inside
// `out`, binding every command call site against `commands`. Errors carry file:line:col.
#pragma once

#include "core/base/status.h"
#include "core/script/ast.h"
#include "core/script/command_registry.h"
#include "core/script/script.h"

namespace sipline {

Status compileScript(script::ScriptAst& ast, const CommandRegistry& commands, Services* services,
                     Script& out);

}  // namespace sipline
