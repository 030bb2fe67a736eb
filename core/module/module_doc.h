// Generates the manual page sipline-modules(7) from what modules declare in describe(): their
// summary and description, dependencies, parameters (with the defaults read from the target
// variables), script commands, MI commands and statistics. The page is built from the
// ModuleSpecs themselves, so it cannot drift from the code. `sipline --module-doc` prints it.
// Pure functions over already-described specs: no I/O, no shm; any process.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/module/module.h"

namespace sipline {

struct ManPageInfo {
  std::string date;    // the .TH date, "YYYY-MM-DD"
  std::string source;  // the .TH source, "sipline 0.1.0"
};

// The whole page in man(7) roff, clean under `mandoc -Tlint`. One section per module, sorted
// by name whatever the order of `specs`. Empty help texts are left out, not invented.
std::string moduleManPage(const std::vector<const ModuleSpec*>& specs, const ManPageInfo& info);

// Prose as one roff text line: backslashes become \e, a line may not start with '.' or '\''
// (a control line), whitespace runs (newlines included) become one space, a '-' that starts a
// word ("-1", "-c") becomes the minus \-, non-ASCII UTF-8 becomes \[uXXXX], and a ',' or '|'
// not followed by a space gets the break point \: after it ("a,\:b"), so long lists can wrap.
std::string roffText(std::string_view text);
// Code (names, values, signatures): as roffText, and every '-' is the minus \-.
std::string roffCode(std::string_view text);

// What the module leaves undocumented, one message per item ("module 'x' has no summary",
// "module 'x': parameter 'p' has no help"): the summary, and the help of every parameter,
// script command, MI command, MI parameter and statistic. Empty when complete.
std::vector<std::string> undocumentedItems(const ModuleSpec& spec);

}  // namespace sipline
