// The t_uac MI command: sends a request from the server (through the UAC API and local_route)
// and waits for its final reply, which arrives in another process: the callback stores it in
// a slot of a small shm array that the MI process polls. At most kSlots requests at a time.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "core/base/status.h"
#include "core/shm/segment.h"
#include "modules/tm/api.h"

namespace sipline::tm {

struct UacSlot {
  std::atomic<std::uint32_t> state{0};  // 0 free, 1 waiting, 2 answered
  // Bumped per use: a reply arriving after its MI call gave up (and the slot was reused)
  // carries an old generation and is ignored.
  std::atomic<std::uint32_t> generation{0};
  std::int32_t code = 0;
  char reason[96] = {};
};

struct UacSlots {
  static constexpr int kSlots = 16;
  UacSlot slots[kSlots];
};

class MiUac {
 public:
  // Master, before fork.
  Status init(shm::Segment& segment, Api& api);
  // MI process: sends and waits up to wait_ms for the final reply.
  Result<LocalReply> run(const LocalRequest& request, std::int64_t wait_ms);

 private:
  static void onReply(const LocalReply& reply, std::uint64_t param);
  Api* api_ = nullptr;
  std::uint16_t callback_ = 0;
};

}  // namespace sipline::tm
