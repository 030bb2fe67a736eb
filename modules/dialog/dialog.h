// The dialog service: creates dialogs from the script, follows their INVITE through tm (a
// TsxWatcher), matches in-dialog requests (rr's loose_route hook or match_dialog()), ends them
// on BYE, failure, timeout or management, keeps profiles and values, and tells the registered
// DialogWatchers (acc) when a watched call ended. One Service object per process (the module
// owns it); its shm state (dlg_table.h) is built in init() before fork. The DB is touched only
// by the master at start (reload) and by the write-back process (dlg_db.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/shm/segment.h"
#include "core/stats/stats.h"
#include "modules/dialog/api.h"
#include "modules/dialog/dlg_table.h"
#include "modules/dialog/kv_codec.h"
#include "modules/tm/api.h"

namespace sipline {
class MsgContext;
}

namespace sipline::dialog {

// A dialog whose INVITE tm never took within this long (the script replied statelessly, or
// the dialog was reloaded without its transaction) is dropped.
inline constexpr std::int64_t kUnfollowedMs = 5000;
// The longest $DLG_timeout (ten years; kept in ms, so no overflow).
inline constexpr std::int64_t kMaxTimeoutS = 10LL * 365 * 86400;
// How often the timer process looks for due dialogs (it scans only while some are live).
inline constexpr std::uint32_t kTimerTickMs = 100;

struct Config {
  std::int64_t hash_size = 4096;
  std::int64_t default_timeout_s = 43200;
  std::int64_t early_timeout_s = 300;
  std::string rr_param = "did";
  std::string profiles_with_value;
  std::string profiles_no_value;
  std::string db_url;
  std::string db_mode = "none";
  std::int64_t db_flush_interval_s = 2;
  std::string table = "dialog";
};

struct Counters {
  StatCounter active;        // gauge: confirmed, not ended
  StatCounter early;         // gauge: unconfirmed or early
  StatCounter processed;     // dialogs created
  StatCounter expired;       // ended by their timeout
  StatCounter failed;        // never answered (>= 300, canceled, early timeout)
  StatCounter no_memory;     // refused: shm full
  StatCounter late_answers;  // 2xx relayed for a dialog that had ended unanswered
  StatCounter db_errors;     // failed DB statements (retried)
};

// What the script asked create_dialog() for.
struct CreateFlags {
  bool bye_on_timeout = false;
};
Result<CreateFlags> parseCreateFlags(std::string_view text);

// "a;b" -> {"a", "b"}; empty names dropped.
std::vector<std::string> splitProfileNames(std::string_view text);

// An in-dialog request of ours towards one side (RFC 3261 §12.2.1.1): request-URI, next hop
// and Route from that side's remote target and route set (a Route header value, "" = none),
// loose or strict first hop alike.
tm::LocalRequest inDialogRequest(const std::string& method, const std::string& target,
                                 const std::string& route_set);

class Service : public Api, public tm::TsxWatcher {
 public:
  Config& config() { return config_; }
  Counters& counters() { return counters_; }
  bool persists() const { return config_.db_mode == "write-back"; }
  // The table exists (init() succeeded in the master, inherited by the children).
  bool ready() const { return ready_; }

  // Master, before fork: the table in shm, the tm watcher, the reload from the DB.
  Status init(shm::Segment& seg, tm::Api* tm);
  // Unit tests: the table only (no tm, no DB).
  Status initForTest(shm::Segment& seg);
  Table& table() { return table_; }

  // Profile declarations (from the parameters); kNotFound for an unknown name.
  Status checkProfile(std::string_view name, bool with_value_given, bool& has_value) const;

  // create_dialog(): -1 when not an initial INVITE or shm is full.
  int createDialog(MsgContext& ctx, CreateFlags flags);
  // match_dialog() and the loose_route hook: 1 matched (ctx.dialog set), -1 not.
  int matchDialog(MsgContext& ctx, std::string_view route_params);

  // Profiles and values of ctx's dialog; false when the message has no dialog.
  bool setProfile(MsgContext& ctx, const std::string& name, const std::string& value);
  bool unsetProfile(MsgContext& ctx, const std::string& name, const std::string& value);
  bool isInProfile(MsgContext& ctx, const std::string& name, const std::string& value,
                   bool any_value);
  std::int64_t profileSize(const std::string& name, const std::string& value, bool any_value);
  bool storeValue(MsgContext& ctx, const std::string& name, const std::string& value);
  std::optional<std::string> fetchValue(MsgContext& ctx, const std::string& name);

  // $DLG_timeout: the remaining seconds once answered, the lifetime before; -1 without dialog.
  std::int64_t timeoutOf(MsgContext& ctx);
  bool setTimeout(MsgContext& ctx, std::int64_t seconds);  // 1..kMaxTimeoutS

  // Timer process, every kTimerTickMs: timeouts (BYEs for "B" dialogs) and unanswered leftovers.
  void onTimerTick();
  // Sends BYE to both sides of a confirmed dialog and ends it; kNotFound / kFailedPrecondition.
  Status endByManagement(std::uint64_t id);
  // Master at shutdown without persistence: every live dialog ends (kShutdown).
  void endAllAtShutdown();

  // Ends dialog `id` once and tells the watchers; false when it had ended already. ended_ms
  // 0: now.
  bool endDialog(std::uint64_t id, EndedBy by, int code, std::string_view reason,
                 std::int64_t ended_ms = 0);
  // The last run's dialogs were loaded late: ends those that a BYE met while they were not
  // there (at the BYE's time, by the side that sent it). Returns how many ended.
  std::size_t endRememberedByes();

  // Api
  Status registerWatcher(const std::string& name, DialogWatcher* watcher) override;
  Status watch(MsgContext& ctx, const std::string& name, std::string data) override;
  // tm::TsxWatcher
  std::optional<std::string> attach(MsgContext& ctx) override;
  void onReply(const tm::TsxEvent& event) override;
  // The reply of a relayed INVITE, as sent upstream (tests call it directly); repeat: a 2xx
  // its branch relayed before (a retransmission).
  void onInviteReply(std::uint64_t id, int code, std::string_view reason, std::string_view wire,
                     bool first_final, bool repeat = false);
  // The 2xx of a BYE that came before the answer (tests call it directly): it ends the call if
  // the callee's 2xx crossed the BYE and confirmed the dialog meanwhile.
  void onByeAnswered(std::uint64_t id, EndedBy by);

  // For tests: the clock (unix ms).
  void setClockForTest(std::int64_t (*now_ms)()) { now_ms_ = now_ms; }

 private:
  std::int64_t nowMs() const;
  void sendByes(const DialogInfo& info);
  void noteState(State from, State to);

  Config config_;
  Counters counters_;
  Table table_;
  bool ready_ = false;
  tm::Api* tm_ = nullptr;
  std::uint8_t tm_watcher_ = 0;
  std::vector<std::string> with_value_;
  std::vector<std::string> no_value_;
  std::map<std::string, DialogWatcher*, std::less<>> watchers_;
  std::int64_t (*now_ms_)() = nullptr;
};

}  // namespace sipline::dialog
