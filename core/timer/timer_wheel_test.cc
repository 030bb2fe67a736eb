#include "core/timer/timer_wheel.h"

#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <set>

namespace sipline::timer {

class TimerWheelTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(TimerWheelTest);
  CPPUNIT_TEST(firesAtItsDeadlineNotBefore);
  CPPUNIT_TEST(rearmMovesTheDeadline);
  CPPUNIT_TEST(disarmedLinkNeverFires);
  CPPUNIT_TEST(pastDeadlineFiresAtNextExpire);
  CPPUNIT_TEST(deadlineBeyondOneRevolutionWaitsItsTurn);
  CPPUNIT_TEST(longStallFiresEverythingDue);
  CPPUNIT_TEST(callbackMayRearm);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override { wheel_ = std::make_unique<TimerWheel>(1000, 10); }

  std::set<TimerLink*> fire(std::int64_t now) {
    std::set<TimerLink*> fired;
    wheel_->expire(now, [&](TimerLink& l) { fired.insert(&l); });
    return fired;
  }

  void firesAtItsDeadlineNotBefore() {
    TimerLink a, b;
    wheel_->arm(a, 1100);
    wheel_->arm(b, 1205);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, wheel_->armedCount());
    CPPUNIT_ASSERT(fire(1090).empty());
    CPPUNIT_ASSERT(fire(1100) == std::set<TimerLink*>{&a});
    CPPUNIT_ASSERT(!a.armed());
    CPPUNIT_ASSERT(fire(1200).empty());  // 1205 rounds up to the 1210 tick
    CPPUNIT_ASSERT(fire(1210) == std::set<TimerLink*>{&b});
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, wheel_->armedCount());
  }

  void rearmMovesTheDeadline() {
    TimerLink a;
    wheel_->arm(a, 1100);
    wheel_->arm(a, 1500);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, wheel_->armedCount());
    CPPUNIT_ASSERT(fire(1400).empty());
    CPPUNIT_ASSERT(fire(1500).size() == 1);
  }

  void disarmedLinkNeverFires() {
    TimerLink a;
    wheel_->arm(a, 1100);
    wheel_->disarm(a);
    wheel_->disarm(a);  // twice is harmless
    CPPUNIT_ASSERT(fire(5000).empty());
  }

  void pastDeadlineFiresAtNextExpire() {
    fire(2000);
    TimerLink a;
    wheel_->arm(a, 1500);  // already past
    CPPUNIT_ASSERT(fire(2010).size() == 1);
  }

  void deadlineBeyondOneRevolutionWaitsItsTurn() {
    TimerLink a;
    std::int64_t far = 1000 + 10 * static_cast<std::int64_t>(TimerWheel::kSlots) + 20;
    wheel_->arm(a, far);
    // The slot of `far` comes round once before its time.
    for (std::int64_t now = 1010; now < far; now += 10) {
      CPPUNIT_ASSERT_MESSAGE(std::to_string(now), fire(now).empty());
    }
    CPPUNIT_ASSERT(fire(far).size() == 1);
  }

  void longStallFiresEverythingDue() {
    TimerLink a, b, c;
    wheel_->arm(a, 1100);
    wheel_->arm(b, 30000);
    wheel_->arm(c, 900000);
    std::set<TimerLink*> fired = fire(200000);  // far more than one revolution later
    CPPUNIT_ASSERT(fired == (std::set<TimerLink*>{&a, &b}));
    CPPUNIT_ASSERT(c.armed());
  }

  void callbackMayRearm() {
    TimerLink a;
    wheel_->arm(a, 1100);
    wheel_->expire(1100, [&](TimerLink& l) { wheel_->arm(l, 1300); });
    CPPUNIT_ASSERT(a.armed());
    CPPUNIT_ASSERT(fire(1290).empty());
    CPPUNIT_ASSERT(fire(1300).size() == 1);
  }

 private:
  std::unique_ptr<TimerWheel> wheel_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(TimerWheelTest);

}  // namespace sipline::timer
