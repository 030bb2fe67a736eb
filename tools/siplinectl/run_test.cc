#include "tools/siplinectl/run.h"

#include <cppunit/extensions/HelperMacros.h>

#include <sstream>
#include <string>

#include "core/mi/json.h"
#include "tools/siplinectl/cli.h"
#include "tools/siplinectl/embedded_schema.h"
#include "tools/siplinectl/fake_db_test_util.h"
#include "tools/siplinectl/run_test_util.h"

namespace sipline::ctl {
namespace {

using testing::FakeDb;
using testing::Harness;
using testing::kUrl;

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

class RunTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(RunTest);
  CPPUNIT_TEST(helpGoesToStdoutWithExitZero);
  CPPUNIT_TEST(usageErrorsGoToStderrWithExitTwo);
  CPPUNIT_TEST(versionNamesTheSchemaVersions);
  CPPUNIT_TEST(checkOfAGoodSchemaExitsZero);
  CPPUNIT_TEST(checkFindsProblemsExitsFour);
  CPPUNIT_TEST(checkJsonIsOneObject);
  CPPUNIT_TEST(initCreatesAndRefusesToClobber);
  CPPUNIT_TEST(unreachableDatabaseExitsThree);
  CPPUNIT_TEST(errorsInJsonModeAreJsonToo);
  CPPUNIT_TEST(urlComesFromEnvironmentWithoutOption);
  CPPUNIT_TEST(badUrlOrSettingsExitOne);
  CPPUNIT_TEST(passwordNeverPrinted);
  CPPUNIT_TEST_SUITE_END();

 public:
  void helpGoesToStdoutWithExitZero() {
    CPPUNIT_ASSERT_EQUAL(0, h_.run({"--help"}));
    CPPUNIT_ASSERT(h_.out == mainHelp() && h_.err.empty());
    CPPUNIT_ASSERT_EQUAL(0, h_.run({"help", "db"}));
    CPPUNIT_ASSERT(h_.out == groupHelp("db"));
    CPPUNIT_ASSERT_EQUAL(0, h_.run({"db", "--help"}));
    CPPUNIT_ASSERT(h_.out == groupHelp("db"));
    CPPUNIT_ASSERT(h_.db.log.empty());
  }

  void usageErrorsGoToStderrWithExitTwo() {
    CPPUNIT_ASSERT_EQUAL(2, h_.run({}));
    CPPUNIT_ASSERT(h_.out.empty());
    CPPUNIT_ASSERT(contains(h_.err, "siplinectl: no command given\nUsage: siplinectl"));
    CPPUNIT_ASSERT_EQUAL(2, h_.run({"db", "inti", "--db-url", kUrl}));
    CPPUNIT_ASSERT(contains(h_.err, "unknown db command 'inti' (did you mean 'init'?)"));
    CPPUNIT_ASSERT(contains(h_.err, "siplinectl [OPTIONS] db check"));
    CPPUNIT_ASSERT(h_.opened_url.empty());
  }

  void versionNamesTheSchemaVersions() {
    CPPUNIT_ASSERT_EQUAL(0, h_.run({"--version"}));
    CPPUNIT_ASSERT(contains(h_.out, "siplinectl " SIPLINE_VERSION));
    CPPUNIT_ASSERT(contains(h_.out,
                            "schema: version 1 acc 1 address 1 dbaliases 1 dialog 1 dispatcher 1 "
                            "domain 1 grp 1 location 1 missed_calls 1 sip_trace 1 subscriber 1 "
                            "usr_preferences 1"));
    CPPUNIT_ASSERT_EQUAL(0, h_.run({"--version", "--json"}));
    Json j = Json::parse(h_.out);
    CPPUNIT_ASSERT_EQUAL(1, j["schema"]["location"].get<int>());
  }

  void checkOfAGoodSchemaExitsZero() {
    h_.db.createFrom(schema());
    CPPUNIT_ASSERT_EQUAL(0, h_.run({"db", "check", "--db-url", kUrl}));
    CPPUNIT_ASSERT_EQUAL(std::string(kUrl), h_.opened_url);
    CPPUNIT_ASSERT(contains(h_.out, "location         OK       table_version 1"));
    CPPUNIT_ASSERT(contains(h_.out, "schema OK: 13 tables as expected"));
    CPPUNIT_ASSERT(contains(h_.out, "(from --db-url)"));
    CPPUNIT_ASSERT(h_.err.empty());
  }

  void checkFindsProblemsExitsFour() {
    h_.db.createFrom(schema());
    h_.db.versions["location"] = 2;
    CPPUNIT_ASSERT_EQUAL(4, h_.run({"db", "check", "--db-url", kUrl}));
    CPPUNIT_ASSERT(contains(h_.out, "location         PROBLEM  table_version is 2"));
    CPPUNIT_ASSERT(contains(h_.out, "1 of 13 tables with problems (1 problem)"));
    h_.db.tables.clear();
    CPPUNIT_ASSERT_EQUAL(4, h_.run({"db", "check", "--db-url", kUrl}));
    CPPUNIT_ASSERT(contains(h_.out, "'siplinectl db init' creates them"));
  }

  void checkJsonIsOneObject() {
    h_.db.createFrom(schema());
    h_.db.tables["subscriber"].columns.pop_back();
    CPPUNIT_ASSERT_EQUAL(4, h_.run({"--json", "db", "check", "--db-url", kUrl}));
    Json j = Json::parse(h_.out);
    CPPUNIT_ASSERT_EQUAL(std::string("db check"), j["command"].get<std::string>());
    CPPUNIT_ASSERT(!j["ok"].get<bool>());
    CPPUNIT_ASSERT_EQUAL(1, j["problems"].get<int>());
    CPPUNIT_ASSERT_EQUAL(std::size_t{13}, j["tables"].size());
    CPPUNIT_ASSERT_EQUAL(std::string("subscriber"), j["tables"][11]["table"].get<std::string>());
    CPPUNIT_ASSERT(contains(j["tables"][11]["problems"][0].get<std::string>(), "created"));
    CPPUNIT_ASSERT(j["tables"][1]["ok"].get<bool>());
  }

