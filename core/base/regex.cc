#include "core/base/regex.h"

namespace sipline {

Regex::~Regex() {
  if (ok_) regfree(&re_);
}

Status Regex::compile(const std::string& pattern, bool per_line) {
  if (ok_) regfree(&re_);
  ok_ = false;
  int flags = REG_EXTENDED | REG_ICASE | REG_NOSUB | (per_line ? REG_NEWLINE : 0);
  int rc = regcomp(&re_, pattern.c_str(), flags);
  if (rc != 0) {
    char buf[256];
    regerror(rc, &re_, buf, sizeof(buf));
    return Status::invalidArgument(std::string("regex does not compile: ") + buf);
  }
  ok_ = true;
  return Status::ok();
}

bool Regex::matches(std::string_view text) const {
  std::string s(text);  // regexec needs a NUL-terminated string
  return ok_ && regexec(&re_, s.c_str(), 0, nullptr, 0) == 0;
}

}  // namespace sipline
