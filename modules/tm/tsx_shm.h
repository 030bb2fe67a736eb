// The transaction as it lives in shared memory: one Transaction per server transaction (a
// request the proxy handles statefully; RFC 3261 §17.2) with up to kMaxBranches client
// branches (§17.1), or a local transaction the server originated (UAC API) with branch 0
// only. Everything here is shm-safe: values, shm::String, offset_ptr, lock-free atomics.
//
// Lifetime and locking: a Transaction sits in one bucket of the table (bucket lock guards the
// chain and `refs`). Holders take a reference under the bucket lock, then the transaction's
// own mutex for every field below. The timer process is the only one that frees, and only a
// transaction whose server and client sides are all terminated and whose refs is 0. The
// mutex is held across the failure_route of this transaction (as OpenSIPS's reply lock), so a
// transaction's script runs see a consistent state; never across another transaction's lock.
#pragma once

#include <atomic>
#include <boost/interprocess/offset_ptr.hpp>
#include <cstdint>

#include "core/parser/method.h"
#include "core/shm/segment.h"
#include "core/timer/timer_wheel.h"
#include "core/transport/sock_addr.h"

namespace sipline::tm {

inline constexpr int kMaxBranches = 12;  // as MsgContext::kMaxBranches
inline constexpr int kMaxTargets = 4;    // RFC 3263 targets kept per branch for failover

// RFC 3261 §17.2.1/§17.2.2 (+ RFC 6026 Accepted for INVITE after a 2xx).
enum class ServerState : std::uint8_t {
  kTrying,      // no reply sent yet (non-INVITE) / INVITE before 100
  kProceeding,  // a provisional was sent
  kCompleted,   // a final was sent (INVITE: non-2xx, waiting for the ACK; non-INVITE: any)
  kConfirmed,   // INVITE: the ACK arrived (timer I)
  kAccepted,    // INVITE: a 2xx was sent (RFC 6026); further 2xx are relayed
  kTerminated,
};

// RFC 3261 §17.1.1/§17.1.2 (+ RFC 6026 Accepted for INVITE after a 2xx).
enum class ClientState : std::uint8_t {
  kCalling,     // sent, nothing received (timer A/E retransmits)
  kProceeding,  // a provisional arrived
  kCompleted,   // a final arrived (timer D/K absorbs its retransmissions)
  kAccepted,    // INVITE: a 2xx arrived
  kTerminated,
};

// Timer tags: 0 is the server side (and deletion); 1 + i is branch i.
inline constexpr std::uint16_t kServerTimer = 0;

struct ClientBranch {
  explicit ClientBranch(shm::SegmentManager* sm)
      : request(sm), reply(sm), cancel(sm), on_reply(sm), tls_name(sm) {}

  timer::TimerLink timer;
  shm::String request;   // the bytes sent: retransmitted, and the source of CANCEL and ACK
  shm::String reply;     // the final reply received, kept for the best-reply choice (§16.7)
  shm::String cancel;    // the CANCEL sent on this branch (retransmitted like a request)
  shm::String on_reply;  // onreply_route[name] armed by its branch_route (else the one of t)
  shm::String tls_name;  // TLS: the name the peer's certificate must carry ("" = its address)
  PackedAddr dst;
  PackedAddr targets[kMaxTargets];  // the rest of the RFC 3263 list, for failover
  std::uint8_t ntargets = 0;
  std::uint8_t next_target = 0;
  std::int16_t listener = -1;  // index in listeners().all()
  ClientState state = ClientState::kCalling;
  std::int16_t code = 0;        // best code received (or generated locally: 408, 503)
  bool local_reply = false;     // `code` was generated here (timeout, send failure)
  bool send_failed = false;     // the request to dst could not be sent: ends as a local 503
  bool cancel_pending = false;  // CANCEL asked before a provisional arrived (§9.1)
  bool cancel_done = false;     // the CANCEL was answered or given up
  std::uint32_t bflags = 0;
  std::int64_t retr_at = 0;  // next retransmission (timers A/E); 0: none
  std::int64_t retr_interval = 0;
  std::int64_t fr_at = 0;    // final-response deadline (timers B/F, fr_(inv_)timeout)
  std::int64_t wait_at = 0;  // end of Completed (timers D/K)
  std::int64_t cancel_retr_at = 0;
  std::int64_t cancel_retr_interval = 0;
  std::int64_t cancel_until = 0;
};

// What a local (UAC API) transaction reports when it completes; process-private callback
// registered before fork, referred to by its index.
struct LocalCompletion {
  std::uint16_t callback = 0;  // 0: none
  std::uint64_t param = 0;
};

struct Transaction {
  explicit Transaction(shm::SegmentManager* sm)
      : key(sm),
        request(sm),
        last_reply(sm),
        to_tag(sm),
        on_failure(sm),
        on_reply(sm),
        on_branch(sm),
        rr_params(sm),
        rr_preset(sm),
        reply_headers(sm),
        avps(sm),
        watch(sm) {}

