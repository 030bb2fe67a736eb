#include "core/script/lexer.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cctype>

#include "core/script/pvar.h"

namespace sipline::script {

const char* tokName(Tok t) {
  switch (t) {
    case Tok::kEnd:
      return "end of file";
    case Tok::kIdent:
      return "name";
    case Tok::kInt:
      return "number";
    case Tok::kString:
      return "string";
    case Tok::kPvar:
      return "pseudo-variable";
    case Tok::kLBrace:
      return "'{'";
    case Tok::kRBrace:
      return "'}'";
    case Tok::kLParen:
      return "'('";
    case Tok::kRParen:
      return "')'";
    case Tok::kLBracket:
      return "'['";
    case Tok::kRBracket:
      return "']'";
    case Tok::kSemi:
      return "';'";
    case Tok::kComma:
      return "','";
    case Tok::kAssign:
      return "'='";
    case Tok::kPlusAssign:
      return "'+='";
    case Tok::kEq:
      return "'=='";
    case Tok::kNe:
      return "'!='";
    case Tok::kMatch:
      return "'=~'";
    case Tok::kNotMatch:
      return "'!~'";
    case Tok::kLt:
      return "'<'";
    case Tok::kGt:
      return "'>'";
    case Tok::kLe:
      return "'<='";
    case Tok::kGe:
      return "'>='";
    case Tok::kAnd:
      return "'&&'";
    case Tok::kOr:
      return "'||'";
    case Tok::kNot:
      return "'!'";
    case Tok::kPlus:
      return "'+'";
    case Tok::kMinus:
      return "'-'";
    case Tok::kStar:
      return "'*'";
    case Tok::kSlash:
      return "'/'";
    case Tok::kPercent:
      return "'%'";
    case Tok::kBitAnd:
      return "'&'";
    case Tok::kBitOr:
      return "'|'";
    case Tok::kBitXor:
      return "'^'";
    case Tok::kBitNot:
      return "'~'";
    case Tok::kColon:
      return "':'";
    case Tok::kAddress:
      return "IP address";
    case Tok::kDirective:
      return "directive";
  }
  return "?";
}

char Lexer::advance() {
  char c = s_[i_++];
  if (c == '\n') {
    ++line_;
    col_ = 1;
    line_blank_ = true;
  } else {
    ++col_;
  }
  return c;
}

bool Lexer::at(const char* lit) const {
  return s_.compare(i_, std::char_traits<char>::length(lit), lit) == 0;
}

Status Lexer::error(int line, int col, const std::string& msg) const {
  return Status::invalidArgument(*file_ + ":" + std::to_string(line) + ":" + std::to_string(col) +
                                 ": " + msg);
}

Result<Token> Lexer::next() {
  Status st = skipSpaceAndComments(false);
  if (!st.isOk()) return st;
  Token t;
  st = lexToken(t);
  if (!st.isOk()) return st;
  return t;
}

Result<Token> Lexer::nextOnLine() {
  Status st = skipSpaceAndComments(true);
  if (!st.isOk()) return st;
  Token t;
  if (i_ < s_.size() && s_[i_] == '\n') {
    t.type = Tok::kEnd;
    t.line = line_;
    t.col = col_;
    t.file = file_;
    return t;
  }
  st = lexToken(t);
  if (!st.isOk()) return st;
  return t;
}

bool Lexer::acceptOnLine(char c) {
  while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r')) advance();
  if (i_ < s_.size() && s_[i_] == c) {
    advance();
    return true;
  }
  return false;
}

void Lexer::skipToDirective() {
  while (i_ < s_.size() && s_[i_] != '\n') advance();
  while (i_ < s_.size()) {
    advance();  // the newline
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r')) advance();
    if (at("#!")) return;
    while (i_ < s_.size() && s_[i_] != '\n') advance();
  }
}

Status Lexer::skipSpaceAndComments(bool stop_at_newline) {
  while (i_ < s_.size()) {
    char c = s_[i_];
    if (c == '\n' && stop_at_newline) break;
    if (std::isspace(static_cast<unsigned char>(c))) {
      advance();
    } else if (c == '#' && line_blank_ && at("#!")) {
      break;  // a directive
    } else if (c == '#' || at("//")) {
      while (i_ < s_.size() && s_[i_] != '\n') advance();
    } else if (at("/*")) {
      int line = line_, col = col_;
      advance();
      advance();
      while (i_ < s_.size() && !at("*/")) advance();
      if (i_ >= s_.size()) return error(line, col, "unterminated comment");
      advance();
      advance();
    } else {
      break;
    }
  }
  return Status::ok();
}

// Lexes one token at the current position (blanks and comments already skipped).
Status Lexer::lexToken(Token& t) {
  t.line = line_;
  t.col = col_;
  t.file = file_;
  if (i_ >= s_.size()) {
    t.type = Tok::kEnd;
    return Status::ok();
  }
  const bool first_on_line = line_blank_;
  line_blank_ = false;
  char c = s_[i_];
  if (first_on_line && at("#!")) {
    t.type = Tok::kDirective;
    advance();
    advance();
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_')) {
      t.text += advance();
    }
    if (t.text.empty()) return error(t.line, t.col, "expected a directive name after '#!'");
    return Status::ok();
  }
  if ((std::isxdigit(static_cast<unsigned char>(c)) || c == ':') && address(t)) {
    return Status::ok();
  }
  if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
    t.type = Tok::kIdent;
    while (i_ < s_.size() &&
           (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_' || s_[i_] == '.')) {
      t.text += advance();
    }
    return Status::ok();
  }
  if (std::isdigit(static_cast<unsigned char>(c))) {
    t.type = Tok::kInt;
    return number(t);
  }
  if (c == '"' || c == '\'') {
    t.type = Tok::kString;
    return quoted(t);
  }
  if (c == '$') {
    t.type = Tok::kPvar;
    return pvar(t);
  }
  return op(t);
}

