// The shm layout of auth_db's credential cache (credential_cache.h): a power-of-two array of
// buckets, each a singly linked list of entries in insertion order (the head is the oldest),
// each entry one block holding its fixed header, then its key bytes, then its payload bytes.
// Only trivially copyable fields and offset pointers: shm-safe. Entries are reached only under
// their bucket's mutex.
#pragma once

#include <atomic>
#include <boost/interprocess/offset_ptr.hpp>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "core/shm/segment.h"

namespace sipline::auth_db {

struct CacheEntryShm {
  boost::interprocess::offset_ptr<CacheEntryShm> next;
  std::int64_t expires_ms = 0;  // monotonic ms from which it is no longer returned
  std::uint32_t key_len = 0;
  std::uint32_t payload_len = 0;

  char* bytes() { return reinterpret_cast<char*>(this + 1); }
  std::string_view key() { return {bytes(), key_len}; }
  std::string_view payload() { return {bytes() + key_len, payload_len}; }
};

struct CacheBucketShm {
  shm::Mutex mutex;
  boost::interprocess::offset_ptr<CacheEntryShm> head;  // oldest first
  std::uint32_t count = 0;
};

struct CacheShm {
  std::uint32_t mask = 0;
  std::uint32_t per_bucket = 0;  // at most this many entries per bucket
  std::uint64_t capacity = 0;    // at most this many entries in all
  std::atomic<std::uint64_t> entries{0};
  // Bumped by every flush (erase, clear) before it removes anything. A reader takes it before
  // its DB fetch and put() drops the row when it moved: a row read before a flush must not come
  // back after it (the flush follows a password change or removal in the DB).
  std::atomic<std::uint64_t> generation{0};
  boost::interprocess::offset_ptr<CacheBucketShm> buckets;
};

static_assert(std::is_trivially_destructible_v<CacheEntryShm>);
static_assert(alignof(CacheEntryShm) <= 16);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

}  // namespace sipline::auth_db
