// Transformations: the "{...}" steps of "$(pvar{s.substr,0,3}{s.toupper})" (OpenSIPS syntax).
// A chain is parsed and checked once when the script loads (unknown names get a did-you-mean
// hint, argument counts and types are checked); per message apply() only runs the steps.
// Pure functions over Values: no message access, no allocation beyond the results.
// Process-private.
//
// Null handling: a null input gives null, except {s.len} and {s.int}, which give 0. A step
// that cannot apply (a URI that does not parse, an offset past the end, a missing parameter)
// gives null, and the rest of the chain then sees null.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/script/value.h"

namespace sipline::script {

enum class TransformOp : std::uint8_t {
  kLen,
  kInt,
  kToLower,
  kToUpper,
  kSubstr,
  kSelect,
  kTrim,
  kMd5,
  kSha256,
  kUriUser,
  kUriHost,
  kUriPort,
  kUriParam,
  kParamValue,
  kNameAddrUri,
  kNameAddrName,
  kIpIsPrivate,
};

// One parsed step; which fields are used depends on op.
struct Transform {
  TransformOp op = TransformOp::kLen;
  std::int64_t a = 0;  // {s.substr} offset, {s.select} index
  std::int64_t b = 0;  // {s.substr} length
  std::string text;    // {uri.param}/{param.value} name, {s.select} separator
};

// What the man page and error messages say about one transformation.
struct TransformInfo {
  const char* name;  // "s.substr"
  TransformOp op;
  int args;           // exact number of arguments
  const char* usage;  // "{s.substr,offset,length}"
  const char* help;
};
const std::vector<TransformInfo>& transformInfos();

class TransformChain {
 public:
  // Parses one or more "{name[,arg...]}" blocks written back to back. Arguments are constants
  // (not pseudo-variables). Errors say which step is wrong and why.
  static Result<TransformChain> parse(std::string_view text);
  Value apply(Value v) const;
  bool empty() const { return steps_.empty(); }
  const std::vector<Transform>& steps() const { return steps_; }

 private:
  std::vector<Transform> steps_;
};

Value applyTransform(const Transform& t, const Value& in);

// RFC 1918 / RFC 6598 / loopback / link-local IPv4, and IPv6 loopback, link-local (fe80::/10)
// and unique-local (fc00::/7, RFC 4193), also as IPv4-mapped addresses. Brackets around IPv6
// are allowed. False when text is not an IP address (see isIpAddress).
bool isPrivateIp(std::string_view text);
bool isIpAddress(std::string_view text);

}  // namespace sipline::script
