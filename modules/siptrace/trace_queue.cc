#include "modules/siptrace/trace_queue.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "core/base/log.h"

namespace sipline::siptrace {
namespace {

// An entry: u32 length of the payload, then the payload; both may wrap around the end.
constexpr std::size_t kLenBytes = sizeof(std::uint32_t);

}  // namespace

std::size_t TraceQueue::headerBytes() { return (sizeof(TraceQueue) + 15) & ~std::size_t{15}; }

std::size_t TraceQueue::bytesFor(std::size_t data_bytes) { return headerBytes() + data_bytes; }

TraceQueue* TraceQueue::create(void* memory, std::size_t data_bytes) {
  return ::new (memory) TraceQueue(data_bytes);
}

bool TraceQueue::lock(int timeout_ms) {
  switch (mutex_.lock(timeout_ms)) {
    case shm::RobustMutex::Locked::kOk:
      return true;
    case shm::RobustMutex::Locked::kOwnerDied:
      // The dead holder may have left head_/used_ half-moved: nothing can be trusted.
      SL_ERR("siptrace: a process died holding the trace queue; %zu queued messages dropped",
             count_);
      head_ = used_ = count_ = 0;
      ++resets_;
      return true;
    default:
      return false;
  }
}

void TraceQueue::writeAt(std::size_t at, const void* src, std::size_t n) {
  at %= capacity_;
  std::size_t first = std::min(n, capacity_ - at);
  std::memcpy(data() + at, src, first);
  if (first < n) std::memcpy(data(), static_cast<const char*>(src) + first, n - first);
}

void TraceQueue::readAt(std::size_t at, void* dst, std::size_t n) {
  at %= capacity_;
  std::size_t first = std::min(n, capacity_ - at);
  std::memcpy(dst, data() + at, first);
  if (first < n) std::memcpy(static_cast<char*>(dst) + first, data(), n - first);
}

bool TraceQueue::push(std::initializer_list<std::string_view> parts) {
  std::size_t len = 0;
  for (std::string_view p : parts) len += p.size();
  std::size_t need = kLenBytes + len;
  if (len == 0 || need > capacity_ || len > UINT32_MAX) return false;
  if (!lock(kPushLockMs)) return false;
  if (used_ + need > capacity_) {
    mutex_.unlock();
    return false;
  }
  std::size_t at = head_ + used_;
  auto len32 = static_cast<std::uint32_t>(len);
  writeAt(at, &len32, kLenBytes);
  at += kLenBytes;
  for (std::string_view p : parts) {
    writeAt(at, p.data(), p.size());
    at += p.size();
  }
  used_ += need;
  ++count_;
  mutex_.unlock();
  return true;
}

template <class Next>
std::size_t TraceQueue::popWith(std::size_t max_entries, std::size_t max_bytes, int lock_timeout_ms,
                                Next next) {
  // The entries are copied with the lock released: producers only append after the queued
  // bytes, and only this consumer moves head_, so they stay where they are. The lock is held
  // for two short visits however large the batch: a writer preempted while copying does not
  // make the workers wait (they give up after kPushLockMs and drop the message).
  if (!lock(lock_timeout_ms)) return 0;
  std::size_t at = head_;
  const std::size_t queued = count_;
  const std::size_t queued_bytes = used_;
  const std::uint64_t resets = resets_;
  mutex_.unlock();
  std::size_t n = 0;
  std::size_t bytes = 0;
  std::size_t moved = 0;
  while (n < max_entries && n < queued && (n == 0 || bytes < max_bytes)) {
    std::uint32_t len = 0;
    readAt(at, &len, kLenBytes);
    // Beyond what was queued only when a reset let producers write over it (void anyway).
    if (moved + kLenBytes + len > queued_bytes) return 0;
    std::string& entry = next();
    entry.resize(len);
    readAt(at + kLenBytes, entry.data(), len);
    at = (at + kLenBytes + len) % capacity_;
    moved += kLenBytes + len;
    bytes += len;
    ++n;
  }
  if (n == 0) return 0;
  if (between_visits_for_test != nullptr) between_visits_for_test();
  if (!lock(lock_timeout_ms)) return 0;  // they stay queued: taken by the next pop
  if (resets_ != resets) {
    // A holder died meanwhile and the ring was emptied: producers may have written over what
    // was copied. Those messages are among the ones the reset dropped.
    mutex_.unlock();
    return 0;
  }
  head_ = at;
  used_ -= moved;
  count_ -= n;
  if (count_ == 0) head_ = used_ = 0;
  mutex_.unlock();
  return n;
}

std::size_t TraceQueue::pop(std::size_t max_entries, std::size_t max_bytes,
                            std::vector<std::string>& out, int lock_timeout_ms) {
  // (A pop that came to nothing leaves no half-copied strings behind.)
  const std::size_t before = out.size();
  const std::size_t n = popWith(max_entries, max_bytes, lock_timeout_ms,
                                [&out]() -> std::string& { return out.emplace_back(); });
  out.resize(before + n);
  return n;
}

std::size_t TraceQueue::popReusing(std::size_t max_entries, std::size_t max_bytes,
                                   std::vector<std::string>& slots, int lock_timeout_ms) {
  // (Grown first: the copy only hands out the slots there are.)
  if (slots.size() < max_entries) slots.resize(max_entries);
  std::size_t i = 0;
  return popWith(max_entries, max_bytes, lock_timeout_ms,
                 [&slots, &i]() -> std::string& { return slots[i++]; });
}

std::optional<std::size_t> TraceQueue::size(int timeout_ms) {
  if (!lock(timeout_ms)) return std::nullopt;
  std::size_t n = count_;
  mutex_.unlock();
  return n;
}

}  // namespace sipline::siptrace
