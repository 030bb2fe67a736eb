#include "modules/auth_db/credential_cache.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "core/base/hash.h"

namespace sipline::auth_db {
namespace {

namespace bip = boost::interprocess;

std::uint32_t roundUpPow2(std::uint64_t n) {
  std::uint32_t p = 1;
  while (p < n && p < (1u << 24)) p <<= 1;
  return p;
}

}  // namespace

Result<std::unique_ptr<CredentialCache>> CredentialCache::create(shm::SegmentManager* sm,
                                                                 std::uint64_t capacity,
                                                                 std::int64_t ttl_ms,
                                                                 CacheCounters* counters) {
  if (capacity == 0) return Status::invalidArgument("auth_db: cache capacity 0");
  // About four entries per bucket on average: short lists, and "the oldest of the bucket" stays
  // close to the oldest overall. The per-bucket bound is well above that mean: with exactly
  // the mean, a bucket that hashing gave 5 of 2000 users evicted one at every pass, and a
  // cyclic load (every phone refreshing) missed on all of them each time.
  std::uint32_t buckets = roundUpPow2((capacity + 3) / 4);
  std::uint64_t mean = (capacity + buckets - 1) / buckets;
  CacheShm* state = nullptr;
  Status st = shm::guardAlloc("auth_db credential cache", [&] {
    state = shm::create<CacheShm>(sm);
    state->mask = buckets - 1;
    state->capacity = capacity;
    state->per_bucket = static_cast<std::uint32_t>(std::max<std::uint64_t>(16, 4 * mean));
    state->buckets = sm->construct<CacheBucketShm>(bip::anonymous_instance)[buckets]();
  });
  if (!st.isOk()) {
    if (state != nullptr) shm::destroy(sm, state);
    return st;
  }
  shm::noteUsage(sm);
  return std::unique_ptr<CredentialCache>(new CredentialCache(state, sm, ttl_ms, counters));
}

CredentialCache::~CredentialCache() = default;  // the table stays with the segment

CacheBucketShm& CredentialCache::bucketOf(std::string_view key) {
  return shm_->buckets[static_cast<std::uint32_t>(fnv1a({key})) & shm_->mask];
}

void CredentialCache::unlinkLocked(CacheBucketShm& b, CacheEntryShm* prev, CacheEntryShm* e) {
  if (prev == nullptr) {
    b.head = e->next;
  } else {
    prev->next = e->next;
  }
  --b.count;
  shm_->entries.fetch_sub(1, std::memory_order_relaxed);
  shm::deallocateBytes(sm_, e);
}

bool CredentialCache::get(std::string_view key, std::int64_t now_ms, std::string& payload) {
  CacheBucketShm& b = bucketOf(key);
  bool hit = false;
  {
    shm::Lock lock(b.mutex);
    CacheEntryShm* prev = nullptr;
    for (CacheEntryShm* e = b.head.get(); e != nullptr; prev = e, e = e->next.get()) {
      if (e->key() != key) continue;
      if (now_ms >= e->expires_ms) {
        unlinkLocked(b, prev, e);
      } else {
        payload.assign(e->payload());
        hit = true;
      }
      break;
    }
  }
  counters_->entries.set(size());
  (hit ? counters_->hits : counters_->misses).inc();
  return hit;
}

bool CredentialCache::put(std::string_view key, std::string_view payload, std::int64_t now_ms,
                          std::uint64_t generation, std::int64_t ttl_ms) {
  if (key.size() > kMaxKeyBytes || payload.size() > kMaxPayloadBytes) return false;
  if (ttl_ms < 0) ttl_ms = ttl_ms_;
  if (ttl_ms == 0) return false;
  // Allocated before taking the bucket lock: the pool has its own lock, never held with ours.
  void* mem = nullptr;
  try {
    mem = shm::allocateBytes(sm_, sizeof(CacheEntryShm) + key.size() + payload.size());
  } catch (const bip::bad_alloc&) {
    counters_->no_memory.inc();
    return false;
  }
  shm::noteUsage(sm_);
  auto* fresh = ::new (mem) CacheEntryShm();
  fresh->expires_ms = now_ms + ttl_ms;
  fresh->key_len = static_cast<std::uint32_t>(key.size());
  fresh->payload_len = static_cast<std::uint32_t>(payload.size());
  std::memcpy(fresh->bytes(), key.data(), key.size());
  std::memcpy(fresh->bytes() + key.size(), payload.data(), payload.size());

  CacheBucketShm& b = bucketOf(key);
  bool stored = false;
  {
    shm::Lock lock(b.mutex);
    // A flush since the caller's fetch: what it read may be what the flush removed. Checked
    // under the bucket lock, which the flush takes after bumping: either we see the bump, or
    // the flush removes our entry after we link it.
    if (shm_->generation.load(std::memory_order_acquire) != generation) {
      shm::deallocateBytes(sm_, fresh);
      return false;
    }
    // The old entry of this key and expired ones go first.
    CacheEntryShm* prev = nullptr;
    for (CacheEntryShm* e = b.head.get(); e != nullptr;) {
      CacheEntryShm* next = e->next.get();
      if (e->key() == key || now_ms >= e->expires_ms) {
        unlinkLocked(b, prev, e);
      } else {
        prev = e;
      }
      e = next;
    }
    // Room: the oldest of this bucket makes way when the bucket or the whole cache is full.
    while (b.head != nullptr && (b.count >= shm_->per_bucket ||
                                 shm_->entries.load(std::memory_order_relaxed) >= shm_->capacity)) {
      unlinkLocked(b, nullptr, b.head.get());
      counters_->evictions.inc();
    }
    if (shm_->entries.load(std::memory_order_relaxed) < shm_->capacity) {
      if (b.head == nullptr) {
        b.head = fresh;
      } else {
        CacheEntryShm* tail = b.head.get();
        while (tail->next != nullptr) tail = tail->next.get();
        tail->next = fresh;
      }
      ++b.count;
      shm_->entries.fetch_add(1, std::memory_order_relaxed);
      stored = true;
    }
  }
  if (!stored) shm::deallocateBytes(sm_, fresh);
  counters_->entries.set(size());
  return stored;
}

bool CredentialCache::erase(std::string_view key) {
  shm_->generation.fetch_add(1, std::memory_order_acq_rel);
  CacheBucketShm& b = bucketOf(key);
  bool found = false;
  {
    shm::Lock lock(b.mutex);
    CacheEntryShm* prev = nullptr;
    for (CacheEntryShm* e = b.head.get(); e != nullptr; prev = e, e = e->next.get()) {
      if (e->key() == key) {
        unlinkLocked(b, prev, e);
        found = true;
        break;
      }
    }
  }
  counters_->entries.set(size());
  return found;
}

std::uint64_t CredentialCache::clear() {
  shm_->generation.fetch_add(1, std::memory_order_acq_rel);
  std::uint64_t n = 0;
  for (std::uint32_t i = 0; i <= shm_->mask; ++i) {
    CacheBucketShm& b = shm_->buckets[i];
    shm::Lock lock(b.mutex);
    while (b.head != nullptr) {
      unlinkLocked(b, nullptr, b.head.get());
      ++n;
    }
  }
  counters_->entries.set(size());
  return n;
}

}  // namespace sipline::auth_db
