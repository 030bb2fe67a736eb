// The compiled form of a routing script: a tree of statement and expression nodes built once
// by the compiler and walked by the interpreter (Node::run / ExprNode::eval). Private to
// core/script. Process-private.
//
// Every node keeps its source position and a rate limiter of its own, so a run-time error
// names the script action (file:line:col) and a flood from one line cannot hide another's.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/base/log.h"
#include "core/script/ast.h"
#include "core/script/pvar.h"
#include "core/script/script_api.h"
#include "core/script/trace.h"
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
  ScriptTracer* trace = nullptr;  // the simulator's; nullptr (the fast path) when not tracing
};

// Logs a run-time error of the script action at `pos` as "FILE:LINE:COL: text (Call-ID x)",
// at most 10 lines a second per action (`rate` is the node's), and tells the tracer.
void runtimeError(Exec& ex, const SourcePos& pos, LogRateLimit& rate, const char* fmt, ...)
    __attribute__((format(printf, 4, 5)));

// A value as the trace shows it: 42, "text" (quoted, escaped), <null>.
std::string traceLiteral(const Value& v);

class ExprNode {
 public:
  virtual ~ExprNode() = default;
  virtual Value eval(Exec& ex) const = 0;
  // As a condition: > 0 true, < 0 false, 0 stop the script (a command returned 0).
  virtual int test(Exec& ex) const { return eval(ex).truthy() ? 1 : -1; }
  // True when evaluating may change the message (a function or route call): a binary node
  // then copies its left value before evaluating the right one, since a view of $ru would
  // dangle once strip() or a rewrite replaced the request-URI.
  virtual bool mayChangeMessage() const { return false; }
  SourcePos pos;
  mutable LogRateLimit error_rate;
};
using ExprNodePtr = std::unique_ptr<ExprNode>;

class Node {
 public:
  virtual ~Node() = default;
  virtual Flow run(Exec& ex) const = 0;
  SourcePos pos;
  mutable LogRateLimit error_rate;
};
using NodePtr = std::unique_ptr<Node>;

struct CompiledRoute {
  RouteKind kind = RouteKind::kRequest;
  std::string name;
  SourcePos pos;
  std::vector<NodePtr> body;
  int timer_interval = 0;
  // Runs the body; returns the route's return code; sets *stop when the script must stop.
  // Tells the tracer, if any, when the route starts and ends.
  int run(Exec& ex, bool* stop) const;

 private:
  int runBody(Exec& ex, bool* stop) const;
  int runTraced(Exec& ex, bool* stop) const;
};

}  // namespace sipline::script
