// Media relay sets, shared by the rtpengine and rtpproxy modules: the socket parameter
// ("udp:127.0.0.1:2223", "udp:[::1]:2223=2", numbered sets "1 == udp:A udp:B=2; 2 == udp:C"),
// the relays' health state, the weighted choice of a relay for a call and the UDP control
// client that talks to one.
//
// Ownership and processes:
// - parseRelaySockets() and RelaySets::configure() run in the master while modparams are
//   applied; the parsed list is private memory inherited by every child through fork.
// - RelaySets::init() constructs the health state in the shm segment (master, before fork), so
//   every worker agrees which relay is down. The state is lock-free atomics, one slot per relay.
//   The same shm object holds the sticky table (which relay holds which call, under a robust
//   mutex), so every worker sends a call's commands to the relay that took its offer.
// - RelayClient is per process (its sockets are opened lazily after fork); never share one.
// Times are monotonic milliseconds (core/base/clock.h), passed in so tests use a fake clock.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/clock.h"
#include "core/base/status.h"
#include "core/shm/robust_mutex.h"
#include "core/transport/sock_addr.h"

namespace sipline::shm {
class Segment;
}

namespace sipline::media {

inline constexpr std::size_t kMaxRelays = 64;
inline constexpr unsigned kMaxWeight = 1000;

struct RelaySpec {
  std::string url;  // as configured, without the weight: "udp:127.0.0.1:2223"
  SockAddr addr;
  unsigned weight = 1;
};

struct RelaySetSpec {
  unsigned id = 0;
  std::vector<RelaySpec> relays;
};

// Parses the socket parameter. A list without "N ==" is set 0. Hosts are numeric (no DNS at
// load time). Errors name the offending token and say why.
Result<std::vector<RelaySetSpec>> parseRelaySockets(std::string_view text);

// One relay's health slot in shm (trivially copyable atomics, lock-free).
struct RelayHealth {
  std::atomic<std::int64_t> down_until_ms{0};    // 0: up; else down until then (monotonic)
  std::atomic<std::uint32_t> admin_disabled{0};  // set by MI; only MI clears it
  static_assert(std::atomic<std::int64_t>::is_always_lock_free);
  static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
};

// Sticky relays: which relay took a call's offer, keyed by a 64-bit hash of the Call-ID (0
// marks a free slot). Set-associative: a Call-ID maps to one bucket of kStickyWays slots; a
// full bucket evicts its entry that expires first. Guarded by one robust mutex (a crashed
// holder leaves at most one half-written entry: one call may fall back to pick()).
inline constexpr std::size_t kStickyWays = 8;
inline constexpr std::size_t kStickyBuckets = 4096;  // 32768 calls
inline constexpr int kDefaultStickyTtlS = 4 * 3600;

// Marks a module keeps with a remembered call (RelaySets::callFlags / updateCallFlags).
inline constexpr std::uint32_t kCallAnswered = 1;    // a 2xx to the initial INVITE went through
inline constexpr std::uint32_t kCallDeleted = 2;     // the script deleted the whole call already
inline constexpr std::uint32_t kCallLateOffer = 4;   // an INVITE without SDP: the reply offers
inline constexpr std::uint32_t kCallTsxWatched = 8;  // tm deletes it if its INVITE fails
// Offered in a branch_route: a transaction's call (maybe forked) that tm does not follow.
inline constexpr std::uint32_t kCallBranchOffer = 16;
// A deleted call's entry is kept this long (not refreshed), so late teardowns see the mark.
inline constexpr std::int64_t kStickyDeletedTtlMs = 60000;

struct StickyEntry {
  std::uint64_t key = 0;
  std::int64_t expires_ms = 0;
  std::int32_t relay = -1;
  std::uint32_t flags = 0;
};

struct StickyTable {
  shm::RobustMutex lock;
  StickyEntry entries[kStickyBuckets * kStickyWays];
};

struct RelayHealthTable {
  RelayHealth relays[kMaxRelays];
  StickyTable sticky;
};

struct RelayInfo {
  unsigned set = 0;
  RelaySpec spec;
};

struct RelayStatus {
  bool up = true;
  bool admin_disabled = false;
  std::int64_t down_for_ms = 0;  // remaining automatic disable time, 0 when up
};

class RelaySets {
 public:
  // Master, while params are applied: parses and keeps the relay list (replaces any earlier).
  Status configure(std::string_view socket_param);
  // Seconds a relay stays disabled after a failure before it is tried again (and before the
  // health check re-enables it at the latest). Default 60.
  void setDisableTimeout(int seconds) { disable_ms_ = static_cast<std::int64_t>(seconds) * 1000; }
  // Seconds a remembered call's relay is kept after its last use (see relayOf). Default 4 h.
  void setStickyTtl(int seconds) { sticky_ttl_ms_ = static_cast<std::int64_t>(seconds) * 1000; }
  // Master, before fork: constructs the health table named `shm_name` in the segment.
  Status init(shm::Segment& segment, const char* shm_name);
  // Tests: the health table in this object's private memory (one process only).
  void initPrivateForTest();

