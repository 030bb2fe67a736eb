// The timer process's share of tm: every tick it fires the due links of the shm wheel (timers
// A-K, fr timeouts, lifetimes, CANCEL retransmissions) and frees the transactions that ended.
// A transaction busy in another process (its route runs) is retried at the next tick instead
// of blocking every other timer behind it. Only this process frees transactions, and only
// after a whole batch is handled, so no fired link points at freed memory.
#include "core/base/log.h"
#include "modules/tm/engine.h"

namespace sipline::tm {

void Engine::onTimer(std::int64_t now) {
  if (wheel_ == nullptr) return;
  finished_.clear();  // a member: no allocation per tick once it has grown
  wheel_->expire(now, [&](timer::TimerLink& link) {
    auto* t = static_cast<Transaction*>(link.owner.get());
    if (t == nullptr || t->reaping) return;
    if (!t->mutex.try_lock()) {
      wheel_->arm(link, now + cfg_.tick_ms);
      return;
    }
    held_ = t;
    bool done = false;
    try {
      if (link.tag == kServerTimer) {
        done = serverTimerLocked(*t, now);
      } else {
        int index = link.tag - 1;
        if (index < t->nbranches && t->branches[index]) branchTimerLocked(*t, index, now);
        done = doneLocked(*t);
      }
    } catch (const boost::interprocess::bad_alloc&) {
      stats_.no_memory.inc();
    } catch (...) {
      // Never leave the lock held: the transaction goes on at its next timer.
      SL_ERR("tm: a timer of transaction %x.%x threw; continuing", t->bucket, t->label);
    }
    held_ = nullptr;
    t->mutex.unlock();
    if (done) {
      t->reaping = true;
      finished_.push_back(t);
    }
  });
  auto detach = [this](Transaction& t) {
    wheel_->disarm(t.timer);
    for (int i = 0; i < t.nbranches; ++i) {
      if (t.branches[i]) wheel_->disarm(t.branches[i]->timer);
    }
  };
  for (Transaction* t : finished_) {
    if (table_->tryFree(t, detach)) {
      stats_.inuse.dec();
    } else {
      t->reaping = false;
      wheel_->arm(t->timer, now + cfg_.tick_ms);  // still referenced: later
    }
  }
}

}  // namespace sipline::tm
