#include "modules/usrloc/ul_table.h"

#include <algorithm>
#include <boost/date_time/posix_time/posix_time_types.hpp>
#include <cstring>
#include <new>

#include "core/base/hash.h"
#include "core/base/log.h"

namespace sipline::usrloc {

namespace bip = boost::interprocess;

namespace {

bool memoryOnly(const Contact& c) { return (c.flags & kContactMemoryOnly) != 0; }
bool memoryOnly(const ContactShm& c) { return (c.flags & kContactMemoryOnly) != 0; }

}  // namespace

// The record of one AOR while its bucket is locked (edit()). The RecordShm is made on the
// first insert; the table drops it after fn when it ended empty.
class Table::ShmRecord final : public Record {
 public:
  ShmRecord(Table& table, BucketShm& bucket, RecordShm* rec, std::string_view aor, std::int64_t now)
      : t_(table), b_(bucket), rec_(rec), aor_(aor), now_(now) {}

  const std::string& aor() const override { return aor_; }

  std::vector<Contact> contacts() const override {
    std::vector<Contact> out;
    if (rec_ == nullptr) return out;
    for (const ContactShm* c = rec_->contacts.get(); c != nullptr; c = c->next.get()) {
      if (c->expires > now_) out.push_back(unpackContactLocked(*c));
    }
    return out;
  }

  Status insert(const Contact& c) override {
    Status st = checkContact(c, t_.limits());
    if (!st.isOk()) return st;
    ContactShm* prev = nullptr;
    ContactShm* cur = findLive(c.uri, &prev);
    if (cur != nullptr) return replace(cur, prev, c);
    bool made_record = false;
    ContactShm* node = nullptr;
    try {
      if (rec_ == nullptr) {
        rec_ = t_.newRecordLocked(b_, aor_);
        made_record = true;
      }
      node = t_.newContact(packText(c, t_.limits()), c);
    } catch (const bip::bad_alloc&) {
      if (made_record) {
        t_.dropIfEmptyLocked(b_, rec_);
        rec_ = nullptr;
      }
      return noMemory();
    }
    // A memory-only contact leaves a pending DELETE of its URI alone: that row must still go.
    if (!memoryOnly(c)) cancelTombstone(c.uri);
    bip::offset_ptr<ContactShm>* link = &rec_->contacts;  // append: insertion order
    while (*link) link = &(*link)->next;
    *link = node;
    if (++rec_->live == 1) t_.shm_->users.fetch_add(1, std::memory_order_relaxed);
    t_.shm_->contacts.fetch_add(1, std::memory_order_relaxed);
    if (t_.tracked(*node)) t_.touchLocked(*node);
    return Status::ok();
  }

  Status update(const Contact& c) override {
    Status st = checkContact(c, t_.limits());
    if (!st.isOk()) return st;
    ContactShm* prev = nullptr;
    ContactShm* cur = findLive(c.uri, &prev);
    if (cur == nullptr) return Status::notFound("usrloc: no contact " + c.uri + " for " + aor_);
    return replace(cur, prev, c);
  }

  bool remove(std::string_view uri) override {
    ContactShm* prev = nullptr;
    ContactShm* cur = findLive(uri, &prev);
    if (cur == nullptr) return false;
    t_.removeLiveLocked(*rec_, prev, cur, false);
    return true;
  }

  void removeAll() override {
    if (rec_ == nullptr) return;
    while (rec_->contacts) t_.removeLiveLocked(*rec_, nullptr, rec_->contacts.get(), false);
  }

  RecordShm* record() const { return rec_; }

 private:
  ContactShm* findLive(std::string_view uri, ContactShm** prev) const {
    *prev = nullptr;
    if (rec_ == nullptr) return nullptr;
    for (ContactShm* c = rec_->contacts.get(); c != nullptr; c = c->next.get()) {
      if (c->uri() == uri) return c;
      *prev = c;
    }
    return nullptr;
  }

