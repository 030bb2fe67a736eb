// Whole gateway and service commands through runCtl() with a fake database and a fake MI:
// bad input is exit 2 before any database or MI work; reload, status and set-state make the
// documented MI calls (named params) and map the server's errors as the management commands
// do; --reload after a change calls the module's reload, and a server that cannot be reached
// keeps the change with a warning and exit 12; database failures keep their exit codes.
// (The statements themselves run against a real PostgreSQL in
// test/integration/test_siplinectl_services.py.)
#include "tools/siplinectl/services_run.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "tools/siplinectl/run_test_util.h"

namespace sipline::ctl {
namespace {

using testing::Harness;
using testing::kUrl;

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

std::vector<std::string> withDb(std::vector<std::string> words) {
  words.insert(words.end(), {"--db-url", kUrl});
  return words;
}

std::vector<std::string> withMi(std::vector<std::string> words) {
  words.insert(words.end(), {"--mi-socket", "/run/t/mi.sock"});
  return words;
}

}  // namespace

class ServicesRunTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ServicesRunTest);
  CPPUNIT_TEST(badInputTouchesNeitherDatabaseNorServer);
  CPPUNIT_TEST(reloadCommandsCallTheModules);
  CPPUNIT_TEST(setStateSendsNamedParams);
  CPPUNIT_TEST(statusPrintsTheSetsOrTheJson);
  CPPUNIT_TEST(serverErrorsMapToTheManagementExitCodes);
  CPPUNIT_TEST(reloadAfterAChange);
  CPPUNIT_TEST(failedReloadKeepsTheChangeWithExitTwelve);
  CPPUNIT_TEST(noReloadWhenTheChangeFailed);
  CPPUNIT_TEST(databaseErrorsKeepTheirExitCodes);
  CPPUNIT_TEST(addressAddChecksAndInsertsUnderOneLock);
  CPPUNIT_TEST(badMiTargetOfReloadChangesNothing);
  CPPUNIT_TEST_SUITE_END();

 public:
  Harness h_;

  void badInputTouchesNeitherDatabaseNorServer() {
    const std::vector<std::string> bad[] = {
        {"dispatcher", "add", "x", "sip:gw"},
        {"dispatcher", "add", "1", "gw"},
        {"dispatcher", "set-state", "up", "1", "sip:gw"},
        {"address", "add", "1", "10.0.0.300"},
        {"address", "add", "1", "10.0.0.1", "--proto", "sctp"},
        {"group", "add", "alice", "int"},
        {"alias", "add", "1 2", "a@b.c"},
        {"callfwd", "set", "a@b.c"},
        {"callfwd", "set", "a@b.c", "--busy", "nowhere"},
    };
    for (const auto& args : bad) {
      h_.out.clear();
      CPPUNIT_ASSERT_EQUAL(int{kExitUsage}, h_.run(withMi(withDb(args))));
      CPPUNIT_ASSERT_MESSAGE(h_.err, contains(h_.err, "siplinectl: " + args[0] + " " + args[1]));
    }
    CPPUNIT_ASSERT(h_.db.log.empty());
    CPPUNIT_ASSERT(h_.opened_url.empty());
    CPPUNIT_ASSERT(h_.mi.calls.empty());
    // --json: the error object too.
    CPPUNIT_ASSERT_EQUAL(int{kExitUsage}, h_.run(withDb({"--json", "group", "list", "a b"})));
    const Json j = Json::parse(h_.out);
    CPPUNIT_ASSERT_EQUAL(false, j["ok"].get<bool>());
    CPPUNIT_ASSERT_EQUAL(2, j["exit"].get<int>());
  }

  void reloadCommandsCallTheModules() {
    h_.mi.answers["ds_reload"] = Json{{"sets", 2}, {"destinations", 5}};
    CPPUNIT_ASSERT_EQUAL(int{kExitOk}, h_.run(withMi({"dispatcher", "reload"})));
    CPPUNIT_ASSERT_EQUAL(std::string("the server reloaded table dispatcher (ds_reload)\n"), h_.out);
    CPPUNIT_ASSERT_EQUAL(int{kExitOk}, h_.run(withMi({"address", "reload", "--json"})));
    CPPUNIT_ASSERT(Json::parse(h_.out).is_object());
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, h_.mi.calls.size());
    CPPUNIT_ASSERT_EQUAL(std::string("ds_reload"), h_.mi.calls[0].first);
    CPPUNIT_ASSERT(h_.mi.calls[0].second.is_null());
    CPPUNIT_ASSERT_EQUAL(std::string("address_reload"), h_.mi.calls[1].first);
    CPPUNIT_ASSERT_EQUAL(std::string("/run/t/mi.sock"), h_.mi.paths.at(0));
    CPPUNIT_ASSERT(h_.db.log.empty());  // no database for these
    CPPUNIT_ASSERT(h_.opened_url.empty());
  }

  void setStateSendsNamedParams() {
    CPPUNIT_ASSERT_EQUAL(
        int{kExitOk}, h_.run(withMi({"dispatcher", "set-state", "inactive", "3", "sip:gw:5070"})));
    CPPUNIT_ASSERT_EQUAL(std::string("ds_set_state"), h_.mi.calls.at(0).first);
    CPPUNIT_ASSERT(h_.mi.calls[0].second ==
                   (Json{{"state", "i"}, {"set", 3}, {"destination", "sip:gw:5070"}}));
    CPPUNIT_ASSERT(contains(h_.out, "sip:gw:5070 of set 3 is now inactive"));
  }

  void statusPrintsTheSetsOrTheJson() {
    h_.mi.answers["ds_list"] = Json::parse(R"({"sets": [
        {"id": 1, "destinations": [
          {"uri": "sip:10.0.0.1", "state": "active", "weight": 1, "priority": 0, "failures": 0},
          {"uri": "sip:10.0.0.2", "state": "probing", "weight": 2, "priority": 1,
           "failures": 3}]},
        {"id": 2, "destinations": []}]})");
    CPPUNIT_ASSERT_EQUAL(int{kExitOk}, h_.run(withMi({"dispatcher", "status"})));
    CPPUNIT_ASSERT_MESSAGE(h_.out, contains(h_.out, "SET  DESTINATION"));
    CPPUNIT_ASSERT_MESSAGE(h_.out, contains(h_.out, "sip:10.0.0.2  probing"));
    CPPUNIT_ASSERT_MESSAGE(h_.out, contains(h_.out, "2 sets, 2 destinations\n"));
    CPPUNIT_ASSERT_EQUAL(int{kExitOk}, h_.run(withMi({"dispatcher", "status", "--json"})));
    CPPUNIT_ASSERT(Json::parse(h_.out) == h_.mi.answers["ds_list"]);
    // Another shape: shown as it came, never a crash.
    h_.mi.answers["ds_list"] = Json::array({1, "two"});
    CPPUNIT_ASSERT_EQUAL(int{kExitOk}, h_.run(withMi({"dispatcher", "status"})));
    CPPUNIT_ASSERT(contains(h_.out, "\"two\""));
  }

  void serverErrorsMapToTheManagementExitCodes() {
    h_.mi.errors["ds_reload"] = Status::unsupported("method 'ds_reload' not found");
    CPPUNIT_ASSERT_EQUAL(int{kExitRefused}, h_.run(withMi({"dispatcher", "reload"})));
    CPPUNIT_ASSERT_MESSAGE(h_.err, contains(h_.err, "does not load the dispatcher module"));
    h_.mi.errors["address_reload"] = Status::unsupported("method 'address_reload' not found");
    CPPUNIT_ASSERT_EQUAL(int{kExitRefused}, h_.run(withMi({"address", "reload"})));
    CPPUNIT_ASSERT_MESSAGE(h_.err, contains(h_.err, "does not load the permissions module"));
    h_.mi.errors["ds_set_state"] = Status::notFound("no destination sip:x in set 1");
    CPPUNIT_ASSERT_EQUAL(int{kExitNotFound},
                         h_.run(withMi({"dispatcher", "set-state", "active", "1", "sip:x"})));
    h_.mi.errors["ds_list"] = Status::failedPrecondition("the database is down");
    CPPUNIT_ASSERT_EQUAL(int{kExitRefused}, h_.run(withMi({"dispatcher", "status"})));
    h_.mi.connect_status = Status::unavailable("MI socket /run/t/mi.sock: Connection refused");
    CPPUNIT_ASSERT_EQUAL(int{kExitUnreachable}, h_.run(withMi({"dispatcher", "reload"})));
    CPPUNIT_ASSERT_MESSAGE(h_.err, contains(h_.err, "is the server running?"));
    // No MI known at all: a settings file without mi.socket.
    CPPUNIT_ASSERT_EQUAL(int{kExitFailure},
                         h_.run({"dispatcher", "reload", "-f", "/nonexistent/sipline.cfg"}));
  }

  void reloadAfterAChange() {
    // domain add is the one change FakeDb performs; dispatcher and address share the code.
    CPPUNIT_ASSERT_EQUAL(int{kExitOk},
                         h_.run(withMi(withDb({"domain", "add", "b.example", "--reload"}))));
    CPPUNIT_ASSERT_EQUAL(std::string("added domain b.example\n"
                                     "the server reloaded table domain (domain_reload)\n"),
                         h_.out);
    CPPUNIT_ASSERT_EQUAL(std::string("domain_reload"), h_.mi.calls.at(0).first);
    CPPUNIT_ASSERT_EQUAL(
        int{kExitOk}, h_.run(withMi(withDb({"--json", "domain", "rm", "b.example", "--reload"}))));
    const Json j = Json::parse(h_.out);
    CPPUNIT_ASSERT_EQUAL(true, j["ok"].get<bool>());
    CPPUNIT_ASSERT_EQUAL(std::string("domain_reload"), j["reload"]["method"].get<std::string>());
    CPPUNIT_ASSERT_EQUAL(true, j["reload"]["done"].get<bool>());
    // Without --reload: no call, and the domain output is what it always was.
    h_.mi.calls.clear();
    CPPUNIT_ASSERT_EQUAL(int{kExitOk}, h_.run(withDb({"domain", "add", "c.example"})));
    CPPUNIT_ASSERT_EQUAL(std::string("added domain c.example\n"), h_.out);
    CPPUNIT_ASSERT(h_.mi.calls.empty());
    CPPUNIT_ASSERT_EQUAL(std::string("ds_reload"),
                         std::string(reloadMethodFor(Command::kDispatcherRm)));
    CPPUNIT_ASSERT_EQUAL(std::string("address_reload"),
                         std::string(reloadMethodFor(Command::kAddressAdd)));
  }

  void failedReloadKeepsTheChangeWithExitTwelve() {
    h_.mi.connect_status = Status::unavailable("MI socket /run/t/mi.sock: Connection refused");
    CPPUNIT_ASSERT_EQUAL(int{kExitReloadFailed},
                         h_.run(withMi(withDb({"domain", "add", "b.example", "--reload"}))));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, h_.db.domains.count("b.example"));  // kept
    CPPUNIT_ASSERT(contains(h_.out, "added domain b.example"));
    CPPUNIT_ASSERT_MESSAGE(h_.err, contains(h_.err,
                                            "warning: the change is in the database, but "
                                            "the server did not reload it"));
    CPPUNIT_ASSERT(contains(h_.err, "siplinectl mi domain_reload"));
    h_.mi.connect_status = Status::ok();
    h_.mi.errors["domain_reload"] = Status::unsupported("method 'domain_reload' not found");
    CPPUNIT_ASSERT_EQUAL(
        int{kExitReloadFailed},
        h_.run(withMi(withDb({"--json", "domain", "rm", "b.example", "--reload"}))));
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, h_.db.domains.count("b.example"));
    const Json j = Json::parse(h_.out);  // one object: the change and the failed reload
    CPPUNIT_ASSERT_EQUAL(false, j["ok"].get<bool>());
    CPPUNIT_ASSERT_EQUAL(12, j["exit"].get<int>());
    CPPUNIT_ASSERT_EQUAL(std::string("b.example"), j["domain"].get<std::string>());
    CPPUNIT_ASSERT_EQUAL(false, j["reload"]["done"].get<bool>());
    CPPUNIT_ASSERT(contains(j["reload"]["error"].get<std::string>(), "domain module"));
  }

  void noReloadWhenTheChangeFailed() {
    // FakeDb knows no dispatcher rows: the DELETE removes nothing.
    CPPUNIT_ASSERT_EQUAL(int{kExitNotFound},
                         h_.run(withMi(withDb({"dispatcher", "rm", "1", "sip:gw", "--reload"}))));
    CPPUNIT_ASSERT(contains(h_.err, "set 1 has no destination sip:gw"));
    CPPUNIT_ASSERT(h_.mi.calls.empty());
    CPPUNIT_ASSERT_EQUAL(
        std::string("DELETE FROM dispatcher WHERE setid = $1 AND destination = $2"),
        h_.db.log.back());
  }

  void databaseErrorsKeepTheirExitCodes() {
    h_.db.connect_status = Status::unavailable("connection refused");
    CPPUNIT_ASSERT_EQUAL(int{kExitUnreachable}, h_.run(withDb({"group", "show", "a@b.c"})));
    h_.db.connect_status = Status::ok();
    h_.db.fail_on = "dbaliases";
    h_.db.fail_status = Status::unavailable("server closed the connection");
    CPPUNIT_ASSERT_EQUAL(int{kExitUnreachable}, h_.run(withDb({"alias", "list"})));
    CPPUNIT_ASSERT(contains(h_.err, "lost the connection to"));
    h_.db.fail_on = "grp";
    h_.db.fail_status = Status::invalidArgument("ERROR: relation \"grp\" does not exist");
    CPPUNIT_ASSERT_EQUAL(int{kExitFailure}, h_.run(withDb({"group", "list", "int"})));
    CPPUNIT_ASSERT(contains(h_.err, "siplinectl db check"));
  }

  void addressAddChecksAndInsertsUnderOneLock() {
    // FakeDb inserts no address rows (0 = "an equal row exists"): the lock comes first, in
    // the INSERT's transaction, and the refusal rolls it back.
    CPPUNIT_ASSERT_EQUAL(int{kExitAlreadyExists},
                         h_.run(withDb({"address", "add", "1", "2001:DB8:0::1"})));
    CPPUNIT_ASSERT_EQUAL(std::size_t{4}, h_.db.log.size());
    CPPUNIT_ASSERT_EQUAL(std::string("BEGIN"), h_.db.log[0]);
    CPPUNIT_ASSERT_EQUAL(std::string("LOCK TABLE address IN SHARE ROW EXCLUSIVE MODE"),
                         h_.db.log[1]);
    CPPUNIT_ASSERT(contains(h_.db.log[2], "INSERT INTO address"));
    CPPUNIT_ASSERT_EQUAL(std::string("ROLLBACK"), h_.db.log[3]);
    CPPUNIT_ASSERT_MESSAGE(h_.err, contains(h_.err, "group 1 has 2001:db8::1/128 port any"));
  }

  void badMiTargetOfReloadChangesNothing() {
    // A usage error of the MI options (both --url and --mi-socket): exit 2, no connection.
    CPPUNIT_ASSERT_EQUAL(int{kExitUsage},
                         h_.run(withMi(withDb({"domain", "add", "b.example", "--reload", "--url",
                                               "http://127.0.0.1:8080/mi"}))));
    CPPUNIT_ASSERT_MESSAGE(h_.err, contains(h_.err, "--reload: "));
    CPPUNIT_ASSERT_MESSAGE(h_.err, contains(h_.err, "nothing was changed"));
    // No MI known at all (a settings file without one): exit 1, nothing written either.
    CPPUNIT_ASSERT_EQUAL(int{kExitFailure},
                         h_.run({"dispatcher", "rm", "1", "sip:gw", "--reload", "--db-url", kUrl,
                                 "-f", "/nonexistent/sipline.cfg"}));
    CPPUNIT_ASSERT(h_.opened_url.empty());
    CPPUNIT_ASSERT(h_.db.log.empty());
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, h_.db.domains.count("b.example"));
    CPPUNIT_ASSERT(h_.mi.calls.empty());
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(ServicesRunTest);

}  // namespace sipline::ctl
