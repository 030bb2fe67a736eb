// The dialog table (dlg_shm.h) seen from one process: create, find, change and end dialogs,
// and count profile members. Data leaves the table as a DialogInfo copy in private memory;
// callers change a dialog only through update(), whose function runs under the bucket lock
// (no I/O, no script, no other bucket's lock in it). The profile counters have their own
// locks; they are leaves, taken inside a bucket lock (a dialog's profiles and their counts
// change together) and never hold another lock. The Table object is private (one per process, made
// by init() before fork); the state it points to is in shm.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/shm/segment.h"
#include "modules/dialog/dlg_shm.h"

namespace sipline::dialog {

// A dialog copied out of shm (and the row of the dialog table).
struct DialogInfo {
  std::uint64_t id = 0;
  State state = State::kUnconfirmed;
  std::uint8_t flags = 0;
  std::int32_t code = 0;
  std::uint32_t caller_cseq = 0;
  std::uint32_t callee_cseq = 0;
  std::int64_t created_ms = 0;
  std::int64_t answered_ms = 0;
  std::int64_t timeout_s = 0;
  std::int64_t timeout_at_ms = 0;
  bool followed = false;  // not persisted: a reloaded dialog has no transaction
  std::string call_id;
  std::string from_tag;
  std::string to_tag;
  std::string from_uri;
  std::string to_uri;
  std::string ruri;
  std::string caller_contact;
  std::string callee_contact;
  std::string caller_route;
  std::string callee_route;
  std::string reason;
  std::string profiles;
  std::string values;
  std::string watchers;
};

// An in-dialog BYE that matched nothing while the load of the last run's dialogs was pending.
struct EarlyBye {
  std::string call_id;
  std::string from_tag;
  std::string to_tag;
  std::int64_t at_ms = 0;
};

// Which side sent an in-dialog request.
enum class Side : std::uint8_t { kCaller, kCallee };

class Table {
 public:
  // Builds the table in `seg` (hash_size: a power of two). Master, before fork.
  static Result<Table> create(shm::Segment& seg, std::uint32_t hash_size, bool persist);
  Table() = default;

  bool persist() const { return persist_; }
  std::uint32_t bucketOf(std::string_view call_id) const;
  std::uint32_t bucketOfId(std::uint64_t id) const {
    return static_cast<std::uint32_t>(id >> 32) & shm_->mask;
  }

  // Adds a dialog (counted in the profiles it lists); info.id == 0 gets a fresh id (written
  // back into info), else it is kept (reload) and the sequence moves past it. kNoMemory when
  // shm is full (nothing added).
  Status insert(DialogInfo& info, bool dirty);

  // Runs fn(d) under the bucket lock of dialog `id` (not removed); false when absent.
  bool update(std::uint64_t id, const std::function<void(DialogShm&)>& fn);
  // Copies dialog `id` (not removed); false when absent.
  bool get(std::uint64_t id, DialogInfo& out);
  // Finds the live dialog of an in-dialog request by Call-ID and the two tags, either way
  // round; `side` tells who sent it (From tag == the caller's tag).
  bool findByTags(std::string_view call_id, std::string_view from_tag, std::string_view to_tag,
                  std::uint64_t& id, Side& side);
  // The same check for dialog `id` only (the did of a Route): its Call-ID and tags must be
  // the request's.
  bool matchId(std::uint64_t id, std::string_view call_id, std::string_view from_tag,
               std::string_view to_tag, Side& side);
  // Ends dialog `id` once: copies it to `out`, takes it out of its profiles' counts, then
  // unlinks it (or leaves a tombstone for the flusher when it has a row). False when it is
  // absent or ended already.
  bool end(std::uint64_t id, DialogInfo& out);
  // Every live dialog, bucket by bucket (copies, taken under each bucket's lock).
  void forEach(const std::function<void(const DialogInfo&)>& fn);
  // Copies of the live dialogs whose time is up at `now_ms`: confirmed ones past timeout_at_ms,
  // unanswered ones created early_timeout_ms ago or more, and those whose INVITE tm never
  // took (answered statelessly, or reloaded without their transaction) after
  // unfollowed_ms. Only those are copied; `followed` tells them apart.
  std::vector<DialogInfo> collectDue(std::int64_t now_ms, std::int64_t early_timeout_ms,
                                     std::int64_t unfollowed_ms);
  std::uint64_t live() const { return shm_->live.load(); }
  std::uint64_t pending() const { return shm_->pending.load(); }

  // Marks d changed for the DB. Caller holds d's bucket lock.
  void markDirtyLocked(DialogShm& d);

  // Write-back: the dialogs to write (dirty ones, with their stamps) and the tombstones.
  struct Change {
    DialogInfo info;
    std::uint32_t stamp = 0;
    bool removed = false;
  };
  std::vector<Change> collectChanges();
  // After a write: clears the dirty mark when the stamp is still the same (the dialog did not
  // change meanwhile) and drops a written tombstone. Returns false when the dialog no longer
  // exists (its row must go).
  bool settle(const Change& change);

  // Profile members: key "name" and "name\x1fvalue".
  void addProfileCount(std::string_view key, std::int64_t delta);
  std::int64_t profileCount(std::string_view key);
  static std::string profileKey(std::string_view name, std::string_view value);

  // The dialogs of the last run are to be loaded later (the DB was down at start): unmatched
  // BYEs are remembered meanwhile (the last kEarlyByes of them).
  void setLoadPending(bool pending);
  bool loadPending();
  // Keeps `bye` while the load is pending; false when it is not (the load just happened: the
  // caller matches again).
  bool rememberBye(const EarlyBye& bye);
  // The load is done: returns the remembered BYEs, oldest first, and stops remembering.
  std::vector<EarlyBye> finishLoad();

  bool warnOnceNoRecordRoute() { return !shm_->warned_no_rr.exchange(true); }

 private:
  static void copyOut(const DialogShm& d, DialogInfo& out);
  static void copyIn(const DialogInfo& in, DialogShm& d);
  DialogShm* findLocked(BucketShm& b, std::uint64_t id);
  void unlinkLocked(BucketShm& b, DialogShm* d);

  shm::SegmentManager* sm_ = nullptr;
  TableShm* shm_ = nullptr;
  bool persist_ = false;
};

const char* stateName(State s);

}  // namespace sipline::dialog
