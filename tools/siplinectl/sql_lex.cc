#include "tools/siplinectl/sql_lex.h"

#include <cctype>
#include <map>

#include "core/base/strings.h"

namespace sipline::ctl {

namespace {

Status errorAt(std::string_view file, int line, const std::string& message) {
  return Status::invalidArgument(std::string(file) + ":" + std::to_string(line) + ": " + message);
}

bool isWordStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool isWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}

}  // namespace

// The statement text comes from splitStatements(), so quotes are balanced.
std::vector<Token> tokenize(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (isWordStart(c)) {
      std::size_t j = i;
      while (j < s.size() && isWordChar(s[j])) ++j;
      out.push_back({Token::kWord, toLower(s.substr(i, j - i))});
      i = j;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      std::size_t j = i;
      while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
      out.push_back({Token::kNumber, std::string(s.substr(i, j - i))});
      i = j;
    } else if (c == '\'' || c == '"') {
      std::string text;
      std::size_t j = i + 1;
      while (j < s.size()) {
        if (s[j] == c && j + 1 < s.size() && s[j + 1] == c) {
          text += c;
          j += 2;
        } else if (s[j] == c) {
          break;
        } else {
          text += s[j++];
        }
      }
      out.push_back({c == '\'' ? Token::kString : Token::kQuotedName, std::move(text)});
      i = j + 1;
    } else {
      out.push_back({Token::kPunct, std::string(1, c)});
      ++i;
    }
  }
  return out;
}

bool isKeyword(const Token& t, std::string_view word) {
  return t.kind == Token::kWord && t.text == word;
}
bool isPunct(const Token& t, char c) {
  return t.kind == Token::kPunct && t.text.size() == 1 && t.text[0] == c;
}
bool isName(const Token& t) { return t.kind == Token::kWord || t.kind == Token::kQuotedName; }

Result<std::vector<SqlStatement>> splitStatements(std::string_view file, std::string_view sql) {
  std::vector<SqlStatement> out;
  std::string current;
  int line = 1, start_line = 0;
  std::size_t i = 0;
  auto add = [&](char c) {
    if (current.empty() && std::isspace(static_cast<unsigned char>(c))) return;
    if (current.empty()) start_line = line;
    current += c;
  };
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      while (i < sql.size() && sql[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      return errorAt(file, line, "/* */ comments are not supported; use --");
    }
    if (c == '$') {
      std::size_t j = i + 1;
      while (j < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[j])) || sql[j] == '_'))
        ++j;
      const bool tag_ok = j == i + 1 || !std::isdigit(static_cast<unsigned char>(sql[i + 1]));
      if (j < sql.size() && sql[j] == '$' && tag_ok) {
        return errorAt(file, line, "dollar-quoted bodies ($$) are not supported");
      }
    }
    if (c == '\'' || c == '"') {
      const int open_line = line;
      add(c);
      std::size_t j = i + 1;
      while (true) {
        if (j >= sql.size()) {
          return errorAt(file, open_line,
                         c == '\'' ? "unterminated string" : "unterminated quoted name");
        }
        if (sql[j] == '\n') ++line;
        add(sql[j]);
        if (sql[j] == c) {
          if (j + 1 < sql.size() && sql[j + 1] == c) {
            add(c);
            j += 2;
            continue;
          }
          break;
        }
        ++j;
      }
      i = j + 1;
      continue;
    }
    if (c == ';') {
      std::string text(trim(current));
      if (!text.empty()) out.push_back({std::move(text), start_line});
      current.clear();
      ++i;
      continue;
    }
    if (c == '\n') ++line;
    add(c);
    ++i;
  }
  if (!trim(current).empty()) {
    return errorAt(file, start_line, "the last statement does not end with ';'");
  }
  return out;
}

std::string normalizeType(std::string_view type) {
  // Lower-case, single spaces, no spaces around parentheses and commas.
  std::string t;
  for (char ch : type) {
    const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!t.empty() && t.back() != ' ' && t.back() != '(' && t.back() != ',') t += ' ';
      continue;
    }
    if ((c == '(' || c == ')' || c == ',') && !t.empty() && t.back() == ' ') t.pop_back();
    t += c;
  }
  while (!t.empty() && t.back() == ' ') t.pop_back();
  const std::size_t paren = t.find('(');
  std::string base = paren == std::string::npos ? t : std::string(trim(t.substr(0, paren)));
  std::string args = paren == std::string::npos ? "" : t.substr(paren);
  // clang-format off
  static const std::map<std::string, std::string, std::less<>> kAliases = {
      {"int", "integer"}, {"int4", "integer"}, {"serial", "integer"}, {"serial4", "integer"},
      {"int8", "bigint"}, {"bigserial", "bigint"}, {"serial8", "bigint"},
      {"int2", "smallint"}, {"smallserial", "smallint"}, {"serial2", "smallint"},
      {"float4", "real"}, {"float8", "double precision"}, {"float", "double precision"},
      {"bool", "boolean"}, {"decimal", "numeric"},
      {"varchar", "character varying"}, {"char", "character"}, {"bpchar", "character"},
      {"timestamptz", "timestamp with time zone"}, {"timestamp", "timestamp without time zone"},
      {"timetz", "time with time zone"}, {"time", "time without time zone"},
  };
  // clang-format on
  auto it = kAliases.find(base);
  if (it != kAliases.end()) base = it->second;
  if (base == "character" && args.empty()) args = "(1)";
  return base + args;
}

}  // namespace sipline::ctl
