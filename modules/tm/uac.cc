// Requests the server originates (the Api of api.h): a local transaction with branch 0 only,
// built here, passed through local_route, then sent by the same branch code as a relayed
// request (fork.cc), so resolution, retransmission, timeouts and failover are shared.
#include <cstdio>
#include <random>

#include "core/base/clock.h"
#include "core/base/hash.h"
#include "core/base/log.h"
#include "core/script/script.h"
#include "core/server/script_reload.h"
#include "modules/tm/engine.h"

namespace sipline::tm {
namespace {

std::string randomHex() {
  static std::mt19937_64 rng{std::random_device{}()};
  char buf[20];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

}  // namespace

std::uint16_t Engine::registerCallback(LocalCallback cb) {
  callbacks_.push_back(cb);
  return static_cast<std::uint16_t>(callbacks_.size() - 1);
}

void Engine::completeLocalLocked(Transaction& t, int code, std::string_view reason,
                                 std::string_view message, bool local) {
  if (t.status >= 200) return;  // reported already
  t.status = static_cast<std::int16_t>(code);
  t.sstate = ServerState::kTerminated;
  armServerLocked(t);
  std::uint16_t id = t.completion.callback;
  if (id == 0 || id >= callbacks_.size() || callbacks_[id] == nullptr) return;
  LocalReply reply{code, std::string(reason), std::string(message), local};
  try {
    callbacks_[id](reply, t.completion.param);
  } catch (...) {
    SL_ERR("tm: a local transaction callback threw; ignored");
  }
}

Status Engine::send(const LocalRequest& request, std::uint16_t callback, std::uint64_t param) {
  if (table_ == nullptr) return Status::failedPrecondition("tm is not initialised");
  if (request.method.empty() || request.ruri.empty()) {
    return Status::invalidArgument("a local request needs a method and a request-URI");
  }
  const std::vector<Listener>& all = listeners().all();
  const Listener* socket =
      request.socket != nullptr ? request.socket : (all.empty() ? nullptr : &all.front());
  if (socket == nullptr) return Status::unavailable("no socket to send from");
  std::string call_id =
      request.call_id.empty() ? randomHex() + "@" + socket->via_host : request.call_id;
  std::string text;
  text.reserve(512 + request.headers.size() + request.body.size());
  text += request.method + " " + request.ruri + " SIP/2.0\r\n";
  text += "Max-Forwards: 70\r\n";
  text += "From: " +
          (request.from.empty() ? "<sip:sipline@" + socket->via_host + ">;tag=" + randomHex()
                                : request.from) +
          "\r\n";
  text += "To: " + (request.to.empty() ? "<" + request.ruri + ">" : request.to) + "\r\n";
  text += "Call-ID: " + call_id + "\r\n";
  text += "CSeq: " + std::to_string(request.cseq) + " " + request.method + "\r\n";
  text += request.headers;
  if (!request.body.empty() && !request.content_type.empty()) {
    text += "Content-Type: " + request.content_type + "\r\n";
  }
  text += "Content-Length: " + std::to_string(request.body.size()) + "\r\n\r\n";
  text += request.body;

  // The parser wants a Via: a placeholder that the branch code replaces with ours.
  std::string with_via = text;
  std::size_t eol = with_via.find("\r\n");
  with_via.insert(eol + 2, "Via: SIP/2.0/UDP " + socket->via_host + ";branch=z9hG4bKlocal\r\n");
  SipMessage msg;
  if (msg.parse(with_via) != ParseError::kOk) {
    return Status::invalidArgument("the local " + request.method + " does not parse");
  }
  ReceiveInfo rcv{socket, socket->addr, socket->proto};
  MsgContext ctx(msg, rcv, kLocalRoute);
  ctx.send_socket = request.socket;
  ctx.maxfwd_processed = true;
  if (!request.dst.empty()) ctx.dst_uri = request.dst;
  if (ScriptReloader* r = scriptReloader();
      r != nullptr && r->current() != nullptr && r->current()->hasRoute(kLocalRoute)) {
    int rc = 1;
    r->current()->runNamed(kLocalRoute, "", ctx, &rc);
    if (ctx.dropped) {
      return Status::failedPrecondition("local_route dropped the local " + request.method);
    }
  }
  std::string base;
  if (!msg.build(base)) return Status::internal("local request: conflicting edits");

  Result<Transaction*> made = table_->createLocal(fnv1a({call_id}));
  if (!made.isOk()) {
    stats_.no_memory.inc();
    return made.status();
  }
  Transaction& t = *made.value();
  stats_.inuse.inc();
  stats_.local_uac.inc();
  bool sent = false;
  {
    TxnLock lock(*this, t);
    std::int64_t now = monotonicMs();
    t.method = methodFromName(request.method);
    t.created_ms = now;
    t.fr_ms = cfg_.fr_ms;
    t.fr_inv_ms = cfg_.fr_inv_ms;
    t.lifetime_at = now + (t.method == Method::kInvite ? cfg_.max_inv_lifetime_ms
                                                       : cfg_.max_noninv_lifetime_ms);
    t.timer.owner = &t;
    t.timer.tag = kServerTimer;
    t.completion = LocalCompletion{callback, param};
    Branch b0;
    b0.uri = std::string(ctx.ruri());
    b0.dst_uri = ctx.dst_uri;
    Status st = shm::guardAlloc("local request",
                                [&] { sent = addBranchLocked(t, ctx, base, b0, ctx.send_socket); });
    if (!st.isOk()) stats_.no_memory.inc();
    if (!sent) {
      t.sstate = ServerState::kTerminated;  // nothing went out: no report, freed by the timer
      t.status = 500;
    }
    armServerLocked(t);
  }
  table_->unref(&t);
  if (!sent) return Status::unavailable("no destination for the local " + request.method);
  return Status::ok();
}

}  // namespace sipline::tm
