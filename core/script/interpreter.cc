// Run-time parts of the script nodes that are not inline: the while bound, route bodies (with
// their trace), run-time error reporting and scriptError() for commands.
#include "core/script/interpreter.h"

#include <cstdarg>
#include <cstdio>

#include "core/script/script.h"

namespace sipline::script {

namespace {
int g_max_while_loops = 10000;

// Formats into a fixed buffer: error paths must not allocate much, and lines stay short.
struct Text {
  char buf[512];
};
void formatInto(Text& out, const char* fmt, va_list ap) {
  std::vsnprintf(out.buf, sizeof(out.buf), fmt, ap);
}

bool errorsLogged() { return static_cast<int>(LogLevel::kErr) <= static_cast<int>(logLevel()); }

}  // namespace

void setMaxWhileLoops(int n) { g_max_while_loops = n > 0 ? n : 1; }
int maxWhileLoops() { return g_max_while_loops; }

void runtimeError(Exec& ex, const SourcePos& pos, LogRateLimit& rate, const char* fmt, ...) {
  bool log = errorsLogged() && rate.allow();
  if (!log && ex.trace == nullptr) return;
  Text text;
  va_list ap;
  va_start(ap, fmt);
  formatInto(text, fmt, ap);
  va_end(ap);
  if (log) {
    std::string_view call_id = ex.ctx.msg().callId();
    SL_ERR("%s: %s (Call-ID %.*s)", pos.toString().c_str(), text.buf, SL_SV(call_id));
  }
  if (ex.trace != nullptr) ex.trace->error(pos, text.buf);
}

std::string traceLiteral(const Value& v) {
  if (v.isNull()) return "<null>";
  if (v.isInt()) return std::to_string(v.i());
  std::string out = "\"";
  for (char c : v.str()) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char hex[8];
          std::snprintf(hex, sizeof(hex), "\\x%02x", static_cast<unsigned char>(c));
          out += hex;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

int CompiledRoute::run(Exec& ex, bool* stop) const {
  if (ex.trace != nullptr) ex.trace->enterRoute(routeKindKeyword(kind), name, pos);
  int rc = runBody(ex, stop);
  if (ex.trace != nullptr) ex.trace->leaveRoute(routeKindKeyword(kind), name, rc, *stop);
  return rc;
}

int CompiledRoute::runBody(Exec& ex, bool* stop) const {
  ex.ctx.last_rc = 1;
  for (const NodePtr& n : body) {
    Flow f = n->run(ex);
    if (f == Flow::kReturn) return ex.ctx.last_rc;
    if (f == Flow::kExit) {
      *stop = true;
      return ex.ctx.last_rc;
    }
  }
  return 1;
}

}  // namespace sipline::script

namespace sipline {

void scriptError(const char* fmt, ...) {
  const script::ActiveCall* call = script::g_active_call;
  script::Text text;
  va_list ap;
  va_start(ap, fmt);
  script::formatInto(text, fmt, ap);
  va_end(ap);
  if (call == nullptr) {
    // Not inside a script call (a module's timer, a test): one shared limit.
    static LogRateLimit rate;
    if (script::errorsLogged() && rate.allow()) SL_ERR("%s", text.buf);
    return;
  }
  script::runtimeError(*call->ex, *call->pos, *call->rate, "%s(): %s", call->name->c_str(),
                       text.buf);
}

}  // namespace sipline
