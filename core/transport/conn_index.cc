#include "core/transport/conn_index.h"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <string_view>

#include "core/base/hash.h"
#include "core/base/log.h"

namespace sipline {
namespace {

ConnIndex* g_index = nullptr;

constexpr std::size_t align16(std::size_t n) { return (n + 15) & ~std::size_t{15}; }

// The address bytes of a packed peer (4 for IPv4, which is stored as a sockaddr_in).
std::string_view ipBytes(const PackedAddr& p) {
  if (p.sa.sin6_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&p.sa);
    return {reinterpret_cast<const char*>(&in->sin_addr), sizeof(in->sin_addr)};
  }
  return {reinterpret_cast<const char*>(&p.sa.sin6_addr), sizeof(p.sa.sin6_addr)};
}

}  // namespace

class ConnIndex::Guard {
 public:
  explicit Guard(ConnIndex& index) : index_(index) {
    if (index_.mutex_.lock() == shm::RobustMutex::Locked::kOwnerDied) {
      // Its holder died mid-update: the slots are the truth, the chains are rebuilt.
      SL_WARN("connection index: a process died holding its lock; index rebuilt");
      index_.rebuildLocked();
    }
  }
  ~Guard() { index_.mutex_.unlock(); }
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;

 private:
  ConnIndex& index_;
};

ConnIndex::ConnIndex(std::size_t capacity, std::size_t nbuckets, int workers)
    : capacity_(capacity), nbuckets_(nbuckets), workers_(workers) {
  std::memset(buckets(), 0, 2 * align16(nbuckets_ * sizeof(std::uint32_t)));
  std::memset(ownerCounts(), 0, static_cast<std::size_t>(workers_) * sizeof(std::int32_t));
  Slot* s = slots();
  for (std::size_t i = 0; i < capacity_; ++i) {
    s[i] = Slot{};
    s[i].next = i + 1 < capacity_ ? static_cast<std::uint32_t>(i + 2) : 0;
  }
  free_head_ = capacity_ > 0 ? 1 : 0;
}

Result<ConnIndex*> ConnIndex::create(shm::Segment& segment, std::size_t capacity, int workers) {
  std::size_t buckets = 64;
  while (buckets < capacity) buckets <<= 1;
  std::size_t bytes = align16(sizeof(ConnIndex)) + 2 * align16(buckets * sizeof(std::uint32_t)) +
                      align16(static_cast<std::size_t>(workers) * sizeof(std::int32_t)) +
                      capacity * sizeof(Slot);
  void* mem = nullptr;
  Status st = shm::guardAlloc("connection index",
                              [&] { mem = shm::allocateBytes(segment.manager(), bytes); });
  if (!st.isOk()) {
    return Status::noMemory(st.message() + " (" + std::to_string(bytes >> 10) +
                            " KB for tcp_max_connections " + std::to_string(capacity) + ")");
  }
  return ::new (mem) ConnIndex(capacity, buckets, workers);
}

std::uint32_t* ConnIndex::buckets() {
  return reinterpret_cast<std::uint32_t*>(reinterpret_cast<char*>(this) +
                                          align16(sizeof(ConnIndex)));
}

std::uint32_t* ConnIndex::ipBuckets() {
  return reinterpret_cast<std::uint32_t*>(reinterpret_cast<char*>(buckets()) +
                                          align16(nbuckets_ * sizeof(std::uint32_t)));
}

std::int32_t* ConnIndex::ownerCounts() {
  return reinterpret_cast<std::int32_t*>(reinterpret_cast<char*>(ipBuckets()) +
                                         align16(nbuckets_ * sizeof(std::uint32_t)));
}

ConnIndex::Slot* ConnIndex::slots() {
  return reinterpret_cast<Slot*>(
      reinterpret_cast<char*>(ownerCounts()) +
      align16(static_cast<std::size_t>(workers_) * sizeof(std::int32_t)));
}

std::size_t ConnIndex::bucketOf(Proto proto, const SockAddr& peer) const {
  PackedAddr p = PackedAddr::of(peer);
  std::uint64_t h =
      fnv1a({std::string_view(reinterpret_cast<const char*>(&p.sa.sin6_port), 2), ipBytes(p)});
  return (h ^ static_cast<std::uint64_t>(proto)) & (nbuckets_ - 1);
}

std::size_t ConnIndex::ipBucketOf(const PackedAddr& peer) const {
  return fnv1a({ipBytes(peer)}) & (nbuckets_ - 1);
}

