#include "core/shm/segment.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>

namespace sipline::shm {
namespace {

Segment* g_segment = nullptr;
constexpr const char* kHeaderName = "core.segment_header";

// Live segments of this process (the master's, inherited by every child; tests make a few).
struct Registered {
  SegmentManager* sm = nullptr;
  SegmentHeader* header = nullptr;
};
Registered g_registered[8];

void registerHeader(SegmentManager* sm, SegmentHeader* header) {
  for (Registered& r : g_registered) {
    if (r.sm == nullptr) {
      r = Registered{sm, header};
      return;
    }
  }
  // More live segments than slots: this one runs without the pool (still correct).
}

void unregisterHeader(SegmentManager* sm) {
  for (Registered& r : g_registered) {
    if (r.sm == sm) r = Registered{};
  }
}

}  // namespace

SegmentHeader* headerOf(SegmentManager* sm) {
  for (const Registered& r : g_registered) {
    if (r.sm == sm) return r.header;
  }
  return nullptr;
}

void* allocateBytes(SegmentManager* sm, std::size_t n) {
  SegmentHeader* header = headerOf(sm);
  if (header == nullptr) return sm->allocate(n);
  return header->pool.allocate(sm, n);
}

void deallocateBytes(SegmentManager* sm, void* p) noexcept {
  if (p == nullptr) return;
  SegmentHeader* header = headerOf(sm);
  if (header == nullptr) {
    sm->deallocate(p);
    return;
  }
  header->pool.deallocate(sm, p);
}

void noteUsage(SegmentManager* sm) {
  SegmentHeader* header = headerOf(sm);
  if (header == nullptr) return;
  std::size_t in_sm = sm->get_size() - sm->get_free_memory();
  std::size_t cached = header->pool.cachedBytes();
  std::size_t used = in_sm > cached ? in_sm - cached : 0;  // the two reads race harmlessly
  std::size_t seen = header->max_used.load(std::memory_order_relaxed);
  while (used > seen &&
         !header->max_used.compare_exchange_weak(seen, used, std::memory_order_relaxed)) {
  }
}

Result<std::unique_ptr<Segment>> Segment::create(std::size_t bytes) {
  char name[64];
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  std::snprintf(name, sizeof(name), "sipline-%d-%ld", static_cast<int>(getpid()),
                static_cast<long>(ts.tv_nsec));
  try {
    bip::managed_shared_memory memory(bip::create_only, name, bytes);
    // Children inherit the mapping through fork; the name is not needed any more.
    bip::shared_memory_object::remove(name);
    SegmentHeader* header = memory.construct<SegmentHeader>(kHeaderName)();
    auto seg = std::unique_ptr<Segment>(new Segment(std::move(memory), name, header));
    noteUsage(seg->manager());
    return seg;
  } catch (const bip::interprocess_exception& e) {
    bip::shared_memory_object::remove(name);
    return Status::noMemory("cannot create a shared memory segment of " + std::to_string(bytes) +
                            " bytes: " + e.what());
  }
}

Segment::Segment(bip::managed_shared_memory memory, std::string name, SegmentHeader* header)
    : memory_(std::move(memory)), name_(std::move(name)), header_(header) {
  registerHeader(manager(), header_);
}

Segment::~Segment() {
  unregisterHeader(manager());
  if (g_segment == this) g_segment = nullptr;
}

Usage Segment::usage() {
  Usage u;
  SegmentManager* sm = manager();
  u.size = sm->get_size();
  u.free = sm->get_free_memory() + header_->pool.cachedBytes();
  u.used = u.size - u.free;
  noteUsage(sm);
  u.max_used = header_->max_used.load(std::memory_order_relaxed);
  return u;
}

Segment* segment() { return g_segment; }
void setSegment(Segment* s) { g_segment = s; }

}  // namespace sipline::shm
