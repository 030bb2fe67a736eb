// The shared-memory segment: one Boost.Interprocess managed segment created by the master
// before fork and inherited (same address) by every child. Its name is removed from /dev/shm
// as soon as it is mapped, so a crash leaves nothing behind. Modules construct named objects
// ("tm.table", "usrloc.location") in their init(); nothing allocates from it before that.
//
// Only shm-safe types go in the segment: trivially copyable values, shm::String, bip::
// containers with shm::Allocator<T>, bip::offset_ptr and lock-free std::atomic. Running out of
// memory throws bip::bad_alloc inside Boost; the helpers here turn it into Code::kNoMemory.
// The process-global segment() is set by the master and valid in every child after fork.
#pragma once

#include <atomic>
#include <boost/interprocess/allocators/allocator.hpp>
#include <boost/interprocess/containers/string.hpp>
#include <boost/interprocess/managed_shared_memory.hpp>
#include <boost/interprocess/sync/interprocess_mutex.hpp>
#include <boost/interprocess/sync/scoped_lock.hpp>
#include <cstddef>
#include <memory>
#include <string>

#include "core/base/status.h"
#include "core/shm/pool.h"

namespace sipline::shm {

namespace bip = boost::interprocess;
using SegmentManager = bip::managed_shared_memory::segment_manager;

// Segment header kept in shm: the high-water mark of used bytes and the size-class pool.
struct SegmentHeader {
  std::atomic<std::size_t> max_used{0};
  SizeClassPool pool;
  static_assert(std::atomic<std::size_t>::is_always_lock_free);
};

// The header of a segment made by Segment::create (registered per process, inherited by
// fork); nullptr for any other segment manager.
SegmentHeader* headerOf(SegmentManager* sm);

// Notes the current usage in the segment's high-water mark (called after allocations).
void noteUsage(SegmentManager* sm);

// Raw shm memory through the segment's pool (16-byte aligned); throws bip::bad_alloc when
// full. Segments without a header (none in practice) fall back to the best-fit allocator.
void* allocateBytes(SegmentManager* sm, std::size_t n);
void deallocateBytes(SegmentManager* sm, void* p) noexcept;

// Constructs one T in the segment (through the pool); throws bip::bad_alloc when full.
template <class T, class... Args>
T* create(SegmentManager* sm, Args&&... args) {
  void* mem = allocateBytes(sm, sizeof(T));
  try {
    return ::new (mem) T(std::forward<Args>(args)...);
  } catch (...) {
    deallocateBytes(sm, mem);
    throw;
  }
}
template <class T>
void destroy(SegmentManager* sm, T* p) noexcept {
  if (p == nullptr) return;
  p->~T();
  deallocateBytes(sm, p);
}

// The allocator every shm container uses: offset pointers into the segment, memory from its
// size-class pool, high-water tracking. A plain (version 1) allocator on purpose: Boost's
// version-2 allocation_command would go around the pool.
template <class T>
class Allocator {
 public:
  using value_type = T;
  using pointer = bip::offset_ptr<T>;
  using const_pointer = bip::offset_ptr<const T>;
  using void_pointer = bip::offset_ptr<void>;
  using const_void_pointer = bip::offset_ptr<const void>;
  using size_type = std::size_t;
  using difference_type = std::ptrdiff_t;
  template <class U>
  struct rebind {
    using other = Allocator<U>;
  };

  Allocator(SegmentManager* sm) : sm_(sm) {}  // NOLINT: implicit like bip::allocator
  template <class U>
  Allocator(const Allocator<U>& other) : sm_(other.get_segment_manager()) {}  // NOLINT

  SegmentManager* get_segment_manager() const { return sm_.get(); }

  pointer allocate(size_type n) {
    if (n > static_cast<size_type>(-1) / 2 / sizeof(T)) throw bip::bad_alloc();
    void* p = allocateBytes(sm_.get(), n * sizeof(T));
    noteUsage(sm_.get());
    return pointer(static_cast<T*>(p));
  }
  void deallocate(const pointer& p, size_type /*n*/) noexcept {
    deallocateBytes(sm_.get(), static_cast<void*>(p.get()));
  }
  size_type max_size() const { return static_cast<size_type>(-1) / 2 / sizeof(T); }

  template <class U>
  bool operator==(const Allocator<U>& o) const {
    return sm_.get() == o.get_segment_manager();
  }
  template <class U>
  bool operator!=(const Allocator<U>& o) const {
    return !(*this == o);
  }

 private:
  bip::offset_ptr<SegmentManager> sm_;
};

using String = bip::basic_string<char, std::char_traits<char>, Allocator<char>>;
using Mutex = bip::interprocess_mutex;
using Lock = bip::scoped_lock<bip::interprocess_mutex>;

struct Usage {
  std::size_t size = 0;
  std::size_t used = 0;
  std::size_t free = 0;
  std::size_t max_used = 0;
};

class Segment {
 public:
  // Master only: creates and maps a segment of `bytes`, then removes its name.
  static Result<std::unique_ptr<Segment>> create(std::size_t bytes);
  ~Segment();
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;

  SegmentManager* manager() { return memory_.get_segment_manager(); }

  // Constructs a named object; kAlreadyExists if the name is taken, kNoMemory if full.
  template <class T, class... Args>
  Result<T*> construct(const char* name, Args&&... args) {
    try {
      if (memory_.find<T>(name).first != nullptr) {
        return Status::alreadyExists(std::string("shm object exists: ") + name);
      }
      T* created = memory_.construct<T>(name)(std::forward<Args>(args)...);
      noteUsage(manager());
      return created;
    } catch (const bip::bad_alloc&) {
      return Status::noMemory(std::string("shared memory full while creating ") + name);
    }
  }
  // Finds a named object constructed earlier; nullptr if absent.
  template <class T>
  T* find(const char* name) {
    return memory_.find<T>(name).first;
  }

  Usage usage();
  const std::string& name() const { return name_; }

 private:
  Segment(bip::managed_shared_memory memory, std::string name, SegmentHeader* header);
  bip::managed_shared_memory memory_;
  std::string name_;
  SegmentHeader* header_;
};

// The process-global segment (nullptr before the master creates it).
Segment* segment();
void setSegment(Segment* s);

// Runs fn() and turns bip::bad_alloc into Code::kNoMemory.
template <class Fn>
Status guardAlloc(const char* what, Fn&& fn) {
  try {
    std::forward<Fn>(fn)();
    return Status::ok();
  } catch (const bip::bad_alloc&) {
    return Status::noMemory(std::string("shared memory full: ") + what);
  }
}

}  // namespace sipline::shm
