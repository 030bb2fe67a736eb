// Run-time parts of the script nodes that are not inline: the while bound and route bodies.
#include "core/script/interpreter.h"

namespace sipline::script {

namespace {
int g_max_while_loops = 10000;
}  // namespace

void setMaxWhileLoops(int n) { g_max_while_loops = n > 0 ? n : 1; }
int maxWhileLoops() { return g_max_while_loops; }

int CompiledRoute::run(Exec& ex, bool* stop) const {
  ex.ctx.last_rc = 1;
  for (const NodePtr& n : body) {
    Flow f = n->run(ex);
    if (f == Flow::kReturn) return ex.ctx.last_rc;
    if (f == Flow::kExit) {
      *stop = true;
      return ex.ctx.last_rc;
    }
  }
  return 1;
}

}  // namespace sipline::script
