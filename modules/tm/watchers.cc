// Modules following transactions (TsxWatcher, api.h): dialog tracks INVITE replies, acc turns
// final replies into records. What a watcher keeps with a transaction lives in the
// transaction's shm `watch` string, so the reply that ends it may arrive in any process.
#include <cstring>

#include "core/base/log.h"
#include "modules/tm/engine.h"
#include "modules/tm/tsx_util.h"

namespace sipline::tm {
namespace {

// "SIP/2.0 180 Ringing\r\n..." -> "Ringing".
std::string_view reasonOf(std::string_view wire) {
  std::size_t eol = wire.find('\r');
  std::string_view first = wire.substr(0, eol);
  std::size_t sp1 = first.find(' ');
  if (sp1 == std::string_view::npos) return {};
  std::size_t sp2 = first.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return {};
  return first.substr(sp2 + 1);
}

// The records of Transaction::watch: [id: 1 byte][length: 4 bytes, host order][data].
void appendRecord(std::string& out, std::uint8_t id, std::string_view data) {
  auto len = static_cast<std::uint32_t>(data.size());
  char head[5];
  head[0] = static_cast<char>(id);
  std::memcpy(head + 1, &len, sizeof(len));
  out.append(head, sizeof(head));
  out.append(data);
}

template <class Fn>
void forEachRecord(std::string_view all, Fn fn) {
  std::size_t at = 0;
  while (at + 5 <= all.size()) {
    auto id = static_cast<std::uint8_t>(all[at]);
    std::uint32_t len = 0;
    std::memcpy(&len, all.data() + at + 1, sizeof(len));
    if (at + 5 + len > all.size()) return;
    fn(id, all.substr(at + 5, len));
    at += 5 + len;
  }
}

}  // namespace

std::uint8_t Engine::registerWatcher(TsxWatcher* watcher, bool every_transaction) {
  if (watcher == nullptr || watchers_.size() > kMaxWatchers) return 0;
  watchers_.push_back(watcher);
  auto id = static_cast<std::uint8_t>(watchers_.size() - 1);
  if (every_transaction) every_mask_ |= 1u << id;
  return id;
}

Status Engine::watch(MsgContext& ctx, std::uint8_t watcher) {
  if (watcher == 0 || watcher >= watchers_.size()) {
    return Status::invalidArgument("no such transaction watcher");
  }
  std::uint32_t bit = 1u << watcher;
  Transaction* t = current(ctx);
  if (ctx.routeType() == kBranchRoute) {
    // A branch_route runs inside t_relay() (of the request route or of a failure_route),
    // with this process holding the transaction's lock (held_): the watcher attaches now, to
    // the whole transaction, as no later step of this branch's short-lived context would.
    // Only this watcher: the every-transaction ones were asked by t_relay() already.
    if (t == nullptr || held_ != t) {
      return Status::failedPrecondition("no transaction is relaying this branch");
    }
    ctx.tm.watch_pending |= bit;
    ctx.tm.watch_attached = (ctx.tm.watch_attached | every_mask_) & ~bit;
    attachWatchersLocked(*t, ctx);
    return Status::ok();
  }
  // Relayed or answered already (do_accounting() after t_relay(), or in failure_route): the
  // watcher attaches now, or attaches again to replace what it keeps (more modes).
  bool handled = t != nullptr &&
                 (ctx.relayed || ctx.replied || t->status != 0 || ctx.routeType() == kFailureRoute);
  ctx.tm.watch_pending |= bit;
  ctx.tm.watch_attached &= ~bit;
  if (!handled) return Status::ok();
  TxnLock lock(*this, *t);
  attachWatchersLocked(*t, ctx);
  return Status::ok();
}

void Engine::attachWatchersLocked(Transaction& t, MsgContext& ctx) {
  // One watcher at a time, lowest id first, until none is left: an attach() may ask for
  // another watcher (acc's cdr_flag creates the dialog, which follows the transaction too).
  // Every round marks one watcher attached in ctx, so this ends.
  while (true) {
    std::uint32_t want = (ctx.tm.watch_pending | every_mask_) & ~ctx.tm.watch_attached;
    want &= ((watchers_.size() >= 32 ? 0u : 1u << watchers_.size()) - 1u) & ~1u;
    if (want == 0) break;
    auto id = static_cast<std::uint8_t>(__builtin_ctz(want));
    std::uint32_t bit = 1u << id;
    ctx.tm.watch_attached |= bit;
    // An every-transaction watcher already attached by an earlier route of this transaction
    // is not asked again unless the script asked for it (watch()).
    bool again = (t.watch_mask & bit) != 0;
    if (again && (ctx.tm.watch_pending & bit) == 0) continue;
    std::optional<std::string> data;
    try {
      if (again) {
        std::string kept;
        forEachRecord(view(t.watch), [&](std::uint8_t rid, std::string_view d) {
          if (rid == id) kept.assign(d);
        });
        data = watchers_[id]->reattach(ctx, kept);
      } else {
        data = watchers_[id]->attach(ctx);
      }
    } catch (...) {
      SL_ERR("tm: a transaction watcher threw in attach(); ignored");
    }
    if (!data) continue;  // declined (a second time: what it kept stays)
    Status st = shm::guardAlloc("transaction watcher", [&] { setWatchDataLocked(t, id, *data); });
    if (!st.isOk()) {
      stats_.no_memory.inc();
      SL_ERR_RATELIMITED("tm: %s; Call-ID %.*s is not followed by every module",
                         st.message().c_str(), SL_SV(ctx.msg().callId()));
      continue;
    }
    t.watch_mask |= bit;
  }
  ctx.tm.watch_pending &= ~ctx.tm.watch_attached;
}

void Engine::setWatchDataLocked(Transaction& t, std::uint8_t id, std::string_view data) {
  std::string out;
  forEachRecord(view(t.watch), [&](std::uint8_t rid, std::string_view d) {
    if (rid != id) appendRecord(out, rid, d);
  });
  appendRecord(out, id, data);
  assign(t.watch, out);
}

void Engine::notifyWatchersLocked(Transaction& t, int code, std::string_view wire, bool local,
                                  bool repeat) {
  if (t.watch_mask == 0) return;
  TsxEvent ev;
  ev.code = code;
  ev.reason = reasonOf(wire);
  ev.reply = wire;
  ev.method = t.method;
  ev.local = local;
  ev.first_final = code >= 200 && !t.final_reported;
  ev.repeat = repeat;
  ev.canceled = t.canceled;
  if (code >= 200) t.final_reported = true;
  // A watcher may not touch this transaction, so the records stay put while we walk them.
  forEachRecord(view(t.watch), [&](std::uint8_t id, std::string_view data) {
    if (id == 0 || id >= watchers_.size()) return;
    ev.data = data;
    try {
      watchers_[id]->onReply(ev);
    } catch (...) {
      SL_ERR("tm: a transaction watcher threw in onReply(); ignored");
    }
  });
}

}  // namespace sipline::tm
