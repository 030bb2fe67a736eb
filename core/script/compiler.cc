// The compiler: ScriptAst → interpreter nodes. Resolves pseudo-variables, binds every
// command call site, checks route types and route references. Stage 3 of the pipeline.
#include "core/script/compiler.h"

#include <cctype>
#include <map>
#include <set>

#include "core/base/log.h"
#include "core/base/strings.h"
#include "core/script/interpreter.h"
#include "core/script/lint.h"
#include "core/script/module_hints.h"
#include "core/script/parser.h"
#include "core/script/route_reach.h"
#include "core/script/script.h"
#include "core/script/source_set.h"
#include "core/sip/msg_context.h"
#include "core/transport/listener.h"

namespace sipline {

// ---- the compiler ------------------------------------------------------------------------

class ScriptCompiler {
 public:
  ScriptCompiler(const CommandRegistry& commands, Services* services, Script& out)
      : commands_(commands), services_(services), out_(out) {}

  Status compile(script::ScriptAst& ast, const ScriptOptions& options) {
    using script::RouteKind;
    for (std::string& w : ast.warnings) out_.warnings_.push_back(std::move(w));
    // Pass 1: declare every route, refusing duplicates.
    for (script::RouteDef& def : ast.routes) {
      std::string key = routeKey(def.kind, def.name);
      if (index_.count(key)) {
        return Status::invalidArgument(
            def.pos.toString() + ": " + script::routeLabel(def.kind, def.name) +
            " is defined twice (first at " + out_.routes_[index_[key]]->pos.toString() + ")");
      }
      auto r = std::make_unique<script::CompiledRoute>();
      r->kind = def.kind;
      r->name = def.name;
      r->pos = def.pos;
      r->timer_interval = def.timer_interval;
      index_[key] = out_.routes_.size();
      out_.routes_.push_back(std::move(r));
    }
    // Pass 2: which route types reach each named request route (for command checks).
    reach_.compute(ast);
    // Pass 3: compile bodies.
    for (std::size_t i = 0; i < ast.routes.size(); ++i) {
      script::RouteDef& def = ast.routes[i];
      std::uint32_t types = script::routeTypeOf(def.kind);
      current_route_.clear();
      if (def.kind == RouteKind::kRequest && !def.name.empty()) {
        current_route_ = def.name;
        if (std::uint32_t reached = reach_.typesOf(def.name); reached == 0) {
          out_.warnings_.push_back(def.pos.toString() + ": route[" + def.name +
                                   "] is never called");
        } else {
          types = reached;
        }
      }
      route_types_ = types;
      for (script::StmtPtr& s : def.body->body) {
        Result<script::NodePtr> n = stmt(*s);
        if (!n.isOk()) return n.status();
        out_.routes_[i]->body.push_back(std::move(n.value()));
      }
    }
    auto main = index_.find(routeKey(RouteKind::kRequest, ""));
    if (main != index_.end()) out_.request_ = out_.routes_[main->second].get();
    auto reply = index_.find(routeKey(RouteKind::kOnReply, ""));
    if (reply != index_.end()) out_.reply_ = out_.routes_[reply->second].get();
    script::LintOptions lint;
    lint.module_flags = options.module_flags;
    for (std::string& w : script::lintScript(ast, lint)) out_.warnings_.push_back(std::move(w));
    return Status::ok();
  }

  // The pipeline after reading: preprocess + parse + compile; a main request route is required.
  static Result<ScriptPtr> build(const std::string& text, const std::string& file,
                                 const CommandRegistry& commands, Services* services,
                                 const ScriptOptions& options) {
    Result<script::ScriptAst> ast = script::parseScript(text, file, options.preprocess);
    if (!ast.isOk()) return ast.status();
    ScriptPtr out(new Script());
    ScriptCompiler compiler(commands, services, *out);
    Status st = compiler.compile(ast.value(), options);
    if (!st.isOk()) return st;
    if (out->request_ == nullptr) {
      return Status::invalidArgument(file +
                                     ":1:1: the script has no main request route (route { ... })");
    }
    return out;
  }