  void initCreatesAndRefusesToClobber() {
    CPPUNIT_ASSERT_EQUAL(0, h_.run({"db", "init", "--db-url", kUrl}));
    CPPUNIT_ASSERT(contains(h_.out, "created table location (table_version 1)"));
    CPPUNIT_ASSERT(contains(h_.out, "schema created: 13 tables"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, h_.db.count("COMMIT"));
    h_.db.createFrom(schema());
    CPPUNIT_ASSERT_EQUAL(5, h_.run({"db", "init", "--db-url", kUrl}));
    CPPUNIT_ASSERT(h_.out.empty());
    CPPUNIT_ASSERT(contains(h_.err,
                            "siplinectl: db init: the database already has tables "
                            "version, acc, address, dbaliases, dialog, dispatcher, "
                            "domain, grp, location, missed_calls, sip_trace, subscriber, "
                            "usr_preferences; nothing was changed"));
    CPPUNIT_ASSERT(contains(h_.err, "'siplinectl db check'"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, h_.db.count("COMMIT"));
    CPPUNIT_ASSERT_EQUAL(5, h_.run({"db", "init", "--json", "--db-url", kUrl}));
    CPPUNIT_ASSERT_EQUAL(5, Json::parse(h_.out)["exit"].get<int>());
  }

  void unreachableDatabaseExitsThree() {
    h_.db.connect_status = Status::unavailable("connection refused\n\tIs the server running?");
    CPPUNIT_ASSERT_EQUAL(3, h_.run({"db", "check", "--db-url", kUrl}));
    CPPUNIT_ASSERT_EQUAL(
        std::string("siplinectl: db check: cannot connect to "
                    "postgres://sipline:***@127.0.0.1:5999/sipline: connection refused Is the "
                    "server running?\n"),
        h_.err);
    CPPUNIT_ASSERT_EQUAL(3, h_.run({"db", "init", "--db-url", kUrl}));
    // Any connect failure counts, e.g. a refused password reported with another code.
    h_.db.connect_status = Status::invalidArgument("password authentication failed");
    CPPUNIT_ASSERT_EQUAL(3, h_.run({"db", "check", "--db-url", kUrl}));
    // Lost after connecting.
    h_.db.connect_status = Status::ok();
    h_.db.fail_on = "to_regclass";
    h_.db.fail_status = Status::unavailable("server closed the connection");
    CPPUNIT_ASSERT_EQUAL(3, h_.run({"db", "check", "--db-url", kUrl}));
    CPPUNIT_ASSERT(contains(h_.err, "lost the connection to postgres://sipline:***@"));
  }

  void errorsInJsonModeAreJsonToo() {
    h_.db.connect_status = Status::unavailable("connection refused");
    CPPUNIT_ASSERT_EQUAL(3, h_.run({"db", "check", "--json", "--db-url", kUrl}));
    Json j = Json::parse(h_.out);
    CPPUNIT_ASSERT(!j["ok"].get<bool>());
    CPPUNIT_ASSERT_EQUAL(3, j["exit"].get<int>());
    CPPUNIT_ASSERT(contains(j["error"].get<std::string>(), "connection refused"));
    CPPUNIT_ASSERT(!h_.err.empty());
  }

  void urlComesFromEnvironmentWithoutOption() {
    h_.db.createFrom(schema());
    h_.env = "postgres://env@127.0.0.1/sipline";
    CPPUNIT_ASSERT_EQUAL(0, h_.run({"db", "check", "-f", "/nonexistent/sipline.cfg"}));
    CPPUNIT_ASSERT_EQUAL(std::string(h_.env), h_.opened_url);
    CPPUNIT_ASSERT(contains(h_.out, "(from SIPLINE_DB_URL)"));
    CPPUNIT_ASSERT_EQUAL(0, h_.run({"db", "check", "--db-url", kUrl}));
    CPPUNIT_ASSERT_EQUAL(std::string(kUrl), h_.opened_url);
  }

  void badUrlOrSettingsExitOne() {
    CPPUNIT_ASSERT_EQUAL(1, h_.run({"db", "check", "--db-url", "postgres://h:99999/db"}));
    CPPUNIT_ASSERT(contains(h_.err, "(from --db-url)"));
    CPPUNIT_ASSERT(h_.opened_url.empty());
    CPPUNIT_ASSERT_EQUAL(1, h_.run({"db", "check", "-f", "/nonexistent/sipline.cfg"}));
    CPPUNIT_ASSERT(contains(h_.err, "/nonexistent/sipline.cfg: cannot be read"));
    CPPUNIT_ASSERT(h_.opened_url.empty());
  }

  void passwordNeverPrinted() {
    h_.db.createFrom(schema());
    for (const auto& args :
         std::vector<std::vector<std::string>>{{"db", "check", "--db-url", kUrl},
                                               {"db", "check", "--json", "--db-url", kUrl},
                                               {"db", "init", "--db-url", kUrl}}) {
      h_.run(args);
      CPPUNIT_ASSERT(!contains(h_.out + h_.err, "secret"));
    }
  }

 private:
  static std::vector<TableDef> schema() {
    Result<std::vector<TableDef>> r = shippedSchema();
    CPPUNIT_ASSERT(r.isOk());
    return std::move(r).value();
  }
  Harness h_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(RunTest);

}  // namespace sipline::ctl
