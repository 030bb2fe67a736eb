// The lexical layer of siplinectl's schema reader: splitting a schema file into statements,
// the tokens of one statement, and type names as PostgreSQL prints them. It knows the
// restricted SQL of scripts/sql/README.md (`--` comments, single-quoted strings, double-quoted
// names, no `/* */` and no `$$` bodies) and refuses the rest with FILE:LINE. Plain values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace sipline::ctl {

struct SqlStatement {
  std::string text;  // without the closing ';' and without comments
  int line = 0;      // where it starts in its file
};

// Splits SQL text into statements at top-level ';', dropping `--` comments. kInvalidArgument
// ("FILE:LINE: ...") for an unterminated string or quoted name, a `/*` comment or a `$$` body.
// Text after the last ';' must be blank.
Result<std::vector<SqlStatement>> splitStatements(std::string_view file, std::string_view sql);

struct Token {
  enum Kind { kWord, kQuotedName, kString, kNumber, kPunct } kind;
  std::string text;  // words lower-cased (PostgreSQL folds unquoted names); strings unescaped
};

// The tokens of one statement from splitStatements() (so its quotes are balanced).
std::vector<Token> tokenize(std::string_view statement);

bool isKeyword(const Token& t, std::string_view word);  // `word` in lower case
bool isPunct(const Token& t, char c);
bool isName(const Token& t);  // a word or a "quoted name"

// The type as format_type() prints it: "varchar(64)" -> "character varying(64)",
// "timestamptz" -> "timestamp with time zone", "serial" -> "integer", "int8" -> "bigint".
// Unknown types come back lower-cased with single spaces.
std::string normalizeType(std::string_view type);

}  // namespace sipline::ctl