  bool configured() const { return !relays_.empty(); }
  std::size_t relayCount() const { return relays_.size(); }
  const RelayInfo& relay(std::size_t index) const { return relays_[index]; }
  bool hasSet(unsigned set) const;
  // Index of the relay whose url (or "set:url") is `name`; nullopt if none.
  std::optional<std::size_t> find(std::string_view name) const;

  // Weighted choice among the set's usable relays, deterministic for the same key (the
  // Call-ID) while the relays' health stays the same (after a failover and a recovery it is
  // not: see relayOf/pickFor for commands on an existing call). Uses rendezvous hashing: a
  // relay going down moves only its own calls. Relays flagged in `exclude` (indexed
  // like relay()) are skipped. nullopt: unknown set or no usable relay left.
  std::optional<std::size_t> pick(unsigned set, std::string_view key,
                                  const std::vector<bool>* exclude = nullptr,
                                  std::int64_t now_ms = monotonicMs()) const;

  // The relay a call's offer went to, remembered in shm for the sticky TTL (refreshed by
  // relayOf and remember), so answer, delete and teardown reach the relay that holds the call
  // even after a failover and a recovery. Bounded table (the entry expiring first in a full
  // bucket is evicted; an evicted call falls back to pick()). Without a health table (before
  // init) nothing is remembered. Any process after init.
  // relayOf: the remembered relay index, -1 when unknown or expired.
  int relayOf(std::string_view call_id, std::int64_t now_ms = monotonicMs()) const;
  // Remembers (or moves) the call to `relay`, keeping its flags but kCallDeleted; ignored for
  // an index out of range.
  void remember(std::string_view call_id, int relay, std::int64_t now_ms = monotonicMs());
  void forget(std::string_view call_id);
  // The call's kCall* marks; 0 when it is unknown.
  std::uint32_t callFlags(std::string_view call_id, std::int64_t now_ms = monotonicMs()) const;
  // Sets, then clears, marks of a remembered call; false when the call is unknown. Setting
  // kCallDeleted shortens the entry's life to kStickyDeletedTtlMs (no more refreshes).
  bool updateCallFlags(std::string_view call_id, std::uint32_t set, std::uint32_t clear = 0,
                       std::int64_t now_ms = monotonicMs());
  // The relay for a command on an existing call: the remembered relay when it is in `set`,
  // usable and not excluded, else pick(set, call_id, exclude). RelayClient::request uses this.
  std::optional<std::size_t> pickFor(unsigned set, std::string_view call_id,
                                     const std::vector<bool>* exclude = nullptr,
                                     std::int64_t now_ms = monotonicMs()) const;
  // Where a teardown delete goes (never waits): the remembered relay when it is in `set`
  // (whatever its health: the call lives there), else every relay of the set.
  std::vector<std::size_t> teardownTargets(unsigned set, std::string_view call_id,
                                           std::int64_t now_ms = monotonicMs()) const;