 private:
  static std::string routeKey(script::RouteKind kind, const std::string& name) {
    return std::string(script::routeKindKeyword(kind)) + "[" + name + "]";
  }

  Result<script::NodePtr> stmt(script::Stmt& s) {
    using K = script::Stmt::Kind;
    script::NodePtr node;
    switch (s.kind) {
      case K::kBlock: {
        auto b = std::make_unique<script::BlockStmt>();
        for (script::StmtPtr& c : s.body) {
          Result<script::NodePtr> n = stmt(*c);
          if (!n.isOk()) return n.status();
          b->body.push_back(std::move(n.value()));
        }
        node = std::move(b);
        break;
      }
      case K::kCall: {
        Result<script::ExprNodePtr> e = expr(*s.expr);
        if (!e.isOk()) return e.status();
        node = std::make_unique<script::ExprStmt>(std::move(e.value()));
        break;
      }
      case K::kIf: {
        Result<script::ExprNodePtr> cond = expr(*s.expr);
        if (!cond.isOk()) return cond.status();
        Result<script::NodePtr> then = stmt(*s.body[0]);
        if (!then.isOk()) return then.status();
        script::NodePtr other;
        if (s.body.size() > 1) {
          Result<script::NodePtr> e = stmt(*s.body[1]);
          if (!e.isOk()) return e.status();
          other = std::move(e.value());
        }
        node = std::make_unique<script::IfStmt>(std::move(cond.value()), std::move(then.value()),
                                                std::move(other));
        break;
      }
      case K::kExit:
      case K::kDrop:
        node = std::make_unique<script::ExitStmt>(s.kind == K::kDrop);
        break;
      case K::kReturn: {
        script::ExprNodePtr v;
        if (s.expr) {
          Result<script::ExprNodePtr> e = expr(*s.expr);
          if (!e.isOk()) return e.status();
          v = std::move(e.value());
        }
        node = std::make_unique<script::ReturnStmt>(std::move(v));
        break;
      }
      case K::kBreak:
        if (breakable_depth_ == 0) return posError(s.pos, "'break' outside a switch or while");
        node = std::make_unique<script::BreakStmt>();
        break;
      case K::kWhile: {
        Result<script::ExprNodePtr> cond = expr(*s.expr);
        if (!cond.isOk()) return cond.status();
        ++breakable_depth_;
        Result<script::NodePtr> body = stmt(*s.body[0]);
        --breakable_depth_;
        if (!body.isOk()) return body.status();
        node =
            std::make_unique<script::WhileStmt>(std::move(cond.value()), std::move(body.value()));
        break;
      }
      case K::kSwitch: {
        Result<script::ExprNodePtr> subject = expr(*s.expr);
        if (!subject.isOk()) return subject.status();
        std::vector<script::SwitchStmt::Case> cases;
        ++breakable_depth_;
        for (script::StmtPtr& c : s.body) {
          script::SwitchStmt::Case compiled;
          compiled.pos = c->pos;  // the `case`/`default` label, for the trace
          if (c->expr) {
            Result<script::ExprNodePtr> v = expr(*c->expr);
            if (!v.isOk()) return v.status();
            compiled.value = std::move(v.value());
          }
          for (script::StmtPtr& child : c->body) {
            Result<script::NodePtr> n = stmt(*child);
            if (!n.isOk()) return n.status();
            compiled.body.push_back(std::move(n.value()));
          }
          cases.push_back(std::move(compiled));
        }
        --breakable_depth_;
        node = std::make_unique<script::SwitchStmt>(std::move(subject.value()), std::move(cases));
        break;
      }
      case K::kCase:
        return posError(s.pos, "'case' outside a switch");
      case K::kAssign: {
        Result<script::PvarRef> ref = script::resolvePvar(s.target);
        if (!ref.isOk()) return posError(s.pos, ref.status().message());
        if (ref.value().spec->set == nullptr) {
          return posError(s.pos, "$" + s.target + " is read-only");
        }
        if (s.append && s.expr->kind == script::Expr::Kind::kNull) {
          return posError(s.expr->pos,
                          "NULL cannot be appended; $" + s.target + " = NULL; clears the variable");
        }
        null_allowed_ = !s.append;
        Result<script::ExprNodePtr> e = expr(*s.expr);
        if (!e.isOk()) return e.status();
        node = std::make_unique<script::AssignStmt>(std::move(ref.value()), std::move(e.value()),
                                                    s.append);
        break;
      }
    }
    node->pos = s.pos;
    return node;
  }

