// flight_recorder_size and flight_recorder_minutes.
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "core/config/settings.h"
#include "core/config/settings_test_util.h"

namespace sipline {

class SettingsRecorderTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SettingsRecorderTest);
  CPPUNIT_TEST(defaultsAreFourMegabytesAndTenMinutes);
  CPPUNIT_TEST(readsBothAndZeroTurnsItOff);
  CPPUNIT_TEST(refusesValuesOutOfRangeAndMoreThanHalfOfShm);
  CPPUNIT_TEST_SUITE_END();

 public:
  void defaultsAreFourMegabytesAndTenMinutes() {
    Result<Settings> r = load("");
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), messageOf(r));
    CPPUNIT_ASSERT_EQUAL(std::size_t{4096}, r.value().flight_recorder_kb);
    CPPUNIT_ASSERT_EQUAL(10, r.value().flight_recorder_minutes);
    r = load("shm_size = 8;\n");  // unset: at most an eighth of a small segment
    CPPUNIT_ASSERT_EQUAL(std::size_t{1024}, r.value().flight_recorder_kb);
  }

  void readsBothAndZeroTurnsItOff() {
    Result<Settings> r = load("flight_recorder_size = 16384;\nflight_recorder_minutes = 60;\n");
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), messageOf(r));
    CPPUNIT_ASSERT_EQUAL(std::size_t{16384}, r.value().flight_recorder_kb);
    CPPUNIT_ASSERT_EQUAL(60, r.value().flight_recorder_minutes);
    r = load("flight_recorder_size = 0;\n");
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, r.value().flight_recorder_kb);
  }

  void refusesValuesOutOfRangeAndMoreThanHalfOfShm() {
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: 'flight_recorder_minutes' must be in 1..1440, got 0",
                         messageOf(load("flight_recorder_minutes = 0;\n")));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: 'flight_recorder_size' must be in 0..4194304, got -1",
                         messageOf(load("flight_recorder_size = -1;\n")));
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":5: 'flight_recorder_size' (4096 KB) may use at most "
                             "half of shm_size (4 MB)",
                         messageOf(load("shm_size = 4;\nflight_recorder_size = 4096;\n")));
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"),
                         messageOf(load("shm_size = 4;\nflight_recorder_size = 2048;\n")));
  }

 private:
  // The three required settings, then `tail` (so its first line is line 4).
  Result<Settings> load(const std::string& tail) {
    return dir_.load(
        "socket = \"udp:127.0.0.1:5060\";\nmpath = \"modules\";\nroutes = \"sipline.routes\";\n" +
        tail);
  }
  static std::string messageOf(const Result<Settings>& r) {
    return testing::SettingsDir::messageOf(r);
  }
  std::string cfg() const { return dir_.cfg(); }
  testing::SettingsDir dir_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(SettingsRecorderTest);

}  // namespace sipline