  // Same URI: the numbers in place when the strings are unchanged, else a new block in the
  // same position (nothing changes when it does not fit). A contact turning memory-only
  // leaves a tombstone, so its row leaves the DB; one turning back is written again.
  Status replace(ContactShm* cur, ContactShm* prev, const Contact& c) {
    bool was_tracked = t_.tracked(*cur);
    bool now_tracked = t_.persist() && !memoryOnly(c);
    if (was_tracked && !now_tracked) {
      Status st = t_.tombstoneLocked(*rec_, c.uri);  // first: it may not fit
      if (!st.isOk()) return noMemory();
      if (cur->dirty) t_.shm_->pending.fetch_sub(1, std::memory_order_relaxed);
      cur->dirty = false;
    }
    PackedText text = packText(c, t_.limits());
    bool same_text = std::memcmp(text.len, cur->len, sizeof(text.len)) == 0 &&
                     std::memcmp(text.bytes.data(), cur->text(), text.bytes.size()) == 0;
    if (!same_text) {
      ContactShm* node = nullptr;
      try {
        node = t_.newContact(text, c);
      } catch (const bip::bad_alloc&) {
        return noMemory();
      }
      node->next = cur->next;
      node->dirty = cur->dirty;
      node->stamp = cur->stamp;
      if (prev != nullptr) {
        prev->next = node;
      } else {
        rec_->contacts = node;
      }
      t_.freeContact(cur);
      cur = node;
    }
    setNumbers(*cur, c);
    if (now_tracked) {
      if (!was_tracked) cancelTombstone(c.uri);
      t_.touchLocked(*cur);
    }
    return Status::ok();
  }

  // A contact registered again before its DELETE was written: the upsert supersedes it.
  void cancelTombstone(std::string_view uri) {
    ContactShm* prev = nullptr;
    for (ContactShm* c = rec_->removed.get(); c != nullptr; prev = c, c = c->next.get()) {
      if (c->uri() != uri) continue;
      if (prev != nullptr) {
        prev->next = c->next;
      } else {
        rec_->removed = c->next;
      }
      t_.freeContact(c);
      t_.shm_->pending.fetch_sub(1, std::memory_order_relaxed);
      return;
    }
  }

  Status noMemory() {
    t_.counters_->no_memory.inc();
    SL_ERR_RATELIMITED("usrloc: no room for a contact of %.*s in table %s (shared memory full)",
                       static_cast<int>(aor_.size()), aor_.data(), t_.name_.c_str());
    return Status::noMemory("usrloc: shared memory full");
  }

