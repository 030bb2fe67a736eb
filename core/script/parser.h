// Parser of the routing script: tokens → ScriptAst (syntax only, with positions). Errors
// carry file:line:col (of the file each token came from) and say what was expected. Stage 2
// of the script pipeline, after the preprocessor (includes, defines).
#pragma once

#include <string>

#include "core/base/status.h"
#include "core/script/ast.h"
#include "core/script/preprocess.h"

namespace sipline::script {

// Preprocesses and parses a script file (`text` is its content; includes resolve against the
// directory of `file`).
Result<ScriptAst> parseScript(const std::string& text, const std::string& file);
Result<ScriptAst> parseScript(const std::string& text, const std::string& file,
                              const PreprocessOptions& options);

}  // namespace sipline::script
