// ConnIndex: the TCP/TLS connections of the whole server, in shared memory, so that any
// process can find the connection to a peer and the TCP worker that owns it (RFC 3261 §18:
// replies go back on the connection the request came on; a contact registered over TCP or
// TLS is reached over its own connection). The owner is the only process that reads or
// writes the socket; other processes hand their messages to it (core/transport/tcp_handoff.h).
//
// Keyed by (transport, peer address): a TCP peer's address and port name one connection.
// Two connections to one peer may exist (both sides connected at once); find() returns the
// newest. An id is (generation << 32) | slot, so a stale id never matches a reused slot.
//
// Fixed capacity (tcp_max_connections) chosen at start: add() fails when full and the
// caller refuses or closes the connection. addIncoming() also bounds what one IP address may
// hold and keeps slots free for the connections the server opens, so that a flood of
// connections from one host neither locks every other phone out nor stops calls to gateways. One
// robust process-shared mutex, held for a few loads and stores, never across I/O; if its holder
// dies, the next locker rebuilds the hash chains and the free list from the slots (which are
// written last), so the index stays consistent. Lives in the shm segment (trivially copyable data
// after the header).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "core/base/status.h"
#include "core/config/socket_spec.h"
#include "core/shm/robust_mutex.h"
#include "core/shm/segment.h"
#include "core/transport/sock_addr.h"

namespace sipline {

struct ConnInfo {
  std::uint64_t id = 0;
  Proto proto = Proto::kTcp;
  SockAddr peer;
  int listener = -1;               // index of the local listener (its transport and address)
  int owner = -1;                  // index of the owning TCP worker
  bool outgoing = false;           // we connected (else the peer did)
  std::int64_t created_s = 0;      // wall clock, for listings
  std::int64_t keep_until_ms = 0;  // monotonic; the owner keeps it open at least this long
};

class ConnIndex {
 public:
  // Master, before fork: capacity connections in `workers` owners.
  static Result<ConnIndex*> create(shm::Segment& segment, std::size_t capacity, int workers);

  // Registers a connection; its id, or 0 when the index is full. `publish`, when given, runs
  // under the lock with the new id before anyone can find it (a new outgoing connection is
  // handed to its owner before another process can send on it); when it returns false the
  // connection is not registered and 0 is returned.
  std::uint64_t add(const ConnInfo& info,
                    const std::function<bool(std::uint64_t id)>& publish = nullptr);

  // For a connection a peer opened (checked under the lock, so workers accepting at once
  // cannot overshoot): at most max_per_ip of them from one IP address, TCP and TLS together
  // (0: no limit), and `reserved` slots always left free for the ones the server opens.
  struct IncomingLimits {
    std::size_t max_per_ip = 0;
    std::size_t reserved = 0;
  };
  enum class Refusal { kNone, kFull, kPerIp };
  std::uint64_t addIncoming(const ConnInfo& info, const IncomingLimits& limits, Refusal& why);
  // Connections opened by peers at that IP address (any port, TCP and TLS).
  std::size_t incomingFrom(const SockAddr& peer);
  void remove(std::uint64_t id);
  // The newest connection of that transport to `peer`.
  bool find(Proto proto, const SockAddr& peer, ConnInfo& out);
  bool findById(std::uint64_t id, ConnInfo& out);
  // Keeps the connection to `peer` open until at least `until_ms` (monotonic ms): a
  // registration over it must stay reachable. False when there is none.
  bool keepUntil(Proto proto, const SockAddr& peer, std::int64_t until_ms);
  std::int64_t keepUntilOf(std::uint64_t id);
  // Forgets every connection of `owner` (that worker died: its sockets died with it).
  std::size_t removeOwnedBy(int owner);
  // The owner with the fewest connections, for a new outgoing one.
  int leastLoadedOwner();
  std::size_t size();
  std::size_t capacity() const { return capacity_; }
  int ownedBy(int owner);
  // Calls fn for every connection (under the lock: fn must not call back into the index).
  void forEach(const std::function<void(const ConnInfo&)>& fn);

 private:
  struct Slot {
    std::uint64_t id;  // 0: free
    PackedAddr peer;
    std::int64_t created_s;
    std::int64_t keep_until_ms;
    std::uint32_t next;     // next slot + 1 in the bucket chain or the free list; 0 ends it
    std::uint32_t ip_next;  // next slot + 1 in the chain of its IP address's bucket
    std::uint32_t generation;
    std::int16_t listener;
    std::int16_t owner;
    std::uint8_t proto;
    bool outgoing;
  };
  class Guard;

  ConnIndex(std::size_t capacity, std::size_t nbuckets, int workers);
  Slot* slots();
  std::uint32_t* buckets();
  std::uint32_t* ipBuckets();  // chains by IP address alone (per-IP limit)
  std::int32_t* ownerCounts();
  std::size_t bucketOf(Proto proto, const SockAddr& peer) const;
  std::size_t ipBucketOf(const PackedAddr& peer) const;
  std::uint64_t addLocked(const ConnInfo& info,
                          const std::function<bool(std::uint64_t id)>& publish);
  std::size_t incomingFromLocked(const PackedAddr& peer);
  void linkIpLocked(Slot& s, std::uint32_t index);
  Slot* findLocked(Proto proto, const SockAddr& peer);
  Slot* byIdLocked(std::uint64_t id);
  void unlinkLocked(Slot& s, std::uint32_t index);
  void rebuildLocked();
  static ConnInfo infoOf(const Slot& s);

  shm::RobustMutex mutex_;
  std::size_t capacity_;
  std::size_t nbuckets_;
  int workers_;
  std::size_t used_ = 0;
  std::uint32_t free_head_ = 0;
  // Followed by: buckets and IP buckets (nbuckets_ x uint32 each), owner counts (workers_ x
  // int32), slots.
};

// The process-global index (nullptr when the server has no TCP/TLS socket).
ConnIndex* connIndex();
void setConnIndex(ConnIndex* index);

}  // namespace sipline
