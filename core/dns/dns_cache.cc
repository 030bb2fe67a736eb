#include "core/dns/dns_cache.h"

#include <algorithm>
#include <string>

#include "core/base/hash.h"
#include "core/dns/answer_codec.h"

namespace sipline::dns {
namespace {

constexpr std::uint32_t kMinBuckets = 16;
constexpr std::uint32_t kMaxBuckets = 1u << 16;
constexpr std::uint32_t kSweepBuckets = 8;
// Bookkeeping of one entry beyond its strings: the list node and allocator headers.
constexpr std::uint32_t kEntryOverhead = sizeof(CacheEntryShm) + 64;

std::uint64_t keyHash(std::string_view name, RrType type) {
  const char tag[2] = {static_cast<char>(static_cast<std::uint16_t>(type) >> 8),
                       static_cast<char>(static_cast<std::uint16_t>(type) & 0xff)};
  return fnv1a({name, std::string_view(tag, 2)});
}

std::uint32_t bucketsFor(std::size_t max_bytes) {
  std::uint32_t n = kMinBuckets;
  while (n < kMaxBuckets && static_cast<std::size_t>(n) * 2 * 1024 <= max_bytes) n *= 2;
  return n;
}

}  // namespace

Result<DnsCache> DnsCache::create(shm::Segment& segment, std::size_t max_bytes) {
  Result<DnsCacheShm*> made = segment.construct<DnsCacheShm>("dns.cache");
  if (!made.isOk()) return made.status();
  DnsCacheShm* shm = made.value();
  const std::uint32_t n = bucketsFor(max_bytes);
  shm::SegmentManager* sm = segment.manager();
  CacheBucketShm* buckets = nullptr;
  Status st = shm::guardAlloc("dns cache buckets", [&] {
    buckets = sm->construct<CacheBucketShm>(shm::bip::anonymous_instance)[n](
        shm::Allocator<CacheEntryShm>(sm));
  });
  if (!st.isOk()) return st;
  shm::noteUsage(sm);
  shm->mask = n - 1;
  shm->max_bytes = max_bytes;
  shm->buckets = buckets;
  return DnsCache(shm);
}

void DnsCache::eraseLocked(CacheBucketShm& bucket, CacheEntryList::iterator it) {
  shm_->used_bytes.fetch_sub(it->bytes, std::memory_order_relaxed);
  shm_->entries.fetch_sub(1, std::memory_order_relaxed);
  bucket.entries.erase(it);
}

void DnsCache::dropExpiredLocked(CacheBucketShm& bucket, std::int64_t now_ms) {
  for (auto it = bucket.entries.begin(); it != bucket.entries.end();) {
    auto next = std::next(it);
    if (it->expires_ms <= now_ms) eraseLocked(bucket, it);
    it = next;
  }
}

void DnsCache::sweepSome(std::int64_t now_ms) {
  const std::uint32_t start = shm_->sweep_cursor.fetch_add(kSweepBuckets);
  for (std::uint32_t i = 0; i < kSweepBuckets; ++i) {
    CacheBucketShm& bucket = shm_->buckets[(start + i) & shm_->mask];
    shm::Lock lock(bucket.mutex);
    dropExpiredLocked(bucket, now_ms);
  }
}

std::optional<DnsAnswer> DnsCache::get(std::string_view name, RrType type, std::int64_t now_ms) {
  const std::uint64_t hash = keyHash(name, type);
  CacheBucketShm& bucket = bucketFor(hash);
  std::string records;
  DnsAnswer answer;
  {
    shm::Lock lock(bucket.mutex);
    auto it =
        std::find_if(bucket.entries.begin(), bucket.entries.end(), [&](const CacheEntryShm& e) {
          return e.hash == hash && e.type == type &&
                 std::string_view(e.name.data(), e.name.size()) == name;
        });
    if (it == bucket.entries.end()) return std::nullopt;
    if (it->expires_ms <= now_ms) {
      eraseLocked(bucket, it);
      return std::nullopt;
    }
    answer.rcode = it->rcode;
    answer.ttl =
        static_cast<std::uint32_t>(std::max<std::int64_t>(1, (it->expires_ms - now_ms) / 1000));
    records.assign(it->records.data(), it->records.size());
  }
  if (!decodeRecords(type, records, answer)) return std::nullopt;
  return answer;
}

PutResult DnsCache::put(std::string_view name, RrType type, const DnsAnswer& answer,
                        std::uint32_t ttl_s, std::int64_t now_ms) {
  std::string records;
  if (answer.rcode == Rcode::kOk) encodeRecords(type, answer, records);
  const std::uint64_t bytes = kEntryOverhead + name.size() + records.size();
  // One answer may not take more than an eighth of the cache.
  if (bytes * 8 > shm_->max_bytes) return PutResult::kNoRoom;
  if (usedBytes() + bytes > shm_->max_bytes) sweepSome(now_ms);
  const std::uint64_t hash = keyHash(name, type);
  CacheBucketShm& bucket = bucketFor(hash);
  shm::Lock lock(bucket.mutex);
  dropExpiredLocked(bucket, now_ms);
  for (auto it = bucket.entries.begin(); it != bucket.entries.end(); ++it) {
    if (it->hash == hash && it->type == type &&
        std::string_view(it->name.data(), it->name.size()) == name) {
      eraseLocked(bucket, it);
      break;
    }
  }
  while (usedBytes() + bytes > shm_->max_bytes && !bucket.entries.empty()) {
    auto soonest = std::min_element(
        bucket.entries.begin(), bucket.entries.end(),
        [](const CacheEntryShm& a, const CacheEntryShm& b) { return a.expires_ms < b.expires_ms; });
    eraseLocked(bucket, soonest);
  }
  if (usedBytes() + bytes > shm_->max_bytes) return PutResult::kNoRoom;
  bool created = false;
  Status st = shm::guardAlloc("dns cache entry", [&] {
    bucket.entries.emplace_front(shm::Allocator<char>(bucket.entries.get_allocator()));
    created = true;
    CacheEntryShm& e = bucket.entries.front();
    e.hash = hash;
    e.type = type;
    e.rcode = answer.rcode;
    e.expires_ms = now_ms + static_cast<std::int64_t>(ttl_s) * 1000;
    e.name.assign(name.data(), name.size());
    e.records.assign(records.data(), records.size());
  });
  if (!st.isOk()) {
    if (created) bucket.entries.pop_front();
    return PutResult::kNoMemory;
  }
  bucket.entries.front().bytes = static_cast<std::uint32_t>(bytes);
  shm_->used_bytes.fetch_add(bytes, std::memory_order_relaxed);
  shm_->entries.fetch_add(1, std::memory_order_relaxed);
  return PutResult::kStored;
}

void DnsCache::clear() {
  for (std::uint32_t i = 0; i <= shm_->mask; ++i) {
    CacheBucketShm& bucket = shm_->buckets[i];
    shm::Lock lock(bucket.mutex);
    while (!bucket.entries.empty()) eraseLocked(bucket, bucket.entries.begin());
  }
}

}  // namespace sipline::dns
