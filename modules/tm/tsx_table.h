// The transaction table in shared memory: a power-of-two array of buckets, one lock each,
// holding chains of Transactions. Finding a transaction takes a reference (under the bucket
// lock); the holder then locks the transaction itself. Only the timer process frees
// (tryFree), and only an unreferenced transaction, so a reference keeps it alive.
#pragma once

#include <atomic>
#include <boost/interprocess/offset_ptr.hpp>
#include <cstdint>
#include <functional>
#include <string_view>

#include "core/base/status.h"
#include "modules/tm/tsx_shm.h"

namespace sipline::tm {

class TsxTable {
 public:
  // size: a power of two. nonce: distinguishes this start's branch ids from a previous one's.
  TsxTable(std::uint32_t size, std::uint32_t nonce, shm::SegmentManager* sm);
  TsxTable(const TsxTable&) = delete;
  TsxTable& operator=(const TsxTable&) = delete;

  std::uint32_t bucketOf(std::uint64_t hash) const {
    return static_cast<std::uint32_t>(hash) & mask_;
  }
  std::uint32_t nonce() const { return nonce_; }
  std::uint32_t size() const { return mask_ + 1; }

  using Match = std::function<bool(const Transaction&)>;
  // The first transaction of the bucket with this key that `match` accepts, referenced;
  // nullptr when none.
  Transaction* find(std::uint64_t hash, std::string_view key, const Match& match);
  // The transaction with this bucket and label (a reply's branch id), referenced.
  Transaction* findByLabel(std::uint32_t bucket, std::uint32_t label);

  struct Created {
    Transaction* txn = nullptr;
    bool existed = false;  // a matching transaction was there already (a retransmission)
  };
  // Atomically (under the bucket lock): the matching transaction if there is one, else a new
  // one with `key`, a fresh label and refs 1. kNoMemory when shm is full.
  // `method` is set before the transaction becomes visible, so a concurrent retransmission
  // matches it.
  Result<Created> findOrCreate(std::uint64_t hash, std::string_view key, Method method,
                               const Match& match);
  // A transaction with no server key (UAC API), referenced.
  Result<Transaction*> createLocal(std::uint64_t hash);

  void unref(Transaction* t) { t->refs.fetch_sub(1, std::memory_order_acq_rel); }
  // Timer process only: unlinks and destroys an unreferenced transaction. `detach` runs
  // once nobody can reach it any more and before it is destroyed (disarm its timers there).
  // False when it is still referenced.
  bool tryFree(Transaction* t, const std::function<void(Transaction&)>& detach);

  std::uint64_t inUse() const { return in_use_.load(std::memory_order_relaxed); }
  // False when no server transaction of `method` is in the table, so a request of that method
  // cannot be a retransmission: a registrar answering REGISTERs statelessly skips the key and
  // the bucket lock. (A transaction being created at the same moment is the same race as a
  // lookup just before its insertion; the relay path handles it.)
  bool mayHold(Method method) const {
    return server_by_method_[methodIndex(method)].load(std::memory_order_relaxed) != 0;
  }
  // Visits every transaction under its bucket lock (MI listing); fn must not block.
  void forEach(const std::function<void(const Transaction&)>& fn);

 private:
  struct Bucket {
    shm::Mutex mutex;
    boost::interprocess::offset_ptr<Transaction> head;
    std::uint32_t next_label = 1;
  };
  Result<Transaction*> allocateLocked(Bucket& b, std::uint32_t index, std::string_view key,
                                      Method method);

  static constexpr std::size_t kMethods = 16;
  static_assert(static_cast<std::size_t>(Method::kPublish) < kMethods);
  static std::size_t methodIndex(Method m) {
    auto i = static_cast<std::size_t>(m);
    return i < kMethods ? i : 0;
  }

  std::uint32_t mask_;
  std::uint32_t nonce_;
  boost::interprocess::offset_ptr<Bucket> buckets_;
  // The counts below are written on every create and free: padding keeps them off the cache
  // line every lookup reads (alignas would not do: shm blocks are only 16-byte aligned).
  char pad_[64] = {};
  std::atomic<std::uint64_t> in_use_{0};
  std::atomic<std::uint32_t> server_by_method_[kMethods] = {};
};

}  // namespace sipline::tm
