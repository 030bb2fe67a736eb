#include "core/config/config_lint.h"

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <vector>

namespace sipline {
namespace {

bool isDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool isNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '*'; }
bool isNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '*';
}

struct Token {
  enum Kind { kName, kNumber, kString, kPunct, kEnd } kind = kEnd;
  std::string_view text;
  int line = 0;
};

// libconfig's lexical structure, loosely: enough to find names, numbers and punctuation.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  Token next() {
    skipBlanksAndComments();
    Token t;
    t.line = line_;
    if (i_ >= text_.size()) return t;
    const std::size_t start = i_;
    const char c = text_[i_];
    const char next = peek(1);
    if (c == '"') {
      for (++i_; i_ < text_.size() && text_[i_] != '"'; ++i_) {
        if (text_[i_] == '\\') {
          ++i_;
        } else if (text_[i_] == '\n') {
          ++line_;
        }
      }
      ++i_;
      t.kind = Token::kString;
    } else if (isNameStart(c)) {
      while (i_ < text_.size() && isNameChar(text_[i_])) ++i_;
      t.kind = Token::kName;
    } else if (isDigit(c) || ((c == '-' || c == '+' || c == '.') && isDigit(next))) {
      scanNumber();
      t.kind = Token::kNumber;
    } else {
      ++i_;
      t.kind = Token::kPunct;
    }
    t.text = text_.substr(start, std::min(i_, text_.size()) - start);
    return t;
  }

 private:
  char peek(std::size_t ahead) const {
    return i_ + ahead < text_.size() ? text_[i_ + ahead] : '\0';
  }

  void skipBlanksAndComments() {
    while (i_ < text_.size()) {
      const char c = text_[i_];
      if (c == '\n') {
        ++line_;
        ++i_;
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        ++i_;
      } else if (c == '#' || (c == '/' && peek(1) == '/')) {
        while (i_ < text_.size() && text_[i_] != '\n') ++i_;
      } else if (c == '/' && peek(1) == '*') {
        i_ += 2;
        while (i_ < text_.size() && !(text_[i_] == '*' && peek(1) == '/')) {
          if (text_[i_] == '\n') ++line_;
          ++i_;
        }
        i_ += 2;
      } else {
        return;
      }
    }
  }

  void scanNumber() {
    if (text_[i_] == '-' || text_[i_] == '+') ++i_;
    if (text_[i_] == '0' && (peek(1) == 'x' || peek(1) == 'X')) {
      i_ += 2;
      while (i_ < text_.size() && std::isxdigit(static_cast<unsigned char>(text_[i_]))) ++i_;
    } else {
      while (i_ < text_.size() && (isDigit(text_[i_]) || text_[i_] == '.')) ++i_;
      if (i_ < text_.size() && (text_[i_] == 'e' || text_[i_] == 'E')) {
        ++i_;
        if (i_ < text_.size() && (text_[i_] == '-' || text_[i_] == '+')) ++i_;
        while (i_ < text_.size() && isDigit(text_[i_])) ++i_;
      }
    }
    while (i_ < text_.size() && text_[i_] == 'L') ++i_;
  }

  std::string_view text_;
  std::size_t i_ = 0;
  int line_ = 1;
};

// True for an integer literal without L suffix whose value does not fit in 32 bits.
bool wraps(std::string_view literal) {
  if (literal.empty() || literal.back() == 'L') return false;
  std::string_view digits = literal;
  if (digits.front() == '+' || digits.front() == '-') digits.remove_prefix(1);
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    digits.remove_prefix(2);
    while (!digits.empty() && digits.front() == '0') digits.remove_prefix(1);
    return digits.size() > 8;  // libconfig keeps the low 32 bits of a hex literal
  }
  if (literal.find_first_of(".eE") != std::string_view::npos) return false;  // a float
  const char* first = literal.data() + (literal.front() == '+' ? 1 : 0);
  long long value = 0;
  const auto [ptr, ec] = std::from_chars(first, literal.data() + literal.size(), value);
  (void)ptr;
  return ec != std::errc() || value < INT_MIN || value > INT_MAX;
}

bool isAssign(const Token& t) {
  return t.kind == Token::kPunct && (t.text == "=" || t.text == ":");
}

