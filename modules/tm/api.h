// The tm service other modules use ("tm", Services): requests the server originates itself
// (BYE when a dialog times out, NAT keepalive OPTIONS, gateway probes) sent through a local
// transaction: timers, retransmissions, RFC 3263 resolution and failover as for relayed
// requests, local_route run on the request before it leaves, and the final reply (or a
// timeout as 408) delivered once to a callback, in whichever process it arrives.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/parser/method.h"
#include "core/transport/listener.h"

namespace sipline {
class MsgContext;
}

namespace sipline::tm {

struct LocalRequest {
  std::string method;   // "OPTIONS", "BYE", ...
  std::string ruri;     // request-URI
  std::string dst;      // next hop (URI or host[:port]); "" = the request-URI
  std::string from;     // From value with its tag; "" = sip:sipline@<socket>;tag=<random>
  std::string to;       // To value (with the tag for an in-dialog request); "" = ruri
  std::string call_id;  // "" = generated
  std::uint32_t cseq = 1;
  std::string headers;       // extra header lines, each ending in CRLF (Route, Contact, ...)
  std::string content_type;  // with a body
  std::string body;
  const Listener* socket = nullptr;  // nullptr: chosen by destination
};

struct LocalReply {
  int code = 0;  // the final code; 408 when nothing answered in time
  std::string reason;
  std::string message;  // the reply as received ("" when generated here)
  bool local = false;   // generated here (timeout, unreachable)
};

// Runs in the process where the final reply arrives (a worker or the timer process): keep it
// short and never block.
using LocalCallback = void (*)(const LocalReply& reply, std::uint64_t param);

// A reply sent upstream on a transaction a watcher follows (see TsxWatcher).
struct TsxEvent {
  int code = 0;
  std::string_view reason;
  std::string_view reply;  // the reply as sent upstream; "" when it could not be built
  Method method = Method::kOther;
  bool local = false;        // generated here: t_reply(), 100, 408, 487, 500
  bool first_final = false;  // the first final reply of the transaction (later ones: more 2xx)
  bool canceled = false;     // a CANCEL matched the transaction
  std::string_view data;     // what the watcher's attach() returned for this transaction
  bool repeat = false;       // a 2xx its branch relayed before (a retransmission)
};

// A module that follows transactions (dialog, acc). Registered before fork; its methods run in
// whichever process handles the transaction, under the transaction's lock: keep them short,
// never block, never call into tm for the same transaction.
class TsxWatcher {
 public:
  virtual ~TsxWatcher() = default;
  // The transaction of ctx's request is relaying (t_relay) or replying (t_reply) for the first
  // time; the script's edits are in ctx. Returns what to keep with the transaction (handed back
  // in every event), or nullopt to follow no further.
  virtual std::optional<std::string> attach(MsgContext& ctx) = 0;
  // Asked again for a transaction it follows already (watch() after t_relay() or in
  // failure_route): `kept` is what it keeps now; the result replaces it, nullopt leaves it.
  virtual std::optional<std::string> reattach(MsgContext& ctx, std::string_view /*kept*/) {
    return attach(ctx);
  }
  // Every reply sent upstream: provisional and final, relayed or generated here.
  virtual void onReply(const TsxEvent& event) = 0;
};

// A final reply a branch received (failedBranchReplies()).
struct BranchReply {
  int code = 0;
  std::string message;  // the reply as received
};

class Api {
 public:
  virtual ~Api() = default;
  // Before fork (describe() or init()): makes `cb` known in every process; returns its id.
  virtual std::uint16_t registerCallback(LocalCallback cb) = 0;
  // After fork, any process. kFailedPrecondition when local_route dropped it, kUnavailable
  // when no destination works, kNoMemory when shm is full. callback 0: no report.
  virtual Status send(const LocalRequest& request, std::uint16_t callback, std::uint64_t param) = 0;

  // Before fork (init()): returns the watcher's id (1..kMaxWatchers), 0 when all are taken.
  // every_transaction: attach() is asked for every transaction the script makes (flag-based
  // accounting); otherwise only for requests watch() was called for.
  virtual std::uint8_t registerWatcher(TsxWatcher* watcher, bool every_transaction) = 0;
  // Request route (or failure_route): follow the transaction of ctx's request. attach() runs
  // when the request is relayed or answered through tm, at once if that happened already.
  // branch_route: attach() runs at once with the branch's context, and the watcher follows
  // the whole transaction (its events are the transaction's, not the branch's: one failed
  // branch of a parallel fork sends no final upstream). Safe there: the lock t_relay() holds
  // is this process's, and is not taken again.
  virtual Status watch(MsgContext& ctx, std::uint8_t watcher) = 0;

  // failure_route only: the final replies received on the branches of the round that just
  // failed (the branches relayed by the request route, or by the previous failure_route), in
  // branch order; replies generated here (timeouts, send failures) are left out. Empty
  // outside a failure_route or without a transaction.
  virtual std::vector<BranchReply> failedBranchReplies(MsgContext& /*ctx*/) { return {}; }
};

inline constexpr std::uint8_t kMaxWatchers = 8;

}  // namespace sipline::tm
