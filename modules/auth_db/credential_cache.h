// CredentialCache: a bounded cache in shared memory of what auth_db read from the subscriber
// table, so that a registration refresh need not cost a DB round trip. Keys and payloads are
// opaque bytes (the Service builds them); entries older than the TTL are never returned.
//
// Bounds: at most `capacity` entries in all and at most 4x the mean per bucket (at least 16:
// a hash spreads keys unevenly, and a tighter bound evicts long before the cache is full); a
// new entry in a full bucket (or a full cache) replaces the oldest entry of its bucket. Memory is
// that many entries, each at most kMaxKeyBytes + kMaxPayloadBytes. Shared memory running out is not
// an error: the entry is simply not stored (counted in no_memory).
//
// Concurrency: one process-shared mutex per bucket, held only to copy an entry in or out; never
// across DB or script work. Usable from every process after fork.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/shm/segment.h"
#include "core/stats/stats.h"
#include "modules/auth_db/cache_shm.h"

namespace sipline::auth_db {

struct CacheCounters {
  StatCounter hits;
  StatCounter misses;
  StatCounter entries;    // gauge
  StatCounter no_memory;  // entries not stored because shm was full
  StatCounter evictions;  // entries replaced to make room
};

class CredentialCache {
 public:
  static constexpr std::size_t kMaxKeyBytes = 512;
  static constexpr std::size_t kMaxPayloadBytes = 4096;

  // Master, in init(): makes the table in the segment (capacity >= 1). kNoMemory when even the
  // bucket array does not fit. `counters` must outlive the cache.
  static Result<std::unique_ptr<CredentialCache>> create(shm::SegmentManager* sm,
                                                         std::uint64_t capacity,
                                                         std::int64_t ttl_ms,
                                                         CacheCounters* counters);
  ~CredentialCache();

  // Copies the payload of a fresh entry to `payload`: true (a hit) or false (a miss; an expired
  // entry found on the way is removed).
  bool get(std::string_view key, std::int64_t now_ms, std::string& payload);
  // The flush generation: read it before fetching what put() will store.
  std::uint64_t generation() const { return shm_->generation.load(std::memory_order_acquire); }
  // Stores (or replaces) an entry fresh for ttl_ms (< 0: the cache's TTL). False when it was
  // not stored: too large, shm full, or a flush ran since generation() returned `generation`.
  bool put(std::string_view key, std::string_view payload, std::int64_t now_ms,
           std::uint64_t generation, std::int64_t ttl_ms = -1);
  // Removes the entry of key (and voids puts in flight); whether there was one.
  bool erase(std::string_view key);
  // Removes every entry (and voids puts in flight); how many.
  std::uint64_t clear();
  std::uint32_t perBucket() const { return shm_->per_bucket; }
  std::uint64_t size() const { return shm_->entries.load(std::memory_order_relaxed); }
  std::uint64_t capacity() const { return shm_->capacity; }
  std::uint32_t bucketCount() const { return shm_->mask + 1; }
  std::int64_t ttlMs() const { return ttl_ms_; }

 private:
  CredentialCache(CacheShm* shm, shm::SegmentManager* sm, std::int64_t ttl_ms,
                  CacheCounters* counters)
      : shm_(shm), sm_(sm), ttl_ms_(ttl_ms), counters_(counters) {}
  CacheBucketShm& bucketOf(std::string_view key);
  // Caller holds the bucket lock.
  void unlinkLocked(CacheBucketShm& b, CacheEntryShm* prev, CacheEntryShm* e);

  CacheShm* shm_;
  shm::SegmentManager* sm_;
  std::int64_t ttl_ms_;
  CacheCounters* counters_;
};

}  // namespace sipline::auth_db
