// Lexical checks over libconfig text that libconfig 1.5 does not make, or reports without the
// detail an operator needs. Used by the settings loader (core/config/settings.cc) only.
//  - findWrappedInteger: libconfig 1.5 silently wraps integer literals outside 32 bits unless
//    they carry an L suffix (3000000000 reads back as -1294967296).
//  - findDuplicateName: libconfig says "duplicate setting name" without the name.
//  - findBareName: the first name used as a statement rather than a setting (`loadmodule
//    "tm.so"`), so OpenSIPS 1.x lines get a hint before libconfig's generic syntax error;
//    legacyNameHint gives that hint.
// Pure functions over text; they never fail. Comments and strings are skipped; @include'd
// files are not read. The text need not be valid libconfig.
#pragma once

#include <string>
#include <string_view>

namespace sipline {

struct LintFinding {
  int line = 0;      // 1-based; 0 = nothing found
  std::string text;  // the literal or name found
  bool found() const { return line != 0; }
};

LintFinding findWrappedInteger(std::string_view text);
// A setting name assigned twice in the same group (the second occurrence).
LintFinding findDuplicateName(std::string_view text);
// A name not followed by '=' or ':' (true/false excepted).
LintFinding findBareName(std::string_view text);
// What to write instead of an OpenSIPS 1.x global ("children" -> "use udp_workers"); nullptr
// when `name` is not one.
const char* legacyNameHint(std::string_view name);
// The line of a string element of a list or array whose value is `value` and whose line
// libconfig 1.5 reports as `reported`: its parser needs the token after a string (another
// string would be joined to it), so the line it records is that token's, e.g. the line of the
// closing ']' under the last element. Returns the line of the string literal spelling `value`
// that such a token follows, or `reported` when there is none (an escape in the literal).
int stringElementLine(std::string_view text, int reported, std::string_view value);
// Line `line` (1-based) of `text` without its newline; empty when there is no such line.
std::string lineOf(std::string_view text, int line);

}  // namespace sipline