// A dotted-quad IPv4 or an IPv6 address (at least two ':') that inet_pton accepts, then an
// optional "/prefix" (or "/a.b.c.d" mask for IPv4). Consumes it and returns true; leaves
// everything as it was and returns false for anything else (a number, a name, ':').
bool Lexer::address(Token& t) {
  auto isAddrChar = [](char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
  };
  std::size_t end = i_;
  while (end < s_.size() && isAddrChar(s_[end])) ++end;
  std::string text(s_.substr(i_, end - i_));
  std::size_t colons = 0;
  std::size_t dots = 0;
  bool digits_only = true;
  for (char c : text) {
    colons += c == ':';
    dots += c == '.';
    if (c != '.' && !std::isdigit(static_cast<unsigned char>(c))) digits_only = false;
  }
  unsigned char buf[sizeof(in6_addr)];
  const bool v6 = colons >= 2 && inet_pton(AF_INET6, text.c_str(), buf) == 1;
  const bool v4 =
      !v6 && colons == 0 && dots == 3 && digits_only && inet_pton(AF_INET, text.c_str(), buf) == 1;
  if (!v4 && !v6) return false;
  if (end + 1 < s_.size() && s_[end] == '/' &&
      std::isdigit(static_cast<unsigned char>(s_[end + 1]))) {
    std::size_t mask_end = end + 1;
    while (mask_end < s_.size() &&
           (std::isdigit(static_cast<unsigned char>(s_[mask_end])) || s_[mask_end] == '.')) {
      ++mask_end;
    }
    text.append(s_.substr(end, mask_end - end));
    end = mask_end;
  }
  // "10.0.0.1x" or "::1_a" is no address.
  if (end < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[end])) || s_[end] == '_')) {
    return false;
  }
  while (i_ < end) advance();
  t.type = Tok::kAddress;
  t.text = std::move(text);
  return true;
}

