#include "core/dns/blacklist.h"

#include <algorithm>
#include <cstring>

#include "core/base/hash.h"

namespace sipline::dns {
namespace {

bool sameSlot(const BlacklistSlotShm& s, Proto proto, const SockAddr& addr) {
  return s.until_ms != 0 && s.proto == proto && s.addr == addr;
}

}  // namespace

Result<Blacklist> Blacklist::create(shm::Segment& segment, std::uint32_t entries) {
  std::uint32_t buckets = 4;
  while (buckets * kBlacklistSlotsPerBucket < entries && buckets < (1u << 20)) buckets *= 2;
  Result<BlacklistShm*> made = segment.construct<BlacklistShm>("dns.blacklist");
  if (!made.isOk()) return made.status();
  shm::SegmentManager* sm = segment.manager();
  BlacklistBucketShm* array = nullptr;
  Status st = shm::guardAlloc("dns blacklist", [&] {
    array = sm->construct<BlacklistBucketShm>(shm::bip::anonymous_instance)[buckets]();
  });
  if (!st.isOk()) return st;
  shm::noteUsage(sm);
  made.value()->mask = buckets - 1;
  made.value()->buckets = array;
  return Blacklist(made.value());
}

BlacklistBucketShm& Blacklist::bucketFor(Proto proto, const SockAddr& addr) {
  char key[16 + 2 + 1] = {};
  std::size_t n = 0;
  if (addr.family() == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&addr.ss);
    std::memcpy(key, &v4->sin_addr, 4);
    n = 4;
  } else if (addr.family() == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&addr.ss);
    std::memcpy(key, &v6->sin6_addr, 16);
    n = 16;
  }
  const std::uint16_t port = addr.port();
  key[n++] = static_cast<char>(port >> 8);
  key[n++] = static_cast<char>(port & 0xff);
  key[n++] = static_cast<char>(proto);
  return shm_->buckets[fnv1a({std::string_view(key, n)}) & shm_->mask];
}

void Blacklist::add(Proto proto, const SockAddr& addr, std::int64_t until_ms,
                    std::string_view reason) {
  BlacklistBucketShm& bucket = bucketFor(proto, addr);
  shm::Lock lock(bucket.mutex);
  BlacklistSlotShm* slot = nullptr;
  for (BlacklistSlotShm& s : bucket.slots) {
    if (sameSlot(s, proto, addr)) {
      slot = &s;
      break;
    }
  }
  if (slot != nullptr && slot->until_ms >= until_ms) return;
  if (slot == nullptr) {
    // A free slot, else the one that expires soonest (an expired one first of all).
    slot = std::min_element(std::begin(bucket.slots), std::end(bucket.slots),
                            [](const BlacklistSlotShm& a, const BlacklistSlotShm& b) {
                              return a.until_ms < b.until_ms;
                            });
  }
  slot->until_ms = until_ms;
  slot->addr = addr;
  slot->proto = proto;
  const std::size_t n = std::min(reason.size(), sizeof(slot->reason) - 1);
  std::memcpy(slot->reason, reason.data(), n);
  slot->reason[n] = '\0';
}

bool Blacklist::contains(Proto proto, const SockAddr& addr, std::int64_t now_ms) {
  BlacklistBucketShm& bucket = bucketFor(proto, addr);
  shm::Lock lock(bucket.mutex);
  for (BlacklistSlotShm& s : bucket.slots) {
    if (!sameSlot(s, proto, addr)) continue;
    if (s.until_ms > now_ms) return true;
    s.until_ms = 0;  // expired: free the slot
    return false;
  }
  return false;
}

bool Blacklist::remove(Proto proto, const SockAddr& addr) {
  BlacklistBucketShm& bucket = bucketFor(proto, addr);
  shm::Lock lock(bucket.mutex);
  for (BlacklistSlotShm& s : bucket.slots) {
    if (sameSlot(s, proto, addr)) {
      s.until_ms = 0;
      return true;
    }
  }
  return false;
}

std::vector<Blacklist::Item> Blacklist::list(std::int64_t now_ms) {
  std::vector<Item> out;
  for (std::uint32_t i = 0; i <= shm_->mask; ++i) {
    BlacklistBucketShm& bucket = shm_->buckets[i];
    shm::Lock lock(bucket.mutex);
    for (const BlacklistSlotShm& s : bucket.slots) {
      if (s.until_ms > now_ms) out.push_back(Item{s.proto, s.addr, s.until_ms, s.reason});
    }
  }
  return out;
}

}  // namespace sipline::dns
