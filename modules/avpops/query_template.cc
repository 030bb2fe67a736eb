#include "modules/avpops/query_template.h"

#include "core/script/pvar.h"

namespace sipline::avpops {
namespace {

bool isNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// From text[j] == open, the index just past its matching close; npos when unbalanced.
std::size_t skipGroup(std::string_view text, std::size_t j, char open, char close) {
  int depth = 0;
  for (; j < text.size(); ++j) {
    if (text[j] == open) ++depth;
    if (text[j] == close && --depth == 0) return j + 1;
  }
  return std::string_view::npos;
}

Status errorAt(std::size_t pos, const std::string& what) {
  return Status::invalidArgument(what + " at offset " + std::to_string(pos) + " of the query");
}

}  // namespace

Result<QueryTemplate> parseQueryTemplate(std::string_view text) {
  QueryTemplate out;
  // The quote ('\'' or '"') of the literal or identifier being copied (0: none), and where
  // it opened in out.sql: a parameter inside one would be plain text to the server (the
  // statement would then fail on every call for its unused parameter), so a pseudo-variable
  // there is refused at load unless it is the whole literal ('$rU').
  char quote = 0;
  std::size_t quote_at = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c != '$') {
      if (quote == 0 && (c == '\'' || c == '"')) {
        quote = c;
        quote_at = out.sql.size();
      } else if (quote != 0 && c == quote) {
        if (i + 1 < text.size() && text[i + 1] == quote) {
          out.sql.push_back(c);  // a doubled quote stays inside
          ++i;
        } else {
          quote = 0;
        }
      }
      out.sql.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '$') {
      if (quote == 0 && i + 2 < text.size() && text[i + 2] >= '0' && text[i + 2] <= '9') {
        return errorAt(i, "\"$$\" before a digit would make a positional parameter");
      }
      out.sql.push_back('$');
      i += 2;
      continue;
    }
    std::size_t j = i + 1;
    if (j < text.size() && text[j] == '(') {
      j = skipGroup(text, j, '(', ')');
      if (j == std::string_view::npos) return errorAt(i, "unbalanced '(' after '$'");
    } else {
      if (j < text.size() && text[j] >= '0' && text[j] <= '9') {
        return errorAt(i, "positional parameters ($1) are not allowed: write the pseudo-variable");
      }
      std::size_t name_start = j;
      while (j < text.size() && isNameChar(text[j])) ++j;
      if (j == name_start) {
        return errorAt(i, "'$' starts no pseudo-variable (write $$ for a literal '$')");
      }
      if (j < text.size() && text[j] == '.' &&
          script::isDottedPvarFamily(text.substr(name_start, j - name_start))) {
        ++j;
        while (j < text.size() && isNameChar(text[j])) ++j;
      }
      if (j < text.size() && text[j] == '(') {
        j = skipGroup(text, j, '(', ')');
        if (j == std::string_view::npos) return errorAt(i, "unbalanced '('");
      }
      if (j < text.size() && text[j] == '[') {
        j = skipGroup(text, j, '[', ']');
        if (j == std::string_view::npos) return errorAt(i, "unbalanced '['");
      }
    }
    std::string_view pvar = text.substr(i + 1, j - i - 1);
    if (quote == '"') {
      return errorAt(i, "a pseudo-variable inside a quoted identifier (\"...\")");
    }
    if (quote == '\'') {
      // Only '$pv' as a whole literal: the quotes go, the parameter stays.
      bool whole = quote_at + 1 == out.sql.size() && j < text.size() && text[j] == '\'' &&
                   (j + 1 >= text.size() || text[j + 1] != '\'');
      if (!whole) {
        return errorAt(i,
                       "a pseudo-variable inside a quoted literal is not a parameter: quote it "
                       "alone ('$rU') or concatenate ('sip:' || $rU || '@x')");
      }
      out.sql.pop_back();
      ++j;
      quote = 0;
    }
    out.pvars.emplace_back(pvar);
    out.sql += "$" + std::to_string(out.pvars.size());
    i = j;
  }
  if (quote != 0) return Status::invalidArgument("the query has an unterminated quote");
  std::size_t first = out.sql.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return Status::invalidArgument("the query is empty");
  return out;
}

}  // namespace sipline::avpops
