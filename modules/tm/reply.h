// Choosing the reply a forking proxy sends upstream once every branch has a final response
// (RFC 3261 §16.7 step 6), and what is changed in it (step 6/7: 503 becomes 500; 401/407
// challenges of every branch are merged, §16.7 step 7).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sipline::tm {

struct BranchOutcome {
  int code = 0;        // final code (>= 300), 0: none
  bool local = false;  // generated here (timeout, unreachable)
};

// Index of the branch whose reply goes upstream; -1 when no branch has a final code. A 6xx
// wins; otherwise the lowest class (3xx, then 4xx, then 5xx), and within a class a reply that
// came from downstream beats one generated here (a 408 timeout), 401, 407, 415, 420 and 484
// come first among the 4xx, a 503 last among 5xx, and among equals the first branch wins.
int pickBestBranch(const std::vector<BranchOutcome>& outcomes);

// True when the reply a proxy relays should carry the challenges of every 401/407 branch.
inline bool isChallenge(int code) { return code == 401 || code == 407; }

}  // namespace sipline::tm
