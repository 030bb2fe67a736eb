// Per-process log levels: a process logs at its slot's level once it has a slot, the MI-side
// setters change one process or all of them, and a process started later begins at the level
// last set for all.
#include "core/proc/process_log_level.h"

#include <cppunit/extensions/HelperMacros.h>

#include <memory>

#include "core/shm/segment.h"

namespace sipline {

class ProcessLogLevelTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ProcessLogLevelTest);
  CPPUNIT_TEST(tableStartsAtTheCurrentLevel);
  CPPUNIT_TEST(aProcessLogsAtItsSlotsLevel);
  CPPUNIT_TEST(withoutASlotTheLevelIsPrivate);
  CPPUNIT_TEST(settingEveryProcessSetsTheDefaultToo);
  CPPUNIT_TEST(settingOnePidLeavesTheOthers);
  CPPUNIT_TEST(unknownPidIsNotFound);
  CPPUNIT_TEST(aProcessStartedLaterBeginsAtTheDefault);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    saved_ = logLevel();
    logSetLevel(LogLevel::kWarn);
    seg_ = std::move(shm::Segment::create(1 << 20).value());
    table_ = ProcessTable::create(*seg_).value();
    setProcessTable(table_);
  }
  void tearDown() override {
    setMySlot(nullptr);
    setProcessTable(nullptr);
    seg_.reset();
    logSetLevel(saved_);
  }

  int addProcess(std::int32_t pid, ProcessRole role = ProcessRole::kUdpWorker) {
    int n = table_->add(ProcessInfo{role, 0, ""}, 0);
    table_->slot(n).pid.store(pid);
    return n;
  }

  void tableStartsAtTheCurrentLevel() {
    CPPUNIT_ASSERT(table_->defaultLogLevel() == LogLevel::kWarn);
    int n = addProcess(10);
    CPPUNIT_ASSERT(slotLogLevel(table_->slot(n)) == LogLevel::kWarn);
  }

  void aProcessLogsAtItsSlotsLevel() {
    int n = addProcess(10);
    setMySlot(&table_->slot(n));
    CPPUNIT_ASSERT(logLevel() == LogLevel::kWarn);
    // Another process (the MI) writes the slot: this one logs at it from the next call.
    table_->slot(n).log_level.store(static_cast<std::int32_t>(LogLevel::kDbg));
    CPPUNIT_ASSERT(logLevel() == LogLevel::kDbg);
    // The process's own logSetLevel() writes its slot.
    logSetLevel(LogLevel::kErr);
    CPPUNIT_ASSERT(slotLogLevel(table_->slot(n)) == LogLevel::kErr);
  }

  void withoutASlotTheLevelIsPrivate() {
    int n = addProcess(10);
    setMySlot(&table_->slot(n));
    logSetLevel(LogLevel::kDbg);
    setMySlot(nullptr);
    CPPUNIT_ASSERT(logLevel() == LogLevel::kWarn);  // the private value set in setUp
    table_->slot(n).log_level.store(static_cast<std::int32_t>(LogLevel::kAlert));
    CPPUNIT_ASSERT(logLevel() == LogLevel::kWarn);
  }

  void settingEveryProcessSetsTheDefaultToo() {
    int a = addProcess(10);
    int b = addProcess(11, ProcessRole::kTimer);
    table_->add(ProcessInfo{ProcessRole::kMi, 0, ""}, 0);  // not started: no pid
    std::vector<int> set = setEveryLogLevel(*table_, LogLevel::kInfo);
    CPPUNIT_ASSERT((set == std::vector<int>{a, b}));
    CPPUNIT_ASSERT(slotLogLevel(table_->slot(a)) == LogLevel::kInfo);
    CPPUNIT_ASSERT(slotLogLevel(table_->slot(b)) == LogLevel::kInfo);
    CPPUNIT_ASSERT(table_->defaultLogLevel() == LogLevel::kInfo);
  }

  void settingOnePidLeavesTheOthers() {
    int a = addProcess(10);
    int b = addProcess(11);
    Result<int> r = setProcessLogLevel(*table_, 11, LogLevel::kDbg);
    CPPUNIT_ASSERT(r.isOk());
    CPPUNIT_ASSERT_EQUAL(b, r.value());
    CPPUNIT_ASSERT(slotLogLevel(table_->slot(b)) == LogLevel::kDbg);
    CPPUNIT_ASSERT(slotLogLevel(table_->slot(a)) == LogLevel::kWarn);
    CPPUNIT_ASSERT(table_->defaultLogLevel() == LogLevel::kWarn);
  }

  void unknownPidIsNotFound() {
    addProcess(10);
    for (std::int32_t pid : {12, 0, -1}) {
      Result<int> r = setProcessLogLevel(*table_, pid, LogLevel::kDbg);
      CPPUNIT_ASSERT(r.status().code() == Code::kNotFound);
      CPPUNIT_ASSERT(r.status().message().find(std::to_string(pid)) != std::string::npos);
    }
  }

  void aProcessStartedLaterBeginsAtTheDefault() {
    int a = addProcess(10);
    setEveryLogLevel(*table_, LogLevel::kErr);
    CPPUNIT_ASSERT(setProcessLogLevel(*table_, 10, LogLevel::kDbg).isOk());
    // A respawned process takes a slot (whatever was in it) and starts at the default.
    table_->slot(a).pid.store(20);
    setMySlot(&table_->slot(a));
    CPPUNIT_ASSERT(logLevel() == LogLevel::kErr);
    int later = table_->add(ProcessInfo{ProcessRole::kModule, 0, "x"}, 0);
    CPPUNIT_ASSERT(slotLogLevel(table_->slot(later)) == LogLevel::kErr);
  }

 private:
  LogLevel saved_ = LogLevel::kNotice;
  std::unique_ptr<shm::Segment> seg_;
  ProcessTable* table_ = nullptr;
};
CPPUNIT_TEST_SUITE_REGISTRATION(ProcessLogLevelTest);

}  // namespace sipline
