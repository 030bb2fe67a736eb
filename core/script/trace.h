// ScriptTracer: what the interpreter reports while it runs a script with tracing on (the route
// simulator, sipline --simulate, and tests). Events arrive in execution order; positions are
// the script action's own (file:line:col as written, include files included). With no tracer
// set, the interpreter only tests a null pointer per traced action.
//
// The tracer belongs to the caller and must outlive the run. Process-private; not thread-safe.
#pragma once

#include <string>

#include "core/script/script_api.h"

namespace sipline {

class ScriptTracer {
 public:
  virtual ~ScriptTracer() = default;

  // A route starts. `keyword` is "route", "onreply_route", ...; `name` "" for a main route.
  virtual void enterRoute(const char* keyword, const std::string& name, const SourcePos& pos) = 0;
  // The route ends with return code `rc`; `stopped` when the script stops (exit, drop, or a
  // command that returned 0), not only this route.
  virtual void leaveRoute(const char* keyword, const std::string& name, int rc, bool stopped) = 0;

  // The condition of `if`/`while` at `pos` (the keyword) was evaluated: result > 0 true,
  // < 0 false, 0 the script stops (a command in it returned 0).
  virtual void condition(const SourcePos& pos, const char* keyword, int result) = 0;
  // A switch at `pos` compared `subject`; `taken` is the position of the case (or default,
  // then `is_default`) it runs from, or nullptr when none matched.
  virtual void switchTaken(const SourcePos& pos, const std::string& subject, const SourcePos* taken,
                           bool is_default) = 0;
  // A command returned `rc` (route(x) is reported as enterRoute/leaveRoute instead).
  virtual void call(const SourcePos& pos, const std::string& name, int rc) = 0;
  // `$target = value` (or +=) ran; `value` is what was assigned, shown as a script literal.
  virtual void assign(const SourcePos& pos, const std::string& target,
                      const std::string& value) = 0;
  // exit, drop or return(n) ran ("exit", "drop", "return"; `rc` for return).
  virtual void stop(const SourcePos& pos, const char* what, int rc) = 0;
  // A run-time error of the action at `pos` (also logged, rate-limited).
  virtual void error(const SourcePos& pos, const std::string& message) = 0;
};

}  // namespace sipline