  // Disables a relay for the disable timeout (a request to it timed out).
  void markDown(std::size_t relay, std::int64_t now_ms = monotonicMs());
  void markUp(std::size_t relay);
  // MI: an administratively disabled relay is never picked nor re-enabled by the health check.
  void setAdminDisabled(std::size_t relay, bool disabled);
  bool isUsable(std::size_t relay, std::int64_t now_ms = monotonicMs()) const;
  RelayStatus status(std::size_t relay, std::int64_t now_ms = monotonicMs()) const;
  std::size_t downCount(std::int64_t now_ms = monotonicMs()) const;

  // The module's timer calls this: every automatically disabled relay is probed (probe returns
  // true when the relay answered); answering relays are re-enabled, others stay down for
  // another disable timeout. Returns how many were re-enabled.
  using Probe = std::function<bool(std::size_t relay)>;
  std::size_t healthCheck(const Probe& probe, std::int64_t now_ms = monotonicMs());

 private:
  RelayHealth& health(std::size_t i) const { return table_->relays[i]; }

  std::vector<RelayInfo> relays_;
  std::int64_t disable_ms_ = 60000;
  std::int64_t sticky_ttl_ms_ = static_cast<std::int64_t>(kDefaultStickyTtlS) * 1000;
  RelayHealthTable* table_ = nullptr;  // shm (or private_ in tests)
  std::unique_ptr<RelayHealthTable> private_;
};

struct RelayClientOptions {
  int timeout_ms = 1000;  // per attempt
  int retries = 2;        // retransmissions after the first attempt
};

// True for an exchange() failure that is the command's fault (too large for a datagram): no
// other relay would take it, and the relay must not be marked down for it.
bool isCommandError(const Status& status);

// The per-process control client. Each request goes out as "<cookie> <payload>" with a fresh
// random cookie; only a datagram from the relay's address starting with that cookie is the
// reply, anything else (a late reply to an earlier request) is dropped. An exchange with one
// relay never blocks longer than timeout_ms * (retries + 1); request() tries each relay of
// the set at most once, and relays already marked down not at all.
class RelayClient {
 public:
  RelayClient(RelaySets& sets, RelayClientOptions options) : sets_(sets), options_(options) {}
  ~RelayClient();
  RelayClient(const RelayClient&) = delete;
  RelayClient& operator=(const RelayClient&) = delete;

  struct Reply {
    std::size_t relay = 0;
    std::string body;        // the reply without its cookie
    unsigned failovers = 0;  // relays that timed out (and were marked down) before this one
  };

  // One request to one relay: kUnavailable on timeout (the relay is not marked down here),
  // kIoError when the socket fails, kInvalidArgument when the command does not fit one UDP
  // datagram (the command's fault, not the relay's: see isCommandError).
  Result<std::string> exchange(std::size_t relay, std::string_view payload);

  // Sends one request to one relay without waiting (callers that must not block, such as tm
  // and dialog watchers); its reply is dropped later as stale. kIoError when sending fails,
  // kInvalidArgument for a command too large for one datagram.
  Status post(std::size_t relay, std::string_view payload);

  // True for a reply by which the relay refuses the command for lack of capacity (see
  // request()).
  using Refusal = std::function<bool(std::string_view reply)>;

  // Picks a relay of `set` for `key` (the Call-ID; RelaySets::pickFor, so a remembered relay
  // comes first); on timeout marks it down and fails over to the next relay of the set. With
  // `refused` given, a reply it says is a refusal (a full relay) passes the command to the
  // next relay too, without marking the relay down; when every relay refuses, the last
  // refusal is returned (ok, the caller reads its reason). It
  // never remembers: the caller does, after a successful offer. kNotFound for an unknown set,
  // kUnavailable when no relay answered, kInvalidArgument (no relay tried further, none marked
  // down) for a command too large for one datagram. `failovers` (when given) receives the number of
  // relays that timed out before another relay answered: 0 when none answered (no relay
  // took the command over).
  Result<Reply> request(unsigned set, std::string_view key, std::string_view payload,
                        unsigned* failovers = nullptr, const Refusal& refused = nullptr);

 private:
  int socketFor(int family);
  std::string newCookie();

  RelaySets& sets_;
  RelayClientOptions options_;
  int fd4_ = -1;
  int fd6_ = -1;
  bool seeded_ = false;
  std::mt19937_64 rng_;
};

}  // namespace sipline::media