  // Bucket chain (guarded by the bucket lock).
  boost::interprocess::offset_ptr<Transaction> next;
  boost::interprocess::offset_ptr<Transaction> prev;
  std::atomic<std::int32_t> refs{0};
  std::uint32_t bucket = 0;
  std::uint32_t label = 0;  // unique in its bucket; part of our Via branches

  shm::Mutex mutex;
  timer::TimerLink timer;  // server side: G/H/I/J, lifetime, deletion

  // Identity (RFC 3261 §17.2.3): key = branch + sent-by for RFC 3261 clients; the RFC 2543
  // fallback key is Call-ID, CSeq number, From tag, To tag (not for INVITE, ACK and CANCEL),
  // request-URI and top Via.
  shm::String key;
  bool rfc3261 = true;
  Method method = Method::kOther;  // fixed at creation: TsxTable counts server ones by it
  bool local = false;              // originated here (UAC API): no server side

  // Server side.
  shm::String request;        // the request as received plus the script's edits (no Via of ours)
  shm::String last_reply;     // the last reply sent upstream (resent on retransmissions)
  shm::String to_tag;         // our To tag in replies generated here
  PackedAddr src;             // where the request came from
  PackedAddr reply_dst;       // where replies go (RFC 3261 §18.2.2 / RFC 3581)
  PackedAddr reply_fallback;  // TCP/TLS: where they go once that connection has closed
  std::int16_t in_listener = -1;
  bool force_rport = false;  // force_rport() or a stream: local replies' Via get rport=
  ServerState sstate = ServerState::kTrying;
  std::int16_t status = 0;     // last reply code sent upstream
  bool local_replied = false;  // the last final was generated here
  bool canceled = false;       // a CANCEL matched it
  bool in_failure = false;     // failure_route is running
  bool final_pending = false;  // every branch ended: the best reply is being chosen
  bool reaping = false;        // timer process only: queued to be freed after this tick
  std::int64_t retr_at = 0;    // timer G
  std::int64_t retr_interval = 0;
  std::int64_t wait_at = 0;      // timers H, I, J, and the Accepted wait
  std::int64_t lifetime_at = 0;  // max lifetime
  std::int64_t created_ms = 0;

  // What the script armed.
  shm::String on_failure;
  shm::String on_reply;
  shm::String on_branch;
  std::int64_t fr_ms = 0;
  std::int64_t fr_inv_ms = 0;
  std::uint32_t msg_flags = 0;  // the request's flags (as the last t_relay saw them)
  bool record_route = false;
  shm::String rr_params;
  shm::String rr_preset;
  shm::String reply_headers;  // append_to_reply(): on every reply made here but the first 100
  shm::String avps;  // the script's $avp values (AvpStore::serialize), back in failure_route

  LocalCompletion completion;

  // Watchers following this transaction (TsxWatcher in api.h): records of [id: 1 byte]
  // [length: 4 bytes, host order][data], in the order they attached.
  shm::String watch;
  std::uint32_t watch_mask = 0;  // ids attached (bit = id)
  bool final_reported = false;   // a final reply went to the watchers already

  std::uint8_t nbranches = 0;
  // The first branch of the relay round the next failure_route judges: branches before it
  // were judged by an earlier failure_route (uac_redirect reads only this round's replies).
  std::uint8_t round_start = 0;
  boost::interprocess::offset_ptr<ClientBranch> branches[kMaxBranches];
};

static_assert(std::atomic<std::int32_t>::is_always_lock_free);
static_assert(std::is_trivially_copyable_v<PackedAddr>);

}  // namespace sipline::tm
