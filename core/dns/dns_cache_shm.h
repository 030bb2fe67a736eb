// The DNS cache as it lies in the shared segment: a power-of-two array of buckets, each with
// its own process-shared mutex and a list of entries (one entry = one RRset, or one negative
// answer, of one name and type). Expiry times are CLOCK_MONOTONIC milliseconds, the same in
// every process. Only shm-safe members; the entries of a bucket are touched only under its
// mutex. The byte budget is counted with atomics and is soft (two workers may each add one
// entry past it). Used through dns_cache.h only.
#pragma once

#include <atomic>
#include <boost/interprocess/containers/list.hpp>
#include <boost/interprocess/offset_ptr.hpp>
#include <cstdint>
#include <type_traits>

#include "core/dns/dns_types.h"
#include "core/shm/segment.h"

namespace sipline::dns {

struct CacheEntryShm {
  explicit CacheEntryShm(const shm::Allocator<char>& alloc) : name(alloc), records(alloc) {}
  std::uint64_t hash = 0;
  std::int64_t expires_ms = 0;
  std::uint32_t bytes = 0;  // what the entry counts against the budget
  RrType type = RrType::kA;
  Rcode rcode = Rcode::kOk;  // kOk, kNoData or kNxDomain
  shm::String name;          // normalized query name
  shm::String records;       // answer_codec encoding; empty for negative answers
};

using CacheEntryList = shm::bip::list<CacheEntryShm, shm::Allocator<CacheEntryShm>>;

struct CacheBucketShm {
  explicit CacheBucketShm(const shm::Allocator<CacheEntryShm>& alloc) : entries(alloc) {}
  shm::Mutex mutex;
  CacheEntryList entries;
};

struct DnsCacheShm {
  std::uint32_t mask = 0;  // bucket count - 1
  std::uint64_t max_bytes = 0;
  std::atomic<std::uint64_t> used_bytes{0};
  std::atomic<std::uint32_t> entries{0};
  std::atomic<std::uint32_t> sweep_cursor{0};  // next bucket a full cache sweeps
  shm::bip::offset_ptr<CacheBucketShm> buckets;
};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
static_assert(std::is_trivially_copyable_v<RrType> && std::is_trivially_copyable_v<Rcode>);

}  // namespace sipline::dns
