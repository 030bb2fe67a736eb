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

namespace sipline::shm {

namespace bip = boost::interprocess;
using SegmentManager = bip::managed_shared_memory::segment_manager;

// Segment header kept in shm: the high-water mark of used bytes.
struct SegmentHeader {
  std::atomic<std::size_t> max_used{0};
  static_assert(std::atomic<std::size_t>::is_always_lock_free);
};

// Notes the current usage in the segment's high-water mark (called after allocations).
void noteUsage(SegmentManager* sm);

// The allocator every shm container uses: bip::allocator plus high-water tracking.
template <class T>
class Allocator : public bip::allocator<T, SegmentManager> {
  using Base = bip::allocator<T, SegmentManager>;

 public:
  template <class U>
  struct rebind {
    using other = Allocator<U>;
  };
  Allocator(SegmentManager* sm) : Base(sm) {}  // NOLINT: implicit like bip::allocator
  template <class U>
  Allocator(const Allocator<U>& other) : Base(other.get_segment_manager()) {}  // NOLINT
  typename Base::pointer allocate(typename Base::size_type n) {
    typename Base::pointer p = Base::allocate(n);
    noteUsage(this->get_segment_manager());
    return p;
  }
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
  Segment(bip::managed_shared_memory memory, std::string name, SegmentHeader* header)
      : memory_(std::move(memory)), name_(std::move(name)), header_(header) {}
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
