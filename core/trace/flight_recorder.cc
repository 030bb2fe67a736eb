#include "core/trace/flight_recorder.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "core/base/log.h"

namespace sipline::trace {
namespace {

FlightRecorder* g_recorder = nullptr;

constexpr std::size_t kAlign = 8;
constexpr std::size_t kMinRingBytes = 64 * 1024;
// A worker never waits for a reader: it waits at most this long for its ring's lock (held
// by a reader copying entries out), then skips the message and counts it.
constexpr int kLockTimeoutMs = 1;

std::size_t alignUp(std::size_t n) { return (n + kAlign - 1) & ~(kAlign - 1); }

// An entry's header; the message follows, then padding to kAlign. size 0 marks the end of
// the data before a wrap to offset 0.
struct EntryHeader {
  std::uint32_t size = 0;  // header + message + padding
  std::uint32_t message_len = 0;
  std::int64_t time_us = 0;
  std::uint32_t call_id_len = 0;  // the Call-ID is a view into the message: its offset
  std::uint32_t call_id_off = 0;
  PackedAddr src;
  PackedAddr dst;
  std::uint8_t proto = 0;
  std::uint8_t outgoing = 0;
};
static_assert(sizeof(EntryHeader) % kAlign == 0 || alignof(EntryHeader) <= kAlign);

}  // namespace

struct FlightRecorder::Ring {
  shm::RobustMutex mutex;
  std::uint64_t head = 0;   // where the next entry goes
  std::uint64_t tail = 0;   // the oldest entry
  std::uint64_t count = 0;  // entries between them
  std::atomic<std::uint64_t> recorded{0};
  std::atomic<std::uint64_t> skipped{0};
  std::uint64_t bytes = 0;  // of data after this header

  char* data() { return reinterpret_cast<char*>(this + 1); }
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }
  EntryHeader* at(std::uint64_t off) { return reinterpret_cast<EntryHeader*>(data() + off); }
  const EntryHeader* at(std::uint64_t off) const {
    return reinterpret_cast<const EntryHeader*>(data() + off);
  }

  void clear() { head = tail = count = 0; }

  // Drops the oldest entry (the caller holds the lock and count > 0).
  void evict() {
    if (tail + sizeof(std::uint32_t) > bytes || at(tail)->size == 0) tail = 0;  // wrap mark
    tail += at(tail)->size;
    --count;
    if (tail >= bytes) tail = 0;
    if (count == 0) {
      head = tail = 0;
    } else if (tail + sizeof(std::uint32_t) > bytes || at(tail)->size == 0) {
      tail = 0;  // the rest up to the end is dead: the next entry is at 0
    }
  }

  // Room for n contiguous bytes at head, evicting the oldest entries as needed.
  void makeRoom(std::uint64_t n) {
    for (;;) {
      if (count == 0) {
        head = tail = 0;
        return;
      }
      if (tail < head) {  // live data is [tail, head): free is [head, bytes) then [0, tail)
        if (bytes - head >= n) return;
        if (bytes - head >= sizeof(std::uint32_t)) at(head)->size = 0;  // wrap mark
        head = 0;
        continue;
      }
      // tail >= head: free is [head, tail)
      if (tail - head >= n) return;
      evict();
    }
  }
};

Result<std::unique_ptr<FlightRecorder>> FlightRecorder::create(shm::Segment& segment,
                                                               std::size_t bytes, int minutes) {
  std::size_t ring_bytes = alignUp(std::max(kMinRingBytes, bytes / kRings));
  std::size_t stride = alignUp(sizeof(Ring)) + ring_bytes;
  void* mem = nullptr;
  try {
    mem = shm::allocateBytes(segment.manager(), stride * kRings);
  } catch (const std::bad_alloc&) {
    return Status::noMemory("no room for the flight recorder (" +
                            std::to_string(stride * kRings / 1024) +
                            " KB): lower flight_recorder_size or raise shm_size");
  }
  shm::noteUsage(segment.manager());
  auto* base = static_cast<char*>(mem);
  // Rings are laid out back to back with their data; `stride` keeps each header aligned.
  for (int i = 0; i < kRings; ++i) {
    auto* r = ::new (base + static_cast<std::size_t>(i) * stride) Ring();
    r->bytes = ring_bytes;
  }
  auto* rec = new FlightRecorder(reinterpret_cast<Ring*>(base), ring_bytes, minutes);
  return std::unique_ptr<FlightRecorder>(rec);
}

namespace {
// The i-th ring of a block made by create() (rings are not a C array: each has its data).
template <class R>
R* ringAt(R* first, std::size_t ring_bytes, int i) {
  std::size_t stride = alignUp(sizeof(R)) + ring_bytes;
  using Byte = std::conditional_t<std::is_const_v<R>, const char, char>;
  return reinterpret_cast<R*>(reinterpret_cast<Byte*>(first) +
                              static_cast<std::size_t>(i) * stride);
}
}  // namespace

