// The core MI commands that read and write the process table: ps (loads, busy time) and
// log_level (report, set all, set one pid, errors), called through the registry as the MI
// server calls them.
#include "core/server/core_mi.h"

#include <cppunit/extensions/HelperMacros.h>

#include <memory>

#include "core/proc/process_table.h"
#include "core/shm/segment.h"

namespace sipline {

class CoreMiTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(CoreMiTest);
  CPPUNIT_TEST(psShowsLoadInPercentAndBusySeconds);
  CPPUNIT_TEST(logLevelWithoutLevelReportsEveryProcess);
  CPPUNIT_TEST(logLevelSetsEveryProcess);
  CPPUNIT_TEST(logLevelWithPidSetsOnlyThatProcess);
  CPPUNIT_TEST(logLevelAcceptsOpensipsNumbers);
  CPPUNIT_TEST(badLevelListsTheValidNames);
  CPPUNIT_TEST(unknownPidIsNotFound);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    saved_ = logLevel();
    logSetLevel(LogLevel::kNotice);
    seg_ = std::move(shm::Segment::create(1 << 20).value());
    table_ = ProcessTable::create(*seg_).value();
    setProcessTable(table_);
    for (auto [role, pid] :
         {std::pair{ProcessRole::kMaster, 100}, std::pair{ProcessRole::kUdpWorker, 101},
          std::pair{ProcessRole::kUdpWorker, 102}}) {
      int n = table_->add(ProcessInfo{role, pid == 102 ? 1 : 0, ""}, 0);
      table_->slot(n).pid.store(pid);
    }
    registry_ = std::make_unique<MiRegistry>();
    CPPUNIT_ASSERT(registerCoreMiCommands(*registry_).isOk());
  }
  void tearDown() override {
    setProcessTable(nullptr);
    seg_.reset();
    logSetLevel(saved_);
  }

  Result<Json> call(const std::string& name, Json params = nullptr) {
    const MiCommand* cmd = registry_->find(name);
    CPPUNIT_ASSERT(cmd != nullptr);
    Result<MiParams> bound = bindMiParams(*cmd, params);
    if (!bound.isOk()) return bound.status();
    return cmd->handler(bound.value());
  }

  static std::string levelOf(const Json& processes, int pid) {
    for (const Json& p : processes) {
      if (p["pid"].get<int>() == pid) return p["log_level"].get<std::string>();
    }
    return "absent";
  }

  void psShowsLoadInPercentAndBusySeconds() {
    ProcessSlot& w = table_->slot(1);
    w.busy_us.store(2500000);
    w.load_recent.store(1250);
    w.load_1m.store(320);
    w.load_10m.store(10000);
    Result<Json> r = call("ps");
    CPPUNIT_ASSERT(r.isOk());
    const Json& p = r.value()["processes"][1];
    CPPUNIT_ASSERT_EQUAL(101, p["pid"].get<int>());
    CPPUNIT_ASSERT_EQUAL(std::string("udp-worker"), p["role"].get<std::string>());
    CPPUNIT_ASSERT(p.contains("handled") && p.contains("started") && p.contains("index"));
    CPPUNIT_ASSERT_DOUBLES_EQUAL(12.5, p["load"]["recent"].get<double>(), 1e-9);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(3.2, p["load"]["1m"].get<double>(), 1e-9);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(100.0, p["load"]["10m"].get<double>(), 1e-9);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(2.5, p["busy_seconds"].get<double>(), 1e-9);
    CPPUNIT_ASSERT_EQUAL(std::string("notice"), p["log_level"].get<std::string>());
  }

  void logLevelWithoutLevelReportsEveryProcess() {
    Result<Json> r = call("log_level");
    CPPUNIT_ASSERT(r.isOk());
    const Json& ps = r.value()["processes"];
    CPPUNIT_ASSERT_EQUAL(std::size_t(3), ps.size());
    CPPUNIT_ASSERT_EQUAL(std::string("master"), ps[0]["role"].get<std::string>());
    CPPUNIT_ASSERT_EQUAL(1, ps[2]["index"].get<int>());
    CPPUNIT_ASSERT_EQUAL(std::string("notice"), ps[2]["log_level"].get<std::string>());
  }

  void logLevelSetsEveryProcess() {
    Result<Json> r = call("log_level", {{"level", "debug"}});
    CPPUNIT_ASSERT(r.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(3), r.value()["processes"].size());
    for (int pid : {100, 101, 102}) {
      CPPUNIT_ASSERT_EQUAL(std::string("debug"), levelOf(r.value()["processes"], pid));
    }
    CPPUNIT_ASSERT(table_->defaultLogLevel() == LogLevel::kDbg);
  }

  void logLevelWithPidSetsOnlyThatProcess() {
    Result<Json> r = call("log_level", Json::array({"info", 102}));  // positional
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.isOk());
    const Json& changed = r.value()["processes"];
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), changed.size());
    CPPUNIT_ASSERT_EQUAL(std::string("info"), levelOf(changed, 102));
    Result<Json> all = call("log_level");
    CPPUNIT_ASSERT_EQUAL(std::string("notice"), levelOf(all.value()["processes"], 101));
    CPPUNIT_ASSERT_EQUAL(std::string("info"), levelOf(all.value()["processes"], 102));
    CPPUNIT_ASSERT(table_->defaultLogLevel() == LogLevel::kNotice);
  }

  void logLevelAcceptsOpensipsNumbers() {
    Result<Json> r = call("log_level", {{"level", 4}, {"pid", 101}});
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("debug"), levelOf(r.value()["processes"], 101));
    r = call("log_level", {{"level", "-1"}});
    CPPUNIT_ASSERT(r.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("error"), levelOf(r.value()["processes"], 101));
  }

  void badLevelListsTheValidNames() {
    for (const Json& bad : {Json("loud"), Json(9), Json(true)}) {
      Result<Json> r = call("log_level", {{"level", bad}});
      CPPUNIT_ASSERT(r.status().code() == Code::kInvalidArgument);
      CPPUNIT_ASSERT_MESSAGE(r.status().message(),
                             r.status().message().find("warning") != std::string::npos);
    }
    Result<Json> one = call("log_level", {{"pid", 101}});  // a report of that process only
    CPPUNIT_ASSERT(one.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), one.value()["processes"].size());
    CPPUNIT_ASSERT(call("log_level", {{"pid", 7}}).status().code() == Code::kNotFound);
    CPPUNIT_ASSERT(table_->defaultLogLevel() == LogLevel::kNotice);
  }

  void unknownPidIsNotFound() {
    Result<Json> r = call("log_level", {{"level", "debug"}, {"pid", 4242}});
    CPPUNIT_ASSERT(r.status().code() == Code::kNotFound);
    CPPUNIT_ASSERT(r.status().message().find("4242") != std::string::npos);
    CPPUNIT_ASSERT(call("log_level", {{"level", "debug"}, {"pid", -5}}).status().code() ==
                   Code::kNotFound);
  }

 private:
  LogLevel saved_ = LogLevel::kNotice;
  std::unique_ptr<shm::Segment> seg_;
  ProcessTable* table_ = nullptr;
  std::unique_ptr<MiRegistry> registry_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(CoreMiTest);

}  // namespace sipline
