#include "modules/tm/tsx_table.h"

namespace sipline::tm {

namespace bip = boost::interprocess;

TsxTable::TsxTable(std::uint32_t size, std::uint32_t nonce, shm::SegmentManager* sm)
    : mask_(size - 1), nonce_(nonce) {
  buckets_ = sm->construct<Bucket>(bip::anonymous_instance)[size]();
  shm::noteUsage(sm);
}

Transaction* TsxTable::find(std::uint64_t hash, std::string_view key, const Match& match) {
  Bucket& b = buckets_[bucketOf(hash)];
  shm::Lock lock(b.mutex);
  for (Transaction* t = b.head.get(); t != nullptr; t = t->next.get()) {
    if (!t->local && std::string_view(t->key.data(), t->key.size()) == key && match(*t)) {
      t->refs.fetch_add(1, std::memory_order_acq_rel);
      return t;
    }
  }
  return nullptr;
}

Transaction* TsxTable::findByLabel(std::uint32_t bucket, std::uint32_t label) {
  if (bucket > mask_) return nullptr;
  Bucket& b = buckets_[bucket];
  shm::Lock lock(b.mutex);
  for (Transaction* t = b.head.get(); t != nullptr; t = t->next.get()) {
    if (t->label == label) {
      t->refs.fetch_add(1, std::memory_order_acq_rel);
      return t;
    }
  }
  return nullptr;
}

Result<Transaction*> TsxTable::allocateLocked(Bucket& b, std::uint32_t index, std::string_view key,
                                              Method method) {
  shm::SegmentManager* sm = shm::segment()->manager();
  Transaction* t = nullptr;
  try {
    t = shm::create<Transaction>(sm, sm);
    t->key.assign(key.data(), key.size());
  } catch (const bip::bad_alloc&) {
    shm::destroy(sm, t);
    return Status::noMemory("shared memory full: no room for a transaction");
  }
  shm::noteUsage(sm);
  t->bucket = index;
  t->method = method;
  t->timer.owner = t;  // from the start, so even a transaction left half-built is freed
  t->timer.tag = kServerTimer;
  t->label = b.next_label++;
  if (b.next_label == 0) b.next_label = 1;
  t->refs.store(1, std::memory_order_relaxed);
  t->next = b.head;
  if (b.head) b.head->prev = t;
  b.head = t;
  in_use_.fetch_add(1, std::memory_order_relaxed);
  return t;
}

Result<TsxTable::Created> TsxTable::findOrCreate(std::uint64_t hash, std::string_view key,
                                                 Method method, const Match& match) {
  std::uint32_t index = bucketOf(hash);
  Bucket& b = buckets_[index];
  shm::Lock lock(b.mutex);
  for (Transaction* t = b.head.get(); t != nullptr; t = t->next.get()) {
    if (!t->local && std::string_view(t->key.data(), t->key.size()) == key && match(*t)) {
      t->refs.fetch_add(1, std::memory_order_acq_rel);
      return Created{t, true};
    }
  }
  Result<Transaction*> t = allocateLocked(b, index, key, method);
  if (!t.isOk()) return t.status();
  // Counted under the method it was created with, which a server transaction keeps.
  server_by_method_[methodIndex(method)].fetch_add(1, std::memory_order_relaxed);
  return Created{t.value(), false};
}

Result<Transaction*> TsxTable::createLocal(std::uint64_t hash) {
  std::uint32_t index = bucketOf(hash);
  Bucket& b = buckets_[index];
  shm::Lock lock(b.mutex);
  Result<Transaction*> t = allocateLocked(b, index, "", Method::kOther);
  if (t.isOk()) t.value()->local = true;
  return t;
}

bool TsxTable::tryFree(Transaction* t, const std::function<void(Transaction&)>& detach) {
  {
    Bucket& b = buckets_[t->bucket];
    shm::Lock lock(b.mutex);
    if (t->refs.load(std::memory_order_acquire) != 0) return false;
    if (t->prev) {
      t->prev->next = t->next;
    } else {
      b.head = t->next;
    }
    if (t->next) t->next->prev = t->prev;
  }
  detach(*t);
  shm::SegmentManager* sm = shm::segment()->manager();
  for (int i = 0; i < t->nbranches; ++i) {
    shm::destroy(sm, t->branches[i].get());
  }
  if (!t->local) {
    server_by_method_[methodIndex(t->method)].fetch_sub(1, std::memory_order_relaxed);
  }
  shm::destroy(sm, t);
  in_use_.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

void TsxTable::forEach(const std::function<void(const Transaction&)>& fn) {
  for (std::uint32_t i = 0; i <= mask_; ++i) {
    Bucket& b = buckets_[i];
    shm::Lock lock(b.mutex);
    for (Transaction* t = b.head.get(); t != nullptr; t = t->next.get()) fn(*t);
  }
}

}  // namespace sipline::tm
