// Lexer of the routing script: turns the text of one *.routes file into tokens with their
// file:line:col. Comments (#..., //..., /* ... */) and whitespace are skipped. Pseudo-variables
// are single tokens ("$ru", "$hdr(Call-ID)"). `#!name` as the first thing on a line is a
// preprocessor directive (kDirective), not a comment. Errors (unterminated string, stray
// character) come back as a Status with the position. Stage 1 of lexer → preprocessor → parser
// → compiler → interpreter; the preprocessor (preprocess.h) drives it one token at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
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
  kDirective,  // "#!define": text is the directive name ("define")
  kAddress,    // an unquoted IPv4 or IPv6 address, with an optional /prefix or /mask:
               // "10.0.0.0/8", "2001:db8::1" (OpenSIPS: src_ip == 10.0.0.0/8)
};
const char* tokName(Tok t);

// The name of a script file as positions show it; shared by every token of that file.
using FileName = std::shared_ptr<const std::string>;

struct Token {
  Tok type = Tok::kEnd;
  std::string text;
  std::int64_t int_value = 0;
  int line = 0;
  int col = 0;
  FileName file;  // never null for tokens made by the Lexer
  SourcePos pos() const { return SourcePos{file ? *file : std::string(), line, col}; }
};

class Lexer {
 public:
  // `text` must outlive the lexer.
  Lexer(std::string_view text, FileName file) : s_(text), file_(std::move(file)) {}

  // The next token; kEnd at the end of the text (and from then on).
  Result<Token> next();
  // The next token on the current line, or a kEnd token when the line ends first (the newline
  // is not consumed). Reads the arguments of a directive.
  Result<Token> nextOnLine();
  // Skips blanks on the current line and consumes `c` if it comes next.
  bool acceptOnLine(char c);
  // Skips the rest of the current line and every following line up to the next one that
  // starts with "#!" (or the end): the text of an inactive #!ifdef branch is not tokenized.
  void skipToDirective();
  const FileName& file() const { return file_; }

 private:
  char advance();
  bool at(const char* lit) const;
  Status error(int line, int col, const std::string& msg) const;
  Status skipSpaceAndComments(bool stop_at_newline);
  Status lexToken(Token& t);
  bool address(Token& t);
  Status number(Token& t);
  Status quoted(Token& t);
  Status pvar(Token& t);
  Status op(Token& t);

  std::string_view s_;
  FileName file_;
  std::size_t i_ = 0;
  int line_ = 1;
  int col_ = 1;
  bool line_blank_ = true;  // nothing but blanks and comments so far on this line
};

// Tokenizes all of `text` (directives come back as kDirective tokens, unprocessed).
Result<std::vector<Token>> tokenize(const std::string& text, const std::string& file);

}  // namespace sipline::script
