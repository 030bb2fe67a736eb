#include "core/db/outage_log.h"

#include <cppunit/extensions/HelperMacros.h>

namespace sipline::db {

class OutageLogTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(OutageLogTest);
  CPPUNIT_TEST(quietWhileTheDbAnswers);
  CPPUNIT_TEST(firstFailureStartsTheOutage);
  CPPUNIT_TEST(reminderAtMostOnceAMinute);
  CPPUNIT_TEST(reminderCountsFailuresSinceTheLastLine);
  CPPUNIT_TEST(recoveryOnceThenANewOutage);
  CPPUNIT_TEST(resetForgetsWithoutRecovery);
  CPPUNIT_TEST_SUITE_END();

 public:
  void quietWhileTheDbAnswers() {
    OutageLog o;
    CPPUNIT_ASSERT(!o.succeeded());
    CPPUNIT_ASSERT(!o.down());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, o.lines());
  }

  void firstFailureStartsTheOutage() {
    OutageLog o;
    CPPUNIT_ASSERT(o.failed(1000) == OutageLog::Line::kStarted);
    CPPUNIT_ASSERT(o.down());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, o.lines());
    CPPUNIT_ASSERT(o.failed(1001) == OutageLog::Line::kNone);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, o.lines());
  }

  // A failure every second for three minutes: lines at 0 s, 60 s, 120 s, 180 s.
  void reminderAtMostOnceAMinute() {
    OutageLog o;
    std::uint64_t reminders = 0;
    for (std::int64_t now = 0; now <= 180000; now += 1000) {
      OutageLog::Line l = o.failed(now);
      if (l == OutageLog::Line::kReminder) {
        ++reminders;
        CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, now % OutageLog::kReminderMs);
      }
    }
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{3}, reminders);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{4}, o.lines());
  }

  void reminderCountsFailuresSinceTheLastLine() {
    OutageLog o;
    o.failed(0);
    o.failed(10);
    o.failed(20);
    CPPUNIT_ASSERT(o.failed(59999) == OutageLog::Line::kNone);
    CPPUNIT_ASSERT(o.failed(60000) == OutageLog::Line::kReminder);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{4}, o.failedSinceLine());  // 10, 20, 59999, 60000
    // The next minute counts from the reminder (a late one too).
    CPPUNIT_ASSERT(o.failed(119999) == OutageLog::Line::kNone);
    CPPUNIT_ASSERT(o.failed(130000) == OutageLog::Line::kReminder);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{2}, o.failedSinceLine());
    CPPUNIT_ASSERT(o.failed(189999) == OutageLog::Line::kNone);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{3}, o.lines());
  }

  void recoveryOnceThenANewOutage() {
    OutageLog o;
    o.failed(0);
    o.failed(1);
    CPPUNIT_ASSERT(o.succeeded());
    CPPUNIT_ASSERT(!o.down());
    CPPUNIT_ASSERT(!o.succeeded());
    // A new outage is announced at once, and its first reminder counts only its own failures.
    CPPUNIT_ASSERT(o.failed(5000) == OutageLog::Line::kStarted);
    CPPUNIT_ASSERT(o.failed(65000) == OutageLog::Line::kReminder);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, o.failedSinceLine());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{3}, o.lines());
  }

  void resetForgetsWithoutRecovery() {
    OutageLog o;
    o.failed(0);
    o.reset();
    CPPUNIT_ASSERT(!o.down());
    CPPUNIT_ASSERT(!o.succeeded());
    CPPUNIT_ASSERT(o.failed(10) == OutageLog::Line::kStarted);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{2}, o.lines());
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OutageLogTest);

}  // namespace sipline::db
