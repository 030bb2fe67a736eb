// Run-time parts of the script nodes that are not inline: the while bound, route bodies (with
// their trace), and run-time error reporting (of script actions and, through
// ScriptErrorSite, of commands).
#include "core/script/interpreter.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>

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

namespace {

ScriptTracer* g_process_tracer = nullptr;  // Script::setTracer(): for ScriptErrorSite

// The log line and the trace event of one run-time error.
void emitError(MsgContext& ctx, ScriptTracer* trace, const SourcePos& pos, const char* text,
               bool log) {
  if (log) {
    std::string_view call_id = ctx.msg().callId();
    SL_ERR("%s: %s (Call-ID %.*s)", pos.toString().c_str(), text, SL_SV(call_id));
  }
  if (trace != nullptr) trace->error(pos, text);
}

}  // namespace

void runtimeError(Exec& ex, const SourcePos& pos, LogRateLimit& rate, const char* fmt, ...) {
  bool log = errorsLogged() && rate.allow();
  if (!log && ex.trace == nullptr) return;
  Text text;
  va_list ap;
  va_start(ap, fmt);
  formatInto(text, fmt, ap);
  va_end(ap);
  emitError(ex.ctx, ex.trace, pos, text.buf, log);
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

int CallExpr::testTraced(Exec& ex) const {
  int rc = call_->run(ex.ctx).rc;
  ex.ctx.last_rc = rc;
  ex.trace->call(pos, name_, rc);
  return rc;
}

int CompiledRoute::run(Exec& ex, bool* stop) const {
  if (ex.trace != nullptr) [[unlikely]]
    return runTraced(ex, stop);
  return runBody(ex, stop);
}

// Apart from run() so that the untraced path stays a test and a jump.
__attribute__((noinline)) int CompiledRoute::runTraced(Exec& ex, bool* stop) const {
  ex.trace->enterRoute(routeKindKeyword(kind), name, pos);
  int rc = runBody(ex, stop);
  ex.trace->leaveRoute(routeKindKeyword(kind), name, rc, *stop);
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

namespace {

// An address without brackets into 16 bytes; false when it is none.
bool parseIp(std::string_view text, int& family, unsigned char* bytes) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  std::string z(text);
  std::memset(bytes, 0, 16);
  if (inet_pton(AF_INET, z.c_str(), bytes) == 1) {
    family = AF_INET;
    return true;
  }
  if (inet_pton(AF_INET6, z.c_str(), bytes) == 1) {
    family = AF_INET6;
    return true;
  }
  return false;
}

}  // namespace

bool IpNetwork::parse(std::string_view text, IpNetwork& out, std::string* error) {
  std::size_t slash = text.find('/');
  std::string_view address = text.substr(0, slash);
  if (!parseIp(address, out.family, out.addr)) {
    *error = "not an IP address: \"" + std::string(address) + "\"";
    return false;
  }
  const int bits = out.family == AF_INET ? 32 : 128;
  int prefix = bits;
  if (slash != std::string_view::npos) {
    std::string_view m = text.substr(slash + 1);
    int mask_family = 0;
    if (m.find('.') != std::string_view::npos) {
      if (out.family != AF_INET || !parseIp(m, mask_family, out.mask) || mask_family != AF_INET) {
        *error = "bad network mask \"" + std::string(m) +
                 "\" (expected /bits or, for IPv4, "
                 "/a.b.c.d)";
        return false;
      }
      for (int i = 0; i < 16; ++i) out.addr[i] &= out.mask[i];
      return true;
    }
    prefix = -1;
    if (!m.empty() && m.size() <= 3 && m.find_first_not_of("0123456789") == std::string::npos) {
      prefix = std::stoi(std::string(m));
    }
    if (prefix < 0 || prefix > bits) {
      *error = "bad network prefix \"/" + std::string(m) + "\" (0 to " + std::to_string(bits) + ")";
      return false;
    }
  }
  std::memset(out.mask, 0, sizeof(out.mask));
  for (int i = 0; i < prefix; ++i) {
    out.mask[i / 8] = static_cast<unsigned char>(out.mask[i / 8] | (0x80u >> (i % 8)));
  }
  for (int i = 0; i < 16; ++i) out.addr[i] &= out.mask[i];
  return true;
}

bool IpNetwork::contains(std::string_view ip) const {
  int f = 0;
  unsigned char bytes[16];
  if (!parseIp(ip, f, bytes) || f != family) return false;
  for (int i = 0; i < 16; ++i) {
    if ((bytes[i] & mask[i]) != addr[i]) return false;
  }
  return true;
}

}  // namespace sipline::script

namespace sipline {

void Script::setTracer(ScriptTracer* tracer) {
  tracer_ = tracer;
  script::g_process_tracer = tracer;
}

void ScriptErrorSite::report(MsgContext& ctx, const char* fmt, ...) const {
  ScriptTracer* trace = script::g_process_tracer;
  bool log = script::errorsLogged() && rate_.allow();
  if (!log && trace == nullptr) return;
  script::Text text;
  va_list ap;
  va_start(ap, fmt);
  script::formatInto(text, fmt, ap);
  va_end(ap);
  std::string line = command_ + "(): " + text.buf;
  script::emitError(ctx, trace, pos_, line.c_str(), log);
}

}  // namespace sipline