  Table& t_;
  BucketShm& b_;
  RecordShm* rec_;
  std::string aor_;
  std::int64_t now_;
};

Result<std::unique_ptr<Table>> Table::create(shm::Segment& segment, const std::string& name,
                                             const TableOptions& options, Counters* counters) {
  if (options.size == 0 || (options.size & (options.size - 1)) != 0) {
    return Status::invalidArgument("usrloc: hash_size must be a power of two");
  }
  std::string shm_name = "usrloc." + name;
  Result<TableShm*> shm = segment.construct<TableShm>(shm_name.c_str());
  if (!shm.isOk()) return shm.status();
  TableShm* t = shm.value();
  t->mask = options.size - 1;
  t->persist = options.persist;
  Status st = shm::guardAlloc(shm_name.c_str(), [&] {
    t->buckets = segment.manager()->construct<BucketShm>(bip::anonymous_instance)[options.size]();
  });
  if (!st.isOk()) return st;
  shm::noteUsage(segment.manager());
  return std::unique_ptr<Table>(new Table(name, t, segment.manager(), options, counters));
}

std::uint32_t Table::bucketOf(std::string_view aor) const {
  return static_cast<std::uint32_t>(fnv1a({aor})) & shm_->mask;
}

template <class Fn>
bool Table::withBucket(std::uint32_t index, Fn&& fn) {
  BucketShm& b = shm_->buckets[index];
  if (lock_timeout_ms_ <= 0) {
    shm::Lock lock(b.mutex);
    fn(b);
    return true;
  }
  boost::posix_time::ptime deadline = boost::posix_time::microsec_clock::universal_time() +
                                      boost::posix_time::milliseconds(lock_timeout_ms_);
  shm::Lock lock(b.mutex, deadline);
  if (!lock.owns()) {
    SL_ERR("usrloc: bucket %u of table %s stays locked; skipping it", index, name_.c_str());
    return false;
  }
  fn(b);
  return true;
}

RecordShm* Table::findLocked(BucketShm& b, std::string_view aor) {
  for (RecordShm* r = b.records.get(); r != nullptr; r = r->next.get()) {
    if (r->aor() == aor) return r;
  }
  return nullptr;
}

RecordShm* Table::newRecordLocked(BucketShm& b, std::string_view aor) {
  void* mem = shm::allocateBytes(sm_, sizeof(RecordShm) + aor.size());
  auto* r = ::new (mem) RecordShm();
  r->aor_len = static_cast<std::uint32_t>(aor.size());
  std::memcpy(r->aorText(), aor.data(), aor.size());
  r->next = b.records;
  b.records = r;
  return r;
}

void Table::dropIfEmptyLocked(BucketShm& b, RecordShm* r) {
  if (r->live != 0 || r->removed) return;
  bip::offset_ptr<RecordShm>* link = &b.records;
  while (*link && link->get() != r) link = &(*link)->next;
  if (*link) *link = r->next;
  shm::deallocateBytes(sm_, r);
}

ContactShm* Table::newContact(const PackedText& text, const Contact& c) {
  void* mem = shm::allocateBytes(sm_, sizeof(ContactShm) + text.bytes.size());
  auto* node = ::new (mem) ContactShm();
  std::memcpy(node->len, text.len, sizeof(node->len));
  std::memcpy(node->text(), text.bytes.data(), text.bytes.size());
  setNumbers(*node, c);
  shm::noteUsage(sm_);
  return node;
}

Status Table::tombstoneLocked(RecordShm& r, std::string_view uri) {
  return shm::guardAlloc("usrloc tombstone", [&] {
    Contact gone;
    gone.uri = std::string(uri);
    ContactShm* node = newContact(packText(gone, limits()), gone);
    touchLocked(*node);
    node->next = r.removed;
    r.removed = node;
  });
}

void Table::touchLocked(ContactShm& c) {
  c.stamp = shm_->next_stamp.fetch_add(1, std::memory_order_relaxed);
  if (!c.dirty) {
    c.dirty = true;
    shm_->pending.fetch_add(1, std::memory_order_relaxed);
  }
}

void Table::removeLiveLocked(RecordShm& r, ContactShm* prev, ContactShm* c, bool expired) {
  if (prev != nullptr) {
    prev->next = c->next;
  } else {
    r.contacts = c->next;
  }
  if (--r.live == 0) shm_->users.fetch_sub(1, std::memory_order_relaxed);
  shm_->contacts.fetch_sub(1, std::memory_order_relaxed);
  if (expired) {
    shm_->expired.fetch_add(1, std::memory_order_relaxed);
    counters_->expired_contacts.inc();
  }
  if (!tracked(*c)) {  // memory mode, or a memory-only contact: no row to delete
    freeContact(c);
    return;
  }
  touchLocked(*c);  // a tombstone is pending until its DELETE is written
  c->next = r.removed;
  r.removed = c;
}

std::uint64_t Table::expireLocked(RecordShm& r, std::int64_t now) {
  std::uint64_t n = 0;
  ContactShm* prev = nullptr;
  ContactShm* c = r.contacts.get();
  while (c != nullptr) {
    ContactShm* next = c->next.get();
    if (c->expires <= now) {
      removeLiveLocked(r, prev, c, true);
      ++n;
    } else {
      prev = c;
    }
    c = next;
  }
  return n;
}

void Table::collectRecordLocked(const RecordShm& r, std::vector<PendingWrite>& out) {
  for (const ContactShm* c = r.contacts.get(); c != nullptr; c = c->next.get()) {
    if (c->dirty && !memoryOnly(*c))
      out.push_back(PendingWrite{std::string(r.aor()), unpackContactLocked(*c), false, c->stamp});
  }
  for (const ContactShm* c = r.removed.get(); c != nullptr; c = c->next.get()) {
    PendingWrite w;
    w.aor = std::string(r.aor());
    w.contact.uri = std::string(c->uri());
    w.remove = true;
    w.stamp = c->stamp;
    out.push_back(std::move(w));
  }
}

Status Table::edit(std::string_view aor, std::int64_t now, const EditFn& fn,
                   std::vector<PendingWrite>* writes) {
  Status result;
  withBucket(bucketOf(aor), [&](BucketShm& b) {
    RecordShm* r = findLocked(b, aor);
    if (r != nullptr) expireLocked(*r, now);
    ShmRecord rec(*this, b, r, aor, now);
    result = fn(rec);
    r = rec.record();
    if (r == nullptr) return;
    if (writes != nullptr && persist()) collectRecordLocked(*r, *writes);
    dropIfEmptyLocked(b, r);
  });
  return result;
}

std::vector<Contact> Table::get(std::string_view aor, std::int64_t now) {
  std::vector<Contact> out;
  withBucket(bucketOf(aor), [&](BucketShm& b) {
    RecordShm* r = findLocked(b, aor);
    if (r == nullptr) return;
    for (const ContactShm* c = r->contacts.get(); c != nullptr; c = c->next.get()) {
      if (c->expires > now) out.push_back(unpackContactLocked(*c));
    }
  });
  return out;
}

Status Table::load(std::string_view aor, const Contact& c) {
  Status st = checkContact(c, limits());
  if (!st.isOk()) return st;
  withBucket(bucketOf(aor), [&](BucketShm& b) {
    st = shm::guardAlloc("usrloc contact", [&] {
      RecordShm* r = findLocked(b, aor);
      if (r == nullptr) r = newRecordLocked(b, aor);
      ContactShm* node = nullptr;
      try {
        node = newContact(packText(c, limits()), c);
      } catch (...) {
        dropIfEmptyLocked(b, r);
        throw;
      }
      bip::offset_ptr<ContactShm>* link = &r->contacts;
      while (*link && (*link)->uri() != c.uri) link = &(*link)->next;
      if (*link) {  // a duplicate row: the later one wins
        node->next = (*link)->next;
        freeContact(link->get());
      } else {
        if (++r->live == 1) shm_->users.fetch_add(1, std::memory_order_relaxed);
        shm_->contacts.fetch_add(1, std::memory_order_relaxed);
      }
      *link = node;
    });
  });
  return st;
}

std::uint64_t Table::sweep(std::int64_t now) {
  std::uint64_t n = 0;
  for (std::uint32_t i = 0; i <= shm_->mask; ++i) {
    withBucket(i, [&](BucketShm& b) {
      RecordShm* r = b.records.get();
      while (r != nullptr) {
        RecordShm* next = r->next.get();
        n += expireLocked(*r, now);
        dropIfEmptyLocked(b, r);
        r = next;
      }
    });
  }
  return n;
}

bool Table::collectPending(std::size_t max, std::uint32_t& cursor, std::vector<PendingWrite>& out) {
  while (cursor <= shm_->mask) {
    if (out.size() >= max) return false;
    withBucket(cursor, [&](BucketShm& b) {
      for (const RecordShm* r = b.records.get(); r != nullptr; r = r->next.get()) {
        collectRecordLocked(*r, out);
      }
    });
    ++cursor;
  }
  return true;
}

void Table::settle(const PendingWrite& w) {
  withBucket(bucketOf(w.aor), [&](BucketShm& b) {
    RecordShm* r = findLocked(b, w.aor);
    ContactShm* live = nullptr;
    ContactShm* tomb = nullptr;
    ContactShm* tomb_prev = nullptr;
    if (r != nullptr) {
      for (ContactShm* c = r->contacts.get(); c != nullptr; c = c->next.get()) {
        if (c->uri() == w.contact.uri) live = c;
      }
      for (ContactShm* c = r->removed.get(); c != nullptr; tomb_prev = c, c = c->next.get()) {
        if (c->uri() == w.contact.uri) {
          tomb = c;
          break;
        }
      }
    }
    if (live != nullptr && tracked(*live)) {
      if (!w.remove && live->stamp == w.stamp) {
        if (live->dirty) shm_->pending.fetch_sub(1, std::memory_order_relaxed);
        live->dirty = false;
      } else if (!live->dirty) {
        touchLocked(*live);  // our write may have landed after a newer one: write it again
      }
    } else if (w.remove) {
      if (tomb != nullptr && tomb->stamp == w.stamp) {
        if (tomb_prev != nullptr) {
          tomb_prev->next = tomb->next;
        } else {
          r->removed = tomb->next;
        }
        freeContact(tomb);
        shm_->pending.fetch_sub(1, std::memory_order_relaxed);
      }
    } else if (tomb != nullptr) {
      // Our upsert landed while the DELETE is pending: a DELETE already on its way may have
      // landed before it, so the tombstone takes a new stamp and is written again.
      touchLocked(*tomb);
    } else if (persist()) {
      // Removed (or made memory-only) and its DELETE written while our upsert was on the way:
      // delete it again.
      Status st = shm::guardAlloc("usrloc record", [&] {
        if (r == nullptr) r = newRecordLocked(b, w.aor);
      });
      if (st.isOk()) st = tombstoneLocked(*r, w.contact.uri);
      if (!st.isOk()) {
        counters_->no_memory.inc();
        SL_ERR_RATELIMITED("usrloc: no room to re-delete %s of %s: %s", w.contact.uri.c_str(),
                           w.aor.c_str(), st.message().c_str());
      }
    }
    if (r != nullptr) dropIfEmptyLocked(b, r);
  });
}

void Table::collectPings(std::uint32_t from, std::uint32_t to, std::int64_t now,
                         const PingSelect& select, int max_lost, std::uint32_t table,
                         PingBatch& out) {
  to = std::min(to, shm_->mask + 1);
  for (std::uint32_t i = from; i < to; ++i) {
    withBucket(i, [&](BucketShm& b) {
      RecordShm* r = b.records.get();
      while (r != nullptr) {
        RecordShm* next_record = r->next.get();
        ContactShm* prev = nullptr;
        ContactShm* c = r->contacts.get();
        while (c != nullptr) {
          ContactShm* next = c->next.get();
          if (c->expires <= now) {  // the sweep's business
            prev = c;
            c = next;
            continue;
          }
          Contact copy = unpackContactLocked(*c);
          PingMode mode = select(copy);
          if (mode == PingMode::kTracked) {
            if (c->ping_pending && c->pings_lost < 255) ++c->pings_lost;
            if (max_lost > 0 && c->pings_lost >= max_lost) {
              removeLiveLocked(*r, prev, c, true);
              ++out.removed;
              c = next;
              continue;
            }
            c->ping_pending = true;
          }
          if (mode != PingMode::kSkip) {
            out.targets.push_back(
                PingTarget{std::string(r->aor()), std::move(copy), mode, table, i});
          }
          prev = c;
          c = next;
        }
        dropIfEmptyLocked(b, r);
        r = next_record;
      }
    });
  }
}

void Table::pingAnswered(std::uint32_t bucket, std::uint32_t uri_hash) {
  if (bucket > shm_->mask) return;
  withBucket(bucket, [&](BucketShm& b) {
    for (RecordShm* r = b.records.get(); r != nullptr; r = r->next.get()) {
      for (ContactShm* c = r->contacts.get(); c != nullptr; c = c->next.get()) {
        if (pingUriHash(c->uri()) != uri_hash) continue;
        c->ping_pending = false;
        c->pings_lost = 0;
      }
    }
  });
}

void Table::forEach(std::int64_t now,
                    const std::function<void(const std::string& aor, std::vector<Contact>&)>& fn) {
  std::vector<std::pair<std::string, std::vector<Contact>>> batch;
  for (std::uint32_t i = 0; i <= shm_->mask; ++i) {
    batch.clear();
    withBucket(i, [&](BucketShm& b) {
      for (const RecordShm* r = b.records.get(); r != nullptr; r = r->next.get()) {
        std::vector<Contact> cs;
        for (const ContactShm* c = r->contacts.get(); c != nullptr; c = c->next.get()) {
          if (c->expires > now) cs.push_back(unpackContactLocked(*c));
        }
        if (!cs.empty()) batch.emplace_back(std::string(r->aor()), std::move(cs));
      }
    });
    for (auto& [aor, cs] : batch) fn(aor, cs);
  }
}

}  // namespace sipline::usrloc
