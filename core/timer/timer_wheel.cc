#include "core/timer/timer_wheel.h"

namespace sipline::timer {

TimerWheel::TimerWheel(std::int64_t now_ms, std::int64_t tick_ms)
    : tick_ms_(tick_ms > 0 ? tick_ms : 1), last_tick_(now_ms / tick_ms_) {
  for (TimerLink& h : heads_) {
    h.prev = &h;
    h.next = &h;
  }
}

void TimerWheel::unlinkLocked(TimerLink& link) {
  if (!link.armed()) return;
  link.prev->next = link.next;
  link.next->prev = link.prev;
  link.prev = nullptr;
  link.next = nullptr;
  link.slot = -1;
  --armed_;
}

void TimerWheel::arm(TimerLink& link, std::int64_t expires_ms) {
  shm::Lock lock(mutex_);
  unlinkLocked(link);
  // Rounded up, and never into a tick already processed (it would wait a whole revolution).
  std::int64_t tick = (expires_ms + tick_ms_ - 1) / tick_ms_;
  if (tick <= last_tick_) tick = last_tick_ + 1;
  std::size_t slot = slotOf(tick);
  TimerLink& head = heads_[slot];
  link.expires_ms = expires_ms;
  link.slot = static_cast<std::int32_t>(slot);
  link.next = &head;
  link.prev = head.prev;
  head.prev->next = &link;
  head.prev = &link;
  ++armed_;
}

void TimerWheel::disarm(TimerLink& link) {
  shm::Lock lock(mutex_);
  unlinkLocked(link);
}

void TimerWheel::collectDue(std::int64_t now_ms, std::vector<TimerLink*>& out) {
  shm::Lock lock(mutex_);
  std::int64_t now_tick = now_ms / tick_ms_;
  if (now_tick <= last_tick_) return;
  // After a long stall every slot is visited once.
  std::int64_t first = now_tick - last_tick_ > static_cast<std::int64_t>(kSlots)
                           ? now_tick - static_cast<std::int64_t>(kSlots) + 1
                           : last_tick_ + 1;
  for (std::int64_t t = first; t <= now_tick; ++t) {
    TimerLink& head = heads_[slotOf(t)];
    TimerLink* l = head.next.get();
    while (l != &head) {
      TimerLink* next = l->next.get();
      // Links further than a revolution away share the slot; they stay until their turn.
      if ((l->expires_ms + tick_ms_ - 1) / tick_ms_ <= now_tick) {
        unlinkLocked(*l);
        out.push_back(l);
      }
      l = next;
    }
  }
  last_tick_ = now_tick;
}

}  // namespace sipline::timer
