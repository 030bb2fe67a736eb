// The rtpproxy module's state between the script, tm, dialog and MI: the relay sets and their
// health (shm), the per-process engine, which set rtpproxy_use_set() chose for the message,
// the automatic teardown (a tm watcher: D when an offered INVITE fails for good; a dialog
// watcher: D when the call ends, but not when the server stops, nor for an unanswered call
// the tm watcher deleted already) and the health-check loop. One object per module, built in
// the master and inherited by every process; the watchers run in whichever process handles
// the transaction or dialog, and only post their D (never wait).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/media/relay_set.h"
#include "core/mi/json.h"
#include "modules/dialog/api.h"
#include "modules/rtpproxy/rtpproxy.h"
#include "modules/tm/api.h"

namespace sipline {
class MsgContext;
class MiParams;
namespace shm {
class Segment;
}
}  // namespace sipline

namespace sipline::rtpproxy {

struct Config {
  std::string sock;                  // rtpproxy_sock
  std::int64_t tout_ms = 1000;       // rtpproxy_tout_ms: per attempt
  std::int64_t retr = 2;             // rtpproxy_retr: retransmissions per relay
  std::int64_t disable_tout = 60;    // rtpproxy_disable_tout: s a failed relay stays disabled
  std::int64_t health_interval = 5;  // health_check_interval: s between probes; 0 none
};

class Service : public tm::TsxWatcher, public dialog::DialogWatcher {
 public:
  Config& config() { return config_; }
  Counters& counters() { return counters_; }
  media::RelaySets& sets() { return sets_; }

  // Master, while params are applied / at init (tm and dialog may be nullptr: no automatic
  // teardown through them).
  Status configure();
  Status init(shm::Segment* segment, tm::Api* tm, dialog::Api* dialog);
  // Tests: private health table, a transport of the test's own.
  Status initForTest(Transport* transport, tm::Api* tm, dialog::Api* dialog);

  // The set for ctx's message: rtpproxy_use_set()'s, else the set of the relay holding the
  // call (remembered from its offer), else the first configured one.
  unsigned setFor(MsgContext& ctx) const;
  bool useSet(MsgContext& ctx, unsigned set);

  // rtpproxy_offer()/rtpproxy_answer(); on an offered initial INVITE also asks tm and dialog to
  // follow it, so the relay session ends with the call.
  int manage(MsgContext& ctx, const Flags& flags, std::string_view ip, bool offer);
  int unforce(MsgContext& ctx);

  // tm::TsxWatcher
  std::optional<std::string> attach(MsgContext& ctx) override;
  void onReply(const tm::TsxEvent& event) override;
  // dialog::DialogWatcher
  void onEnd(const dialog::DialogEnd& end) override;

  // MI: every relay with its set, weight and state.
  Result<Json> miShow() const;
  // MI: administratively disable (enable = false) or re-enable a relay by url.
  Result<Json> miEnable(const std::string& url, bool enable);

  // The rtpproxy-health process: probes disabled relays every health_interval seconds.
  int runHealthCheck();
  bool healthCheckEnabled() const { return config_.health_interval > 0 && sets_.configured(); }
  // One round (tests, and the process body).
  std::size_t healthCheckOnce();

 private:
  CallRef refOf(MsgContext& ctx) const;

  Config config_;
  Counters counters_;
  media::RelaySets sets_;
  std::unique_ptr<RelayTransport> relay_transport_;
  Transport* transport_ = nullptr;
  std::unique_ptr<Engine> engine_;
  tm::Api* tm_ = nullptr;
  std::uint8_t tm_watcher_ = 0;
  dialog::Api* dialog_ = nullptr;
  // rtpproxy_use_set()'s choice, for the message it was made for.
  struct Chosen {
    const void* msg = nullptr;
    std::string call_id;
    unsigned set = 0;
  };
  Chosen chosen_;
};

}  // namespace sipline::rtpproxy
