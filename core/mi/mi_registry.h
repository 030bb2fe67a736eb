// The MI command registry: every management command the server offers, with its typed params,
// help text and handler. The core and modules add commands while the config loads (master,
// before fork); after that the registry is read-only and each process that serves MI (the MI
// process) reads it without locks. Handlers get validated params (MiParams) and return
// Result<Json>; they do not know the transport (JSON-RPC over the unix socket today, HTTP
// later), in the spirit of Kamailio's rpc_t. Process-private, never in shm.
//
// Param typing is strict, typed at the boundary: kString takes a JSON string, kInt a JSON
// integer that fits in int64 (no floats, no numeric strings), kBool a JSON boolean, kAny any
// value (lists, objects). A JSON null counts as "not given", so it fills an optional slot in a
// positional call and is "missing" for a required param.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "core/mi/json.h"

namespace sipline {

enum class MiParamType : std::uint8_t { kString, kInt, kBool, kAny };

// "string", "int", "bool", "any": the names used in error messages and in "help".
const char* miParamTypeName(MiParamType type);

struct MiParamSpec {
  std::string name;
  MiParamType type = MiParamType::kString;
  bool optional = false;
  std::string help;

  // Shorthands that spell every field (-Wextra warns about partly initialised aggregates):
  // {MiParamSpec::integer("count", "how many").opt(), ...}
  static MiParamSpec str(std::string name, std::string help = "") {
    return {std::move(name), MiParamType::kString, false, std::move(help)};
  }
  static MiParamSpec integer(std::string name, std::string help = "") {
    return {std::move(name), MiParamType::kInt, false, std::move(help)};
  }
  static MiParamSpec boolean(std::string name, std::string help = "") {
    return {std::move(name), MiParamType::kBool, false, std::move(help)};
  }
  static MiParamSpec any(std::string name, std::string help = "") {
    return {std::move(name), MiParamType::kAny, false, std::move(help)};
  }
  MiParamSpec opt() && {
    optional = true;
    return std::move(*this);
  }
};

// The params of one call, already checked against the command's specs: every value present has
// its declared type and every required param is present. Accessors of an absent param return
// the fallback (raw() returns a null Json). Cheap to build directly in handler tests.
class MiParams {
 public:
  MiParams() = default;
  // `values`: a JSON object name -> value; not validated (bindMiParams does that).
  explicit MiParams(Json values);

  bool has(std::string_view name) const;
  std::string str(std::string_view name, std::string fallback = "") const;
  std::int64_t integer(std::string_view name, std::int64_t fallback = 0) const;
  bool boolean(std::string_view name, bool fallback = false) const;
  const Json& raw(std::string_view name) const;  // kAny params (e.g. a list)
  const Json& values() const { return values_; }

 private:
  const Json* lookup(std::string_view name) const;
  Json values_ = Json::object();
};

using MiHandler = std::function<Result<Json>(const MiParams&)>;

struct MiCommand {
  std::string name;  // [a-z][a-z0-9_]*, OpenSIPS style ("ul_dump", "get_statistics")
  std::vector<MiParamSpec> params;
  std::string help;
  std::string module;  // "core" or the module name
  MiHandler handler;
};

// Checks `params` (a JSON object = by name, an array = by position in spec order, or null /
// absent = none) against cmd.params. Returns the validated params, or invalidArgument whose
// message names the param and the expected type: a missing required param, a wrong type, an
// unknown name, too many positional values, or params that are neither object nor array.
Result<MiParams> bindMiParams(const MiCommand& cmd, const Json& params);

// One-line signature for messages and help: "help [command:string]".
std::string miUsage(const MiCommand& cmd);

class MiRegistry {
 public:
  // invalidArgument for a bad name, an empty handler or duplicate/empty param names;
  // alreadyExists (naming both modules) for a duplicate command name.
  Status add(MiCommand cmd);
  const MiCommand* find(std::string_view name) const;
  std::vector<const MiCommand*> all() const;  // sorted by name; pointers live as the registry
  // Up to 5 registered names close to `name` (typos, substrings), best first.
  std::vector<std::string> suggest(std::string_view name) const;

 private:
  std::map<std::string, MiCommand, std::less<>> commands_;
};

// Registers the built-ins that need nothing but the registry: "which" (the sorted command
// names) and "help" (with "command": its module, help and params; without: name, module and
// help of every command). Their handlers keep a reference to `registry`, which must outlive them.
// A name already taken is logged (SL_ERR) and skipped.
void registerBuiltinMiCommands(MiRegistry& registry);

}  // namespace sipline
