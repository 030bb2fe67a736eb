// Max-Forwards processing (RFC 3261 §16.6 step 3, §8.1.1.6) for the maxfwd module, apart from
// its glue so tests call it directly.
#pragma once

#include <cstdint>

namespace sipline {

class MsgContext;

// OpenSIPS return codes: 2 header added with `limit`; 1 decremented; -1 it was 0 (the script
// answers 483); -2 malformed or above 255 (the script answers 400).
enum MaxFwdResult : int {
  kMaxFwdAdded = 2,
  kMaxFwdDecremented = 1,
  kMaxFwdExceeded = -1,
  kMaxFwdBad = -2
};

// max_limit caps the value sent on (0 = no cap).
int processMaxForwards(MsgContext& ctx, std::int64_t limit, std::int64_t max_limit);

}  // namespace sipline