  static Status posError(const SourcePos& pos, const std::string& msg) {
    return Status::invalidArgument(pos.toString() + ": " + msg);
  }

  Result<script::ExprNodePtr> expr(script::Expr& e) {
    using K = script::Expr::Kind;
    const bool null_ok = null_allowed_;  // only for this expression, not its operands
    null_allowed_ = false;
    script::ExprNodePtr node;
    switch (e.kind) {
      case K::kNull:
        if (!null_ok) {
          return posError(e.pos,
                          "NULL can only be compared (X == NULL, X != NULL) or assigned "
                          "($var(x) = NULL)");
        }
        node = std::make_unique<script::ConstExpr>(script::Value::null());
        break;
      case K::kInt:
        node = std::make_unique<script::ConstExpr>(script::Value::integer(e.int_value));
        break;
      case K::kString:
        node = std::make_unique<script::ConstExpr>(script::Value::owned(e.text));
        break;
      case K::kPvar: {
        Result<script::PvarRef> ref = script::resolvePvar(e.text);
        if (!ref.isOk()) return posError(e.pos, ref.status().message());
        node = std::make_unique<script::PvarExpr>(std::move(ref.value()));
        break;
      }
      case K::kMyself:
        return posError(e.pos, "'myself' can only be compared: X == myself or X != myself");
      case K::kAddress: {
        // Elsewhere than in a comparison an address is its text ($var(gw) = 10.0.0.1).
        std::string error;
        script::IpNetwork net;
        if (!script::IpNetwork::parse(e.text, net, &error)) return posError(e.pos, error);
        node = std::make_unique<script::ConstExpr>(script::Value::owned(e.text));
        break;
      }
      case K::kCall: {
        Result<script::ExprNodePtr> call = callExpr(e);
        if (!call.isOk()) return call;
        node = std::move(call.value());
        break;
      }
      case K::kNot: {
        Result<script::ExprNodePtr> a = expr(*e.args[0]);
        if (!a.isOk()) return a;
        node = std::make_unique<script::NotExpr>(std::move(a.value()));
        break;
      }
      case K::kNeg:
      case K::kBitNot: {
        Result<script::ExprNodePtr> a = expr(*e.args[0]);
        if (!a.isOk()) return a;
        node = std::make_unique<script::ArithExpr>(e.kind, std::move(a.value()), nullptr);
        break;
      }
      case K::kAnd:
      case K::kOr: {
        Result<script::ExprNodePtr> a = expr(*e.args[0]);
        if (!a.isOk()) return a;
        Result<script::ExprNodePtr> b = expr(*e.args[1]);
        if (!b.isOk()) return b;
        node = std::make_unique<script::LogicExpr>(e.kind == K::kAnd, std::move(a.value()),
                                                   std::move(b.value()));
        break;
      }
      case K::kEq:
      case K::kNe:
      case K::kLt:
      case K::kGt:
      case K::kLe:
      case K::kGe: {
        bool left_myself = e.args[0]->kind == K::kMyself;
        bool right_myself = e.args[1]->kind == K::kMyself;
        if (left_myself || right_myself) {
          if (e.kind != K::kEq && e.kind != K::kNe) {
            return posError(e.pos, "'myself' can only be compared with == or !=");
          }
          if (left_myself && right_myself)
            return posError(e.pos, "myself == myself is always true");
          Result<script::ExprNodePtr> other = expr(*e.args[left_myself ? 1 : 0]);
          if (!other.isOk()) return other;
          node = std::make_unique<script::MyselfExpr>(e.kind == K::kNe, std::move(other.value()));
          break;
        }
        const bool equality = e.kind == K::kEq || e.kind == K::kNe;
        const bool left_net = e.args[0]->kind == K::kAddress;
        const bool right_net = e.args[1]->kind == K::kAddress;
        if (left_net || right_net) {
          if (!equality) {
            return posError(e.pos, "an IP address or network can only be compared with == or !=");
          }
          if (left_net && right_net) {
            return posError(e.pos, "two IP addresses compared: the result never changes");
          }
          std::string error;
          script::IpNetwork net;
          const script::Expr& literal = *e.args[left_net ? 0 : 1];
          if (!script::IpNetwork::parse(literal.text, net, &error)) {
            return posError(literal.pos, error);
          }
          Result<script::ExprNodePtr> other = expr(*e.args[left_net ? 1 : 0]);
          if (!other.isOk()) return other;
          node = std::make_unique<script::NetworkExpr>(e.kind == K::kNe, std::move(other.value()),
                                                       net);
          break;
        }
        if (equality && e.args[0]->kind == K::kNull && e.args[1]->kind == K::kNull) {
          return posError(e.pos, "NULL compared with NULL: the result never changes");
        }
        null_allowed_ = equality;
        Result<script::ExprNodePtr> a = expr(*e.args[0]);
        if (!a.isOk()) return a;
        null_allowed_ = equality;
        Result<script::ExprNodePtr> b = expr(*e.args[1]);
        if (!b.isOk()) return b;
        node = std::make_unique<script::CompareExpr>(e.kind, std::move(a.value()),
                                                     std::move(b.value()));
        break;
      }
      case K::kMatch:
      case K::kNotMatch: {
        Result<script::ExprNodePtr> a = expr(*e.args[0]);
        if (!a.isOk()) return a;
        std::unique_ptr<Regex> re;
        script::ExprNodePtr dynamic;
        if (e.args[1]->kind == K::kString) {
          re = std::make_unique<Regex>();
          Status st = re->compile(e.args[1]->text);
          if (!st.isOk()) return posError(e.args[1]->pos, st.message());
        } else {
          Result<script::ExprNodePtr> b = expr(*e.args[1]);
          if (!b.isOk()) return b;
          dynamic = std::move(b.value());
        }
        node = std::make_unique<script::MatchExpr>(e.kind == K::kNotMatch, std::move(a.value()),
                                                   std::move(re), std::move(dynamic));
        break;
      }
      default: {
        Result<script::ExprNodePtr> a = expr(*e.args[0]);
        if (!a.isOk()) return a;
        Result<script::ExprNodePtr> b = expr(*e.args[1]);
        if (!b.isOk()) return b;
        node =
            std::make_unique<script::ArithExpr>(e.kind, std::move(a.value()), std::move(b.value()));
      }
    }
    node->pos = e.pos;
    return node;
  }

