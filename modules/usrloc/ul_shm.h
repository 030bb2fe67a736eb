// The location table as it lives in shared memory. One TableShm per table name ("location"),
// a power-of-two array of buckets with one process-shared mutex each; a bucket chains the
// RecordShm of the AORs hashing to it, and a record chains its ContactShm in insertion order.
//
// Compactness (the budget is 300 bytes of shm per contact beyond its strings): a
// contact is ONE block, its fixed fields followed by its seven strings back to back; a record
// is one block, the AOR following its header. A refresh that keeps the strings rewrites the
// numbers in place; one that changes them replaces the block under the bucket lock.
//
// With a DB mode, a change marks the contact `dirty` with a fresh `stamp` (table-wide, so a
// writer can tell whether the contact changed again while it wrote); a removed or expired
// contact moves to its record's `removed` list as a tombstone until its DELETE is written. A
// record lives while it has live contacts or tombstones. `pending` counts dirty contacts plus
// tombstones, so a flusher with nothing to do does not walk the table.
//
// Every field is guarded by its bucket's mutex, except the atomics of TableShm.
#pragma once

#include <atomic>
#include <boost/interprocess/offset_ptr.hpp>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "core/shm/segment.h"

namespace sipline::usrloc {

// The strings of a contact, in the order they are packed.
enum TextField : int {
  kUri = 0,
  kReceived,
  kPath,
  kCallId,
  kUserAgent,
  kSocket,
  kInstance,
  kTextFields
};

struct ContactShm {
  boost::interprocess::offset_ptr<ContactShm> next;
  std::int64_t expires = 0;  // absolute, unix seconds
  std::int64_t last_modified = 0;
  std::uint32_t stamp = 0;  // of the last change (DB modes)
  std::int32_t q = -1;
  std::int32_t cseq = 0;
  std::int32_t reg_id = 0;
  std::uint32_t flags = 0;
  std::uint32_t cflags = 0;
  std::uint32_t methods = 0;
  std::uint16_t len[kTextFields] = {};
  bool dirty = false;  // changed since its last write to the DB
  // NAT keepalives (nathelper): a SIP ping is out and unanswered; SIP pings lost in a row.
  // Reset whenever the binding is written (a REGISTER proves the client is there).
  bool ping_pending = false;
  std::uint8_t pings_lost = 0;

  // The packed strings follow the struct in the same block.
  const char* text() const { return reinterpret_cast<const char*>(this + 1); }
  char* text() { return reinterpret_cast<char*>(this + 1); }
  std::size_t textSize() const {
    std::size_t n = 0;
    for (std::uint16_t l : len) n += l;
    return n;
  }
  std::string_view field(int f) const {
    std::size_t off = 0;
    for (int i = 0; i < f; ++i) off += len[i];
    return std::string_view(text() + off, len[f]);
  }
  std::string_view uri() const { return std::string_view(text(), len[kUri]); }
};

struct RecordShm {
  boost::interprocess::offset_ptr<RecordShm> next;
  boost::interprocess::offset_ptr<ContactShm> contacts;  // live, in insertion order
  boost::interprocess::offset_ptr<ContactShm> removed;   // tombstones (DB modes)
  std::uint32_t aor_len = 0;
  std::uint32_t live = 0;  // contacts in `contacts`

  std::string_view aor() const {
    return std::string_view(reinterpret_cast<const char*>(this + 1), aor_len);
  }
  char* aorText() { return reinterpret_cast<char*>(this + 1); }
};

struct BucketShm {
  shm::Mutex mutex;
  boost::interprocess::offset_ptr<RecordShm> records;
};

struct TableShm {
  std::uint32_t mask = 0;
  bool persist = false;  // changes are marked for the DB (write-through, write-back)
  boost::interprocess::offset_ptr<BucketShm> buckets;
  std::atomic<std::uint64_t> users{0};     // records with at least one live contact
  std::atomic<std::uint64_t> contacts{0};  // live contacts
  std::atomic<std::uint64_t> expired{0};   // contacts removed by expiry, ever
  std::atomic<std::uint64_t> pending{0};   // dirty contacts + tombstones
  std::atomic<std::uint32_t> next_stamp{1};
};

// Module-wide state shared by every process: the MI's flush requests to the flusher.
struct UsrlocShm {
  std::atomic<std::uint64_t> flush_requested{0};  // bumped by ul_flush
  std::atomic<std::uint64_t> flush_done{0};       // the last request the flusher served
  std::atomic<std::uint64_t> last_flush_written{0};
  std::atomic<bool> last_flush_ok{true};
};

static_assert(std::is_trivially_destructible_v<ContactShm>);
static_assert(std::is_trivially_destructible_v<RecordShm>);
static_assert(alignof(ContactShm) <= 16 && alignof(RecordShm) <= 16);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
static_assert(std::atomic<bool>::is_always_lock_free);
// The fixed part of a contact stays small: most of its block is its strings.
static_assert(sizeof(ContactShm) <= 72);
static_assert(sizeof(RecordShm) <= 32);

}  // namespace sipline::usrloc
