// Regex: a POSIX extended regular expression, case-insensitive as in OpenSIPS scripts,
// compiled once (at script load) and matched many times. Used by the script's =~ and by
// modules (textops). Process-private; not copyable.
#pragma once

#include <regex.h>

#include <string>
#include <string_view>

#include "core/base/status.h"

namespace sipline {

class Regex {
 public:
  Regex() = default;
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;
  // per_line: '^' and '$' match at line breaks too (searching a whole message).
  // On failure the Status carries regcomp's message.
  Status compile(const std::string& pattern, bool per_line = false);
  bool matches(std::string_view text) const;

 private:
  regex_t re_{};
  bool ok_ = false;
};

}  // namespace sipline