  Result<script::ExprNodePtr> callExpr(script::Expr& e) {
    if (e.text == "route") {
      if (e.args.size() != 1 || (e.args[0]->kind != script::Expr::Kind::kString &&
                                 e.args[0]->kind != script::Expr::Kind::kInt)) {
        return posError(e.pos, "route() takes one route name: route(name)");
      }
      std::string name = e.args[0]->kind == script::Expr::Kind::kInt
                             ? std::to_string(e.args[0]->int_value)
                             : e.args[0]->text;
      auto it = index_.find(routeKey(script::RouteKind::kRequest, name));
      if (it == index_.end() || name.empty()) {
        std::vector<std::string> names;
        for (const auto& r : out_.routes_) {
          if (r->kind == script::RouteKind::kRequest && !r->name.empty()) names.push_back(r->name);
        }
        return posError(e.args[0]->pos,
                        "route[" + name + "] is not defined" + didYouMean(name, names));
      }
      return script::ExprNodePtr(
          std::make_unique<script::RouteCallExpr>(out_.routes_[it->second].get()));
    }
    const CommandSpec* spec = commands_.find(e.text);
    if (spec == nullptr) return posError(e.pos, unknownFunction(e.text));
    if ((spec->route_mask & route_types_) != route_types_) {
      const std::uint32_t refused = route_types_ & ~spec->route_mask;
      return posError(e.pos, e.text + "() is not allowed in " + routeMaskNames(refused) +
                                 " (allowed in: " + routeMaskNames(spec->route_mask) + ")" +
                                 reachedThrough(refused));
    }
    std::size_t required = 0;
    for (const ArgSpec& a : spec->args) required += a.optional ? 0 : 1;
    if (e.args.size() < required || e.args.size() > spec->args.size()) {
      std::string sig;
      for (const ArgSpec& a : spec->args) {
        if (!sig.empty()) sig += ", ";
        sig += a.optional ? "[" + a.name + "]" : a.name;
      }
      return posError(
          e.pos, e.text + "() takes " +
                     (required == spec->args.size()
                          ? std::to_string(required)
                          : std::to_string(required) + " to " + std::to_string(spec->args.size())) +
                     " argument(s): " + e.text + "(" + sig + "), got " +
                     std::to_string(e.args.size()));
    }
    ScriptArgs args;
    for (std::size_t i = 0; i < e.args.size(); ++i) {
      script::Expr& a = *e.args[i];
      ScriptArg sa;
      sa.pos = a.pos;
      if (a.kind == script::Expr::Kind::kInt) {
        sa.kind = ScriptArg::Kind::kInt;
        sa.int_value = a.int_value;
        sa.text = std::to_string(a.int_value);
      } else if (a.kind == script::Expr::Kind::kString) {
        sa.kind = ScriptArg::Kind::kString;
        sa.text = a.text;
      } else if (a.kind == script::Expr::Kind::kPvar) {
        sa.kind = ScriptArg::Kind::kPvar;
        sa.text = a.text;
        Result<script::PvarRef> ref = script::resolvePvar(a.text);
        if (!ref.isOk()) return posError(a.pos, ref.status().message());
      } else {
        return posError(
            a.pos, "arguments of " + e.text + "() must be strings, numbers or pseudo-variables");
      }
      if (spec->args[i].type == ArgSpec::Type::kInt && sa.kind == ScriptArg::Kind::kString &&
          sa.isConstant()) {
        std::int64_t v = 0;
        if (!parseInt(trim(sa.text), v)) {
          return posError(a.pos, e.text + "(): argument '" + spec->args[i].name +
                                     "' must be an integer, got \"" + sa.text + "\"");
        }
      }
      args.push_back(std::move(sa));
    }
    BindContext bc(e.pos, e.text, services_);
    bc.setRouteLookup([this](RouteType type, const std::string& name) {
      using script::RouteKind;
      for (RouteKind kind :
           {RouteKind::kRequest, RouteKind::kOnReply, RouteKind::kFailure, RouteKind::kBranch,
            RouteKind::kError, RouteKind::kStartup, RouteKind::kTimer, RouteKind::kLocal}) {
        if (script::routeTypeOf(kind) == type) return index_.count(routeKey(kind, name)) != 0;
      }
      return false;
    });
    Result<BoundCallPtr> bound = Status::internal("no bind function");
    try {
      bound = spec->bind(args, bc);
    } catch (const std::exception& ex) {
      return posError(e.pos, e.text + "(): binding threw: " + ex.what());
    }
    if (!bound.isOk()) return bound.status();
    return script::ExprNodePtr(
        std::make_unique<script::CallExpr>(std::move(bound.value()), e.text));
  }