ConnInfo ConnIndex::infoOf(const Slot& s) {
  ConnInfo c;
  c.id = s.id;
  c.proto = static_cast<Proto>(s.proto);
  c.peer = s.peer.unpack();
  c.listener = s.listener;
  c.owner = s.owner;
  c.outgoing = s.outgoing;
  c.created_s = s.created_s;
  c.keep_until_ms = s.keep_until_ms;
  return c;
}

ConnIndex::Slot* ConnIndex::findLocked(Proto proto, const SockAddr& peer) {
  Slot* s = slots();
  Slot* best = nullptr;
  for (std::uint32_t i = buckets()[bucketOf(proto, peer)]; i != 0; i = s[i - 1].next) {
    Slot& c = s[i - 1];
    // The chain runs newest first: on a tie the first one seen is the newest.
    if (c.proto == static_cast<std::uint8_t>(proto) && c.peer.unpack() == peer &&
        (best == nullptr || c.created_s > best->created_s)) {
      best = &c;
    }
  }
  return best;
}

ConnIndex::Slot* ConnIndex::byIdLocked(std::uint64_t id) {
  std::uint64_t slot = id & 0xffffffffu;
  if (id == 0 || slot >= capacity_) return nullptr;
  Slot& s = slots()[slot];
  return s.id == id ? &s : nullptr;
}

std::uint64_t ConnIndex::add(const ConnInfo& info,
                             const std::function<bool(std::uint64_t id)>& publish) {
  Guard g(*this);
  return addLocked(info, publish);
}

std::uint64_t ConnIndex::addIncoming(const ConnInfo& info, const IncomingLimits& limits,
                                     Refusal& why) {
  Guard g(*this);
  why = Refusal::kNone;
  if (used_ + std::min(limits.reserved, capacity_) >= capacity_) {
    why = Refusal::kFull;
    return 0;
  }
  if (limits.max_per_ip > 0 && incomingFromLocked(PackedAddr::of(info.peer)) >= limits.max_per_ip) {
    why = Refusal::kPerIp;
    return 0;
  }
  std::uint64_t id = addLocked(info, nullptr);
  if (id == 0) why = Refusal::kFull;
  return id;
}

std::size_t ConnIndex::incomingFrom(const SockAddr& peer) {
  Guard g(*this);
  return incomingFromLocked(PackedAddr::of(peer));
}

std::size_t ConnIndex::incomingFromLocked(const PackedAddr& peer) {
  Slot* s = slots();
  std::size_t n = 0;
  std::string_view ip = ipBytes(peer);
  for (std::uint32_t i = ipBuckets()[ipBucketOf(peer)]; i != 0; i = s[i - 1].ip_next) {
    const Slot& c = s[i - 1];
    if (!c.outgoing && c.peer.sa.sin6_family == peer.sa.sin6_family && ipBytes(c.peer) == ip) {
      ++n;
    }
  }
  return n;
}

void ConnIndex::linkIpLocked(Slot& s, std::uint32_t index) {
  std::uint32_t& head = ipBuckets()[ipBucketOf(s.peer)];
  s.ip_next = head;
  head = index + 1;
}

std::uint64_t ConnIndex::addLocked(const ConnInfo& info,
                                   const std::function<bool(std::uint64_t id)>& publish) {
  if (free_head_ == 0) return 0;
  std::uint32_t index = free_head_ - 1;
  Slot& s = slots()[index];
  // The generation moves on before anyone hears of the id: should this process die after
  // publishing, a rebuilt index can never hand the same id out again.
  s.generation = s.generation + 1 == 0 ? 1 : s.generation + 1;
  if (publish && !publish((static_cast<std::uint64_t>(s.generation) << 32) | index)) return 0;
  free_head_ = s.next;
  s.peer = PackedAddr::of(info.peer);
  s.created_s = info.created_s;
  s.keep_until_ms = info.keep_until_ms;
  s.listener = static_cast<std::int16_t>(info.listener);
  s.owner = static_cast<std::int16_t>(info.owner);
  s.proto = static_cast<std::uint8_t>(info.proto);
  s.outgoing = info.outgoing;
  std::uint32_t& head = buckets()[bucketOf(info.proto, info.peer)];
  s.next = head;
  linkIpLocked(s, index);
  // The id last: a slot with an id is in use (what rebuildLocked() trusts).
  s.id = (static_cast<std::uint64_t>(s.generation) << 32) | index;
  head = index + 1;
  if (info.owner >= 0 && info.owner < workers_) ++ownerCounts()[info.owner];
  ++used_;
  return s.id;
}

