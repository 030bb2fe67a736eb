// avp_db_query()'s statement: the SQL the script wrote, with each pseudo-variable turned into a
// bound parameter ($1, $2, ...) at load, so a value from a message can never change the
// statement (no SQL text is built from data). A pseudo-variable written inside single quotes
// ('$rU') loses the quotes: it is a parameter, not a string literal. Anywhere else inside a
// quoted literal or identifier ('sip:$rU@x', "$var(col)") it is refused at load: the server
// would read it as text and fail every call ('sip:' || $rU || '@x' is the way). "$$" is a
// literal '$'; a '$' followed by a digit (a hand-written positional parameter) is refused,
// since the numbering belongs to the pseudo-variables. Pure string work; process-private.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace sipline::avpops {

struct QueryTemplate {
  std::string sql;                 // with $1..$n in place of the pseudo-variables
  std::vector<std::string> pvars;  // the text after '$' of parameter i+1 ("rU", "avp(x)[1]")
};

// invalidArgument (saying where) for an empty statement, a '$' that starts no
// pseudo-variable, unbalanced parentheses or brackets, a positional "$1", a pseudo-variable
// inside a longer literal or a quoted identifier, or an unterminated quote.
Result<QueryTemplate> parseQueryTemplate(std::string_view text);

}  // namespace sipline::avpops
