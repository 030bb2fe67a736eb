// The dispatcher service: destination sets loaded from the dispatcher table or list_file,
// their state shared by every process (ds_shm.h), selection with failover candidates,
// marking, and OPTIONS probing through tm. What the script glue (dispatcher_module.cc,
// ds_script.h) and the MI (ds_mi.h) call; knows no script or MI types.
//
// Life cycle: init() (master, before fork) checks the parameters, loads the source (the DB on
// a connection it closes again) and makes the shared state. A DB that cannot be reached
// (kUnavailable) starts the server with no sets (loadPending()): the loader process
// (runLoader()) retries with a back-off until one load succeeds. Any other load error (bad
// list_file, wrong table version, missing column) refuses the start. Every load reads on a DB
// connection opened for it and closed after it. reload() swaps in a new list keeping the
// state of every destination that stays (same set and URI); a failure keeps the old list. Any
// process may select or mark; the timer process probes (tick()); the probe replies arrive in
// whichever process tm delivers them to and update the shared state.
//
// Process-private object (inherited through fork); the state lives in shm.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/db/db.h"
#include "core/shm/segment.h"
#include "core/stats/stats.h"
#include "core/transport/sock_addr.h"
#include "modules/dispatcher/ds_algo.h"
#include "modules/dispatcher/ds_dest.h"
#include "modules/dispatcher/ds_shm.h"
#include "modules/tm/api.h"

namespace sipline::dispatcher {

struct Config {
  std::string db_url;
  std::string table_name = "dispatcher";
  std::string list_file;
  std::string attrs_avp;  // "$avp(name)" or ""
  std::string hash_pvar;  // format hashed by algorithm 7
  std::int64_t ping_interval_s = 0;
  std::int64_t probing_threshold = 1;
  std::string ping_method = "OPTIONS";
  std::string ping_from;  // From URI of probes; "" = tm's default
  std::int64_t probing_mode = 0;
  std::string options_reply_codes;  // "501,403"
  std::int64_t db_connect_timeout_ms = 2000;
  std::int64_t db_query_timeout_ms = 2000;
};

struct Counters {
  StatCounter selects;        // ds_select_dst/ds_select_domain that chose a destination
  StatCounter failovers;      // ds_next_dst/ds_next_domain that chose one
  StatCounter probes_sent;    // probes handed to tm
  StatCounter probes_failed;  // probes answered with a code that does not count as alive
  StatCounter state_changes;  // any change of a destination's state
  StatCounter reloads;        // successful ds_reload
  StatCounter reload_errors;  // ds_reload that kept the old sets
  StatCounter active;         // gauges: destinations per state
  StatCounter probing;
  StatCounter inactive;
};

// A destination with its shared state, as ds_list shows it.
struct DestView {
  Destination dest;
  DsState state = DsState::kActive;
  std::uint32_t failures = 0;
};

using Loader = std::function<Result<std::vector<Destination>>()>;

// A probing destination's probe counts as lost (another may go) after this long without a
// reply: tm ends a non-INVITE transaction well before (timer F, 32 s by default).
inline constexpr std::int64_t kProbeLostMs = 64000;

class Service {
 public:
  Service();
  ~Service();

  Config& config() { return cfg_; }
  const Config& config() const { return cfg_; }
  Counters& counters() { return counters_; }

  // The parameters alone (one source, names, codes); for init() and tests.
  Status checkConfig();
  // Master, before fork: checkConfig, loads the sets, makes the shared state in `sm`, and
  // (with probing on and `tm` given) registers the probe callback.
  Status init(shm::SegmentManager* sm, tm::Api* tm);

  // Whether the start found the DB down and no load has succeeded since.
  bool loadPending() const;
  // One load attempt of the loader process: installs the sets and clears loadPending() on
  // success (notice logged); the error otherwise. ok without loading when nothing is pending.
  Status retryLoad();
  // The loader process's body: retries with core/db/load_retry.h's back-off (1 s doubling to
  // 30 s) while loadPending(), then idles until the stop.
  int runLoader();

