// Which route types reach each named request route (route[name]) through route(name) calls,
// transitively, and along which path: a command inside route[x] must be allowed in every type
// of route that can call route[x]. Computed on the syntax tree before the compiler binds any
// command. Process-private; built once per compile.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/script/ast.h"

namespace sipline::script {

class RouteReach {
 public:
  // Seeds from every route that is not a named request route (the main route, onreply_route,
  // branch_route[...], ...) and follows route(name) calls; cycle-safe.
  void compute(const ScriptAst& ast);
  // The route types that reach route[name]; 0 when no route calls it.
  std::uint32_t typesOf(const std::string& name) const;
  // How `type` reaches route[name], e.g.
  //   "branch_route[b] -> route[q] (t.routes:5:3) -> route[name] (t.routes:9:7)"
  // where each position is the route() call. "" when `type` does not reach it.
  std::string explain(const std::string& name, std::uint32_t type) const;

 private:
  struct Origin {
    std::string caller;        // label of the calling route: "branch_route[b]", "route[q]"
    std::string caller_route;  // name of the caller if it is itself a named request route
    SourcePos pos;             // the route() call
  };
  void mark(const Stmt& s, std::uint32_t types, const std::string& label,
            const std::string& route_name);
  void markExpr(const Expr& e, std::uint32_t types, const std::string& label,
                const std::string& route_name);

  std::map<std::string, std::uint32_t> types_;
  std::map<std::string, std::map<std::uint32_t, Origin>> origins_;
  std::map<std::string, const Stmt*> bodies_;
};

// "route[relay]", "branch_route[b]", "onreply_route".
std::string routeLabel(RouteKind kind, const std::string& name);
// The route named by the argument of route(name): a name or a number.
std::string routeCallName(const Expr& call);

}  // namespace sipline::script
