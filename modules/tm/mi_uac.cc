#include "modules/tm/mi_uac.h"

#include <time.h>

#include <cstring>

#include "core/base/clock.h"

namespace sipline::tm {
namespace {
UacSlots* g_slots = nullptr;  // in shm; the same address in every process
}

Status MiUac::init(shm::Segment& segment, Api& api) {
  Result<UacSlots*> slots = segment.construct<UacSlots>("tm.mi_uac");
  if (!slots.isOk()) return slots.status();
  g_slots = slots.value();
  api_ = &api;
  callback_ = api.registerCallback(&MiUac::onReply);
  return Status::ok();
}

void MiUac::onReply(const LocalReply& reply, std::uint64_t param) {
  std::uint64_t index = param & 0xff;
  auto generation = static_cast<std::uint32_t>(param >> 8);
  if (g_slots == nullptr || index >= UacSlots::kSlots) return;
  UacSlot& s = g_slots->slots[index];
  if (s.state.load() != 1 || s.generation.load() != generation) return;
  s.code = reply.code;
  std::strncpy(s.reason, reply.reason.c_str(), sizeof(s.reason) - 1);
  s.state.store(2, std::memory_order_release);
}

Result<LocalReply> MiUac::run(const LocalRequest& request, std::int64_t wait_ms) {
  if (g_slots == nullptr || api_ == nullptr) return Status::failedPrecondition("tm not ready");
  int index = -1;
  for (int i = 0; i < UacSlots::kSlots && index < 0; ++i) {
    std::uint32_t free = 0;
    if (g_slots->slots[i].state.compare_exchange_strong(free, 1)) index = i;
  }
  if (index < 0) return Status::unavailable("too many t_uac requests waiting; try again");
  UacSlot& slot = g_slots->slots[index];
  slot.code = 0;
  slot.reason[0] = '\0';
  std::uint32_t generation = slot.generation.fetch_add(1) + 1;
  std::uint64_t param =
      (static_cast<std::uint64_t>(generation) << 8) | static_cast<std::uint64_t>(index);
  Status st = api_->send(request, callback_, param);
  if (!st.isOk()) {
    slot.state.store(0);
    return st;
  }
  std::int64_t deadline = monotonicMs() + wait_ms;
  while (slot.state.load(std::memory_order_acquire) != 2 && monotonicMs() < deadline) {
    timespec ts{0, 10 * 1000 * 1000};
    nanosleep(&ts, nullptr);
  }
  LocalReply reply;
  if (slot.state.load(std::memory_order_acquire) == 2) {
    reply.code = slot.code;
    reply.reason = slot.reason;
  } else {
    reply.code = 408;
    reply.reason = "no final reply in time";
    reply.local = true;
  }
  slot.state.store(0);
  return reply;
}

}  // namespace sipline::tm
