// The rtpengine service: the relay sets (core/media/relay_set.h) of rtpengine_sock, the
// per-process control client, offer/answer/delete/manage on a message, the automatic delete
// when a watched INVITE fails (tm watcher) or its dialog ends (dialog watcher, when the dialog
// module is loaded), the health check (a process of its own, so a silent relay never delays
// the timer process), statistics and the MI views. A call's commands and automatic deletes go
// to the relay that took its offer (RelaySets' sticky table in shm).
//
// Processes: configure() and init() run in the master (init constructs the relays' health
// table in shm); everything else runs in any process after fork, each with its own client
// sockets (opened on first use). Watchers never wait for the relay: they send the delete and
// drop its reply.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/media/relay_set.h"
#include "core/mi/json.h"
#include "core/sip/msg_context.h"
#include "core/stats/stats.h"
#include "modules/dialog/api.h"
#include "modules/rtpengine/ng.h"
#include "modules/tm/api.h"

namespace sipline::shm {
class Segment;
}

namespace sipline::rtpengine {

struct Config {
  std::string sock;
  std::int64_t tout_ms = 1000;
  std::int64_t retr = 2;
  std::int64_t disable_tout = 60;
  std::int64_t health_check_interval = 10;  // s; 0: no health check (relays return on timeout)
  std::int64_t sticky_ttl = media::kDefaultStickyTtlS;  // s a call stays bound to its relay
};

struct Counters {
  StatCounter offers;
  StatCounter answers;
  StatCounter deletes;
  StatCounter errors;
  StatCounter failovers;
  // relays_down is computed when read (RelaySets::downCount), see rtpengine_module.cc.
};

class Service : public tm::TsxWatcher, public dialog::DialogWatcher {
 public:
  Config& config() { return config_; }
  Counters& counters() { return counters_; }
  media::RelaySets& sets() { return sets_; }

  // Parses rtpengine_sock (once; later calls return the first verdict). Master.
  Status configure();
  // Master, before fork: shm health table, watchers. tm and dialog may be nullptr (not loaded).
  Status init(shm::Segment& segment, tm::Api* tm, dialog::Api* dialog);
  // Tests: private health table; watchers only with the fakes given.
  Status initForTest(tm::Api* tm = nullptr, dialog::Api* dialog = nullptr);

  // The set rtpengine_use_set() chose for this message, else the set of the relay holding the
  // call (remembered from its offer), else set 0 when configured, else the first set of
  // rtpengine_sock.
  unsigned setFor(MsgContext& ctx) const;
  // kNotFound when no such set was configured.
  Status useSet(MsgContext& ctx, unsigned set);

  // One ng command for ctx's message; false (logged, counted) on any failure: no relay
  // answered, an error reply, a malformed reply, no SDP. Offer and answer replace the SDP.
  bool run(Op op, MsgContext& ctx, const NgFlags& flags);
  // rtpengine_manage(): picks the command from the message (see README).
  bool manage(MsgContext& ctx, const NgFlags& flags);
  // Relays disabled now (the relays_down statistic, computed when read).
  std::size_t relaysDown() const { return sets_.downCount(); }

  // The rtpengine-health process: probes the relays that are down (ng ping) every
  // health_check_interval seconds until the server stops. healthCheckOnce() is one round;
  // returns how many relays came back.
  int runHealthCheck();
  std::size_t healthCheckOnce(std::int64_t now_ms);
  bool healthCheckEnabled() const { return config_.health_check_interval > 0; }

  Json miShow();
  Result<Json> miEnable(const std::string& url, bool enable);

  // tm::TsxWatcher: data "set\ncall-id\nfrom-tag"; the first final reply >= 300 sent
  // upstream (every fork failed) deletes the call, on its remembered relay.
  std::optional<std::string> attach(MsgContext& ctx) override;
  void onReply(const tm::TsxEvent& event) override;
  // dialog::DialogWatcher, data "set\ncall-id\nfrom-tag\nT" (T "1": tm follows the INVITE):
  // the call ended (BYE, timeout, management) or failed (when tm does not follow it): delete.
  // Not at a server stop (kShutdown): the call may well go on, its media with it.
  void onEnd(const dialog::DialogEnd& end) override;

  static constexpr const char* kWatcherName = "rtpengine";

 private:
  enum class Outcome : std::uint8_t { kOk, kFailed, kUnknownCall };
  // One command; kUnknownCall (not counted, not logged as an error) only when `unknown_ok`
  // and the relay says it knows no such call or tag.
  Outcome send(Op op, MsgContext& ctx, const NgFlags& flags, bool unknown_ok = false,
               DeleteScope scope = DeleteScope::kCall);
  bool manageFailure(MsgContext& ctx, const NgFlags& flags);
  void noteLateOffer(MsgContext& ctx);
  void watchCall(MsgContext& ctx, bool follow_transaction);
  // A watcher's delete: never waits; skipped when the script deleted the call already.
  void teardown(unsigned set, std::string_view call_id, std::string_view from_tag);
  std::string watchData(MsgContext& ctx) const;

  Config config_;
  Counters counters_;
  media::RelaySets sets_;
  std::unique_ptr<media::RelayClient> client_;
  std::optional<Status> configured_;
  tm::Api* tm_ = nullptr;
  dialog::Api* dialog_ = nullptr;
  std::uint8_t tm_watcher_ = 0;
  // rtpengine_use_set()'s choice, valid only for the message it was made for.
  struct Selection {
    const MsgContext* ctx = nullptr;
    const char* buffer = nullptr;
    std::string call_id;
    unsigned set = 0;
  };
  mutable Selection selection_;
};

}  // namespace sipline::rtpengine
