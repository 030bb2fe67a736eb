// Script: loading (read → parse → compile) and running the compiled routes.
#include "core/script/script.h"

#include <fstream>
#include <sstream>

#include "core/script/compiler.h"
#include "core/script/interpreter.h"
#include "core/script/parser.h"

namespace sipline {

Script::~Script() = default;

void Script::setMaxWhileLoops(int n) { script::setMaxWhileLoops(n); }

Result<ScriptPtr> Script::compile(const std::string& text, const std::string& file,
                                  const CommandRegistry& commands, Services* services) {
  Result<script::ScriptAst> ast = script::parseScript(text, file);
  if (!ast.isOk()) return ast.status();
  ScriptPtr s(new Script());
  Status st = compileScript(ast.value(), commands, services, *s);
  if (!st.isOk()) return st;
  if (s->request_ == nullptr) {
    return Status::invalidArgument(file +
                                   ":1:1: the script has no main request route (route { ... })");
  }
  return s;
}

Result<ScriptPtr> Script::load(const std::string& path, const CommandRegistry& commands,
                               Services* services) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::notFound(path + ": cannot read the routing script");
  std::stringstream buf;
  buf << in.rdbuf();
  return compile(buf.str(), path, commands, services);
}

int Script::runRequest(MsgContext& ctx) const {
  if (request_ == nullptr) return 1;
  script::Exec ex{ctx, 0, tracer_};
  bool stop = false;
  return request_->run(ex, &stop);
}

int Script::runReply(MsgContext& ctx) const {
  if (reply_ == nullptr) return 1;
  script::Exec ex{ctx, 0, tracer_};
  bool stop = false;
  return reply_->run(ex, &stop);
}

bool Script::runNamed(RouteType type, const std::string& name, MsgContext& ctx, int* rc) const {
  for (const auto& r : routes_) {
    if (script::routeTypeOf(r->kind) == type && r->name == name) {
      script::Exec ex{ctx, 0, tracer_};
      bool stop = false;
      int v = r->run(ex, &stop);
      if (rc != nullptr) *rc = v;
      return true;
    }
  }
  return false;
}

std::vector<std::string> Script::routeNames(RouteType type) const {
  std::vector<std::string> names;
  for (const auto& r : routes_) {
    if (script::routeTypeOf(r->kind) == type && !r->name.empty()) names.push_back(r->name);
  }
  return names;
}

bool Script::hasRoute(RouteType type) const {
  for (const auto& r : routes_) {
    if (script::routeTypeOf(r->kind) == type && r->name.empty()) return true;
  }
  return false;
}

std::vector<Script::TimerRoute> Script::timerRoutes() const {
  std::vector<TimerRoute> out;
  for (const auto& r : routes_) {
    if (r->kind == script::RouteKind::kTimer) out.push_back({r->name, r->timer_interval});
  }
  return out;
}

}  // namespace sipline