void FlightRecorder::onCaptured(const Captured& c) {
  Ring* r = ringAt(rings_, ring_bytes_, static_cast<int>(ring_));
  const std::uint64_t need = alignUp(sizeof(EntryHeader) + c.message.size());
  if (need > r->bytes / 4) {
    r->skipped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  shm::RobustMutex::Locked l = r->mutex.lock(kLockTimeoutMs);
  if (l == shm::RobustMutex::Locked::kTimedOut || l == shm::RobustMutex::Locked::kError) {
    r->skipped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (l == shm::RobustMutex::Locked::kOwnerDied) r->clear();  // half-written: start afresh
  // Entries past the window go first, so a quiet ring does not keep hours of old calls.
  const std::int64_t oldest = c.time_us - static_cast<std::int64_t>(minutes_) * 60 * 1000000;
  while (r->count > 0) {
    std::uint64_t t = r->tail;
    if (t + sizeof(std::uint32_t) > r->bytes || r->at(t)->size == 0) t = 0;
    if (r->at(t)->time_us >= oldest) break;
    r->evict();
  }
  r->makeRoom(need);
  EntryHeader* e = r->at(r->head);
  ::new (e) EntryHeader();
  e->size = static_cast<std::uint32_t>(need);
  e->message_len = static_cast<std::uint32_t>(c.message.size());
  e->time_us = c.time_us;
  if (!c.call_id.empty() && c.call_id.data() >= c.message.data() &&
      c.call_id.data() + c.call_id.size() <= c.message.data() + c.message.size()) {
    e->call_id_off = static_cast<std::uint32_t>(c.call_id.data() - c.message.data());
    e->call_id_len = static_cast<std::uint32_t>(c.call_id.size());
  }
  e->src = PackedAddr::of(*c.src);
  e->dst = PackedAddr::of(*c.dst);
  e->proto = static_cast<std::uint8_t>(c.proto);
  e->outgoing = c.outgoing ? 1 : 0;
  std::memcpy(e + 1, c.message.data(), c.message.size());
  r->head += need;
  if (r->head >= r->bytes) r->head = 0;
  ++r->count;
  // The next append evicts the oldest entry and reads the header after it, written a whole
  // ring ago and long out of the cache: most of this function's time was that one miss.
  // Fetched now, it arrives while the worker handles the rest of its message.
  if (r->count > 1) {
    const std::uint64_t next = r->tail + r->at(r->tail)->size;
    if (next < r->bytes) __builtin_prefetch(r->at(next));
  }
  r->mutex.unlock();
  r->recorded.fetch_add(1, std::memory_order_relaxed);
}

std::vector<RecordedMessage> FlightRecorder::read(const RecorderQuery& q,
                                                  std::int64_t now_us) const {
  std::vector<RecordedMessage> out;
  const std::int64_t oldest =
      std::max(q.since_us, now_us - static_cast<std::int64_t>(minutes_) * 60 * 1000000);
  for (int i = 0; i < kRings; ++i) {
    auto* r = const_cast<Ring*>(ringAt(static_cast<const Ring*>(rings_), ring_bytes_, i));
    shm::RobustMutex::Locked l = r->mutex.lock(1000);
    if (l == shm::RobustMutex::Locked::kTimedOut || l == shm::RobustMutex::Locked::kError) {
      SL_ERR("flight recorder: ring %d stays locked; its messages are left out", i);
      continue;
    }
    if (l == shm::RobustMutex::Locked::kOwnerDied) r->clear();
    // First the offsets of the matching entries, then a copy of the newest max_messages of
    // them only: the lock is held for a bounded copy, and the memory is bounded too.
    std::vector<std::uint64_t> hits;
    std::uint64_t off = r->tail;
    for (std::uint64_t n = 0; n < r->count; ++n) {
      if (off + sizeof(std::uint32_t) > r->bytes || r->at(off)->size == 0) off = 0;
      const EntryHeader* e = r->at(off);
      const std::uint64_t at = off;
      off += e->size;
      if (off >= r->bytes) off = 0;
      if (e->time_us < oldest) continue;
      if (!q.call_id.empty()) {
        std::string_view msg(reinterpret_cast<const char*>(e + 1), e->message_len);
        if (msg.substr(e->call_id_off, e->call_id_len) != q.call_id) continue;
      }
      hits.push_back(at);
    }
    std::size_t first = hits.size() > q.max_messages ? hits.size() - q.max_messages : 0;
    for (std::size_t h = first; h < hits.size(); ++h) {
      const EntryHeader* e = r->at(hits[h]);
      std::string_view msg(reinterpret_cast<const char*>(e + 1), e->message_len);
      RecordedMessage m;
      m.time_us = e->time_us;
      m.proto = static_cast<Proto>(e->proto);
      m.outgoing = e->outgoing != 0;
      m.src = e->src.unpack();
      m.dst = e->dst.unpack();
      m.call_id = std::string(msg.substr(e->call_id_off, e->call_id_len));
      m.message = std::string(msg);
      out.push_back(std::move(m));
    }
    r->mutex.unlock();
  }
  std::stable_sort(out.begin(), out.end(), [](const RecordedMessage& a, const RecordedMessage& b) {
    return a.time_us < b.time_us;
  });
  if (out.size() > q.max_messages) {
    out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(q.max_messages));
  }
  return out;
}

std::uint64_t FlightRecorder::recorded() const {
  std::uint64_t n = 0;
  for (int i = 0; i < kRings; ++i) {
    n += ringAt(static_cast<const Ring*>(rings_), ring_bytes_, i)->recorded.load();
  }
  return n;
}

std::uint64_t FlightRecorder::skipped() const {
  std::uint64_t n = 0;
  for (int i = 0; i < kRings; ++i) {
    n += ringAt(static_cast<const Ring*>(rings_), ring_bytes_, i)->skipped.load();
  }
  return n;
}

FlightRecorder* flightRecorder() { return g_recorder; }
void setFlightRecorder(FlightRecorder* recorder) { g_recorder = recorder; }

}  // namespace sipline::trace
