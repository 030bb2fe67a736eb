#include "modules/tm/reply.h"

namespace sipline::tm {
namespace {

// RFC 3261 §16.7 step 6: within 4xx, replies the caller can act on (answer a challenge,
// change the body or the extensions, complete the address) are preferred.
bool actionable4xx(int code) {
  return code == 401 || code == 407 || code == 415 || code == 420 || code == 484;
}

// Smaller is better.
int rank(const BranchOutcome& o) {
  int cls = o.code / 100;
  if (cls == 6) return 0;
  int r = 10 * (cls == 3 ? 1 : cls == 4 ? 2 : 3);
  if (o.local || o.code == 408) {
    r += 3;  // a timeout says least about the callee
  } else if (o.code == 503 || (cls == 4 && !actionable4xx(o.code))) {
    r += 1;
  }
  return r;
}

}  // namespace

int pickBestBranch(const std::vector<BranchOutcome>& outcomes) {
  int best = -1;
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    if (outcomes[i].code < 300) continue;
    if (best < 0 || rank(outcomes[i]) < rank(outcomes[static_cast<std::size_t>(best)])) {
      best = static_cast<int>(i);
    }
  }
  return best;
}

}  // namespace sipline::tm
