// Run-time parts of the script nodes that are not inline: regexes and route bodies.
#include "core/script/interpreter.h"

namespace sipline::script {

namespace {
int g_max_while_loops = 10000;
}  // namespace

void setMaxWhileLoops(int n) { g_max_while_loops = n > 0 ? n : 1; }
int maxWhileLoops() { return g_max_while_loops; }

Regex::~Regex() {
  if (ok_) regfree(&re_);
}

Status Regex::compile(const std::string& pattern) {
  int rc = regcomp(&re_, pattern.c_str(), REG_EXTENDED | REG_ICASE | REG_NOSUB);
  if (rc != 0) {
    char buf[256];
    regerror(rc, &re_, buf, sizeof(buf));
    return Status::invalidArgument(std::string("regex does not compile: ") + buf);
  }
  ok_ = true;
  return Status::ok();
}

bool Regex::matches(std::string_view text) const {
  std::string s(text);
  return ok_ && regexec(&re_, s.c_str(), 0, nullptr, 0) == 0;
}

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
