// The arguments of `siplinectl mi METHOD ARG...` as JSON-RPC params. NAME=VALUE (NAME:
// [a-z_][a-z0-9_]*) is a param by name, anything else a value by position; one call takes one
// kind. Each value is typed by the param it fills, as the server's `help` describes the method
// (MiParamTypes):
//   string    the text as it is: `command=1001` stays "1001" (user names, extensions)
//   int       a number when the text is one (-?[0-9]+), else the text (the server says why)
//   bool      true or false when the text is one of those, else the text
//   any, or a param help does not describe (no help, an older server, an extra value):
//             a text that parses as JSON (number, true, false, null, "string", [list],
//             {object}) is sent as that, anything else as the string itself, so
//             `aor=alice@example.com` needs no quotes and `pid=4242` is a number; but a number
//             of more than 15 digits stays text, as a double would lose its digits.
// No I/O.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "core/mi/json.h"

namespace sipline::ctl {

// A method's params as (name, type name) in the server's order; empty = unknown.
using MiParamTypes = std::vector<std::pair<std::string, std::string>>;

// The param types of help's answer for one command ({"params": [{"name", "type"}, ...]});
// empty for anything else (never throws on a strange answer).
MiParamTypes miParamTypesFromHelp(const Json& help);

// null for no arguments, else an object (by name) or an array (by position); kInvalidArgument
// for a mix of both kinds or a name given twice.
Result<Json> miParamsFromArgs(const std::vector<std::string>& args, const MiParamTypes& types = {});

// One value for a param of type `type` ("" = unknown), as the rules above say.
Json miValue(const std::string& text, std::string_view type = "");

}  // namespace sipline::ctl
