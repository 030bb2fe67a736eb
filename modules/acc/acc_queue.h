// The record queue between the workers (producers) and the acc-writer process (the one
// consumer): a byte ring in shared memory holding whole entries (a kind byte and its text:
// a spool line for the DB, or a syslog message), bounded both in entries (queue_size) and
// in bytes. push() never waits for the consumer: a full queue returns false and the worker
// spools the record itself. The consumer peeks a batch (copies), writes it, then commits it,
// so a batch it could not finish is still there for the next attempt (or for the master's
// drain at shutdown).
//
// Lock: one process-shared mutex held only for a memcpy; never across I/O. It is robust: a
// process killed while holding it (a worker inside push()) does not block the others; the
// next locker checks the ring's indices (walks the entries from head to tail), repairs the
// count or, when they do not add up, empties the ring (logged). A push() waits at most
// kPushLockMs for the lock (a holder stopped, not dead): the worker spools the record itself.
// Lives in the shm segment (trivially copyable fields and the mutex); the data follows the
// header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/shm/robust_mutex.h"

namespace sipline::acc {

enum class EntryKind : char { kDbRow = 'D', kLog = 'L' };

struct Entry {
  EntryKind kind = EntryKind::kDbRow;
  std::string text;
};

class RecordQueue {
 public:
  // Bytes of memory a queue of `data_bytes` needs (header included).
  static std::size_t bytesFor(std::size_t data_bytes);
  // Constructs the queue in `memory` (bytesFor(data_bytes) bytes, 16-byte aligned).
  static RecordQueue* create(void* memory, std::size_t data_bytes, std::uint32_t max_entries);

  // Any process. False when the queue holds max_entries or has no room for the text.
  bool push(EntryKind kind, std::string_view text);
  // Consumer: copies up to `max` of the oldest entries into `out` (appended); how many.
  // With lock_timeout_ms >= 0 the lock is given up after that long (0 entries returned).
  std::size_t peek(std::size_t max, std::vector<Entry>& out, int lock_timeout_ms = -1);
  // Consumer: removes the `n` oldest entries (those peek() returned).
  void commit(std::size_t n);
  std::uint32_t size();
  std::uint32_t maxEntries() const { return max_entries_; }

  static constexpr int kPushLockMs = 200;

  // Locks (timeout_ms < 0: without a bound); false on timeout. When the last holder died
  // with the lock, the ring is checked and repaired first.
  bool lock(int timeout_ms);
  void unlock();

 private:
  RecordQueue(std::size_t data_bytes, std::uint32_t max_entries);
  char* data() { return reinterpret_cast<char*>(this) + headerBytes(); }
  static std::size_t headerBytes();
  void repairLocked();

  shm::RobustMutex mutex_;
  std::size_t capacity_;
  std::uint32_t max_entries_;
  std::uint32_t count_ = 0;
  std::size_t head_ = 0;  // offset of the oldest entry
  std::size_t tail_ = 0;  // where the next entry goes
  std::size_t used_ = 0;  // bytes between head and tail, skipped ends included
};

}  // namespace sipline::acc
