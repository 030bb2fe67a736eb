#include "core/base/regex.h"

namespace sipline {

Regex::~Regex() {
  if (ok_) regfree(&re_);
}

Status Regex::compile(const std::string& pattern, bool per_line) {
  Options options;
  options.per_line = per_line;
  return compile(pattern, options);
}

Status Regex::compile(const std::string& pattern, const Options& options) {
  if (ok_) regfree(&re_);
  ok_ = false;
  int flags = REG_EXTENDED;
  if (options.icase) flags |= REG_ICASE;
  if (options.per_line) flags |= REG_NEWLINE;
  if (!options.capture) flags |= REG_NOSUB;
  int rc = regcomp(&re_, pattern.c_str(), flags);
  if (rc != 0) {
    char buf[256];
    regerror(rc, &re_, buf, sizeof(buf));
    return Status::invalidArgument(std::string("regex does not compile: ") + buf);
  }
  ok_ = true;
  capture_ = options.capture;
  return Status::ok();
}

bool Regex::matches(std::string_view text) const {
  if (!ok_) return false;
  // REG_STARTEND: the text is delimited by pmatch[0], not by a NUL.
  regmatch_t range[1];
  range[0].rm_so = 0;
  range[0].rm_eo = static_cast<regoff_t>(text.size());
  return regexec(&re_, text.data(), 1, range, REG_STARTEND) == 0;
}

bool Regex::find(std::string_view text, std::size_t from, RegexMatch& out) const {
  if (!ok_ || from > text.size()) return false;
  regmatch_t m[RegexMatch::kMaxGroups];
  m[0].rm_so = static_cast<regoff_t>(from);
  m[0].rm_eo = static_cast<regoff_t>(text.size());
  std::size_t n = capture_ ? RegexMatch::kMaxGroups : 1;
  if (regexec(&re_, text.data(), n, m, REG_STARTEND) != 0) return false;
  out = RegexMatch();
  if (!capture_) {
    // REG_NOSUB reports no offsets: callers that need them compile with capture.
    out.groups[0].matched = true;
    return true;
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (m[i].rm_so < 0) continue;
    out.groups[i].begin = static_cast<std::size_t>(m[i].rm_so);
    out.groups[i].end = static_cast<std::size_t>(m[i].rm_eo);
    out.groups[i].matched = true;
  }
  return true;
}

Status Substitution::compile(std::string_view expr) {
  pieces_.clear();
  global_ = false;
  if (expr.size() < 3) {
    return Status::invalidArgument("\"" + std::string(expr) +
                                   "\" is not a substitution: expected /regex/replacement/flags");
  }
  char sep = expr[0];
  if (sep == '\\') return Status::invalidArgument("'\\' cannot be the separator");
  // The regex runs to the first separator not escaped by '\' (the escape stays in the regex).
  std::size_t re_end = std::string_view::npos;
  for (std::size_t i = 1; i < expr.size(); ++i) {
    if (expr[i] == '\\') {
      ++i;
      continue;
    }
    if (expr[i] == sep) {
      re_end = i;
      break;
    }
  }
  if (re_end == std::string_view::npos) {
    return Status::invalidArgument("missing the '" + std::string(1, sep) +
                                   "' after the regex in \"" + std::string(expr) + "\"");
  }
  std::string_view pattern = expr.substr(1, re_end - 1);
  if (pattern.empty())
    return Status::invalidArgument("empty regex in \"" + std::string(expr) + "\"");
  std::size_t repl_end = std::string_view::npos;
  for (std::size_t i = re_end + 1; i < expr.size(); ++i) {
    if (expr[i] == '\\') {
      ++i;
      continue;
    }
    if (expr[i] == sep) {
      repl_end = i;
      break;
    }
  }
  if (repl_end == std::string_view::npos) {
    return Status::invalidArgument("missing the '" + std::string(1, sep) +
                                   "' after the replacement in \"" + std::string(expr) + "\"");
  }
  Regex::Options options;
  options.icase = false;  // OpenSIPS subst: case-sensitive unless 'i'
  options.per_line = true;
  options.capture = true;
  for (char f : expr.substr(repl_end + 1)) {
    switch (f) {
      case 'i':
        options.icase = true;
        break;
      case 'g':
        global_ = true;
        break;
      case 's':
        options.per_line = false;
        break;
      default:
        return Status::invalidArgument("unknown flag '" + std::string(1, f) + "' in \"" +
                                       std::string(expr) + "\" (flags are i, g and s)");
    }
  }
  Status st = re_.compile(std::string(pattern), options);
  if (!st.isOk()) return st;
  return parseReplacement(expr.substr(re_end + 1, repl_end - re_end - 1), sep);
}

Status Substitution::parseReplacement(std::string_view repl, char sep) {
  auto add = [this](Piece::Kind kind, std::string_view text, int group) {
    if (kind != Piece::Kind::kGroup && kind != Piece::Kind::kUri && !pieces_.empty() &&
        pieces_.back().kind == kind) {
      pieces_.back().text.append(text);
      return;
    }
    Piece p;
    p.kind = kind;
    p.text = std::string(text);
    p.group = group;
    pieces_.push_back(std::move(p));
  };
  for (std::size_t i = 0; i < repl.size(); ++i) {
    char c = repl[i];
    if (c != '\\') {
      add(Piece::Kind::kText, std::string_view(&repl[i], 1), 0);
      continue;
    }
    if (i + 1 == repl.size()) return Status::invalidArgument("the replacement ends with '\\'");
    char e = repl[++i];
    if (e >= '0' && e <= '9') {
      int group = e - '0';
      if (static_cast<std::size_t>(group) > re_.groupCount()) {
        return Status::invalidArgument("\\" + std::string(1, e) + " refers to group " +
                                       std::to_string(group) + " but the regex has " +
                                       std::to_string(re_.groupCount()));
      }
      add(Piece::Kind::kGroup, "", group);
      continue;
    }
    switch (e) {
      case 'n':
        add(Piece::Kind::kLiteral, "\n", 0);
        break;
      case 'r':
        add(Piece::Kind::kLiteral, "\r", 0);
        break;
      case 't':
        add(Piece::Kind::kLiteral, "\t", 0);
        break;
      case 'u':  // the request-URI, as OpenSIPS's subst
        add(Piece::Kind::kUri, "", 0);
        break;
      case '\\':
      case '$':
        add(Piece::Kind::kLiteral, std::string_view(&repl[i], 1), 0);
        break;
      default:
        if (e != sep) {
          return Status::invalidArgument("unknown escape '\\" + std::string(1, e) +
                                         "' in the replacement (known: \\0-\\9 \\u \\n \\r \\t "
                                         "\\\\ \\$ and \\" +
                                         std::string(1, sep) + ")");
        }
        add(Piece::Kind::kLiteral, std::string_view(&repl[i], 1), 0);
    }
  }
  return Status::ok();
}

int Substitution::run(std::string_view subject, const TextExpander* expand,
                      const OnMatch& on_match) const {
  int count = 0;
  std::size_t from = 0;
  std::size_t last_end = std::string_view::npos;
  RegexMatch m;
  while (from <= subject.size() && re_.find(subject, from, m)) {
    bool empty = m.end() == m.begin();
    if (empty && m.begin() == last_end) {
      // As sed: an empty match right after the previous match is not a new one.
      from = m.begin() + 1;
      continue;
    }
    std::string replacement;
    for (std::size_t i = 0; i < pieces_.size(); ++i) {
      const Piece& p = pieces_[i];
      switch (p.kind) {
        case Piece::Kind::kText:
        case Piece::Kind::kUri:
          if (expand != nullptr) {
            (*expand)(i, replacement);
          } else {
            replacement += p.text;
          }
          break;
        case Piece::Kind::kLiteral:
          replacement += p.text;
          break;
        case Piece::Kind::kGroup: {
          const RegexMatch::Span& g = m.groups[static_cast<std::size_t>(p.group)];
          if (g.matched) replacement.append(subject.substr(g.begin, g.end - g.begin));
          break;
        }
      }
    }
    on_match(m.begin(), m.end(), std::move(replacement));
    ++count;
    if (!global_) break;
    last_end = m.end();
    // After an empty match no longer match can start there: move on one character.
    from = empty ? m.end() + 1 : m.end();
  }
  return count;
}

int Substitution::apply(std::string_view subject, std::string& out,
                        const TextExpander* expand) const {
  out.clear();
  std::size_t copied = 0;
  int n = run(subject, expand, [&](std::size_t begin, std::size_t end, std::string replacement) {
    out.append(subject.substr(copied, begin - copied));
    out += replacement;
    copied = end;
  });
  out.append(subject.substr(copied));
  return n;
}

}  // namespace sipline
