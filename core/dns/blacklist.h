// A short-lived blacklist of destinations (transport + address + port) that failed: tm marks
// a target after a timeout or a 503, and the resolver moves blacklisted targets behind the
// others (RFC 3263 §4.3 failover then tries healthy ones first). It lives in the shared
// segment so every worker sees what any of them learnt. The master creates it before fork; a
// Blacklist is a small private handle, valid in every child. Fixed size: adding never fails.
// Locking: one mutex per bucket, held for a few slot copies only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/dns/blacklist_shm.h"

namespace sipline::dns {

class Blacklist {
 public:
  // Master: builds "dns.blacklist" in `segment` with room for about `entries` destinations
  // (rounded up to a power of two, at least 16).
  static Result<Blacklist> create(shm::Segment& segment, std::uint32_t entries);

  // Blacklists until until_ms (a later time extends, an earlier one does not shorten). A full
  // bucket gives up its slot that expires soonest.
  void add(Proto proto, const SockAddr& addr, std::int64_t until_ms, std::string_view reason);
  // True while an entry for proto+addr is live at now_ms.
  bool contains(Proto proto, const SockAddr& addr, std::int64_t now_ms);
  // Forgets proto+addr (a destination that answered again). False if it was not listed.
  bool remove(Proto proto, const SockAddr& addr);

  struct Item {
    Proto proto;
    SockAddr addr;
    std::int64_t until_ms;
    std::string reason;
  };
  // Live entries, for the management interface.
  std::vector<Item> list(std::int64_t now_ms);
  std::uint32_t capacity() const { return (shm_->mask + 1) * kBlacklistSlotsPerBucket; }

 private:
  explicit Blacklist(BlacklistShm* shm) : shm_(shm) {}
  BlacklistBucketShm& bucketFor(Proto proto, const SockAddr& addr);

  BlacklistShm* shm_;
};

}  // namespace sipline::dns
