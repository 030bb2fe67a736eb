// The queue between the processes that capture traced messages (workers, the timer: many
// producers) and the siptrace-writer process (the one consumer): a byte ring in shared
// memory bounded by queue_size KB. push() never waits more than kPushLockMs for the lock and
// never waits for room: a full queue (or a lock not had) returns false and the caller counts
// the message as dropped. pop() copies a batch out and then frees its room; a batch the
// writer loses (killed mid-write) is lost, which is acceptable for traces. There is one
// consumer at a time (the writer): pop() copies without the lock, which only it may do.
//
// Lock: one robust process-shared mutex held only for a push's memcpys and pop()'s two short
// visits, never across I/O. A process that dies holding it leaves the ring emptied (the next
// locker resets it; logged).
// Lives in the segment: trivially copyable fields and the mutex; the data follows the header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/shm/robust_mutex.h"

namespace sipline::siptrace {

class TraceQueue {
 public:
  static constexpr int kPushLockMs = 2;

  // Bytes of memory a queue of `data_bytes` needs (header included).
  static std::size_t bytesFor(std::size_t data_bytes);
  // Constructs the queue in `memory` (bytesFor(data_bytes) bytes, 16-byte aligned).
  static TraceQueue* create(void* memory, std::size_t data_bytes);

  // Any process: one entry made of the concatenation of `parts`. False when there is no room
  // (or the lock was not had within kPushLockMs).
  bool push(std::initializer_list<std::string_view> parts);
  // Consumer: moves up to `max_entries` of the oldest entries (and about max_bytes) into
  // `out` (appended); how many. Never waits more than lock_timeout_ms (< 0: unbounded).
  std::size_t pop(std::size_t max_entries, std::size_t max_bytes, std::vector<std::string>& out,
                  int lock_timeout_ms = 100);
  // The same into slots[0..n), reusing the strings already there (their buffers: a steady
  // consumer allocates nothing); slots grows when it holds fewer than n. Returns n.
  std::size_t popReusing(std::size_t max_entries, std::size_t max_bytes,
                         std::vector<std::string>& slots, int lock_timeout_ms = 100);
  // Entries queued; nullopt when the lock was not had within timeout_ms (MI must not hang
  // on a stuck holder).
  std::optional<std::size_t> size(int timeout_ms = 100);
  std::size_t capacity() const { return capacity_; }

  // Tests: run by pop() between its two visits to the lock (process-private, not in shm).
  static inline void (*between_visits_for_test)() = nullptr;

 private:
  explicit TraceQueue(std::size_t data_bytes) : capacity_(data_bytes) {}
  static std::size_t headerBytes();
  char* data() { return reinterpret_cast<char*>(this) + headerBytes(); }
  bool lock(int timeout_ms);
  // pop()'s body: next() gives the string each entry is copied into.
  template <class Next>
  std::size_t popWith(std::size_t max_entries, std::size_t max_bytes, int lock_timeout_ms,
                      Next next);
  void writeAt(std::size_t at, const void* src, std::size_t n);
  void readAt(std::size_t at, void* dst, std::size_t n);

  shm::RobustMutex mutex_;
  std::size_t capacity_;
  std::size_t head_ = 0;  // offset of the oldest entry
  std::size_t used_ = 0;  // bytes in use from head_ (wrapping)
  std::size_t count_ = 0;
  std::uint64_t resets_ = 0;  // rings emptied after a dead holder: voids a copy in progress
};

}  // namespace sipline::siptrace
