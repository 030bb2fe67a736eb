// The shm layout of the domain table: one immutable snapshot (the normalised names, sorted,
// each followed by '\n') that a reload replaces as a whole. The pointer and the snapshot it
// points to are read and replaced only under `mutex`; `generation` changes with every swap so
// that a process sees without a lock whether its private copy is still current. The mutex is
// robust: a worker killed while copying the snapshot must not freeze every other process's
// is_from_local() (a plain process-shared mutex would stay locked for good).
// Only trivially copyable fields, offset pointers, lock-free atomics and a robust mutex:
// shm-safe.
#pragma once

#include <atomic>
#include <boost/interprocess/offset_ptr.hpp>
#include <cstdint>
#include <type_traits>

#include "core/shm/robust_mutex.h"

namespace sipline::domain {

struct SnapshotShm {
  std::uint32_t count = 0;  // names
  std::uint32_t len = 0;    // bytes after the header
  char* bytes() { return reinterpret_cast<char*>(this + 1); }
};

struct DomainShm {
  shm::RobustMutex mutex;
  boost::interprocess::offset_ptr<SnapshotShm> current;  // guarded by mutex; never null after init
  std::atomic<std::uint64_t> generation{0};
};

static_assert(std::is_trivially_copyable_v<SnapshotShm>);
static_assert(alignof(SnapshotShm) <= 16);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

}  // namespace sipline::domain
