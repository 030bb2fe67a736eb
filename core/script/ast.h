// The routing script's syntax tree: what the parser produces and the compiler consumes. Pure
// data with source positions; no semantic work happens while building it (names are
// resolved and commands bound by the compiler).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/script/script_api.h"

namespace sipline::script {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind : std::uint8_t {
    kInt,
    kString,
    kPvar,
    kMyself,
    kNull,     // the NULL literal: only compared (== !=) or assigned (=)
    kAddress,  // an unquoted IP address or network (text): compared (== !=) as one
    kCall,
    kNot,
    kNeg,
    kBitNot,
    kAnd,
    kOr,
    kEq,
    kNe,
    kMatch,
    kNotMatch,
    kLt,
    kGt,
    kLe,
    kGe,
    kAdd,
    kSub,
    kMul,
    kDiv,
    kMod,
    kBitAnd,
    kBitOr,
    kBitXor,
  };
  Kind kind = Kind::kInt;
  SourcePos pos;
  std::int64_t int_value = 0;
  std::string text;           // string value, pvar name, or called command
  std::vector<ExprPtr> args;  // operands, or the call's arguments
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;

struct Stmt {
  enum class Kind : std::uint8_t {
    kCall,
    kIf,
    kBlock,
    kExit,
    kDrop,
    kReturn,
    kAssign,
    kSwitch,  // expr: subject; body: kCase statements in order
    kCase,    // expr: the value, or null for `default`; body: its statements
    kWhile,   // expr: condition; body: [loop body]
    kBreak,
  };
  Kind kind = Kind::kBlock;
  SourcePos pos;
  ExprPtr expr;  // kCall: the call; kIf: condition; kReturn: value (may be null); kAssign: value
  std::string target;         // kAssign: pvar name
  bool append = false;        // kAssign: '+='
  std::vector<StmtPtr> body;  // kBlock: statements; kIf: [then, else?]
};

enum class RouteKind : std::uint8_t {
  kRequest,
  kOnReply,
  kFailure,
  kBranch,
  kError,
  kStartup,
  kTimer,
  kLocal,
};
RouteType routeTypeOf(RouteKind kind);
const char* routeKindKeyword(RouteKind kind);

struct RouteDef {
  RouteKind kind = RouteKind::kRequest;
  std::string name;        // "" for the main route of a kind
  int timer_interval = 0;  // timer_route[name, seconds]
  SourcePos pos;
  StmtPtr body;  // a kBlock
};

struct ScriptAst {
  std::vector<RouteDef> routes;
  std::vector<std::string> warnings;  // from the preprocessor: "file:line:col: text"
  std::vector<std::string> files;     // the main file and every file it includes
};

}  // namespace sipline::script
