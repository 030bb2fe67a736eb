#include "modules/acc/acc_record.h"

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>

#include "modules/acc/acc_syslog.h"

namespace sipline::acc {

class AccRecordTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(AccRecordTest);
  CPPUNIT_TEST(lineRoundTripsAnyValueAndNull);
  CPPUNIT_TEST(lineIsOneLineWithoutRawTabs);
  CPPUNIT_TEST(damagedOrTornLineIsRefused);
  CPPUNIT_TEST(namesThatAreNotIdentifiersAreRefused);
  CPPUNIT_TEST(keyIsStableAndDependsOnEveryPart);
  CPPUNIT_TEST(timestampIsUtcWithMilliseconds);
  CPPUNIT_TEST(syslogMessageIsRfc3164);
  CPPUNIT_TEST(facilityNames);
  CPPUNIT_TEST_SUITE_END();

 public:
  static Row sample() {
    Row r;
    r.table = "acc";
    r.columns = {{"acc_key", "k1"},
                 {"method", "INVITE"},
                 {"sip_reason", "odd\tvalue\nwith \\ and \r and \x01 and = and #1234abcd"},
                 {"to_tag", std::nullopt},
                 {"src_user", ""}};
    return r;
  }

  void lineRoundTripsAnyValueAndNull() {
    Row r = sample();
    std::string line = encodeLine(r);
    CPPUNIT_ASSERT(line.back() == '\n');
    Result<Row> back = decodeLine(std::string_view(line).substr(0, line.size() - 1));
    CPPUNIT_ASSERT_MESSAGE(back.isOk() ? "" : back.status().message(), back.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("acc"), back.value().table);
    CPPUNIT_ASSERT_EQUAL(r.columns.size(), back.value().columns.size());
    for (std::size_t i = 0; i < r.columns.size(); ++i) {
      CPPUNIT_ASSERT_EQUAL(r.columns[i].name, back.value().columns[i].name);
      CPPUNIT_ASSERT(r.columns[i].value == back.value().columns[i].value);
    }
    CPPUNIT_ASSERT(back.value().get("to_tag") == nullptr);
    CPPUNIT_ASSERT_EQUAL(std::string(""), *back.value().get("src_user"));
  }

  void lineIsOneLineWithoutRawTabs() {
    std::string line = encodeLine(sample());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1},
                         static_cast<std::size_t>(std::count(line.begin(), line.end(), '\n')));
    CPPUNIT_ASSERT(line.rfind("A1\tacc\tacc_key=k1\tmethod=INVITE\t", 0) == 0);
    CPPUNIT_ASSERT(line.find("\tto_tag\t") != std::string::npos);  // NULL: no '='
    CPPUNIT_ASSERT(line.find("odd\\tvalue\\nwith \\\\ and \\r and \\x01") != std::string::npos);
  }

  void damagedOrTornLineIsRefused() {
    std::string line = encodeLine(sample());
    line.pop_back();
    std::string torn = line.substr(0, line.size() / 2);
    CPPUNIT_ASSERT(!decodeLine(torn).isOk());
    std::string flipped = line;
    flipped[5] = flipped[5] == 'x' ? 'y' : 'x';
    Result<Row> bad = decodeLine(flipped);
    CPPUNIT_ASSERT(!bad.isOk());
    CPPUNIT_ASSERT(bad.status().message().find("checksum") != std::string::npos);
    CPPUNIT_ASSERT(!decodeLine("").isOk());
    CPPUNIT_ASSERT(!decodeLine("B1\tacc\tx=1").isOk());
  }

  void namesThatAreNotIdentifiersAreRefused() {
    Row r;
    r.table = "acc; DROP TABLE acc";
    r.columns = {{"acc_key", "k"}};
    std::string line = encodeLine(r);
    line.pop_back();
    CPPUNIT_ASSERT(!decodeLine(line).isOk());
    Row c;
    c.table = "acc";
    c.columns = {{"Bad Name", "v"}};
    line = encodeLine(c);
    line.pop_back();
    CPPUNIT_ASSERT(!decodeLine(line).isOk());
  }

  void keyIsStableAndDependsOnEveryPart() {
    std::string k = accKey("tx", "call1", "ft", "tt", "1", "INVITE");
    CPPUNIT_ASSERT_EQUAL(std::size_t{64}, k.size());
    CPPUNIT_ASSERT_EQUAL(k, accKey("tx", "call1", "ft", "tt", "1", "INVITE"));
    CPPUNIT_ASSERT(k != accKey("missed", "call1", "ft", "tt", "1", "INVITE"));
    CPPUNIT_ASSERT(k != accKey("tx", "call2", "ft", "tt", "1", "INVITE"));
    CPPUNIT_ASSERT(k != accKey("tx", "call1", "ft", "tt", "2", "INVITE"));
    CPPUNIT_ASSERT(k != accKey("tx", "call1", "f", "ttt", "1", "INVITE"));  // no shifting
  }

  void timestampIsUtcWithMilliseconds() {
    CPPUNIT_ASSERT_EQUAL(std::string("1970-01-01 00:00:00.000+00"), formatTimestamp(0));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-11-27 12:00:01.042+00"),
                         formatTimestamp(1795780801042LL));
  }

  void syslogMessageIsRfc3164() {
    std::string m = formatSyslog(16, 42, 1795780801042LL, "transaction answered",
                                 {{"method", "INVITE"}, {"reason", "a;b"}});
    CPPUNIT_ASSERT(m.rfind("<134>", 0) == 0);
    CPPUNIT_ASSERT(m.find(" sipline[42]: ACC: transaction answered: method=INVITE;reason=a b") !=
                   std::string::npos);
    // "Mmm dd hh:mm:ss": the day is space-padded.
    CPPUNIT_ASSERT_EQUAL(' ', m[8]);
    CPPUNIT_ASSERT_EQUAL(':', m[14]);
  }

  void facilityNames() {
    CPPUNIT_ASSERT_EQUAL(16, facilityNumber("local0"));
    CPPUNIT_ASSERT_EQUAL(23, facilityNumber("local7"));
    CPPUNIT_ASSERT_EQUAL(1, facilityNumber("user"));
    CPPUNIT_ASSERT_EQUAL(-1, facilityNumber("local9"));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(AccRecordTest);

}  // namespace sipline::acc
