// Request validation of RFC 3261 §16.3 ("request validation" by a proxy) for the sanity
// module, apart from its glue so tests call it directly. The core already refuses what
// cannot be parsed (400); these are the checks a proxy makes on a well-formed request.
// Pure: returns what to answer; the glue sends it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace sipline {

class SipMessage;

enum SanityCheck : std::uint32_t {
  kCheckRuriScheme = 1u << 0,     // §16.3 step 2: sip, sips, tel, else 416
  kCheckMaxForwards = 1u << 1,    // §16.3 step 3: 0 → 483
  kCheckProxyRequire = 1u << 2,   // §16.3 step 5: unknown option tags → 420 + Unsupported
  kCheckFromTag = 1u << 3,        // §8.1.1.3: a request MUST have a From tag → 400
  kCheckExpires = 1u << 4,        // §20.19: Expires is delta-seconds → 400
  kCheckContentLength = 1u << 5,  // §20.14: body length equals Content-Length (framing) → 400
  kCheckAll = 0x3fu,
};

// "ruri_scheme,max_forwards,proxy_require,from_tag,expires,content_length" or "all";
// separators ',' or '|'. Errors name the unknown check.
Result<std::uint32_t> parseSanityChecks(std::string_view text);

struct SanityFailure {
  int code = 0;  // 0: passed
  std::string reason;
  std::string extra_headers;  // e.g. "Unsupported: foo\r\n"
  std::uint32_t check = 0;    // which check failed
};

// Runs the checks in order; the first failure is returned. `supported` holds the option tags
// this proxy understands in Proxy-Require.
SanityFailure checkRequest(SipMessage& msg, std::uint32_t checks,
                           const std::vector<std::string>& supported);

}  // namespace sipline
