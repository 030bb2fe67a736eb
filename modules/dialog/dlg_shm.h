// The dialog table as it lives in shared memory: a power-of-two array of buckets with one
// process-shared mutex each; a bucket chains the DialogShm of the calls whose Call-ID hashes
// to it. A dialog's id carries its bucket in the high 32 bits (so the did Record-Route param
// leads straight to the bucket) and a table-wide sequence number in the low 32 bits.
//
// Profile counters live beside it in a small table of their own (ProfileBucketShm), keyed by
// "name" (every dialog in the profile) and "name\x1fvalue" (those with that value).
//
// With db_mode write-back a change marks the dialog `dirty` with a fresh `stamp`; an ended
// dialog that has a row stays as a tombstone (`removed`) until the flusher deleted the row.
// Every field is guarded by its bucket's mutex, except the atomics of TableShm. Nothing here
// points into private memory.
#pragma once

#include <atomic>
#include <boost/interprocess/offset_ptr.hpp>
#include <cstdint>
#include <type_traits>

#include "core/shm/segment.h"

namespace sipline::dialog {

// As $DLG_status shows them.
enum class State : std::uint8_t { kUnconfirmed = 1, kEarly = 2, kConfirmed = 3, kEnded = 4 };

enum DialogFlags : std::uint8_t {
  kByeOnTimeout = 1u << 0,  // create_dialog("B")
};

struct DialogShm {
  explicit DialogShm(const shm::Allocator<char>& a)
      : call_id(a),
        from_tag(a),
        to_tag(a),
        from_uri(a),
        to_uri(a),
        ruri(a),
        caller_contact(a),
        callee_contact(a),
        caller_route(a),
        callee_route(a),
        reason(a),
        profiles(a),
        values(a),
        watchers(a) {}

  boost::interprocess::offset_ptr<DialogShm> next;
  std::uint64_t id = 0;
  State state = State::kUnconfirmed;
  std::uint8_t flags = 0;
  bool dirty = false;     // changed since its last write to the DB
  bool in_db = false;     // a row exists (or may exist) in the DB
  bool removed = false;   // ended; kept only until its row is deleted
  bool followed = false;  // tm handles its INVITE (the transaction watcher attached)
  std::uint32_t stamp = 0;
  std::int32_t code = 0;  // the INVITE's final reply
  std::uint32_t caller_cseq = 0;
  std::uint32_t callee_cseq = 0;
  std::int64_t created_ms = 0;     // unix ms
  std::int64_t answered_ms = 0;    // unix ms, 0 = not answered
  std::int64_t timeout_s = 0;      // lifetime after the answer (or after the last refresh)
  std::int64_t timeout_at_ms = 0;  // unix ms; 0 until answered
  shm::String call_id;
  shm::String from_tag;
  shm::String to_tag;
  shm::String from_uri;
  shm::String to_uri;
  shm::String ruri;
  shm::String caller_contact;
  shm::String callee_contact;
  shm::String caller_route;  // Route header value towards the caller ("" = none)
  shm::String callee_route;  // Route header value towards the callee
  shm::String reason;
  shm::String profiles;  // kv-encoded name -> value ("" for profiles without value)
  shm::String values;    // kv-encoded dialog values
  shm::String watchers;  // kv-encoded watcher name -> data
};

struct BucketShm {
  shm::Mutex mutex;
  boost::interprocess::offset_ptr<DialogShm> head;
};

struct ProfileCountShm {
  explicit ProfileCountShm(const shm::Allocator<char>& a) : key(a) {}
  boost::interprocess::offset_ptr<ProfileCountShm> next;
  std::int64_t count = 0;
  shm::String key;
};

struct ProfileBucketShm {
  shm::Mutex mutex;
  boost::interprocess::offset_ptr<ProfileCountShm> head;
};

inline constexpr std::uint32_t kProfileBuckets = 256;

// An in-dialog BYE that matched no dialog while the dialogs of the last run were not loaded
// yet (the DB was down at start): kept so the load can end the call it belongs to. Fixed size:
// no allocation on that path; longer ids are not kept.
struct EarlyByeShm {
  std::int64_t at_ms = 0;
  std::uint8_t call_id_len = 0;
  std::uint8_t from_tag_len = 0;
  std::uint8_t to_tag_len = 0;
  char call_id[200];
  char from_tag[64];
  char to_tag[64];
};
inline constexpr std::uint32_t kEarlyByes = 64;  // a ring: the oldest goes first

struct EarlyByeRingShm {
  shm::Mutex mutex;
  bool load_pending = false;  // the last run's dialogs are still to be loaded
  std::uint32_t next = 0;     // where the next BYE goes
  std::uint32_t count = 0;
  EarlyByeShm byes[kEarlyByes];
};

struct TableShm {
  std::uint32_t mask = 0;
  boost::interprocess::offset_ptr<BucketShm> buckets;
  boost::interprocess::offset_ptr<ProfileBucketShm> profile_buckets;
  std::atomic<std::uint32_t> next_seq{1};
  std::atomic<std::uint32_t> next_stamp{1};
  std::atomic<std::uint64_t> live{0};     // dialogs not ended
  std::atomic<std::uint64_t> pending{0};  // dirty dialogs and tombstones (write-back)
  std::atomic<bool> warned_no_rr{false};
  EarlyByeRingShm early_byes;
};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
static_assert(std::atomic<bool>::is_always_lock_free);
static_assert(!std::is_polymorphic_v<DialogShm>);

}  // namespace sipline::dialog
