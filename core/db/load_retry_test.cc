#include "core/db/load_retry.h"

#include <cppunit/extensions/HelperMacros.h>

#include <vector>

namespace sipline::db {

class LoadRetryTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(LoadRetryTest);
  CPPUNIT_TEST(idleUntilArmed);
  CPPUNIT_TEST(firstAttemptAfterFirstDelay);
  CPPUNIT_TEST(delaysDoubleUpToTheCap);
  CPPUNIT_TEST(successDisarmsForGood);
  CPPUNIT_TEST(lateTickCountsFromTheTick);
  CPPUNIT_TEST(badBoundsAreRaised);
  CPPUNIT_TEST_SUITE_END();

 public:
  void idleUntilArmed() {
    LoadRetry r;
    int calls = 0;
    CPPUNIT_ASSERT(!r.tick(1000000, [&] { return ++calls, false; }));
    CPPUNIT_ASSERT_EQUAL(0, calls);
    CPPUNIT_ASSERT(!r.armed());
  }

  void firstAttemptAfterFirstDelay() {
    LoadRetry r(1000, 30000);
    r.arm(5000);
    int calls = 0;
    CPPUNIT_ASSERT(!r.tick(5999, [&] { return ++calls, false; }));
    CPPUNIT_ASSERT_EQUAL(0, calls);
    CPPUNIT_ASSERT(r.tick(6000, [&] { return ++calls, false; }));
    CPPUNIT_ASSERT_EQUAL(1, calls);
    CPPUNIT_ASSERT(r.armed());
  }

  // Ticking every 100 ms while every attempt fails: attempts at +1, +3, +7, +15, +31, +61 s
  // (delays 1, 2, 4, 8, 16, 30, 30 s).
  void delaysDoubleUpToTheCap() {
    LoadRetry r(1000, 30000);
    r.arm(0);
    std::vector<std::int64_t> at;
    for (std::int64_t now = 0; now <= 100000; now += 100) {
      r.tick(now, [&] { return at.push_back(now), false; });
    }
    std::vector<std::int64_t> want = {1000, 3000, 7000, 15000, 31000, 61000, 91000};
    CPPUNIT_ASSERT(want == at);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{30000}, r.delayMs());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{7}, r.attempts());
  }

  void successDisarmsForGood() {
    LoadRetry r(1000, 4000);
    r.arm(0);
    int calls = 0;
    CPPUNIT_ASSERT(r.tick(1000, [&] { return ++calls, false; }));
    CPPUNIT_ASSERT(r.tick(3000, [&] { return ++calls, true; }));
    CPPUNIT_ASSERT(!r.armed());
    for (std::int64_t now = 3000; now < 200000; now += 1000) {
      CPPUNIT_ASSERT(!r.tick(now, [&] { return ++calls, false; }));
    }
    CPPUNIT_ASSERT_EQUAL(2, calls);
    // A new arm() starts over from the first delay.
    r.arm(500000);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{501000}, r.dueMs());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, r.attempts());
  }

  void lateTickCountsFromTheTick() {
    LoadRetry r(1000, 30000);
    r.arm(0);
    CPPUNIT_ASSERT(r.tick(50000, [] { return false; }));  // the timer process was busy
    CPPUNIT_ASSERT_EQUAL(std::int64_t{52000}, r.dueMs());
    CPPUNIT_ASSERT(!r.tick(51999, [] { return false; }));
  }

  void badBoundsAreRaised() {
    LoadRetry r(0, -5);
    r.arm(10);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{11}, r.dueMs());
    CPPUNIT_ASSERT(r.tick(11, [] { return false; }));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, r.delayMs());  // capped at max(first, max) = 1
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LoadRetryTest);

}  // namespace sipline::db
