// Nonce-count tracking in shared memory (RFC 7616 §3.4: a server that refuses a request-digest
// whose nc it saw before stops replays). A fixed array of slots; the nonce with serial s owns
// slot s % N until the nonce with serial s + N is issued and takes it over.
//
// Each slot is one std::atomic<uint64_t>: the owner's generation (s / N, 32 bits) in the high
// half and the highest nc accepted so far in the low half (0: none). Lock-free on purpose:
// every challenge writes a slot and every authorized request with a nonce compare-and-swaps
// one, from all workers at once; a CAS on one word is all the state a slot has, so a lock
// (per slot or per group) would only add a second shm word and a syscall on contention.
// Lock-free atomics are address-free, so they work between processes in the segment.
#pragma once

#include <atomic>
#include <boost/interprocess/offset_ptr.hpp>
#include <cstdint>
#include <memory>
#include <string_view>

#include "core/base/status.h"

namespace sipline::shm {
class Segment;
}

namespace sipline::auth {

static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "the nonce-count table needs lock-free 64-bit atomics to live in shm");

struct NonceTableShm {
  std::atomic<std::uint64_t> next_serial{0};
  std::uint64_t size = 0;
  boost::interprocess::offset_ptr<std::atomic<std::uint64_t>> slots;
};

enum class NcResult : std::uint8_t {
  kOk,          // recorded: nc is now the highest seen for that nonce
  kReplay,      // nc not above the highest seen (or a qop-less nonce used again)
  kSlotReused,  // a newer nonce owns the slot: treat as stale, the client gets a fresh one
};

class NonceTable {
 public:
  static constexpr std::int64_t kMinSlots = 1024;
  static constexpr std::int64_t kMaxSlots = std::int64_t{1} << 26;  // 512 MB of shm

  // Master, init(): the table in the segment ("auth.nonces"). kNoMemory, with how much it
  // needs and how much is free, when the segment cannot hold it.
  static Result<std::unique_ptr<NonceTable>> create(shm::Segment& segment, std::uint64_t slots);

  // Takes the next serial and gives its slot to it (no nc seen yet).
  std::uint64_t issue();
  // An authorized request with nonce `serial`. has_qop: nc is the request's nonce-count;
  // without a qop (RFC 2069 client) the nonce is good for one request.
  NcResult use(std::uint64_t serial, std::uint32_t nc, bool has_qop);

  std::uint64_t size() const { return shm_->size; }

 private:
  explicit NonceTable(NonceTableShm* shm) : shm_(shm) {}
  NonceTableShm* shm_;
};

// An nc parameter: exactly 8 hex digits (RFC 7616 §3.4). False otherwise.
bool parseNonceCount(std::string_view text, std::uint32_t& out);

}  // namespace sipline::auth
