#include "core/script/route_reach.h"

#include <vector>

namespace sipline::script {

std::string routeLabel(RouteKind kind, const std::string& name) {
  std::string label = routeKindKeyword(kind);
  return name.empty() ? label : label + "[" + name + "]";
}

std::string routeCallName(const Expr& call) {
  if (call.args.size() != 1) return "";
  const Expr& a = *call.args[0];
  return a.kind == Expr::Kind::kInt ? std::to_string(a.int_value) : a.text;
}

void RouteReach::compute(const ScriptAst& ast) {
  for (const RouteDef& def : ast.routes) {
    if (def.kind == RouteKind::kRequest && !def.name.empty()) bodies_[def.name] = def.body.get();
  }
  for (const RouteDef& def : ast.routes) {
    if (def.kind == RouteKind::kRequest && !def.name.empty()) continue;
    mark(*def.body, routeTypeOf(def.kind), routeLabel(def.kind, def.name), "");
  }
}

std::uint32_t RouteReach::typesOf(const std::string& name) const {
  auto it = types_.find(name);
  return it == types_.end() ? 0 : it->second;
}

std::string RouteReach::explain(const std::string& name, std::uint32_t type) const {
  std::vector<std::string> steps;
  std::string current = name;
  // Each origin was recorded when its caller already had `type`, so the walk goes strictly
  // back in time and ends at a seed route; the bound is only a guard.
  for (int guard = 0; guard < 256; ++guard) {
    auto route = origins_.find(current);
    if (route == origins_.end()) return "";
    auto origin = route->second.find(type);
    if (origin == route->second.end()) return "";
    const Origin& o = origin->second;
    steps.push_back("route[" + current + "] (" + o.pos.toString() + ")");
    if (o.caller_route.empty()) {
      steps.push_back(o.caller);
      break;
    }
    current = o.caller_route;
  }
  std::string out;
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    if (!out.empty()) out += " -> ";
    out += *it;
  }
  return out;
}

void RouteReach::mark(const Stmt& s, std::uint32_t types, const std::string& label,
                      const std::string& route_name) {
  if (s.expr) markExpr(*s.expr, types, label, route_name);
  for (const StmtPtr& c : s.body) {
    if (c) mark(*c, types, label, route_name);
  }
}

void RouteReach::markExpr(const Expr& e, std::uint32_t types, const std::string& label,
                          const std::string& route_name) {
  if (e.kind == Expr::Kind::kCall && e.text == "route" && e.args.size() == 1) {
    const std::string name = routeCallName(e);
    std::uint32_t& have = types_[name];
    const std::uint32_t added = types & ~have;
    if (added != 0) {
      have |= added;
      for (std::uint32_t bit = 1; bit <= kLocalRoute; bit <<= 1) {
        if ((added & bit) != 0) origins_[name][bit] = Origin{label, route_name, e.pos};
      }
      auto body = bodies_.find(name);
      if (body != bodies_.end()) mark(*body->second, added, "route[" + name + "]", name);
    }
  }
  for (const ExprPtr& a : e.args) markExpr(*a, types, label, route_name);
}

}  // namespace sipline::script
