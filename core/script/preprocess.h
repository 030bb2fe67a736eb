// The script preprocessor: between the lexer and the parser. It reads a *.routes file and the
// files it includes into one token stream, in which every token keeps the file:line:col it came
// from, and it applies the Kamailio-style directives:
//   include_file "path"   (also #!include_file) the file's tokens, here; path relative to the
//                          including file; nested up to a depth limit; a cycle is an error
//   import_file "path"    (also #!import_file) the same, but a missing file is only a warning
//   #!define NAME [value]  #!trydef (only if not defined)  #!redefine  #!undef NAME
//   #!ifdef NAME / #!ifndef NAME / #!else / #!endif   (inactive text is skipped, not lexed)
// A defined NAME written as a bare identifier is replaced by its value tokens (at the place of
// use); text inside string literals and pseudo-variable names is never substituted. Defines
// also come from the settings file (Settings::defines), before the first line of the script.
// Kamailio's config-type markers (#!KAMAILIO, #!SER, ...) are accepted and ignored. Files are
// read through readScriptSource() (source_set.h), so a live reload compiles the very text the
// master checked. Pure function of its inputs and the files it reads; process-private.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/script/lexer.h"

namespace sipline::script {

struct Define {
  std::string name;
  std::vector<Token> value;  // empty: defined without a value (only #!ifdef can test it)
  std::string where;         // "file:line:col" of the #!define, or "settings.cfg:line"
};

struct PreprocessOptions {
  std::vector<Define> defines;  // defined before the script's first line
  int max_include_depth = 10;   // files nested inside the main file
};

struct Preprocessed {
  std::vector<Token> tokens;          // ends with one kEnd (at the end of the main file)
  std::vector<std::string> warnings;  // "file:line:col: text"
  std::vector<std::string> files;     // every file read, the main one first
};

// `text` is the main file's content; `file` its path (includes resolve against its directory).
Result<Preprocessed> preprocess(const std::string& text, const std::string& file,
                                const PreprocessOptions& options);

// Words of the grammar that a define may not take as its name.
bool isReservedWord(std::string_view name);

// A define of one string or integer token (for defines that come from the settings).
Define stringDefine(std::string name, std::string value, std::string where);
Define integerDefine(std::string name, std::int64_t value, std::string where);

}  // namespace sipline::script
