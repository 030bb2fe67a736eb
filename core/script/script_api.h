// What the routing script and the commands it calls share: source positions, route types,
// the verdict a command returns, the arguments a command is bound with at load time, and the
// BoundCall that runs per message. Core functions (xlog, forward, ...) and module commands
// use the same types, so the compiler binds both the same way.
//
// Binding happens once per call site while the script compiles: the bind function checks
// its arguments and returns a BoundCall holding resolved values (parsed numbers, compiled
// formats, handles). Run time never re-parses script text. Process-private; never in shm.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace sipline {

class MsgContext;

struct SourcePos {
  std::string file;
  int line = 0;
  int col = 0;
  std::string toString() const;  // "file:line:col"
};

// Where a command may be called; a bit mask.
enum RouteType : std::uint32_t {
  kRequestRoute = 1u << 0,
  kOnReplyRoute = 1u << 1,
  kFailureRoute = 1u << 2,
  kBranchRoute = 1u << 3,
  kErrorRoute = 1u << 4,
  kStartupRoute = 1u << 5,
  kTimerRoute = 1u << 6,
  kLocalRoute = 1u << 7,
  kAnyRoute = 0xffu,
};
const char* routeTypeName(RouteType type);  // "route", "onreply_route", ...
std::string routeMaskNames(std::uint32_t mask);

// What a command returns, with OpenSIPS semantics: rc > 0 is true, rc < 0 false, and rc == 0
// stops the script (as `exit`).
struct Verdict {
  int rc = 1;
  static Verdict ok() { return {1}; }
  static Verdict fail(int rc = -1) { return {rc}; }
  static Verdict stop() { return {0}; }
  static Verdict of(int rc) { return {rc}; }
};

// One script argument as written at a call site.
struct ScriptArg {
  enum class Kind : std::uint8_t { kString, kInt, kPvar };
  Kind kind = Kind::kString;
  std::string text;  // the string literal's value (escapes resolved), or the pvar name
  std::int64_t int_value = 0;
  SourcePos pos;
  bool hasPvars() const;  // a string that contains $pvars (a format) or a pvar
  bool isConstant() const { return !hasPvars(); }
};
using ScriptArgs = std::vector<ScriptArg>;

// A format string compiled at bind time ("relaying $rm to $ru"); evaluates per message.
class Format;
using FormatPtr = std::shared_ptr<const Format>;

// A string argument bound at load time: constant, or a compiled format of pvars.
class StrArg {
 public:
  StrArg() = default;
  explicit StrArg(std::string constant) : constant_(std::move(constant)) {}
  explicit StrArg(FormatPtr format) : format_(std::move(format)) {}
  bool isConstant() const { return format_ == nullptr; }
  const std::string& constant() const { return constant_; }
  // Returns the value; `scratch` holds it when it is computed.
  std::string_view eval(MsgContext& ctx, std::string& scratch) const;

 private:
  std::string constant_;
  FormatPtr format_;
};

// An integer argument bound at load time: constant, or a pvar/format read per message.
class IntArg {
 public:
  IntArg() = default;
  explicit IntArg(std::int64_t constant) : constant_(constant) {}
  explicit IntArg(StrArg dynamic) : dynamic_(std::move(dynamic)), is_dynamic_(true) {}
  bool isConstant() const { return !is_dynamic_; }
  std::int64_t constant() const { return constant_; }
  // False when the value read is not an integer.
  bool eval(MsgContext& ctx, std::int64_t& out) const;

 private:
  std::int64_t constant_ = 0;
  StrArg dynamic_;
  bool is_dynamic_ = false;
};

struct ArgSpec {
  enum class Type : std::uint8_t { kStr, kInt };
  std::string name;
  Type type = Type::kStr;
  bool optional = false;
  static ArgSpec str(std::string name) { return {std::move(name), Type::kStr, false}; }
  static ArgSpec integer(std::string name) { return {std::move(name), Type::kInt, false}; }
  ArgSpec opt() const {
    ArgSpec a = *this;
    a.optional = true;
    return a;
  }
};

// The per-call-site object the interpreter runs for every message reaching it.
class BoundCall {
 public:
  virtual ~BoundCall() = default;
  virtual Verdict run(MsgContext& ctx) = 0;
};
using BoundCallPtr = std::unique_ptr<BoundCall>;

// Wraps a lambda as a BoundCall.
template <class Fn>
class LambdaCall : public BoundCall {
 public:
  explicit LambdaCall(Fn fn) : fn_(std::move(fn)) {}
  Verdict run(MsgContext& ctx) override { return fn_(ctx); }

 private:
  Fn fn_;
};
template <class Fn>
BoundCallPtr makeCall(Fn fn) {
  return std::make_unique<LambdaCall<Fn>>(std::move(fn));
}

class Services;

// Given to a bind function: makes errors point at file:line:col and turns arguments into
// StrArg/IntArg. Owned by the compiler for the duration of one bind.
class BindContext {
 public:
  BindContext(SourcePos call_pos, std::string command, Services* services)
      : call_pos_(std::move(call_pos)), command_(std::move(command)), services_(services) {}
  // "file:line:col: <command>(): <status message>" pointing at the argument.
  Status error(const ScriptArg& arg, const Status& status) const;
  Status error(const std::string& message) const;  // points at the call itself
  Result<StrArg> strArg(const ScriptArg& arg) const;
  Result<IntArg> intArg(const ScriptArg& arg) const;
  Services* services() const { return services_; }
  const SourcePos& pos() const { return call_pos_; }
  // Route names as arguments (t_on_failure("name")): the compiler tells which routes the
  // script defines; without it (tests) every name is accepted.
  using RouteLookup = std::function<bool(RouteType type, const std::string& name)>;
  void setRouteLookup(RouteLookup lookup) { route_lookup_ = std::move(lookup); }
  // Ok when `arg` is a constant naming a route of `type` that the script defines, else an
  // error pointing at the argument.
  Status requireRoute(const ScriptArg& arg, RouteType type) const;

 private:
  SourcePos call_pos_;
  std::string command_;
  Services* services_;
  RouteLookup route_lookup_;
};

using BindFn = std::function<Result<BoundCallPtr>(const ScriptArgs& args, BindContext& bc)>;

struct CommandSpec {
  std::string name;
  std::vector<ArgSpec> args;
  std::uint32_t route_mask = kRequestRoute;
  BindFn bind;
  std::string help;
  std::string module;  // "core" for built-ins
};

}  // namespace sipline
