// The flags argument of save() and lookup(), with the OpenSIPS 3.x names: a comma-separated
// list of words, some with "=value" ("no-reply, max-contacts=5"). Parsed once when the script
// loads; an unknown or malformed flag is a load error naming it (with a hint for the
// OpenSIPS 2.x one-letter forms). Plain values; process-private.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace sipline::registrar {

// RFC 3327 Path handling at save() (OpenSIPS path-off / path-lazy / path-strict).
enum class PathMode : std::uint8_t {
  kOff,     // stored; never echoed in the 200
  kLazy,    // stored; echoed when the REGISTER says Supported: path (the default)
  kStrict,  // a Path without Supported: path is refused with 420 (RFC 3327 §5.3)
};

struct SaveFlags {
  bool memory_only = false;    // memory-only: no DB write for this registration
  bool no_reply = false;       // no-reply: the script answers itself
  bool force = false;          // force-registration: at max-contacts, the oldest make room
  bool path_received = false;  // path-received: the first Path URI's ;received is the source
  bool only_request_contacts = false;  // only-request-contacts: the 200 lists only these
  PathMode path_mode = PathMode::kLazy;
  // Overrides of the module parameters; unset: the parameter.
  std::optional<std::int64_t> max_contacts, min_expires, max_expires;
};

struct LookupFlags {
  bool no_branches = false;          // no-branches: only the best contact (the request-URI)
  bool to_branches_only = false;     // to-branches-only: every contact as a branch, $ru untouched
  bool method_filtering = false;     // method-filtering: only contacts whose Allow had the method
  std::string ua_regex;              // ua-filtering=/re/: only contacts whose User-Agent matches
  bool ua_case_insensitive = false;  // case-insensitive (for ua-filtering)
};

// kInvalidArgument with the offending word and a hint.
Result<SaveFlags> parseSaveFlags(std::string_view text);
Result<LookupFlags> parseLookupFlags(std::string_view text);

}  // namespace sipline::registrar