  // "unknown function 'save': module registrar is not loaded (...)" when the name belongs to
  // a known module that is not loaded; else a did-you-mean among the loaded commands.
  std::string unknownFunction(const std::string& name) const {
    const char* module = script::moduleOfFunction(name);
    bool loaded = false;
    std::vector<std::string> names = commands_.names();
    for (const std::string& n : names) {
      const CommandSpec* spec = module != nullptr ? commands_.find(n) : nullptr;
      if (spec != nullptr && spec->module == module) loaded = true;
    }
    std::string msg = "unknown function '" + name + "'";
    if (module != nullptr && !loaded) {
      return msg + ": module " + module + " is not loaded (load it in the settings: modules = { " +
             module + " = {}; ... })";
    }
    return msg + didYouMean(name, names);
  }

  // "; route[r] runs in branch_route: branch_route[b] -> route[r] (t.routes:4:3)" for the
  // first route type of `types` that reaches the route being compiled through route() calls.
  std::string reachedThrough(std::uint32_t types) const {
    if (current_route_.empty()) return "";
    for (std::uint32_t bit = 1; bit <= kLocalRoute; bit <<= 1) {
      if ((types & bit) == 0) continue;
      std::string path = reach_.explain(current_route_, bit);
      if (!path.empty()) {
        return "; route[" + current_route_ + "] runs in " +
               routeTypeName(static_cast<RouteType>(bit)) + ": " + path;
      }
    }
    return "";
  }

