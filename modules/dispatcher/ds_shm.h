// The dispatcher's shared state, one object in the segment ("dispatcher.state"), made by the
// master in init() and used by every process: the destination list in its text form (so each
// process rebuilds the same private list when the generation moves), one state slot per
// destination (flat, set by set, as DsList numbers them) and one round-robin counter per set.
// Everything is read and written under `mutex`; `generation` may be read without it to see
// whether the private copy is stale. The mutex is held only to copy or update these fields:
// never across I/O, a log call or the parsing of the blob (each process copies the blob and
// its generation together under the mutex and parses its copy outside it). The mutex is
// robust: a process killed inside a section leaves it to the next locker, which makes the
// fields agree again (dispatcher.cc, StateLock).
#pragma once

#include <atomic>
#include <boost/interprocess/containers/vector.hpp>
#include <cstdint>
#include <type_traits>

#include "core/shm/robust_mutex.h"
#include "core/shm/segment.h"

namespace sipline::dispatcher {

struct DsSlot {
  std::uint8_t state = 0;      // DsState
  std::uint32_t failures = 0;  // failed probes / ds_mark_dst("p") in a row
  // Monotonic ms when the probe now in flight was sent to a probing destination, 0 when none:
  // such a destination gets one probe at a time (no pile of timing-out transactions).
  std::int64_t probe_sent_ms = 0;
};
static_assert(std::is_trivially_copyable_v<DsSlot>);

struct DsShared {
  explicit DsShared(shm::SegmentManager* sm) : blob(sm), slots(sm), rr(sm) {}
  shm::RobustMutex mutex;
  std::atomic<std::uint64_t> generation{0};
  // The DB could not be reached at start: the sets are empty and the loader process retries
  // until one load (its own or an MI ds_reload) succeeds.
  std::atomic<bool> load_pending{false};
  // A reload is swapping its blob, slots and counters in (under the mutex): found set by
  // the next locker, it means the holder died in between.
  bool installing = false;
  shm::String blob;  // serializeList()
  shm::bip::vector<DsSlot, shm::Allocator<DsSlot>> slots;
  shm::bip::vector<std::uint64_t, shm::Allocator<std::uint64_t>> rr;  // per set, list order
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

}  // namespace sipline::dispatcher
