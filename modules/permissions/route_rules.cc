#include "modules/permissions/route_rules.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace sipline::permissions {

bool RuleList::matches(std::string_view text) const {
  bool in = all_;
  for (std::size_t i = 0; !in && i < items_.size(); ++i) in = items_[i]->matches(text);
  if (!in) return false;
  for (const auto& re : except_) {
    if (re->matches(text)) return false;
  }
  return true;
}

// One line at a time: tokens are quoted strings, the words ALL and EXCEPT, ',' and ':'.
class RuleParser {
 public:
  RuleParser(std::string_view line, std::string label) : s_(line), label_(std::move(label)) {}

  Status parseRule(RouteRule& out) {
    Status st = parseList(out.from);
    if (!st.isOk()) return st;
    skipSpace();
    if (!eat(':')) return error("expected ':' between the From list and the request-URI list");
    st = parseList(out.ruri);
    if (!st.isOk()) return st;
    skipSpace();
    if (i_ != s_.size()) return error("unexpected text after the request-URI list");
    return Status::ok();
  }

 private:
  Status error(const std::string& what) const {
    return Status::invalidArgument(label_ + ": " + what + " (column " + std::to_string(i_ + 1) +
                                   ")");
  }
  void skipSpace() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r')) ++i_;
  }
  bool eat(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool word(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    std::size_t end = i_ + w.size();
    // A blank as skipSpace() sees it (the CR of a CRLF line end too), ':' or ',' ends a word.
    if (end < s_.size() && s_[end] != ' ' && s_[end] != '\t' && s_[end] != '\r' && s_[end] != ':' &&
        s_[end] != ',') {
      return false;
    }
    i_ = end;
    return true;
  }

  Status parseRegexes(std::vector<std::shared_ptr<const Regex>>& out) {
    while (true) {
      skipSpace();
      if (!eat('"')) return error("expected a regular expression in double quotes");
      std::string text;
      while (i_ < s_.size() && s_[i_] != '"') {
        // \" is a quote; any other escape (\\, \.) stays for the regex, and its second
        // character never ends the string (as the comment scan in parse() sees it).
        if (s_[i_] == '\\' && i_ + 1 < s_.size()) {
          if (s_[i_ + 1] != '"') text.push_back('\\');
          ++i_;
        }
        text.push_back(s_[i_++]);
      }
      if (!eat('"')) return error("unterminated regular expression");
      auto re = std::make_shared<Regex>();
      Status st = re->compile(text);
      if (!st.isOk()) return error("\"" + text + "\": " + st.message());
      out.push_back(std::move(re));
      skipSpace();
      if (!eat(',')) return Status::ok();
    }
  }

  Status parseList(RuleList& out) {
    skipSpace();
    if (word("ALL")) {
      out.all_ = true;
    } else {
      Status st = parseRegexes(out.items_);
      if (!st.isOk()) return st;
    }
    skipSpace();
    if (word("EXCEPT")) return parseRegexes(out.except_);
    return Status::ok();
  }

  std::string_view s_;
  std::string label_;
  std::size_t i_ = 0;
};

Result<RouteRules> RouteRules::parse(std::string_view text, const std::string& name) {
  RouteRules rules;
  int line_no = 0;
  while (!text.empty() && line_no < 1000000) {
    ++line_no;
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    // A '#' outside a quoted regex starts a comment.
    bool quoted = false;
    std::size_t cut = line.size();
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '\\' && quoted) {
        ++i;
      } else if (line[i] == '"') {
        quoted = !quoted;
      } else if (line[i] == '#' && !quoted) {
        cut = i;
        break;
      }
    }
    line = line.substr(0, cut);
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    RouteRule rule;
    rule.line = line_no;
    RuleParser p(line, name + ":" + std::to_string(line_no));
    Status st = p.parseRule(rule);
    if (!st.isOk()) return st;
    rules.rules_.push_back(std::move(rule));
  }
  return rules;
}

Result<std::optional<RouteRules>> RouteRules::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::optional<RouteRules>();
    return Status::ioError("cannot read " + path + ": " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  Result<RouteRules> r = parse(text.str(), path);
  if (!r.isOk()) return r.status();
  return std::optional<RouteRules>(std::move(r.value()));
}

const RouteRule* RouteRules::find(std::string_view from, std::string_view ruri) const {
  for (const RouteRule& r : rules_) {
    if (r.from.matches(from) && r.ruri.matches(ruri)) return &r;
  }
  return nullptr;
}

int RoutingFiles::decide(std::string_view from, std::string_view ruri) const {
  if (allow.has_value() && allow->find(from, ruri) != nullptr) return 1;
  if (deny.has_value() && deny->find(from, ruri) != nullptr) return -1;
  return 1;
}

std::string resolvePath(const std::string& dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || dir.empty()) return path;
  return dir + "/" + path;
}

}  // namespace sipline::permissions
