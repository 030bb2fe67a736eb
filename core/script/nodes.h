// The compiled form of a routing script: a tree of statement and expression nodes built once
// by the compiler and walked by the interpreter (Node::run / ExprNode::eval). Private to
// core/script. Process-private.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/script/ast.h"
#include "core/script/pvar.h"
#include "core/script/script_api.h"
#include "core/script/value.h"

namespace sipline::script {

// kBreak leaves the innermost switch or while (the compiler allows it only there).
enum class Flow : std::uint8_t { kNext, kReturn, kExit, kBreak };

// The iteration bound of every while loop (settings: max_while_loops); process-global.
void setMaxWhileLoops(int n);
int maxWhileLoops();

struct Exec {
  MsgContext& ctx;
  int depth = 0;
};

class ExprNode {
 public:
  virtual ~ExprNode() = default;
  virtual Value eval(Exec& ex) const = 0;
  // As a condition: > 0 true, < 0 false, 0 stop the script (a command returned 0).
  virtual int test(Exec& ex) const { return eval(ex).truthy() ? 1 : -1; }
  SourcePos pos;
};
using ExprNodePtr = std::unique_ptr<ExprNode>;

class Node {
 public:
  virtual ~Node() = default;
  virtual Flow run(Exec& ex) const = 0;
  SourcePos pos;
};
using NodePtr = std::unique_ptr<Node>;

struct CompiledRoute {
  RouteKind kind = RouteKind::kRequest;
  std::string name;
  SourcePos pos;
  std::vector<NodePtr> body;
  int timer_interval = 0;
  // Runs the body; returns the route's return code; sets *stop when the script must stop.
  int run(Exec& ex, bool* stop) const;
};

}  // namespace sipline::script
