// What is being traced, in shared memory: the Call-IDs of traced calls (each with a TTL
// refreshed by every message of the call, so a finished call lingers harmlessly until it
// expires) and the traced subscribers (MI trace_user). Read on the capture path of every
// process: the counts are atomics so that a server tracing nothing pays two loads.
//
// TracedCalls: a fixed table of 2^n buckets of kSlots slots, one robust mutex per bucket held
// for a few compares; a Call-ID is kept as its 64-bit hash and length (a collision would only
// trace an extra call). A full bucket gives its soonest-expiring slot to the new call.
// TracedUsers: at most kMaxUsers entries behind one mutex, with a generation number so each
// process keeps a private copy (UserMatcher) and matches without locking.
// Both live in the segment: trivially copyable fields, atomics and robust mutexes.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/shm/robust_mutex.h"

namespace sipline::siptrace {

inline constexpr std::size_t kMaxAttrs = 63;  // trace_attrs kept per call

// The trace_attrs every row of a call carries: `attrs` cut to kMaxAttrs bytes, at a UTF-8
// character boundary (a character is not split; text that is not UTF-8 is cut at the limit).
std::string_view clipAttrs(std::string_view attrs);

std::uint64_t callIdHash(std::string_view call_id);

class TracedCalls {
 public:
  static constexpr std::size_t kSlots = 8;
  static constexpr int kLockMs = 2;

  // Bytes for a table of at least `calls` slots (rounded up to a power of two of buckets).
  static std::size_t bytesFor(std::size_t calls);
  static TracedCalls* create(void* memory, std::size_t calls);

  enum class Touch { kTraced, kNotTraced, kLockFailed };
  // kTraced when the call is traced (and not expired): its expiry becomes now + ttl and
  // `attrs` gets its trace_attrs. kLockFailed when the bucket's lock was not had within
  // kLockMs (the caller cannot tell, and counts the message as lost).
  Touch touch(std::string_view call_id, std::int64_t now_ms, std::int64_t ttl_ms,
              std::string* attrs);
  // Adds (or refreshes) a call; false when the lock was not had. `was_traced` tells whether
  // it was already there (not expired).
  bool add(std::string_view call_id, std::string_view attrs, std::int64_t now_ms,
           std::int64_t ttl_ms, bool* was_traced = nullptr);
  // Frees the expired slots; how many. Also recounts used() from the slots (when no add()
  // ran meanwhile), so a process killed inside add() cannot leave it high for good.
  std::size_t sweep(std::int64_t now_ms);
  // Tests: what a process killed inside add() leaves, a slot counted but never filled.
  void leakSlotForTest() { used_.fetch_add(1, std::memory_order_relaxed); }
  // Slots in use (expired ones until swept): 0 means nothing is traced.
  std::uint32_t used() const { return used_.load(std::memory_order_relaxed); }
  std::size_t slots() const { return (mask_ + 1) * kSlots; }

 private:
  struct Slot {
    std::uint64_t hash;
    std::int64_t expires_ms;  // 0: free
    std::uint32_t length;
    std::uint8_t attrs_size;
    char attrs[kMaxAttrs];
  };
  struct Bucket {
    shm::RobustMutex mutex;
    Slot slots[kSlots];
  };
  static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

  explicit TracedCalls(std::size_t buckets) : mask_(buckets - 1) {}
  Bucket* buckets() { return reinterpret_cast<Bucket*>(reinterpret_cast<char*>(this) + header()); }
  static std::size_t header() { return (sizeof(TracedCalls) + 63) & ~std::size_t{63}; }
  bool lockBucket(Bucket& b, int timeout_ms);

  std::size_t mask_;
  std::atomic<std::uint32_t> used_{0};
};

struct TracedUser {
  std::string user;
  std::string domain;  // "" = any domain
  std::string text() const { return domain.empty() ? user : user + "@" + domain; }
};

// "alice" or "alice@example.com" (domain lower-cased); errors name what is wrong.
Result<TracedUser> parseTracedUser(std::string_view text);

class TracedUsers {
 public:
  static constexpr std::size_t kMaxUsers = 32;
  static constexpr std::size_t kMaxUser = 63;
  static constexpr std::size_t kMaxDomain = 127;

  TracedUsers() = default;
  // kAlreadyExists, kFailedPrecondition (full), kInvalidArgument (too long).
  Status add(const TracedUser& u);
  Status remove(const TracedUser& u);  // kNotFound
  std::vector<TracedUser> list();
  // The same without waiting more than timeout_ms for the lock (the capture path); false
  // when the lock was not had.
  bool tryList(std::vector<TracedUser>& out, int timeout_ms);
  std::uint32_t count() const { return count_.load(std::memory_order_relaxed); }
  std::uint32_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  struct Entry {
    char user[kMaxUser + 1];
    char domain[kMaxDomain + 1];
  };
  bool lock(int timeout_ms = 1000);
  std::vector<TracedUser> listLocked() const;

  shm::RobustMutex mutex_;
  Entry entries_[kMaxUsers] = {};
  std::atomic<std::uint32_t> count_{0};
  std::atomic<std::uint32_t> generation_{0};
};

// A process-private copy of the traced users, refreshed when their generation changes.
// match() finds the first traced user a message's From or To URI names.
class UserMatcher {
 public:
  // The traced user's text ("alice@example.com") when the message matches; "" otherwise.
  std::string match(TracedUsers& users, std::string_view message);
  // The same against a given list (tests).
  static std::string matchList(const std::vector<TracedUser>& users, std::string_view message);

 private:
  std::vector<TracedUser> users_;
  std::uint32_t generation_ = UINT32_MAX;
};

}  // namespace sipline::siptrace
