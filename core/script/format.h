// Format: a string with embedded pseudo-variables ("call $ci from $si:$sp"), compiled once at
// load into literal pieces and resolved PvarRefs; evaluated per message without re-parsing.
// Transformations work as in expressions: "user $(ru{uri.user}{s.tolower}) from $si". A '$'
// not followed by a name or '(' stays literal; "$$" is a literal '$'.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/script/pvar.h"
#include "core/script/script_api.h"

namespace sipline {

class Format {
 public:
  // Errors name the unknown pseudo-variable (the caller adds the position).
  static Result<FormatPtr> compile(std::string_view text);
  // Writes the evaluated text into `out` (cleared first) and returns a view of it.
  // Null values print as "<null>".
  std::string_view eval(MsgContext& ctx, std::string& out) const;
  bool hasPvars() const { return has_pvars_; }

 private:
  struct Piece {
    std::string literal;
    script::PvarRef pvar;
    bool is_pvar = false;
  };
  std::vector<Piece> pieces_;
  bool has_pvars_ = false;
};

}  // namespace sipline
