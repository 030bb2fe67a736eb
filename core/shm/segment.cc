#include "core/shm/segment.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>

namespace sipline::shm {
namespace {

Segment* g_segment = nullptr;
constexpr const char* kHeaderName = "core.segment_header";

}  // namespace

void noteUsage(SegmentManager* sm) {
  // The header is found by name once per process and cached (same address in every child).
  static SegmentHeader* header = nullptr;
  static SegmentManager* header_sm = nullptr;
  if (header_sm != sm) {
    header = sm->find<SegmentHeader>(kHeaderName).first;
    header_sm = sm;
  }
  if (header == nullptr) return;
  std::size_t used = sm->get_size() - sm->get_free_memory();
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

Segment::~Segment() {
  if (g_segment == this) g_segment = nullptr;
}

Usage Segment::usage() {
  Usage u;
  SegmentManager* sm = manager();
  u.size = sm->get_size();
  u.free = sm->get_free_memory();
  u.used = u.size - u.free;
  noteUsage(sm);
  u.max_used = header_->max_used.load(std::memory_order_relaxed);
  return u;
}

Segment* segment() { return g_segment; }
void setSegment(Segment* s) { g_segment = s; }

}  // namespace sipline::shm
