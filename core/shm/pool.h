// Size-class free lists in front of the segment's best-fit allocator. Boost's rbtree_best_fit
// searches and rebalances a tree under one segment-wide mutex on every allocate and free; the
// hot shm objects (transactions, their branches, the request and reply copies) come and go
// thousands of times a second in a few sizes, so freed blocks of up to kMaxPooled bytes are
// kept on a list per size class (each with its own lock) and handed out again in O(1).
//
// Every block carries a 16-byte header naming its class (or "direct" for larger blocks), so a
// free needs no size and cannot land on the wrong list. Cached blocks count as free memory in
// the segment's usage; when the best-fit allocator runs out, the lists are drained back into
// it and the allocation is retried once, so the cache never turns a fit into a "full" error.
#pragma once

#include <atomic>
#include <boost/interprocess/managed_shared_memory.hpp>
#include <boost/interprocess/offset_ptr.hpp>
#include <boost/interprocess/sync/interprocess_mutex.hpp>
#include <cstddef>
#include <cstdint>

namespace sipline::shm {

using SegmentManager = boost::interprocess::managed_shared_memory::segment_manager;

class SizeClassPool {
 public:
  static constexpr std::size_t kHeader = 16;       // keeps payloads 16-byte aligned
  static constexpr std::size_t kMaxPooled = 8192;  // block size (header included) kept on lists
  static constexpr std::size_t kSmallStep = 32;    // classes 32, 64, ... 1024
  static constexpr std::size_t kSmallMax = 1024;
  static constexpr std::size_t kLargeStep = 256;  // then 1280, 1536, ... 8192
  static constexpr int kClasses =
      static_cast<int>(kSmallMax / kSmallStep + (kMaxPooled - kSmallMax) / kLargeStep);

  SizeClassPool() = default;
  SizeClassPool(const SizeClassPool&) = delete;
  SizeClassPool& operator=(const SizeClassPool&) = delete;

  // n bytes, 16-byte aligned; throws boost::interprocess::bad_alloc when the segment is full.
  void* allocate(SegmentManager* sm, std::size_t n);
  // Frees what allocate() returned (nullptr is ignored).
  void deallocate(SegmentManager* sm, void* p) noexcept;
  // Gives every cached block back to the best-fit allocator.
  void drain(SegmentManager* sm) noexcept;
  // Bytes sitting on the lists (free for the segment's usage figures).
  std::size_t cachedBytes() const { return cached_.load(std::memory_order_relaxed); }

  // The class of a block of `total` bytes (header included), -1 when it is not pooled.
  static int classOf(std::size_t total);
  static std::size_t classSize(int cls);

 private:
  struct FreeBlock {
    boost::interprocess::offset_ptr<FreeBlock> next;
  };
  struct Class {
    boost::interprocess::interprocess_mutex mutex;
    boost::interprocess::offset_ptr<FreeBlock> head;
  };

  void* popCached(int cls);
  void* allocateFresh(SegmentManager* sm, std::size_t total);

  Class classes_[kClasses];
  std::atomic<std::size_t> cached_{0};
};

}  // namespace sipline::shm
