// Pseudo-variables ($ru, $si, $hdr(Name), $avp(x)[n], $(ru{uri.user}), ...): a registry of
// names with a getter and an optional setter, resolved once when the script compiles into a
// PvarRef that the interpreter calls per message. Unknown names, bad indexes and bad
// transformations fail at load with a did-you-mean hint; nothing is re-parsed per message.
//
// Syntax (the text after '$', as the lexer hands it over):
//   name  name(arg)  name(arg)[n]  name(arg)[*]  (name(arg)[n]{t1}{t2,a,b})
// [n] is accepted only where a variable holds several values ($hdr, $avp); a negative n
// counts from the end. A reference with transformations is read-only.
// Process-private; PvarRefs are owned by the compiled script.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/script/value.h"

namespace sipline {
class MsgContext;
}

namespace sipline::script {

class TransformChain;
struct PvarRef;
using PvarGetter = Value (*)(MsgContext& ctx, const PvarRef& ref);
// Assigning Value::null() deletes where that makes sense ($avp, $du, $fs); see the table.
using PvarSetter = Status (*)(MsgContext& ctx, const PvarRef& ref, const Value& value);

enum PvarFlags : std::uint8_t {
  kPvarNeedsArg = 1u << 0,  // $hdr(Name)
  kPvarIndexed = 1u << 1,   // accepts [n] and [*]
};

struct PvarSpec {
  const char* name;
  PvarGetter get;
  PvarSetter set;  // nullptr: read-only
  std::uint8_t flags;
  const char* help;
  bool needsArg() const { return (flags & kPvarNeedsArg) != 0; }
  bool indexed() const { return (flags & kPvarIndexed) != 0; }
};

struct PvarRef {
  enum class Index : std::uint8_t { kNone, kAt, kAll };
  const PvarSpec* spec = nullptr;
  std::string arg;  // the text inside (...)
  Index index_kind = Index::kNone;
  int index = 0;                 // [n] when index_kind == kAt; negative counts from the end
  int slot = -1;                 // $var(name): its slot among the process's script variables
  std::uint8_t header_type = 0;  // $hdr(Name), $hdrcnt(Name): HeaderType of Name, found at load
  std::string text;              // as written, without '$'
  // With transformations, spec is a read-only spec whose getter reads the variable through
  // `base` and then applies `transforms`; both are empty otherwise, so the plain path below
  // stays one indirect call.
  const PvarSpec* base = nullptr;
  std::shared_ptr<const TransformChain> transforms;
  Value get(MsgContext& ctx) const { return spec->get(ctx, *this); }
};

// Pseudo-variable families whose names have a dot ($err.class, $err.info): the lexer and
// format strings take "name.member" as one name only after these.
bool isDottedPvarFamily(std::string_view name);

// Resolves "ru", "hdr(Call-ID)[1]" or "(ru{uri.user})" (text after '$'); errors explain what
// is wrong (the caller adds the position).
Result<PvarRef> resolvePvar(std::string_view text);
// Every pseudo-variable of the core, for documentation and suggestions.
const std::vector<PvarSpec>& pvarSpecs();

// Pseudo-variables a module offers ($DLG_timeout, $dlg_val(name)); published by the loader
// before the script compiles. A name the core or another module has is refused; the same
// module publishing again (a test loading it twice) replaces its entry.
Status registerModulePvar(const PvarSpec& spec, const std::string& module);
// The specs published so far, in order (stable addresses).
std::vector<const PvarSpec*> modulePvarSpecs();

}  // namespace sipline::script