Status Lexer::number(Token& t) {
  int line = line_, col = col_;
  std::uint64_t v = 0;
  int base = 10;
  if (at("0x") || at("0X")) {
    base = 16;
    advance();
    advance();
  }
  bool any = false;
  while (i_ < s_.size() && std::isxdigit(static_cast<unsigned char>(s_[i_]))) {
    char c = s_[i_];
    int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(c) - 'a' + 10;
    if (d >= base) break;
    v = v * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(d);
    if (v > 0x7fffffffffffffffULL) return error(line, col, "number too large");
    t.text += advance();
    any = true;
  }
  if (!any) return error(line, col, "malformed number");
  if (i_ < s_.size() && (std::isalpha(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_')) {
    return error(line, col, "malformed number");
  }
  t.int_value = static_cast<std::int64_t>(v);
  return Status::ok();
}

Status Lexer::quoted(Token& t) {
  int line = line_, col = col_;
  char q = advance();
  while (true) {
    if (i_ >= s_.size()) return error(line, col, "unterminated string");
    char c = advance();
    if (c == q) break;
    if (c == '\\' && i_ < s_.size()) {
      char e = advance();
      switch (e) {
        case 'n':
          t.text += '\n';
          break;
        case 'r':
          t.text += '\r';
          break;
        case 't':
          t.text += '\t';
          break;
        case '\\':
          t.text += '\\';
          break;
        case '"':
          t.text += '"';
          break;
        case '\'':
          t.text += '\'';
          break;
        default:
          // Unknown escapes stay as written (regexes need "\." and friends).
          t.text += '\\';
          t.text += e;
      }
      continue;
    }
    t.text += c;
  }
  return Status::ok();
}

Status Lexer::pvar(Token& t) {
  int line = line_, col = col_;
  advance();  // '$'
  while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_')) {
    t.text += advance();
  }
  if (i_ + 1 < s_.size() && s_[i_] == '.' && isDottedPvarFamily(t.text)) {
    t.text += advance();  // "$err.class"
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_')) {
      t.text += advance();
    }
  }
  // "$(ru{uri.user})": a pseudo-variable with transformations; the whole "(...)" is the
  // token, resolved by resolvePvar.
  if (t.text.empty() && (i_ >= s_.size() || s_[i_] != '(')) {
    return error(line, col, "'$' must start a pseudo-variable name");
  }
  if (i_ < s_.size() && s_[i_] == '(') {
    int depth = 0;
    do {
      if (i_ >= s_.size() || s_[i_] == '\n') {
        return error(line, col, "unterminated '(' in pseudo-variable $" + t.text);
      }
      char c = advance();
      depth += c == '(' ? 1 : c == ')' ? -1 : 0;
      t.text += c;
    } while (depth > 0);
  }
  if (i_ < s_.size() && s_[i_] == '[') {
    while (i_ < s_.size() && s_[i_] != ']' && s_[i_] != '\n') t.text += advance();
    if (i_ >= s_.size() || s_[i_] != ']') {
      return error(line, col, "unterminated '[' in pseudo-variable $" + t.text);
    }
    t.text += advance();
  }
  return Status::ok();
}

Status Lexer::op(Token& t) {
  struct Op {
    const char* text;
    Tok tok;
  };
  static const Op kOps[] = {
      {"==", Tok::kEq},       {"!=", Tok::kNe},      {"=~", Tok::kMatch},
      {"!~", Tok::kNotMatch}, {"<=", Tok::kLe},      {">=", Tok::kGe},
      {"&&", Tok::kAnd},      {"||", Tok::kOr},      {"+=", Tok::kPlusAssign},
      {"{", Tok::kLBrace},    {"}", Tok::kRBrace},   {"(", Tok::kLParen},
      {")", Tok::kRParen},    {"[", Tok::kLBracket}, {"]", Tok::kRBracket},
      {";", Tok::kSemi},      {",", Tok::kComma},    {"=", Tok::kAssign},
      {"<", Tok::kLt},        {">", Tok::kGt},       {"!", Tok::kNot},
      {"+", Tok::kPlus},      {"-", Tok::kMinus},    {"*", Tok::kStar},
      {"/", Tok::kSlash},     {"%", Tok::kPercent},  {"&", Tok::kBitAnd},
      {"|", Tok::kBitOr},     {"^", Tok::kBitXor},   {"~", Tok::kBitNot},
      {":", Tok::kColon},
  };
  for (const Op& o : kOps) {
    if (at(o.text)) {
      t.type = o.tok;
      t.text = o.text;
      for (std::size_t k = 0; k < t.text.size(); ++k) advance();
      return Status::ok();
    }
  }
  unsigned char c = static_cast<unsigned char>(s_[i_]);
  std::string shown =
      std::isprint(c) ? std::string("'") + static_cast<char>(c) + "'" : "byte " + std::to_string(c);
  return error(line_, col_, "unexpected character " + shown);
}

Result<std::vector<Token>> tokenize(const std::string& text, const std::string& file) {
  Lexer lexer(text, std::make_shared<const std::string>(file));
  std::vector<Token> out;
  while (true) {
    Result<Token> t = lexer.next();
    if (!t.isOk()) return t.status();
    out.push_back(std::move(t.value()));
    if (out.back().type == Tok::kEnd) return out;
  }
}

}  // namespace sipline::script
