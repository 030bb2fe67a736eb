#include "modules/acc/acc_queue.h"

#include <cstring>
#include <new>

#include "core/base/log.h"

namespace sipline::acc {
namespace {

// An entry: u32 length of (kind + text), the kind byte, the text. A length of kWrap marks
// that the rest of the ring up to its end is unused and the next entry starts at 0.
constexpr std::uint32_t kWrap = 0xffffffffu;
constexpr std::size_t kLenBytes = sizeof(std::uint32_t);

class Lock {
 public:
  Lock(RecordQueue& q, int timeout_ms) : q_(q), owns_(q.lock(timeout_ms)) {}
  ~Lock() {
    if (owns_) q_.unlock();
  }
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;
  bool owns() const { return owns_; }

 private:
  RecordQueue& q_;
  bool owns_;
};

}  // namespace

std::size_t RecordQueue::headerBytes() { return (sizeof(RecordQueue) + 15) & ~std::size_t{15}; }

std::size_t RecordQueue::bytesFor(std::size_t data_bytes) { return headerBytes() + data_bytes; }

RecordQueue::RecordQueue(std::size_t data_bytes, std::uint32_t max_entries)
    : capacity_(data_bytes), max_entries_(max_entries) {}

RecordQueue* RecordQueue::create(void* memory, std::size_t data_bytes, std::uint32_t max_entries) {
  return ::new (memory) RecordQueue(data_bytes, max_entries);
}

bool RecordQueue::lock(int timeout_ms) {
  switch (mutex_.lock(timeout_ms)) {
    case shm::RobustMutex::Locked::kOk:
      return true;
    case shm::RobustMutex::Locked::kOwnerDied:
      repairLocked();
      return true;
    default:
      return false;
  }
}

void RecordQueue::unlock() { mutex_.unlock(); }

// The holder died somewhere in push() or commit(): the entries from head_ are whole up to
// the tail_ it left (push() moves tail_ only after the entry is written; commit() moves
// head_ entry by entry), but count_ and used_ may lag by one step. Recount them by walking
// the ring; when the walk does not end at tail_, nothing can be trusted: empty the ring.
void RecordQueue::repairLocked() {
  std::size_t at = head_;
  std::size_t bytes = 0;
  std::uint32_t n = 0;
  bool ok = head_ < capacity_ && tail_ < capacity_;
  while (ok && !(at == tail_ && (n > 0 || used_ < capacity_))) {
    if (n > max_entries_) {
      ok = false;
      break;
    }
    std::uint32_t len = kWrap;
    if (capacity_ - at >= kLenBytes) std::memcpy(&len, data() + at, kLenBytes);
    if (len == kWrap) {
      bytes += capacity_ - at;
      at = 0;
      if (at == tail_) break;  // tail_ was wrapped, no entry after the marker yet
      std::memcpy(&len, data(), kLenBytes);
    }
    if (len == 0 || len > capacity_ || kLenBytes + len > capacity_ - at) {
      ok = false;
      break;
    }
    auto kind = static_cast<EntryKind>(data()[at + kLenBytes]);
    if (kind != EntryKind::kDbRow && kind != EntryKind::kLog) {
      ok = false;
      break;
    }
    at += kLenBytes + len;
    bytes += kLenBytes + len;
    if (at == capacity_) at = 0;
    ++n;
  }
  if (ok && bytes <= capacity_) {
    if (n != count_ || bytes != used_) {
      SL_WARN("acc: a process died holding the record queue; %u queued records recounted", n);
    }
    count_ = n;
    used_ = bytes;
    if (count_ == 0) head_ = tail_ = used_ = 0;
    return;
  }
  SL_ERR(
      "acc: a process died holding the record queue and left it damaged; %u queued records "
      "are lost",
      count_);
  count_ = 0;
  head_ = tail_ = used_ = 0;
}

bool RecordQueue::push(EntryKind kind, std::string_view text) {
  std::size_t need = kLenBytes + 1 + text.size();
  if (need > capacity_ / 2) return false;  // such an entry could starve the ring
  Lock lock(*this, kPushLockMs);
  if (!lock.owns() || count_ >= max_entries_) return false;
  std::size_t at = tail_;
  std::size_t skip = 0;
  if (capacity_ - at < need) {  // does not fit before the end: wrap to 0
    skip = capacity_ - at;
    at = 0;
  }
  if (used_ + skip + need > capacity_) return false;
  if (skip != 0 && skip >= kLenBytes) std::memcpy(data() + tail_, &kWrap, kLenBytes);
  auto len = static_cast<std::uint32_t>(1 + text.size());
  std::memcpy(data() + at, &len, kLenBytes);
  data()[at + kLenBytes] = static_cast<char>(kind);
  std::memcpy(data() + at + kLenBytes + 1, text.data(), text.size());
  // tail_ moves once the entry is whole (repairLocked() relies on it), the counts after it.
  tail_ = at + need == capacity_ ? 0 : at + need;
  used_ += skip + need;
  ++count_;
  return true;
}

std::size_t RecordQueue::peek(std::size_t max, std::vector<Entry>& out, int lock_timeout_ms) {
  Lock lock(*this, lock_timeout_ms);
  if (!lock.owns()) return 0;
  std::size_t at = head_;
  std::size_t n = 0;
  for (; n < max && n < count_; ++n) {
    std::uint32_t len = kWrap;
    if (capacity_ - at >= kLenBytes) std::memcpy(&len, data() + at, kLenBytes);
    if (len == kWrap) {
      at = 0;
      std::memcpy(&len, data(), kLenBytes);
    }
    Entry e;
    e.kind = static_cast<EntryKind>(data()[at + kLenBytes]);
    e.text.assign(data() + at + kLenBytes + 1, len - 1);
    out.push_back(std::move(e));
    at += kLenBytes + len;
    if (at == capacity_) at = 0;
  }
  return n;
}

void RecordQueue::commit(std::size_t n) {
  Lock lock(*this, -1);
  for (; n > 0 && count_ > 0; --n) {
    std::uint32_t len = kWrap;
    if (capacity_ - head_ >= kLenBytes) std::memcpy(&len, data() + head_, kLenBytes);
    if (len == kWrap) {
      used_ -= capacity_ - head_;
      head_ = 0;
      std::memcpy(&len, data(), kLenBytes);
    }
    head_ += kLenBytes + len;
    used_ -= kLenBytes + len;
    if (head_ == capacity_) head_ = 0;
    --count_;
  }
  if (count_ == 0) head_ = tail_ = used_ = 0;
}

std::uint32_t RecordQueue::size() {
  Lock lock(*this, -1);
  return count_;
}

}  // namespace sipline::acc
