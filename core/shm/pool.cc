#include "core/shm/pool.h"

#include <boost/interprocess/exceptions.hpp>
#include <boost/interprocess/sync/scoped_lock.hpp>
#include <new>

namespace sipline::shm {
namespace {

namespace bip = boost::interprocess;
using Lock = bip::scoped_lock<bip::interprocess_mutex>;

constexpr std::uint32_t kMagic = 0x5b1e9001;
constexpr std::int32_t kDirect = -1;

// Sits in front of every payload.
struct alignas(16) BlockHeader {
  std::int32_t cls;  // size class, or kDirect
  std::uint32_t magic;
};
static_assert(sizeof(BlockHeader) == SizeClassPool::kHeader);

BlockHeader* headerOf(void* payload) {
  return reinterpret_cast<BlockHeader*>(static_cast<char*>(payload) - SizeClassPool::kHeader);
}

void* payloadOf(void* block, std::int32_t cls) {
  auto* h = ::new (block) BlockHeader{cls, kMagic};
  return reinterpret_cast<char*>(h) + SizeClassPool::kHeader;
}

}  // namespace

int SizeClassPool::classOf(std::size_t total) {
  if (total == 0 || total > kMaxPooled) return -1;
  if (total <= kSmallMax) return static_cast<int>((total + kSmallStep - 1) / kSmallStep) - 1;
  return static_cast<int>(kSmallMax / kSmallStep +
                          (total - kSmallMax + kLargeStep - 1) / kLargeStep) -
         1;
}

std::size_t SizeClassPool::classSize(int cls) {
  constexpr int kSmallClasses = static_cast<int>(kSmallMax / kSmallStep);
  if (cls < kSmallClasses) return (static_cast<std::size_t>(cls) + 1) * kSmallStep;
  return kSmallMax + static_cast<std::size_t>(cls - kSmallClasses + 1) * kLargeStep;
}

void* SizeClassPool::popCached(int cls) {
  Class& c = classes_[cls];
  Lock lock(c.mutex);
  FreeBlock* b = c.head.get();
  if (b == nullptr) return nullptr;
  c.head = b->next;
  cached_.fetch_sub(classSize(cls), std::memory_order_relaxed);
  return b;
}

void* SizeClassPool::allocateFresh(SegmentManager* sm, std::size_t total) {
  try {
    return sm->allocate(total);
  } catch (const bip::bad_alloc&) {
    if (cachedBytes() == 0) throw;
  }
  drain(sm);
  return sm->allocate(total);  // throws again when the segment is really full
}

void* SizeClassPool::allocate(SegmentManager* sm, std::size_t n) {
  std::size_t total = n + kHeader;
  int cls = classOf(total);
  if (cls < 0) return payloadOf(allocateFresh(sm, total), kDirect);
  void* block = popCached(cls);
  if (block == nullptr) block = allocateFresh(sm, classSize(cls));
  return payloadOf(block, cls);
}

void SizeClassPool::deallocate(SegmentManager* sm, void* p) noexcept {
  if (p == nullptr) return;
  BlockHeader* h = headerOf(p);
  if (h->magic != kMagic || h->cls >= kClasses) __builtin_trap();  // not ours: corruption
  h->magic = 0;
  if (h->cls == kDirect) {
    sm->deallocate(h);
    return;
  }
  int cls = h->cls;
  auto* b = ::new (static_cast<void*>(h)) FreeBlock{};
  Class& c = classes_[cls];
  Lock lock(c.mutex);
  b->next = c.head;
  c.head = b;
  cached_.fetch_add(classSize(cls), std::memory_order_relaxed);
}

void SizeClassPool::drain(SegmentManager* sm) noexcept {
  for (int cls = 0; cls < kClasses; ++cls) {
    Class& c = classes_[cls];
    Lock lock(c.mutex);
    while (FreeBlock* b = c.head.get()) {
      c.head = b->next;
      cached_.fetch_sub(classSize(cls), std::memory_order_relaxed);
      sm->deallocate(b);
    }
  }
}

}  // namespace sipline::shm