void ConnIndex::unlinkLocked(Slot& s, std::uint32_t index) {
  Slot* all = slots();
  std::uint32_t* link = &buckets()[bucketOf(static_cast<Proto>(s.proto), s.peer.unpack())];
  while (*link != 0 && *link != index + 1) link = &all[*link - 1].next;
  if (*link == index + 1) *link = s.next;
  std::uint32_t* ip_link = &ipBuckets()[ipBucketOf(s.peer)];
  while (*ip_link != 0 && *ip_link != index + 1) ip_link = &all[*ip_link - 1].ip_next;
  if (*ip_link == index + 1) *ip_link = s.ip_next;
  if (s.owner >= 0 && s.owner < workers_) --ownerCounts()[s.owner];
  s.id = 0;
  s.next = free_head_;
  free_head_ = index + 1;
  --used_;
}

void ConnIndex::remove(std::uint64_t id) {
  Guard g(*this);
  if (Slot* s = byIdLocked(id)) unlinkLocked(*s, static_cast<std::uint32_t>(id & 0xffffffffu));
}

bool ConnIndex::find(Proto proto, const SockAddr& peer, ConnInfo& out) {
  Guard g(*this);
  Slot* s = findLocked(proto, peer);
  if (s == nullptr) return false;
  out = infoOf(*s);
  return true;
}

bool ConnIndex::findById(std::uint64_t id, ConnInfo& out) {
  Guard g(*this);
  Slot* s = byIdLocked(id);
  if (s == nullptr) return false;
  out = infoOf(*s);
  return true;
}

bool ConnIndex::keepUntil(Proto proto, const SockAddr& peer, std::int64_t until_ms) {
  Guard g(*this);
  Slot* s = findLocked(proto, peer);
  if (s == nullptr) return false;
  if (s->keep_until_ms < until_ms) s->keep_until_ms = until_ms;
  return true;
}

std::int64_t ConnIndex::keepUntilOf(std::uint64_t id) {
  Guard g(*this);
  Slot* s = byIdLocked(id);
  return s != nullptr ? s->keep_until_ms : 0;
}

std::size_t ConnIndex::removeOwnedBy(int owner) {
  Guard g(*this);
  std::size_t n = 0;
  Slot* s = slots();
  for (std::size_t i = 0; i < capacity_; ++i) {
    if (s[i].id != 0 && s[i].owner == owner) {
      unlinkLocked(s[i], static_cast<std::uint32_t>(i));
      ++n;
    }
  }
  return n;
}

int ConnIndex::leastLoadedOwner() {
  Guard g(*this);
  int best = 0;
  for (int i = 1; i < workers_; ++i) {
    if (ownerCounts()[i] < ownerCounts()[best]) best = i;
  }
  return best;
}

int ConnIndex::ownedBy(int owner) {
  Guard g(*this);
  return owner >= 0 && owner < workers_ ? ownerCounts()[owner] : 0;
}

std::size_t ConnIndex::size() {
  Guard g(*this);
  return used_;
}

void ConnIndex::forEach(const std::function<void(const ConnInfo&)>& fn) {
  Guard g(*this);
  Slot* s = slots();
  for (std::size_t i = 0; i < capacity_; ++i) {
    if (s[i].id != 0) fn(infoOf(s[i]));
  }
}

void ConnIndex::rebuildLocked() {
  std::memset(buckets(), 0, 2 * align16(nbuckets_ * sizeof(std::uint32_t)));
  std::memset(ownerCounts(), 0, static_cast<std::size_t>(workers_) * sizeof(std::int32_t));
  free_head_ = 0;
  used_ = 0;
  Slot* s = slots();
  for (std::size_t i = capacity_; i-- > 0;) {
    if (s[i].id == 0) {
      s[i].next = free_head_;
      free_head_ = static_cast<std::uint32_t>(i + 1);
      continue;
    }
    std::uint32_t& head = buckets()[bucketOf(static_cast<Proto>(s[i].proto), s[i].peer.unpack())];
    s[i].next = head;
    head = static_cast<std::uint32_t>(i + 1);
    linkIpLocked(s[i], static_cast<std::uint32_t>(i));
    if (s[i].owner >= 0 && s[i].owner < workers_) ++ownerCounts()[s[i].owner];
    ++used_;
  }
}

ConnIndex* connIndex() { return g_index; }
void setConnIndex(ConnIndex* index) { g_index = index; }

}  // namespace sipline
