// allow_routing(): the OpenSIPS permissions.allow / permissions.deny files (tcpd's
// hosts.allow idea). Each non-empty line of a file is a rule
//
//     FROM_LIST : REQUEST_URI_LIST        # comment
//
// where a list is ALL or comma-separated double-quoted regular expressions (case-insensitive
// POSIX extended), optionally followed by EXCEPT and another such list. A rule matches a
// (From URI, request-URI) pair when both lists match. Routing is allowed when a rule of the
// allow file matches, else denied when a rule of the deny file matches, else allowed; a file
// that does not exist has no rules.
//
// Files are read and compiled once, when the script is loaded (a syntax error or a bad regex
// refuses the start with file:line); only a reload of the routing script reads them again.
// Process-private, immutable after load.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/regex.h"
#include "core/base/status.h"

namespace sipline::permissions {

class RuleList {
 public:
  bool matches(std::string_view text) const;

 private:
  friend class RuleParser;
  bool all_ = false;
  std::vector<std::shared_ptr<const Regex>> items_;
  std::vector<std::shared_ptr<const Regex>> except_;
};

struct RouteRule {
  RuleList from;
  RuleList ruri;
  int line = 0;
};

class RouteRules {
 public:
  // Parses a whole file's text; `name` only labels errors ("permissions.allow:3: ...").
  static Result<RouteRules> parse(std::string_view text, const std::string& name);
  // Reads and parses `path`; nullopt (no rules) when the file does not exist; errors for an
  // unreadable file or bad content.
  static Result<std::optional<RouteRules>> load(const std::string& path);

  // The first rule matching the pair, nullptr when none.
  const RouteRule* find(std::string_view from, std::string_view ruri) const;
  std::size_t size() const { return rules_.size(); }

 private:
  std::vector<RouteRule> rules_;
};

struct RoutingFiles {
  std::string allow_path;
  std::string deny_path;
  std::optional<RouteRules> allow;  // nullopt: the file does not exist
  std::optional<RouteRules> deny;
  // 1 allowed, -1 denied, for one (From, request-URI) pair.
  int decide(std::string_view from, std::string_view ruri) const;
};

// `path` as is when absolute, else relative to `dir`.
std::string resolvePath(const std::string& dir, const std::string& path);

}  // namespace sipline::permissions
