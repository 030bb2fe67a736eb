#include "modules/tm/reply.h"

namespace sipline::tm {
namespace {

// Smaller is better.
int rank(const BranchOutcome& o) {
  int cls = o.code / 100;
  if (cls == 6) return 0;
  int r = 10 * (cls == 3 ? 1 : cls == 4 ? 2 : 3);
  if (o.local || o.code == 408) r += 2;  // a timeout says least about the callee
  if (o.code == 503) r += 1;
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
