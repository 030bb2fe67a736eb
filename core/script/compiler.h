// The script compiler (stage 3): turns a parsed ScriptAst into the interpreter's nodes inside
// `out`, binding every command call site against `commands`, checking route types (through
// route() calls) and adding load-time warnings (unused routes, unreachable code, flags set but
// never tested). Errors carry file:line:col.
//
// loadScript() is the whole pipeline for the server: read → preprocess (includes, defines from
// the settings) → parse → compile → lint. Script::load/compile (script.h) are the same without
// settings-side defines and module flags.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/config/settings.h"
#include "core/script/ast.h"
#include "core/script/command_registry.h"
#include "core/script/preprocess.h"
#include "core/script/script.h"

namespace sipline {

struct ScriptOptions {
  script::PreprocessOptions preprocess;    // defines from the settings, include depth
  std::vector<std::int64_t> module_flags;  // flags named by module parameters (...flag(s))
};

// The defines (`defines = { ... }`) and the flags named by module parameters of `settings`.
ScriptOptions scriptOptionsFrom(const Settings& settings);

Status compileScript(script::ScriptAst& ast, const CommandRegistry& commands, Services* services,
                     Script& out, const ScriptOptions& options = ScriptOptions());

// Preprocesses, parses, compiles and lints; refuses a script without a main request route.
Result<ScriptPtr> compileScriptText(const std::string& text, const std::string& file,
                                    const CommandRegistry& commands, Services* services,
                                    const ScriptOptions& options);
Result<ScriptPtr> loadScript(const std::string& path, const CommandRegistry& commands,
                             Services* services, const ScriptOptions& options);
// The routing script of the settings (settings.routes) with the settings' defines.
Result<ScriptPtr> loadScript(const Settings& settings, const CommandRegistry& commands,
                             Services* services);

}  // namespace sipline
