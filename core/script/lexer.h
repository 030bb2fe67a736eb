// Lexer of the routing script: turns the text of a *.routes file into tokens with their
// file:line:col. Comments (#..., //..., /* ... */) and whitespace are skipped. Pseudo-variables
// are single tokens ("$ru", "$hdr(Call-ID)"). Errors (unterminated string, stray character)
// come back as a Status with the position. Stage 1 of lexer → parser → compiler → interpreter.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/script/script_api.h"

namespace sipline::script {

enum class Tok : std::uint8_t {
  kEnd,
  kIdent,  // names and keywords (route, if, else, exit, ...)
  kInt,
  kString,  // value with escapes resolved
  kPvar,    // text without '$': "ru", "hdr(Call-ID)"
  kLBrace,
  kRBrace,
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kSemi,
  kComma,
  kAssign,      // =
  kPlusAssign,  // +=
  kEq,
  kNe,
  kMatch,
  kNotMatch,
  kLt,
  kGt,
  kLe,
  kGe,
  kAnd,
  kOr,
  kNot,
  kPlus,
  kMinus,
  kStar,
  kSlash,
  kPercent,
  kBitAnd,
  kBitOr,
  kBitXor,
  kBitNot,
  kColon,
};
const char* tokName(Tok t);

struct Token {
  Tok type = Tok::kEnd;
  std::string text;
  std::int64_t int_value = 0;
  int line = 0;
  int col = 0;
};

// Tokenizes `text`; `file` is used for positions in errors.
Result<std::vector<Token>> tokenize(const std::string& text, const std::string& file);

}  // namespace sipline::script
