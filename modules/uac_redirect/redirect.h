// What get_redirects() takes from the 3xx replies that ended a relay round: the Contacts of
// every 3xx branch (as OpenSIPS, all of them, not only the winning reply), filtered by the
// accept/deny regexes, ordered by q (highest first, RFC 3261 §8.1.3.4; a Contact without q
// counts as 1.0, equal q keeps reply and header order), without duplicates, and cut to the
// limits. Pure: no script or tm types, so the tests call it directly. Process-private.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/regex.h"
#include "core/base/status.h"

namespace sipline::uac_redirect {

using RegexPtr = std::shared_ptr<const Regex>;

// A Contact is taken when it matches an accept filter; else dropped when it matches a deny
// filter; else default_accept decides. Filters match the Contact URI (case-insensitive).
struct Filters {
  std::vector<RegexPtr> accept;
  std::vector<RegexPtr> deny;
  bool default_accept = true;
  bool accepts(std::string_view uri) const;
};

// get_redirects()'s max: "N" (N Contacts in all) or "N:M" (N in all, at most M per reply);
// 0 means no limit. invalidArgument for anything else.
struct Limits {
  std::uint32_t total = 0;
  std::uint32_t per_reply = 0;
};
Result<Limits> parseLimits(std::string_view text);

// A compiled regex, or invalidArgument with regcomp's message.
Result<RegexPtr> compileFilter(const std::string& pattern);

struct Target {
  std::string uri;
  int q = 1000;        // thousandths
  bool has_q = false;  // the Contact had a q parameter
};

struct GatherStats {
  int replies = 0;     // 3xx replies looked at
  int unparsable = 0;  // replies that did not parse, had no Contact or a Contact that did not
  int filtered = 0;    // Contacts the filters dropped
};

// The targets of the 3xx replies among `replies` (full reply texts with their codes), in the
// order to try them. Contacts that are not sip:/sips: URIs or carry expires=0 (no longer
// valid) are skipped (counted as filtered); a Contact that does not parse (a bad q or URI)
// is skipped alone, the reply's other Contacts stay (the reply is counted as unparsable).
struct ReplyText {
  int code = 0;
  std::string_view text;
};
std::vector<Target> gather(const std::vector<ReplyText>& replies, const Filters& filters,
                           const Limits& limits, GatherStats* stats = nullptr);

}  // namespace sipline::uac_redirect