  // Loads the source again and swaps the sets in; the old sets stay on error (counted).
  // Returns how many destinations are loaded.
  Result<std::size_t> reload();

  // This process's copy of the list, refreshed when another process reloaded.
  const DsList& list();

  // Candidates of set `setid` for alg with key (ds_algo.h), at most max_results; bumps the
  // set's round-robin counter for alg 4 (the key is then ignored). notFound for an unknown
  // set; an empty vector when no destination is usable.
  Result<std::vector<Destination>> select(std::int64_t setid, Alg alg, std::uint64_t key,
                                          std::size_t max_results);
  // The destination (setid, uri) of the current list, or nullptr.
  const Destination* find(std::int64_t setid, std::string_view uri);

  // Sets the state; failures reset. The URI matches in any case (as OpenSIPS). notFound when
  // there is no such destination. `why` is for
  // the notice log line ("MI", "script").
  Status setState(std::int64_t setid, std::string_view uri, DsState state, const char* why);
  // A failed request to (setid, uri) (ds_mark_dst("p")): one more failure; at
  // probing_threshold an active destination becomes probing.
  Status noteFailure(std::int64_t setid, std::string_view uri, const char* why);

  // Every destination with its state, set by set.
  std::vector<DestView> snapshot();

  // Whether addr (any port when port_any) is the address of a destination of setid (any set
  // when nullopt). Only destinations with a numeric host take part.
  bool isInList(const SockAddr& addr, bool port_any, std::optional<std::int64_t> setid);

  // Timer process: probes what is due at mono_ms.
  void tick(std::int64_t mono_ms);
  // A probe's final reply (tm callback; tests call it directly). param: probeParam().
  // local: made up here (a timeout, the destination unreachable): never alive, whatever
  // options_reply_codes lists.
  void onProbeReply(int code, std::uint64_t param, bool local = false);
  // Which slots the probe round at mono_ms goes to (ds_probing_mode), with their param.
  std::vector<std::pair<std::size_t, std::uint64_t>> probeTargetsForTest(std::int64_t mono_ms) {
    return probeTargets(mono_ms);
  }
  bool aliveCode(int code) const;

  void setLoaderForTest(Loader l) { loader_ = std::move(l); }
  DsShared* sharedForTest() { return shared_; }
  void setSenderForTest(std::function<Status(const tm::LocalRequest&, std::uint64_t)> s) {
    sender_ = std::move(s);
  }

 private:
  Result<std::vector<Destination>> loadFromDb(db::Connection& conn);
  Result<std::vector<Destination>> load();
  Status install(std::vector<Destination> dests);
  void installLocked(const DsList& fresh, const std::string& blob);
  // Replaces the private list with the parse of blob (generation gen).
  void adopt(std::uint64_t gen, std::string_view blob);
  bool refreshLocked();  // adopts the blob when stale; caller holds the mutex
  void refresh();        // the same, parsing outside the mutex
  // Runs f() under the mutex with the private list matching the shared generation.
  template <class F>
  auto locked(F&& f);
  // The slot of (setid, uri) in the current list, or -1; list() is fresh.
  long slotOf(std::int64_t setid, std::string_view uri);
  void recountLocked();
  std::vector<std::pair<std::size_t, std::uint64_t>> probeTargets(std::int64_t mono_ms);
  void sendProbe(std::size_t slot, std::uint64_t param);

  Config cfg_;
  Counters counters_;
  std::vector<int> extra_codes_;
  DsShared* shared_ = nullptr;
  DsList list_;
  std::uint64_t list_gen_ = ~0ULL;
  std::vector<std::optional<SockAddr>> addrs_;  // per slot, numeric hosts only
  Loader loader_;
  db::Options db_options_;
  tm::Api* tm_ = nullptr;
  std::uint16_t callback_ = 0;
  std::function<Status(const tm::LocalRequest&, std::uint64_t)> sender_;
  std::int64_t last_probe_ms_ = -1;
};

}  // namespace sipline::dispatcher
