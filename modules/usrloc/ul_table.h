// One location table in shared memory (layout in ul_shm.h): AOR → contacts, hashed by AOR,
// one lock per bucket. The Table object itself is a process-private handle made by the master
// in init() and inherited through fork; everything it points to is in the segment.
//
// Locking: each call takes exactly one bucket lock at a time and never does I/O under it;
// data leaves only as copies (Contact, PendingWrite). edit() runs the caller's function under
// the lock, so that function must not block nor call back into the table.
//
// DB bookkeeping (a table made with persist = true): edits mark what they change (dirty
// contacts, tombstones for removed ones); memory-only contacts (kContactMemoryOnly) are never
// marked, and one turning memory-only leaves a tombstone so that its row goes. A writer
// copies the marks out with collectPending() or edit()'s `writes`, writes them with no lock
// held, then calls settle() for each one written. settle() clears a mark only if the contact did
// not change again meanwhile, and marks it again otherwise, so concurrent writers can neither lose
// a change nor leave a stale row behind.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/shm/segment.h"
#include "core/stats/stats.h"
#include "modules/usrloc/api.h"
#include "modules/usrloc/contact_fields.h"
#include "modules/usrloc/ul_shm.h"

namespace sipline::usrloc {

// Module-wide counters (StatCounters bound to shm slots by the core; no-ops until then).
struct Counters {
  StatCounter expired_contacts;
  StatCounter db_errors;
  StatCounter no_memory;
};

// A change the DB has not seen yet, copied out of shm.
struct PendingWrite {
  std::string aor;
  Contact contact;      // upserts: the contact as it is now; deletes: only contact.uri
  bool remove = false;  // a DELETE of (aor, contact.uri)
  std::uint32_t stamp = 0;
};

struct TableOptions {
  std::uint32_t size = 4096;  // buckets, a power of two
  bool persist = false;       // mark changes for the DB
  FieldLimits limits = memoryLimits();
};

class Table {
 public:
  // Master, in init(): constructs "usrloc.<name>" in the segment. kNoMemory when it does not
  // fit, kAlreadyExists for a second table of that name. `counters` must outlive the table.
  static Result<std::unique_ptr<Table>> create(shm::Segment& segment, const std::string& name,
                                               const TableOptions& options, Counters* counters);

  const std::string& name() const { return name_; }
  bool persist() const { return shm_->persist; }
  const FieldLimits& limits() const { return options_.limits; }

  using EditFn = std::function<Status(Record&)>;
  // Runs fn on the AOR's record with its bucket locked: contacts expired by `now` are removed
  // first; a record is made on the first insert and dropped when it ends empty. With
  // `writes` (DB modes), the AOR's pending writes are copied there afterwards. Returns fn's
  // status; fn's changes stay even when it fails.
  Status edit(std::string_view aor, std::int64_t now, const EditFn& fn,
              std::vector<PendingWrite>* writes);
  // The AOR's contacts unexpired at `now` (empty when unknown).
  std::vector<Contact> get(std::string_view aor, std::int64_t now);
  // Start-up load from the DB: stores c as written already (no mark). Replaces a contact of
  // the same URI. kNoMemory when full.
  Status load(std::string_view aor, const Contact& c);
  // Removes the contacts expired by `now` (tombstones in DB modes) and the records left
  // empty; counts them. Returns how many expired.
  std::uint64_t sweep(std::int64_t now);

  // Copies pending writes of buckets from `cursor` on until at least `max` are collected or
  // the table ends; `cursor` moves past the buckets read. True when the end was reached.
  bool collectPending(std::size_t max, std::uint32_t& cursor, std::vector<PendingWrite>& out);
  // `w` reached the DB (or can never be written): clears its mark if unchanged since.
  void settle(const PendingWrite& w);

  // Visits every AOR with its unexpired contacts (copies; no lock held during fn).
  void forEach(std::int64_t now,
               const std::function<void(const std::string& aor, std::vector<Contact>&)>& fn);

  // NAT keepalives (Api::collectPings for this table's buckets [from, to)); targets get
  // table index `table`.
  void collectPings(std::uint32_t from, std::uint32_t to, std::int64_t now,
                    const PingSelect& select, int max_lost, std::uint32_t table, PingBatch& out);
  void pingAnswered(std::uint32_t bucket, std::uint32_t uri_hash);
  std::uint32_t bucketCount() const { return shm_->mask + 1; }

  std::uint64_t users() const { return shm_->users.load(std::memory_order_relaxed); }
  std::uint64_t contacts() const { return shm_->contacts.load(std::memory_order_relaxed); }
  std::uint64_t expired() const { return shm_->expired.load(std::memory_order_relaxed); }
  std::uint64_t pending() const { return shm_->pending.load(std::memory_order_relaxed); }

  // Master at shutdown, after the children are gone: a lock a killed child may have left held
  // is given up after `ms` (the bucket is skipped) instead of hanging the shutdown.
  void setLockTimeoutMs(int ms) { lock_timeout_ms_ = ms; }

  std::uint32_t bucketOf(std::string_view aor) const;

 private:
  class ShmRecord;
  friend class ShmRecord;
  Table(std::string name, TableShm* shm, shm::SegmentManager* sm, const TableOptions& options,
        Counters* counters)
      : name_(std::move(name)), shm_(shm), sm_(sm), options_(options), counters_(counters) {}

  // Runs fn(bucket) with the bucket locked; false when the lock timed out (shutdown only).
  template <class Fn>
  bool withBucket(std::uint32_t index, Fn&& fn);

  RecordShm* findLocked(BucketShm& b, std::string_view aor);
  RecordShm* newRecordLocked(BucketShm& b, std::string_view aor);  // throws bad_alloc
  void dropIfEmptyLocked(BucketShm& b, RecordShm* r);
  ContactShm* newContact(const PackedText& text, const Contact& c);  // throws bad_alloc
  void freeContact(ContactShm* c) { shm::deallocateBytes(sm_, c); }
  void touchLocked(ContactShm& c);
  // Whether c's changes go to the DB: a persisting table, and c not memory-only.
  bool tracked(const ContactShm& c) const {
    return persist() && (c.flags & kContactMemoryOnly) == 0;
  }
  // Adds a pending DELETE of uri to r; kNoMemory when it does not fit.
  Status tombstoneLocked(RecordShm& r, std::string_view uri);
  // Unlinks live contact c (prev: its predecessor or null): tombstone or free.
  void removeLiveLocked(RecordShm& r, ContactShm* prev, ContactShm* c, bool expired);
  std::uint64_t expireLocked(RecordShm& r, std::int64_t now);
  void collectRecordLocked(const RecordShm& r, std::vector<PendingWrite>& out);

  std::string name_;
  TableShm* shm_;
  shm::SegmentManager* sm_;
  TableOptions options_;
  Counters* counters_;
  int lock_timeout_ms_ = 0;
};

}  // namespace sipline::usrloc