bool isBoolean(std::string_view name) {
  return (name.size() == 4 && strncasecmp(name.data(), "true", 4) == 0) ||
         (name.size() == 5 && strncasecmp(name.data(), "false", 5) == 0);
}

}  // namespace

LintFinding findWrappedInteger(std::string_view text) {
  Scanner scanner(text);
  for (Token t = scanner.next(); t.kind != Token::kEnd; t = scanner.next()) {
    if (t.kind == Token::kNumber && wraps(t.text)) return {t.line, std::string(t.text)};
  }
  return {};
}

LintFinding findDuplicateName(std::string_view text) {
  struct Scope {
    bool group;
    std::vector<std::string_view> names;
  };
  std::vector<Scope> scopes(1, Scope{true, {}});
  Scanner scanner(text);
  Token prev;
  for (Token t = scanner.next(); t.kind != Token::kEnd; prev = t, t = scanner.next()) {
    if (prev.kind == Token::kName && isAssign(t) && scopes.back().group) {
      for (std::string_view seen : scopes.back().names) {
        if (seen == prev.text) return {prev.line, std::string(prev.text)};
      }
      scopes.back().names.push_back(prev.text);
    }
    if (t.kind != Token::kPunct) continue;
    if (t.text == "{") {
      scopes.push_back(Scope{true, {}});
    } else if (t.text == "(" || t.text == "[") {
      scopes.push_back(Scope{false, {}});
    } else if ((t.text == "}" || t.text == ")" || t.text == "]") && scopes.size() > 1) {
      scopes.pop_back();
    }
  }
  return {};
}

LintFinding findBareName(std::string_view text) {
  Scanner scanner(text);
  Token before;  // the token before `prev`: '@' makes `@include` a directive, not a name
  Token prev;
  for (Token t = scanner.next();; before = prev, prev = t, t = scanner.next()) {
    if (prev.kind == Token::kName && !isAssign(t) && !isBoolean(prev.text) &&
        !(before.kind == Token::kPunct && before.text == "@")) {
      return {prev.line, std::string(prev.text)};
    }
    if (t.kind == Token::kEnd) break;
  }
  return {};
}

int stringElementLine(std::string_view text, int reported, std::string_view value) {
  Scanner scanner(text);
  Token prev;
  int found = reported;
  for (Token t = scanner.next(); t.kind != Token::kEnd; prev = t, t = scanner.next()) {
    if (t.line > reported) break;
    if (t.line == reported && prev.kind == Token::kString && t.kind != Token::kString &&
        prev.text.size() >= 2 && prev.text.substr(1, prev.text.size() - 2) == value) {
      found = prev.line;
    }
  }
  return found;
}

namespace {

// OpenSIPS 1.x global names an operator is likely to bring along, with what to write instead.
struct LegacyName {
  const char* name;
  const char* hint;
};
// clang-format off
constexpr LegacyName kLegacyNames[] = {
    {"children", "use udp_workers"},
    {"tcp_children", "use tcp_workers"},
    {"listen", "use socket"},
    {"port", "put the port in each socket, e.g. socket = \"udp:10.0.0.1:5080\""},
    {"debug", "use log_level"},
    {"log_stderror", "use log_target = \"stderr\" or \"syslog\""},
    {"loadmodule", "modules are listed in the modules group, e.g. modules = { tm = {}; }"},
    {"modparam", "modules are listed in the modules group, e.g. "
                 "modules = { tm = { fr_timeout = 5; }; }"},
    {"fork", "sipline runs in the foreground; use -d to daemonize"},
};
// clang-format on

}  // namespace

const char* legacyNameHint(std::string_view name) {
  for (const LegacyName& l : kLegacyNames) {
    if (name == l.name) return l.hint;
  }
  return nullptr;
}

std::string lineOf(std::string_view text, int line) {
  std::size_t pos = 0;
  for (int i = 1; i < line && pos != std::string_view::npos; ++i) {
    pos = text.find('\n', pos);
    if (pos != std::string_view::npos) ++pos;
  }
  if (pos == std::string_view::npos || pos >= text.size()) return "";
  return std::string(text.substr(pos, text.find('\n', pos) - pos));
}

}  // namespace sipline