  const CommandRegistry& commands_;
  Services* services_;
  Script& out_;
  std::map<std::string, std::size_t> index_;
  script::RouteReach reach_;
  std::string current_route_;  // name of the named request route being compiled, else ""
  std::uint32_t route_types_ = kRequestRoute;
  int breakable_depth_ = 0;    // nesting of switch/while around the statement being compiled
  bool null_allowed_ = false;  // the expression being compiled may be the NULL literal
};

Status compileScript(script::ScriptAst& ast, const CommandRegistry& commands, Services* services,
                     Script& out, const ScriptOptions& options) {
  ScriptCompiler compiler(commands, services, out);
  return compiler.compile(ast, options);
}

ScriptOptions scriptOptionsFrom(const Settings& settings) {
  ScriptOptions options;
  for (const ScriptDefineSetting& d : settings.defines) {
    if (const auto* text = std::get_if<std::string>(&d.value)) {
      options.preprocess.defines.push_back(script::stringDefine(d.name, *text, d.where));
    } else if (const auto* number = std::get_if<std::int64_t>(&d.value)) {
      options.preprocess.defines.push_back(script::integerDefine(d.name, *number, d.where));
    } else if (std::get<bool>(d.value)) {
      options.preprocess.defines.push_back(script::integerDefine(d.name, 1, d.where));
    }  // false: not defined, so #!ifdef NAME is false
  }
  for (const ModuleConfig& m : settings.modules) {
    for (const ModuleParamValue& p : m.params) {
      const bool names_flags = (p.name.size() >= 4 && p.name.rfind("flag") == p.name.size() - 4) ||
                               (p.name.size() >= 5 && p.name.rfind("flags") == p.name.size() - 5);
      if (!names_flags) continue;
      if (const auto* number = std::get_if<std::int64_t>(&p.value)) {
        options.module_flags.push_back(*number);
      } else if (const auto* text = std::get_if<std::string>(&p.value)) {
        // "3", "3,5" or "3 5": every number in the list.
        std::size_t i = 0;
        while (i < text->size()) {
          std::size_t j = i;
          while (j < text->size() && std::isdigit(static_cast<unsigned char>((*text)[j]))) ++j;
          std::int64_t v = 0;
          if (j > i && parseInt(std::string_view(*text).substr(i, j - i), v)) {
            options.module_flags.push_back(v);
          }
          i = j + 1;
        }
      }
    }
  }
  return options;
}

Result<ScriptPtr> compileScriptText(const std::string& text, const std::string& file,
                                    const CommandRegistry& commands, Services* services,
                                    const ScriptOptions& options) {
  return ScriptCompiler::build(text, file, commands, services, options);
}

Result<ScriptPtr> loadScript(const std::string& path, const CommandRegistry& commands,
                             Services* services, const ScriptOptions& options) {
  Result<std::string> text = readScriptSource(path);
  if (!text.isOk()) return text.status();
  return compileScriptText(text.value(), path, commands, services, options);
}

Result<ScriptPtr> loadScript(const Settings& settings, const CommandRegistry& commands,
                             Services* services) {
  return loadScript(settings.routes, commands, services, scriptOptionsFrom(settings));
}

}  // namespace sipline
