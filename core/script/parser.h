// Parser of the routing script: tokens → ScriptAst (syntax only, with positions). Errors
// carry file:line:col and say what was expected. Stage 2 of the script pipeline.
#pragma once

#include <string>

#include "core/base/status.h"
#include "core/script/ast.h"

namespace sipline::script {

// Parses the text of one script file.
Result<ScriptAst> parseScript(const std::string& text, const std::string& file);

}  // namespace sipline::script
