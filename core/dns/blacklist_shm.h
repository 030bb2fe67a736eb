// The destination blacklist as it lies in the shared segment: a power-of-two array of
// buckets, each with a process-shared mutex and a few fixed slots, so adding never allocates
// and never fails (a full bucket reuses the slot that expires soonest). Times are
// CLOCK_MONOTONIC milliseconds. Only shm-safe members; slots are touched under their
// bucket's mutex. Used through blacklist.h only.
#pragma once

#include <cstdint>
#include <type_traits>

#include "core/config/socket_spec.h"
#include "core/shm/segment.h"
#include "core/transport/sock_addr.h"

namespace sipline::dns {

struct BlacklistSlotShm {
  std::int64_t until_ms = 0;  // 0 = free
  SockAddr addr;
  Proto proto = Proto::kUdp;
  char reason[48] = {};  // NUL-terminated, truncated
};

inline constexpr int kBlacklistSlotsPerBucket = 4;

struct BlacklistBucketShm {
  shm::Mutex mutex;
  BlacklistSlotShm slots[kBlacklistSlotsPerBucket];
};

struct BlacklistShm {
  std::uint32_t mask = 0;  // bucket count - 1
  shm::bip::offset_ptr<BlacklistBucketShm> buckets;
};

static_assert(std::is_trivially_copyable_v<BlacklistSlotShm>);

}  // namespace sipline::dns
