// A hashed timing wheel in shared memory for timers that many processes arm and one process
// (the timer process) fires: tm's timers A-K, later dialog timeouts. Owners embed a TimerLink
// in their shm object; arming is O(1) (append to the slot of the deadline's tick), firing
// walks only the slots whose tick has come. Deadlines are monotonicMs() values; a deadline
// further away than one revolution waits in its slot until its time comes round.
//
// Locking: one process-shared mutex guards the links. arm()/disarm() take it; callers may
// hold their own object lock (owner lock -> wheel lock, never the reverse). expire() unlinks
// the due links under the lock and hands them to the callback after releasing it, so a
// callback may take owner locks and re-arm. The wheel never frees anything; an owner must
// disarm its links before freeing the object, and must not free it while a fired link may
// still be handed out (tm frees only in the timer process, between expire() calls).
#pragma once

#include <boost/interprocess/offset_ptr.hpp>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/shm/segment.h"

namespace sipline::timer {

struct TimerLink {
  boost::interprocess::offset_ptr<TimerLink> prev;
  boost::interprocess::offset_ptr<TimerLink> next;
  std::int64_t expires_ms = 0;
  boost::interprocess::offset_ptr<void> owner;  // the object the link is embedded in
  std::int32_t slot = -1;                       // -1: not armed
  std::uint16_t tag = 0;                        // the owner's: which of its timers this is
  bool armed() const { return slot >= 0; }
};

class TimerWheel {
 public:
  static constexpr std::size_t kSlots = 4096;  // a power of two

  // tick_ms: the resolution; deadlines are rounded up to it.
  TimerWheel(std::int64_t now_ms, std::int64_t tick_ms);
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  // (Re)arms `link` to fire at expires_ms (a past deadline fires at the next expire()).
  void arm(TimerLink& link, std::int64_t expires_ms);
  void disarm(TimerLink& link);

  // Unlinks every link due at now_ms, in no particular order, and calls fn(TimerLink&) for
  // each after releasing the lock. Returns how many fired. Timer process only.
  template <class Fn>
  std::size_t expire(std::int64_t now_ms, Fn&& fn) {
    std::vector<TimerLink*> due;
    collectDue(now_ms, due);
    for (TimerLink* l : due) fn(*l);
    return due.size();
  }

  std::size_t armedCount() const { return armed_; }
  std::int64_t tickMs() const { return tick_ms_; }

 private:
  void collectDue(std::int64_t now_ms, std::vector<TimerLink*>& out);
  void unlinkLocked(TimerLink& link);
  std::size_t slotOf(std::int64_t tick) const {
    return static_cast<std::size_t>(tick) & (kSlots - 1);
  }

  shm::Mutex mutex_;
  std::int64_t tick_ms_;
  std::int64_t last_tick_;  // every tick up to this one was processed
  std::size_t armed_ = 0;
  TimerLink heads_[kSlots];  // sentinels of circular lists
};

}  // namespace sipline::timer
