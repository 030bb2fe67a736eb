// Pseudo-variables ($ru, $si, $hdr(Name), ...): a registry of names with a getter and an
// optional setter, resolved once when the script compiles into a PvarRef that the
// interpreter calls per message. Unknown names fail at load with a did-you-mean hint.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/script/value.h"

namespace sipline {
class MsgContext;
}

namespace sipline::script {

struct PvarRef;
using PvarGetter = Value (*)(MsgContext& ctx, const PvarRef& ref);
using PvarSetter = Status (*)(MsgContext& ctx, const PvarRef& ref, const Value& value);

struct PvarSpec {
  const char* name;
  PvarGetter get;
  PvarSetter set;  // nullptr: read-only
  bool needs_arg;  // $hdr(Name)
  const char* help;
};

struct PvarRef {
  const PvarSpec* spec = nullptr;
  std::string arg;               // the text inside (...)
  int index = 0;                 // [n]; 0 = first
  int slot = -1;                 // $var(name): its slot among the process's script variables
  std::uint8_t header_type = 0;  // $hdr(Name), $hdrcnt(Name): HeaderType of Name, found at load
  std::string text;              // as written, without '$'
  Value get(MsgContext& ctx) const { return spec->get(ctx, *this); }
};

// Resolves "ru" or "hdr(Call-ID)" (text after '$'); errors explain what is wrong.
Result<PvarRef> resolvePvar(std::string_view text);
const std::vector<PvarSpec>& pvarSpecs();

}  // namespace sipline::script
