// avpops' AVP operations without a DB, as OpenSIPS 1.6 scripts write them: avp_pushto()
// (an AVP's value into the request-URI, a part of it, $du or a new branch) and avp_check()
// (an AVP's values against a constant or a pseudo-variable: "eq/sip:a@b/g"). The arguments
// are parsed once at load; the run-time parts work on a MsgContext. No script glue here, so
// the tests call it directly. Process-private.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/base/regex.h"
#include "core/base/status.h"
#include "core/script/value.h"

namespace sipline {
class MsgContext;
}

namespace sipline::avpops {

// ---- avp_pushto(destination, name) -------------------------------------------------------

enum class PushTarget : std::uint8_t {
  kRuri,      // "$ru": the whole request-URI
  kRuriUser,  // "$ru/username"
  kRuriHost,  // "$ru/domain"
  kDstUri,    // "$du"
  kBranch,    // "$br": a new branch with that URI (every value with "$avp(name)[*]")
};

struct PushSpec {
  PushTarget target = PushTarget::kRuri;
  std::string avp;   // the AVP's name
  bool all = false;  // "$avp(name)[*]": every value (only for $br)
};

// "$ru", "$ru/username", "$ru/domain", "$du" or "$br", and "$avp(name)" (or "$avp(name)[*]"
// with "$br"). invalidArgument says what is wrong.
Result<PushSpec> parsePush(std::string_view destination, std::string_view name);

// Pushes the newest value (with `all`, every value, oldest first, so the branches come in the
// order the values were added) of the AVP. 1 done; -1 the AVP has no value, the message is a
// reply, or the value does not fit (not a URI; *error then says why).
int pushTo(MsgContext& ctx, const PushSpec& spec, std::string* error);

// ---- avp_check(name, "op/value[/flags]") ---------------------------------------------------

enum class CheckOp : std::uint8_t { kEq, kNe, kLt, kLe, kGt, kGe, kRe, kFm, kAnd, kOr, kXor };

struct CheckSpec {
  std::string avp;  // the AVP's name
  CheckOp op = CheckOp::kEq;
  std::string pvar;  // the value is this pseudo-variable (without '$'); "" for a constant
  script::Value constant;
  bool all = false;    // flag g: true when any value of the AVP passes (else the newest only)
  bool icase = false;  // flag i: strings compare ignoring case (and fm matches so)
  std::shared_ptr<Regex> re;  // "re" with a constant: compiled here
};

// name: "$avp(name)"; op_value: "op/value[/flags]" with op one of eq ne lt le gt ge re fm and
// or xor, value a pseudo-variable ("$ru", "$avp(x)"), "i:<integer>", "s:<string>" or a text
// (an integer when it reads as one), flags g and i. invalidArgument says what is wrong
// (a regex that does not compile included).
Result<CheckSpec> parseCheck(std::string_view name, std::string_view op_value);

// Whether `avp_value` passes the check against `value` (the constant or the pseudo-variable's
// value in this message). A regex value that does not compile, a null value, or a bit operation
// on a value that is no integer do not pass.
bool checkValue(const CheckSpec& spec, const script::Value& avp_value, const script::Value& value);

// avp_check() on ctx's AVPs: the newest value (flag g: any value) passes.
bool checkAvp(MsgContext& ctx, const CheckSpec& spec, const script::Value& value);

// ---- is_avp_set(name) ------------------------------------------------------------------------

struct IsSetSpec {
  std::string avp;
  char type = 0;  // 0: any value; 's' a string, 'n' an integer, 'e' an empty string
};

// "$avp(name)" or "$avp(name)/s" (a string value), "/n" (an integer), "/e" (an empty string).
Result<IsSetSpec> parseIsSet(std::string_view name);

// Whether the AVP has a value (of that type: any of its values).
bool isAvpSet(MsgContext& ctx, const IsSetSpec& spec);

}  // namespace sipline::avpops
