// The shared DNS cache: answers (NAPTR, SRV, A, AAAA RRsets, and negative answers) keyed by
// name and type, with their expiry, in the shared segment so every worker profits from every
// other's lookups. The master creates it (create()) after the segment exists and before fork;
// a DnsCache is then a small private handle to the shm table, valid in every child.
// Locking: one mutex per bucket, held only while an entry is copied in or out (never across
// DNS I/O), and never two at once. A full cache evicts (expired entries first, then the entry
// of the bucket that expires soonest) or skips storing: it never makes resolution fail.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/base/status.h"
#include "core/dns/dns_cache_shm.h"
#include "core/dns/dns_types.h"
#include "core/shm/segment.h"

namespace sipline::dns {

enum class PutResult : std::uint8_t { kStored, kNoRoom, kNoMemory };

class DnsCache {
 public:
  // Master: builds the table "dns.cache" in `segment`, allowed to hold about `max_bytes` of
  // entries (buckets: a power of two, max_bytes / 1024 clamped to 16..65536).
  static Result<DnsCache> create(shm::Segment& segment, std::size_t max_bytes);

  // A live entry copied out (ttl = seconds left, at least 1), or nullopt. An expired entry
  // met on the way is removed.
  std::optional<DnsAnswer> get(std::string_view name, RrType type, std::int64_t now_ms);
  // Stores `answer` (kOk, kNoData or kNxDomain) for ttl_s seconds, replacing an older entry
  // of the same name and type. kNoRoom when the budget is spent even after eviction,
  // kNoMemory when the segment is full; the cache is unchanged then.
  PutResult put(std::string_view name, RrType type, const DnsAnswer& answer, std::uint32_t ttl_s,
                std::int64_t now_ms);
  // Drops every entry (tests, and an operator's flush).
  void clear();

  std::uint32_t entries() const { return shm_->entries.load(std::memory_order_relaxed); }
  std::uint64_t usedBytes() const { return shm_->used_bytes.load(std::memory_order_relaxed); }
  std::uint64_t maxBytes() const { return shm_->max_bytes; }
  std::uint32_t bucketCount() const { return shm_->mask + 1; }

 private:
  explicit DnsCache(DnsCacheShm* shm) : shm_(shm) {}
  CacheBucketShm& bucketFor(std::uint64_t hash) { return shm_->buckets[hash & shm_->mask]; }
  // Removes entries of `bucket` that expired by now_ms; caller holds the bucket lock.
  void dropExpiredLocked(CacheBucketShm& bucket, std::int64_t now_ms);
  void eraseLocked(CacheBucketShm& bucket, CacheEntryList::iterator it);
  // Drops expired entries of a few buckets after the sweep cursor, one lock at a time.
  void sweepSome(std::int64_t now_ms);

  DnsCacheShm* shm_;
};

}  // namespace sipline::dns
