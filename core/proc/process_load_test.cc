// The load arithmetic fed by hand (shares, moving averages, clamping, late samples) and the
// sampler over a process table in a private segment.
#include "core/proc/process_load.h"

#include <cppunit/extensions/HelperMacros.h>

#include <cmath>
#include <memory>

#include "core/shm/segment.h"

namespace sipline {

class ProcessLoadTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ProcessLoadTest);
  CPPUNIT_TEST(recentIsTheBusyShareOfTheInterval);
  CPPUNIT_TEST(averagesFollowTheirTimeConstants);
  CPPUNIT_TEST(averagesDecayToZeroWhenIdle);
  CPPUNIT_TEST(aLateSampleCountsLikeSeveralOnTimeOnes);
  CPPUNIT_TEST(moreBusyThanTheIntervalIsClampedToFull);
  CPPUNIT_TEST(emptyIntervalChangesNothing);
  CPPUNIT_TEST(unitsAreRoundedAndClamped);
  CPPUNIT_TEST(samplerPublishesLoadsOfLiveSlots);
  CPPUNIT_TEST(samplerStartsANewProcessFromScratch);
  CPPUNIT_TEST(busyScopeAddsToMySlot);
  CPPUNIT_TEST_SUITE_END();

 public:
  static constexpr std::uint64_t kSecond = 1000000;

  static LoadAverages feed(LoadAverages load, double share, int seconds) {
    for (int i = 0; i < seconds; ++i) {
      load = nextLoad(load, static_cast<std::uint64_t>(share * kSecond), kSecond);
    }
    return load;
  }

  void recentIsTheBusyShareOfTheInterval() {
    LoadAverages l = nextLoad(LoadAverages{}, 250000, kSecond);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(0.25, l.recent, 1e-12);
    l = nextLoad(l, 0, kSecond);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(0.0, l.recent, 1e-12);
  }

  void averagesFollowTheirTimeConstants() {
    // Fully busy for one time constant: 1 - 1/e of the way from 0 to 1.
    LoadAverages l = feed(LoadAverages{}, 1.0, 60);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(1.0, l.recent, 1e-12);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(1.0 - std::exp(-1.0), l.avg_1m, 1e-9);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(1.0 - std::exp(-0.1), l.avg_10m, 1e-9);
    l = feed(l, 1.0, 540);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(1.0 - std::exp(-1.0), l.avg_10m, 1e-9);
    CPPUNIT_ASSERT(l.avg_1m > 0.9999);
    // A steady half load converges to one half.
    l = feed(LoadAverages{}, 0.5, 7200);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(0.5, l.avg_1m, 1e-9);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(0.5, l.avg_10m, 1e-4);
  }

  void averagesDecayToZeroWhenIdle() {
    LoadAverages busy{1.0, 1.0, 1.0};
    LoadAverages l = feed(busy, 0.0, 60);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(std::exp(-1.0), l.avg_1m, 1e-9);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(std::exp(-0.1), l.avg_10m, 1e-9);
    // Small values keep decaying (no rounding stall): 10 minutes idle from 1 % leaves 1/e %.
    l = feed(LoadAverages{0.01, 0.01, 0.01}, 0.0, 600);
    CPPUNIT_ASSERT_EQUAL(std::uint32_t(37), toLoadUnits(l.avg_10m));
    l = feed(l, 0.0, 6000);
    CPPUNIT_ASSERT_EQUAL(std::uint32_t(0), toLoadUnits(l.avg_10m));
  }

  void aLateSampleCountsLikeSeveralOnTimeOnes() {
    LoadAverages start{0.2, 0.2, 0.2};
    LoadAverages late = nextLoad(start, 3 * kSecond / 2, 3 * kSecond);  // one 3 s interval
    LoadAverages on_time = feed(start, 0.5, 3);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(on_time.avg_1m, late.avg_1m, 1e-9);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(on_time.avg_10m, late.avg_10m, 1e-9);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(0.5, late.recent, 1e-12);
  }

  void moreBusyThanTheIntervalIsClampedToFull() {
    LoadAverages l = nextLoad(LoadAverages{}, 3 * kSecond, kSecond);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(1.0, l.recent, 1e-12);
    CPPUNIT_ASSERT(l.avg_1m <= 1.0 && l.avg_10m <= 1.0);
  }

  void emptyIntervalChangesNothing() {
    LoadAverages start{0.3, 0.2, 0.1};
    LoadAverages l = nextLoad(start, 500, 0);
    CPPUNIT_ASSERT_EQUAL(0.3, l.recent);
    CPPUNIT_ASSERT_EQUAL(0.2, l.avg_1m);
    CPPUNIT_ASSERT_EQUAL(0.1, l.avg_10m);
  }

  void unitsAreRoundedAndClamped() {
    CPPUNIT_ASSERT_EQUAL(std::uint32_t(0), toLoadUnits(-0.5));
    CPPUNIT_ASSERT_EQUAL(std::uint32_t(0), toLoadUnits(std::nan("")));
    CPPUNIT_ASSERT_EQUAL(std::uint32_t(1250), toLoadUnits(0.125));
    CPPUNIT_ASSERT_EQUAL(std::uint32_t(1), toLoadUnits(0.00005));
    CPPUNIT_ASSERT_EQUAL(kLoadFull, toLoadUnits(1.0));
    CPPUNIT_ASSERT_EQUAL(kLoadFull, toLoadUnits(7.0));
  }

  void setUp() override {
    seg_ = std::move(shm::Segment::create(1 << 20).value());
    table_ = ProcessTable::create(*seg_).value();
  }
  void tearDown() override {
    setMySlot(nullptr);
    seg_.reset();
  }

  int addProcess(std::int32_t pid) {
    int n = table_->add(ProcessInfo{ProcessRole::kUdpWorker, 0, ""}, 0);
    table_->slot(n).pid.store(pid);
    return n;
  }

  void samplerPublishesLoadsOfLiveSlots() {
    int a = addProcess(100);
    int idle = table_->add(ProcessInfo{ProcessRole::kUdpWorker, 1, ""}, 0);  // no pid yet
    LoadSampler sampler;
    sampler.sample(*table_, 10 * kSecond);
    CPPUNIT_ASSERT_EQUAL(std::uint32_t(0), table_->slot(a).load_recent.load());
    table_->slot(a).busy_us.fetch_add(kSecond / 4);
    sampler.sample(*table_, 11 * kSecond);
    CPPUNIT_ASSERT_EQUAL(std::uint32_t(2500), table_->slot(a).load_recent.load());
    CPPUNIT_ASSERT_EQUAL(toLoadUnits(0.25 * (1 - std::exp(-1.0 / 60))),
                         table_->slot(a).load_1m.load());
    CPPUNIT_ASSERT_EQUAL(toLoadUnits(0.25 * (1 - std::exp(-1.0 / 600))),
                         table_->slot(a).load_10m.load());
    CPPUNIT_ASSERT_EQUAL(std::uint32_t(0), table_->slot(idle).load_recent.load());
    sampler.sample(*table_, 12 * kSecond);  // idle second
    CPPUNIT_ASSERT_EQUAL(std::uint32_t(0), table_->slot(a).load_recent.load());
    CPPUNIT_ASSERT(table_->slot(a).load_1m.load() > 0);
  }

  void samplerStartsANewProcessFromScratch() {
    int a = addProcess(100);
    LoadSampler sampler;
    sampler.sample(*table_, kSecond);
    table_->slot(a).busy_us.fetch_add(kSecond);
    sampler.sample(*table_, 2 * kSecond);
    CPPUNIT_ASSERT_EQUAL(kLoadFull, table_->slot(a).load_recent.load());
    // Another process takes the slot: the busy time before it is not its own.
    table_->slot(a).pid.store(200);
    table_->slot(a).busy_us.fetch_add(5 * kSecond);
    sampler.sample(*table_, 3 * kSecond);
    table_->slot(a).busy_us.fetch_add(kSecond / 10);
    sampler.sample(*table_, 4 * kSecond);
    CPPUNIT_ASSERT_EQUAL(std::uint32_t(1000), table_->slot(a).load_recent.load());
    CPPUNIT_ASSERT_EQUAL(toLoadUnits(0.1 * (1 - std::exp(-1.0 / 60))),
                         table_->slot(a).load_1m.load());
  }

  void busyScopeAddsToMySlot() {
    { BusyScope nobody; }  // no slot: nothing to do, no crash
    int a = addProcess(100);
    setProcessTable(table_);
    setMySlot(&table_->slot(a));
    {
      BusyScope busy;
      timespec nap{0, 2 * 1000 * 1000};
      nanosleep(&nap, nullptr);
    }
    setMySlot(nullptr);
    setProcessTable(nullptr);
    CPPUNIT_ASSERT(table_->slot(a).busy_us.load() >= 2000);
    CPPUNIT_ASSERT(table_->slot(a).busy_us.load() < 2 * kSecond);
  }

 private:
  std::unique_ptr<shm::Segment> seg_;
  ProcessTable* table_ = nullptr;
};
CPPUNIT_TEST_SUITE_REGISTRATION(ProcessLoadTest);

}  // namespace sipline
