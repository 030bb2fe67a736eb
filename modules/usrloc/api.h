// The usrloc service ("usrloc") as registrar, lookup users and later modules (nathelper
// pings, MI) see it: AOR → contacts, in shared memory, hashed by AOR with one lock per
// bucket. Everything here is process-local values; the shm layout is usrloc's business.
//
// Tables ("location", or any name a script uses) are declared at bind time with domain();
// usrloc creates their shm in its init() and, with a DB mode, loads their rows there.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/hash.h"
#include "core/base/status.h"

namespace sipline::usrloc {

// Contact::flags bits with a meaning to usrloc (the rest are free for the callers).
// Memory-only (save()'s "memory-only", OpenSIPS FL_MEM): the contact lives in shared memory
// only and never reaches the DB in write-through/write-back; it is lost on a restart.
inline constexpr std::uint32_t kContactMemoryOnly = 1u << 0;

// One binding (RFC 3261 §10.3), plus what NAT traversal and RFC 5626/3327 need.
struct Contact {
  std::string uri;       // the Contact URI as registered
  std::string received;  // "sip:ip:port;transport=x" the REGISTER came from, when it differs
  std::string path;      // RFC 3327 Path header values, comma separated, as received
  std::string callid;
  std::string user_agent;
  std::string socket;        // listener it arrived on, "udp:127.0.0.1:5060"
  std::string instance;      // RFC 5626 +sip.instance (with its <> and quotes removed)
  std::int64_t expires = 0;  // absolute, unix seconds
  std::int32_t q = -1;       // 0..1000 (q * 1000); -1: not given
  std::int32_t cseq = 0;
  std::int32_t reg_id = 0;              // RFC 5626 reg-id, 0: none
  std::uint32_t flags = 0;              // usrloc/registrar flags
  std::uint32_t cflags = 0;             // branch flags to restore on lookup
  std::uint32_t methods = 0xffffffffu;  // bit per Method from Allow; all when unknown
  std::int64_t last_modified = 0;       // unix seconds
};

class Domain;  // a table; opaque

// NAT keepalives (nathelper): how a contact is pinged. kTracked pings expect an answer
// (pingAnswered); one still unanswered at the next ping counts as lost.
enum class PingMode : std::uint8_t { kSkip, kUntracked, kTracked };
using PingSelect = std::function<PingMode(const Contact&)>;

// A contact to ping, copied out of the table.
struct PingTarget {
  std::string aor;
  Contact contact;
  PingMode mode = PingMode::kSkip;
  std::uint32_t table = 0;   // for pingAnswered()
  std::uint32_t bucket = 0;  // for pingAnswered()
};

inline std::uint32_t pingUriHash(std::string_view uri) {
  return static_cast<std::uint32_t>(fnv1a({uri}));
}

struct PingBatch {
  std::vector<PingTarget> targets;
  std::uint64_t removed = 0;  // contacts removed for lost pings
};

// An AOR locked for an edit. Valid only inside withRecord().
class Record {
 public:
  virtual ~Record() = default;
  virtual const std::string& aor() const = 0;
  // The unexpired contacts, in insertion order.
  virtual std::vector<Contact> contacts() const = 0;
  // Adds c; a contact with the same uri is replaced. kNoMemory when shared memory is full,
  // kInvalidArgument when a field is over its limit (nothing changed then).
  virtual Status insert(const Contact& c) = 0;
  // Replaces the contact whose uri equals c.uri; kNotFound if none.
  virtual Status update(const Contact& c) = 0;
  virtual bool remove(std::string_view uri) = 0;
  virtual void removeAll() = 0;
};

class Api {
 public:
  virtual ~Api() = default;
  // Bind time (master, before init): the table of that name, declared if new.
  virtual Result<Domain*> domain(std::string_view name) = 0;
  // Runs fn with the AOR's record locked; a record is created for it if absent and dropped
  // again if it ends empty. fn must not block nor call usrloc. With a DB mode, fn's changes
  // go to the DB as that mode says. kUnavailable in DB-only mode while the DB is down.
  // In DB-only mode fn runs a second time when it adds a contact (on the rows read again
  // under the AOR's lock); only its last run counts, so fn must be repeatable.
  virtual Status withRecord(Domain* d, std::string_view aor,
                            const std::function<Status(Record&)>& fn) = 0;
  // The AOR's unexpired contacts (empty when unknown). Memory only, except in DB-only mode.
  virtual Result<std::vector<Contact>> get(Domain* d, std::string_view aor) = 0;
  // Whether AORs are user@domain (use_domain = true) or user.
  virtual bool useDomain() const = 0;
  // Whether contacts flagged kContactMemoryOnly can be kept: false in DB-only mode (there is
  // no shared-memory table; such an insert is refused). Known from bind time on.
  virtual bool memoryOnlyContacts() const { return true; }

  // The branch flag (0..31) of usrloc's nat_bflag parameter: marks contacts behind NAT; -1:
  // not set.
  virtual int natBflag() const { return -1; }
  // NAT keepalives. The buckets of every table, one after the other, numbered 0..
  // pingBuckets()-1, so that a pinger can spread one pass over its interval. 0 in DB-only
  // mode (no shared-memory table to walk).
  virtual std::uint64_t pingBuckets() const { return 0; }
  // Buckets [from, to): each unexpired contact `select` picks is added to out.targets; a
  // kTracked one whose previous ping is unanswered counts one lost ping first, and at
  // max_lost (> 0) lost in a row it is removed as expired (its row too, in a DB mode)
  // instead. `select` runs under a bucket lock: no blocking, no usrloc calls.
  virtual void collectPings(std::uint64_t /*from*/, std::uint64_t /*to*/,
                            const PingSelect& /*select*/, int /*max_lost*/, PingBatch& /*out*/) {}
  // The contacts whose pingUriHash() is uri_hash in that table bucket answered their ping
  // (any process; a hash, so a ping's callback can carry it in its 64-bit parameter).
  virtual void pingAnswered(std::uint32_t /*table*/, std::uint32_t /*bucket*/,
                            std::uint32_t /*uri_hash*/) {}
};

}  // namespace sipline::usrloc
