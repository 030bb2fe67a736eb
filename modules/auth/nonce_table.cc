#include "modules/auth/nonce_table.h"

#include <string>

#include "core/shm/segment.h"

namespace sipline::auth {
namespace {

using Slot = std::atomic<std::uint64_t>;
constexpr std::uint64_t kNcMask = 0xffffffffULL;
// What a qop-less use stores: no nc can be above it, so the nonce is spent.
constexpr std::uint32_t kSpent = 0xffffffffU;

std::string megabytes(std::size_t bytes) {
  return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MB";
}

}  // namespace

Result<std::unique_ptr<NonceTable>> NonceTable::create(shm::Segment& segment, std::uint64_t slots) {
  if (slots < static_cast<std::uint64_t>(kMinSlots) ||
      slots > static_cast<std::uint64_t>(kMaxSlots)) {
    return Status::invalidArgument("auth: nonce_slots must be " + std::to_string(kMinSlots) + ".." +
                                   std::to_string(kMaxSlots));
  }
  std::size_t need = slots * sizeof(Slot);
  shm::Usage usage = segment.usage();
  std::string full = "auth: nonce_slots = " + std::to_string(slots) + " needs " + megabytes(need) +
                     " of shared memory and " + megabytes(usage.free) +
                     " is free: raise shm_size or lower nonce_slots";
  if (need >= usage.free) return Status::noMemory(full);
  Result<NonceTableShm*> made = segment.construct<NonceTableShm>("auth.nonces");
  if (!made.isOk()) return made.status();
  NonceTableShm* t = made.value();
  Status st = shm::guardAlloc("auth.nonces", [&] {
    t->slots = segment.manager()->construct<Slot>(boost::interprocess::anonymous_instance)[slots](
        std::uint64_t{0});
  });
  if (!st.isOk()) return Status::noMemory(full);
  t->size = slots;
  shm::noteUsage(segment.manager());
  return std::unique_ptr<NonceTable>(new NonceTable(t));
}

std::uint64_t NonceTable::issue() {
  std::uint64_t serial = shm_->next_serial.fetch_add(1, std::memory_order_relaxed);
  std::uint64_t generation = (serial / shm_->size) & kNcMask;
  shm_->slots[serial % shm_->size].store(generation << 32, std::memory_order_release);
  return serial;
}

NcResult NonceTable::use(std::uint64_t serial, std::uint32_t nc, bool has_qop) {
  std::uint64_t generation = (serial / shm_->size) & kNcMask;
  Slot& slot = shm_->slots[serial % shm_->size];
  std::uint32_t wanted = has_qop ? nc : kSpent;
  std::uint64_t seen = slot.load(std::memory_order_acquire);
  for (;;) {
    if ((seen >> 32) != generation) return NcResult::kSlotReused;
    auto highest = static_cast<std::uint32_t>(seen & kNcMask);
    // Without qop the nonce may serve once: any earlier use (highest != 0) spends it.
    if (has_qop ? nc <= highest : highest != 0) return NcResult::kReplay;
    if (slot.compare_exchange_weak(seen, (generation << 32) | wanted, std::memory_order_acq_rel,
                                   std::memory_order_acquire)) {
      return NcResult::kOk;
    }
  }
}

bool parseNonceCount(std::string_view text, std::uint32_t& out) {
  if (text.size() != 8) return false;
  std::uint32_t v = 0;
  for (char c : text) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return false;
    }
    v = (v << 4) | static_cast<std::uint32_t>(d);
  }
  out = v;
  return true;
}

}  // namespace sipline::auth
