#include "core/server/script_routes.h"

#include <time.h>

#include <map>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/parser/sip_message.h"
#include "core/script/script.h"
#include "core/server/script_reload.h"
#include "core/sip/msg_context.h"
#include "core/transport/listener.h"

namespace sipline {
namespace {

constexpr char kPlaceholder[] =
    "OPTIONS sip:localhost SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKsipline.internal\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:sipline@localhost>;tag=internal\r\n"
    "To: <sip:localhost>\r\n"
    "Call-ID: internal@sipline\r\n"
    "CSeq: 1 OPTIONS\r\n"
    "Content-Length: 0\r\n\r\n";

// Runs `fn(ctx)` on a fresh placeholder request received "from" 127.0.0.1:5060.
template <class Fn>
int onPlaceholder(RouteType type, Fn fn) {
  SipMessage msg;
  if (msg.parse(kPlaceholder) != ParseError::kOk) {
    SL_CRIT("internal placeholder request does not parse");
    return -1;
  }
  ReceiveInfo rcv;
  (void)SockAddr::fromNumeric("127.0.0.1", 5060, rcv.src);
  if (!listeners().all().empty()) rcv.listener = &listeners().all().front();
  MsgContext ctx(msg, rcv, type);
  return fn(ctx);
}

}  // namespace

int runStartupRoute(const Script& script) {
  if (!script.hasRoute(kStartupRoute)) return 1;
  return onPlaceholder(kStartupRoute, [&](MsgContext& ctx) {
    int rc = 1;
    script.runNamed(kStartupRoute, "", ctx, &rc);
    SL_INFO("startup_route returned %d", rc);
    return rc;
  });
}

TimerSpec scriptTimerRoutes(ScriptReloader& reloader) {
  TimerSpec t;
  t.name = "timer_route";
  t.interval_ms = 200;  // the finest timer_route interval is a second
  auto due = std::make_shared<std::map<std::string, std::int64_t>>();
  t.fn = [&reloader, due] {
    const Script* script = reloader.current();
    if (script == nullptr) return;
    std::int64_t now = monotonicMs();
    std::map<std::string, std::int64_t> next;
    for (const Script::TimerRoute& r : script->timerRoutes()) {
      auto it = due->find(r.name);
      // A new route (at start or after a reload) first runs one interval from now.
      std::int64_t at = it != due->end() ? it->second : now + r.interval_s * 1000;
      if (at <= now) {
        onPlaceholder(kTimerRoute, [&](MsgContext& ctx) {
          int rc = 1;
          script->runNamed(kTimerRoute, r.name, ctx, &rc);
          return rc;
        });
        at = now + r.interval_s * 1000;
      }
      next[r.name] = at;
    }
    *due = std::move(next);
  };
  return t;
}

}  // namespace sipline
