#include "tools/siplinectl/mgmt_run.h"

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/mi/json.h"
#include "tools/siplinectl/cli.h"
#include "tools/siplinectl/mi_client.h"
#include "tools/siplinectl/run_test_util.h"

namespace sipline::ctl {
namespace {

using testing::Harness;

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

const char kSock[] = "/run/sipline/mi.sock";

Json contact(const std::string& uri, std::int64_t expires) {
  return Json{{"contact", uri}, {"expires", expires}, {"q", 0.5},
              {"flags", 0},     {"received", ""},     {"user_agent", "ua/1"}};
}

}  // namespace

class MgmtRunTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(MgmtRunTest);
  CPPUNIT_TEST(psPrintsATableAndJson);
  CPPUNIT_TEST(uptimeAndShm);
  CPPUNIT_TEST(statsNamesAndReset);
  CPPUNIT_TEST(unknownStatisticIsExitSeven);
  CPPUNIT_TEST(ulShowOneAndAll);
  CPPUNIT_TEST(ulRmAddFlush);
  CPPUNIT_TEST(onlineListsAorsWithContacts);
  CPPUNIT_TEST(reloadRefusedIsExitTen);
  CPPUNIT_TEST(logLevelGetAndSet);
  CPPUNIT_TEST(tmStats);
  CPPUNIT_TEST(miByNameByPositionAndErrors);
  CPPUNIT_TEST(transportErrorsMapToExitCodes);
  CPPUNIT_TEST(targetComesFromUrlEnvOrSettings);
  CPPUNIT_TEST(versionAsksTheServer);
  CPPUNIT_TEST(argumentErrorsAreUsage);
  CPPUNIT_TEST(helpForEveryCommand);
  CPPUNIT_TEST(answersOfAnyShapeNeverCrash);
  CPPUNIT_TEST(anExceptionIsAFailureNotAnAbort);
  CPPUNIT_TEST(miValuesAreTypedByTheServersHelp);
  CPPUNIT_TEST(miValuesWithoutHelpKeepLongNumbersAsText);
  CPPUNIT_TEST(slowMethodsGetLongerTimeouts);
  CPPUNIT_TEST(anOversizedAnswerIsItsOwnFailure);
  CPPUNIT_TEST(settingsWithOnlyMiHttpUseIt);
  CPPUNIT_TEST_SUITE_END();

 public:
  int run(std::vector<std::string> args) {
    args.push_back("--mi-socket");
    args.push_back(kSock);
    h_.mi.calls.clear();
    return h_.run(args);
  }
  const std::string& method() { return h_.mi.calls.back().first; }
  const Json& params() { return h_.mi.calls.back().second; }

  void psPrintsATableAndJson() {
    h_.mi.answers["ps"] =
        Json{{"processes", Json::array({Json{{"id", 0},
                                             {"pid", 100},
                                             {"role", "master"},
                                             {"index", 0},
                                             {"handled", 0},
                                             {"load", {{"recent", 0}, {"1m", 0.5}, {"10m", 0}}},
                                             {"log_level", "notice"}},
                                        Json{{"id", 1},
                                             {"pid", 101},
                                             {"role", "udp-worker"},
                                             {"index", 1},
                                             {"handled", 12345},
                                             {"log_level", "debug"},
                                             {"name", "w"}}})}};
    CPPUNIT_ASSERT_EQUAL(0, run({"ps"}));
    CPPUNIT_ASSERT_EQUAL(std::string("ps"), method());
    CPPUNIT_ASSERT_EQUAL(std::string(kSock), h_.mi.paths.back());
    CPPUNIT_ASSERT_MESSAGE(
        h_.out, contains(h_.out, "ID  PID  ROLE        INDEX  LOAD(1m)  HANDLED  LEVEL   NAME\n"));
    CPPUNIT_ASSERT_MESSAGE(
        h_.out, contains(h_.out, " 0  100  master          0      0.5%        0  notice\n"));
    CPPUNIT_ASSERT_MESSAGE(
        h_.out, contains(h_.out, " 1  101  udp-worker      1         -    12345  debug   w\n"));
    CPPUNIT_ASSERT_EQUAL(0, run({"ps", "--json"}));
    CPPUNIT_ASSERT(Json::parse(h_.out) == h_.mi.answers["ps"]);
  }

  void uptimeAndShm() {
    h_.mi.answers["uptime"] = Json{{"now", 1000}, {"up_since", 0}, {"uptime", 3725}};
    CPPUNIT_ASSERT_EQUAL(0, run({"uptime"}));
    CPPUNIT_ASSERT_EQUAL(std::string("up 1h02m (since 1970-01-01 00:00:00 UTC)\n"), h_.out);
    h_.mi.answers["shm"] =
        Json{{"size", 67108864}, {"used", 16777216}, {"free", 50331648}, {"max_used", 20000000}};
    CPPUNIT_ASSERT_EQUAL(0, run({"shm"}));
    CPPUNIT_ASSERT_MESSAGE(h_.out, contains(h_.out, "size      67108864  64.0\n"));
    CPPUNIT_ASSERT_MESSAGE(h_.out, contains(h_.out, "25.0% used\n"));
    CPPUNIT_ASSERT_EQUAL(0, run({"--json", "shm"}));
    CPPUNIT_ASSERT(Json::parse(h_.out) == h_.mi.answers["shm"]);
  }

  void statsNamesAndReset() {
    h_.mi.answers["get_statistics"] = Json{{"core:rcv_requests", 7}, {"tm:inuse", 12}};
    CPPUNIT_ASSERT_EQUAL(0, run({"stats"}));
    CPPUNIT_ASSERT(params() == Json::object());
    CPPUNIT_ASSERT_EQUAL(std::string("NAME               VALUE\ncore:rcv_requests      7\n"
                                     "tm:inuse              12\n"),
                         h_.out);
    CPPUNIT_ASSERT_EQUAL(0, run({"stats", "core:", "tm:inuse"}));
    CPPUNIT_ASSERT(params() == Json({{"statistics", {"core:", "tm:inuse"}}}));
    CPPUNIT_ASSERT_EQUAL(0, run({"stats", "--json"}));
    CPPUNIT_ASSERT(Json::parse(h_.out) == h_.mi.answers["get_statistics"]);
    h_.mi.answers["reset_statistics"] = Json{{"reset", 3}};
    CPPUNIT_ASSERT_EQUAL(0, run({"stats", "reset", "core:"}));
    CPPUNIT_ASSERT_EQUAL(std::string("reset_statistics"), method());
    CPPUNIT_ASSERT(params() == Json({{"statistics", {"core:"}}}));
    CPPUNIT_ASSERT_EQUAL(std::string("reset 3 counters\n"), h_.out);
  }

  void unknownStatisticIsExitSeven() {
    h_.mi.errors["get_statistics"] = Status::notFound("no statistic or group 'nope'");
    CPPUNIT_ASSERT_EQUAL(7, run({"stats", "nope"}));
    CPPUNIT_ASSERT_MESSAGE(h_.err,
                           contains(h_.err, "siplinectl: stats: no statistic or group 'nope'"));
    CPPUNIT_ASSERT_EQUAL(7, run({"stats", "nope", "--json"}));
    CPPUNIT_ASSERT_EQUAL(7, Json::parse(h_.out).at("exit").get<int>());
  }

  void ulShowOneAndAll() {
    h_.mi.answers["ul_show_contact"] =
        Json{{"aor", "alice@example.com"},
             {"contacts", Json::array({contact("sip:alice@192.0.2.1:5060", 3599),
                                       contact("sip:alice@192.0.2.2", 42)})}};
    CPPUNIT_ASSERT_EQUAL(0, run({"ul", "show", "alice@example.com"}));
    CPPUNIT_ASSERT(params() == Json({{"table", "location"}, {"aor", "alice@example.com"}}));
    CPPUNIT_ASSERT_MESSAGE(h_.out, contains(h_.out,
                                            "AOR                CONTACT                   EXPIRES "
                                            "IN  Q    FLAGS  RECEIVED  USER AGENT\n"));
    CPPUNIT_ASSERT_MESSAGE(h_.out, contains(h_.out,
                                            "alice@example.com  sip:alice@192.0.2.1:5060      "
                                            "59m59s  0.5  0      -         ua/1\n"));
    CPPUNIT_ASSERT_MESSAGE(
        h_.out, contains(h_.out, "\n                   sip:alice@192.0.2.2              42s"));
    CPPUNIT_ASSERT_MESSAGE(h_.out, contains(h_.out, "1 AOR, 2 contacts\n"));
    h_.mi.answers["ul_dump"] = Json{
        {"mode", "memory"},
        {"tables",
         Json::array(
             {Json{{"table", "location"},
                   {"aors",
                    Json::array({Json{{"aor", "bob@x"},
                                      {"contacts", Json::array({contact("sip:b@h", 10)})}}})}}})}};
    CPPUNIT_ASSERT_EQUAL(0, run({"ul", "show", "--table", "loc2"}));
    CPPUNIT_ASSERT_EQUAL(std::string("ul_dump"), method());
    CPPUNIT_ASSERT(params() == Json({{"table", "loc2"}}));
    CPPUNIT_ASSERT_MESSAGE(h_.out, contains(h_.out, "1 AOR, 1 contact (table location)\n"));
    CPPUNIT_ASSERT_EQUAL(0, run({"ul", "show", "--json"}));
    CPPUNIT_ASSERT(Json::parse(h_.out) == h_.mi.answers["ul_dump"]);
    h_.mi.errors["ul_show_contact"] = Status::notFound("AOR nobody@x not found in table location");
    CPPUNIT_ASSERT_EQUAL(7, run({"ul", "show", "nobody@x"}));
    CPPUNIT_ASSERT_MESSAGE(h_.err, contains(h_.err, "AOR nobody@x not found"));
  }

  void ulRmAddFlush() {
    h_.mi.answers["ul_rm"] = Json{{"removed", 2}};
    CPPUNIT_ASSERT_EQUAL(0, run({"ul", "rm", "a@x"}));
    CPPUNIT_ASSERT(params() == Json({{"table", "location"}, {"aor", "a@x"}}));
    CPPUNIT_ASSERT_EQUAL(std::string("removed a@x (2 contacts)\n"), h_.out);
    h_.mi.answers["ul_rm_contact"] = Json{{"removed", 1}};
    CPPUNIT_ASSERT_EQUAL(0, run({"ul", "rm", "a@x", "sip:a@h"}));
    CPPUNIT_ASSERT(params() ==
                   Json({{"table", "location"}, {"aor", "a@x"}, {"contact", "sip:a@h"}}));
    CPPUNIT_ASSERT_EQUAL(std::string("removed contact sip:a@h of a@x\n"), h_.out);
    h_.mi.errors["ul_rm"] = Status::notFound("AOR z@x not found in table location");
    CPPUNIT_ASSERT_EQUAL(7, run({"ul", "rm", "z@x"}));

    h_.mi.answers["ul_add"] = Json{{"aor", "a@x"}, {"contact", contact("sip:a@h", 60)}};
    CPPUNIT_ASSERT_EQUAL(
        0, run({"ul", "add", "a@x", "sip:a@h", "--expires", "60", "--q", "0.5", "--flags=3"}));
    CPPUNIT_ASSERT(params() == Json({{"table", "location"},
                                     {"aor", "a@x"},
                                     {"contact", "sip:a@h"},
                                     {"expires", 60},
                                     {"q", "0.5"},
                                     {"flags", 3}}));
    CPPUNIT_ASSERT_EQUAL(std::string("added sip:a@h to a@x, expires in 1m00s\n"), h_.out);
    CPPUNIT_ASSERT_EQUAL(0, run({"ul", "add", "a@x", "sip:a@h"}));
    CPPUNIT_ASSERT(
        params() ==
        Json({{"table", "location"}, {"aor", "a@x"}, {"contact", "sip:a@h"}, {"expires", 3600}}));
    CPPUNIT_ASSERT_EQUAL(0, run({"ul", "add", "a@x", "sip:a@h", "--json"}));
    CPPUNIT_ASSERT(Json::parse(h_.out) == h_.mi.answers["ul_add"]);

    h_.mi.answers["ul_flush"] = Json{{"mode", "write-back"}, {"written", 4}, {"pending", 0}};
    CPPUNIT_ASSERT_EQUAL(0, run({"ul", "flush"}));
    CPPUNIT_ASSERT_EQUAL(std::string("written 4, pending 0 (mode write-back)\n"), h_.out);
  }

  void onlineListsAorsWithContacts() {
    h_.mi.answers["ul_dump"] = Json{
        {"tables",
         Json::array({Json{
             {"table", "location"},
             {"aors", Json::array({Json{{"aor", "zed@x"},
                                        {"contacts", Json::array({contact("sip:z@h", 5)})}},
                                   Json{{"aor", "empty@x"}, {"contacts", Json::array()}},
                                   Json{{"aor", "al@x"},
                                        {"contacts", Json::array({contact("sip:a@h", 5)})}}})}}})}};
    CPPUNIT_ASSERT_EQUAL(0, run({"online"}));
    CPPUNIT_ASSERT_EQUAL(std::string("al@x\nzed@x\n"), h_.out);
    CPPUNIT_ASSERT_EQUAL(0, run({"online", "--json"}));
    CPPUNIT_ASSERT(Json::parse(h_.out) ==
                   Json({{"table", "location"}, {"aors", {"al@x", "zed@x"}}}));
  }

  void reloadRefusedIsExitTen() {
    // The server's result names the script and the generation once (core_mi reloadRoutes).
    h_.mi.answers["reload_routes"] =
        Json{{"result", "routing script /etc/r.routes reloaded: generation 2"}, {"generation", 2}};
    CPPUNIT_ASSERT_EQUAL(0, run({"reload"}));
    CPPUNIT_ASSERT_EQUAL(std::string("routing script /etc/r.routes reloaded: generation 2\n"),
                         h_.out);
    h_.mi.answers["reload_routes"] = Json{{"generation", 3}};
    CPPUNIT_ASSERT_EQUAL(0, run({"reload"}));
    CPPUNIT_ASSERT_EQUAL(std::string("reloaded: generation 3\n"), h_.out);
    h_.mi.errors["reload_routes"] =
        Status::failedPrecondition("routes.cfg:3:5: unknown function 'foo'");
    CPPUNIT_ASSERT_EQUAL(10, run({"reload"}));
    CPPUNIT_ASSERT_MESSAGE(h_.err,
                           contains(h_.err,
                                    "siplinectl: reload: the server refused the script, the "
                                    "running one stays: routes.cfg:3:5: unknown function 'foo'"));
  }

  void logLevelGetAndSet() {
    h_.mi.answers["log_level"] = Json{
        {"processes", Json::array({Json{
                          {"pid", 10}, {"role", "master"}, {"index", 0}, {"log_level", "info"}}})}};
    CPPUNIT_ASSERT_EQUAL(0, run({"log-level"}));
    CPPUNIT_ASSERT(params() == Json::object());
    CPPUNIT_ASSERT_EQUAL(std::string("PID  ROLE    INDEX  LEVEL  NAME\n 10  master      0  info\n"),
                         h_.out);
    CPPUNIT_ASSERT_EQUAL(0, run({"log-level", "debug", "--pid", "10"}));
    CPPUNIT_ASSERT(params() == Json({{"level", "debug"}, {"pid", 10}}));
    CPPUNIT_ASSERT_EQUAL(2, run({"log-level", "--pid", "10"}));
    h_.mi.errors["log_level"] = Status::notFound("no server process with pid 99");
    CPPUNIT_ASSERT_EQUAL(7, run({"log-level", "info", "--pid", "99"}));
  }

  void tmStats() {
    h_.mi.answers["t_stats"] = Json{{"inuse", 1}, {"uas", 5}};
    CPPUNIT_ASSERT_EQUAL(0, run({"tm", "stats"}));
    CPPUNIT_ASSERT_EQUAL(std::string("t_stats"), method());
    CPPUNIT_ASSERT_MESSAGE(h_.out, contains(h_.out, "inuse      1\n"));
    h_.mi.errors["t_stats"] = Status::unsupported("method 't_stats' not found");
    CPPUNIT_ASSERT_EQUAL(10, run({"tm", "stats"}));
  }

  void miByNameByPositionAndErrors() {
    h_.mi.answers["ul_show_contact"] = Json{{"aor", "a@x"}};
    CPPUNIT_ASSERT_EQUAL(0, run({"mi", "ul_show_contact", "location", "a@x"}));
    CPPUNIT_ASSERT(params() == Json::array({"location", "a@x"}));
    CPPUNIT_ASSERT_EQUAL(std::string("{\n  \"aor\": \"a@x\"\n}\n"), h_.out);
    CPPUNIT_ASSERT_EQUAL(0, run({"mi", "log_level", "level=debug", "pid=42"}));
    CPPUNIT_ASSERT(params() == Json({{"level", "debug"}, {"pid", 42}}));
    CPPUNIT_ASSERT_EQUAL(0, run({"mi", "get_statistics", "statistics=[\"core:\",\"tm:\"]"}));
    CPPUNIT_ASSERT(params() == Json({{"statistics", {"core:", "tm:"}}}));
    CPPUNIT_ASSERT_EQUAL(0, run({"mi", "version"}));
    CPPUNIT_ASSERT(params().is_null());
    CPPUNIT_ASSERT_EQUAL(2, run({"mi", "x", "a=1", "2"}));
    CPPUNIT_ASSERT(h_.mi.calls.empty());
    CPPUNIT_ASSERT_MESSAGE(h_.err, contains(h_.err, "siplinectl: mi: give every param as "));
    CPPUNIT_ASSERT_MESSAGE(h_.err, contains(h_.err, "not both"));
    CPPUNIT_ASSERT_EQUAL(2, run({"mi", "x", "a=1", "a=2"}));
    CPPUNIT_ASSERT_MESSAGE(h_.err, contains(h_.err, "siplinectl: mi: param 'a' given twice"));
    h_.mi.errors["vresion"] =
        Status::unsupported("method 'vresion' not found (did you mean version?)");
    CPPUNIT_ASSERT_EQUAL(10, run({"mi", "vresion"}));
    CPPUNIT_ASSERT_MESSAGE(h_.err, contains(h_.err, "did you mean version?"));
    CPPUNIT_ASSERT_MESSAGE(h_.err, contains(h_.err, "'siplinectl mi which' lists"));
    h_.mi.errors["ul_add"] = Status::invalidArgument("missing param 'contact'");
    CPPUNIT_ASSERT_EQUAL(10, run({"mi", "ul_add", "table=location"}));
    CPPUNIT_ASSERT_EQUAL(2, run({"mi"}));
    // A dedicated command whose module the server does not load says which module.
    h_.mi.errors["t_stats"] = Status::unsupported("method not found: t_stats");
    CPPUNIT_ASSERT_EQUAL(10, run({"tm", "stats"}));
    CPPUNIT_ASSERT_MESSAGE(h_.err, contains(h_.err, "does not load the tm module"));
    CPPUNIT_ASSERT_EQUAL(10, run({"mi", "t_stats"}));
    CPPUNIT_ASSERT_MESSAGE(h_.err, contains(h_.err, "'siplinectl mi which' lists"));
  }

  void transportErrorsMapToExitCodes() {
    h_.mi.connect_status = Status::unavailable("MI socket /x: No such file or directory");
    CPPUNIT_ASSERT_EQUAL(3, run({"ps"}));
    CPPUNIT_ASSERT_MESSAGE(
        h_.err,
        contains(
            h_.err,
            "siplinectl: ps: MI socket /x: No such file or directory (is the server running?)"));
    CPPUNIT_ASSERT_EQUAL(3, run({"ps", "--json"}));
    CPPUNIT_ASSERT_EQUAL(3, Json::parse(h_.out).at("exit").get<int>());
    h_.mi.connect_status = miAccessDenied("MI socket /x: Permission denied");
    CPPUNIT_ASSERT_EQUAL(11, run({"uptime"}));
    CPPUNIT_ASSERT_MESSAGE(h_.err, contains(h_.err, "Permission denied (the socket's owner"));
    h_.mi.connect_status = Status::ok();
    h_.mi.call_status = miAccessDenied("authentication failed (HTTP 401 from http://u:***@h:1/mi)");
    CPPUNIT_ASSERT_EQUAL(11, run({"uptime"}));
    h_.mi.call_status = Status::unavailable("no MI answer within 3000 ms");
    CPPUNIT_ASSERT_EQUAL(3, run({"uptime"}));
    h_.mi.call_status = Status::ok();
    h_.mi_available = false;
    CPPUNIT_ASSERT_EQUAL(1, run({"uptime"}));
    h_.mi_available = true;
  }

  void targetComesFromUrlEnvOrSettings() {
    h_.mi.answers["uptime"] = Json{{"uptime", 1}};
    CPPUNIT_ASSERT_EQUAL(0, h_.run({"uptime", "--url", "http://admin:s%40cret@127.0.0.1:8080"}));
    CPPUNIT_ASSERT_EQUAL(std::string("http://admin:s%40cret@127.0.0.1:8080/mi"),
                         h_.mi.paths.back());
    h_.env_mi_password = "pa:ss";
    CPPUNIT_ASSERT_EQUAL(
        0, h_.run({"uptime", "--url", "http://127.0.0.1:8080/x", "--http-user", "op"}));
    CPPUNIT_ASSERT_EQUAL(std::string("http://op:pa%3Ass@127.0.0.1:8080/x"), h_.mi.paths.back());
    h_.env_mi_url = "http://[::1]:9/mi";
    CPPUNIT_ASSERT_EQUAL(0, h_.run({"uptime"}));
    CPPUNIT_ASSERT_EQUAL(std::string("http://:pa%3Ass@[::1]:9/mi"), h_.mi.paths.back());
    CPPUNIT_ASSERT_EQUAL(0, h_.run({"uptime", "--mi-socket", "/s"}));  // the option wins
    CPPUNIT_ASSERT_EQUAL(std::string("/s"), h_.mi.paths.back());
    h_.env_mi_url = nullptr;
    h_.env_mi_password = nullptr;
    CPPUNIT_ASSERT_EQUAL(2, h_.run({"uptime", "--url", "http://h:1", "--mi-socket", "/s"}));
    CPPUNIT_ASSERT_EQUAL(2, h_.run({"uptime", "--url", "https://h:1"}));
    CPPUNIT_ASSERT_EQUAL(2, h_.run({"uptime", "--url", "http://h:99999"}));
    CPPUNIT_ASSERT_EQUAL(2, h_.run({"uptime", "--http-user", "x", "--mi-socket", "/s"}));
    CPPUNIT_ASSERT_EQUAL(1, h_.run({"uptime", "-f", "/nonexistent/sipline.cfg"}));
    CPPUNIT_ASSERT_MESSAGE(h_.err, contains(h_.err, "no MI to reach the server"));
  }

  void versionAsksTheServer() {
    h_.mi.answers["version"] =
        Json{{"server", "sipline 9.9"}, {"version", "9.9"}, {"revision", "abc"}};
    CPPUNIT_ASSERT_EQUAL(0, run({"version"}));
    CPPUNIT_ASSERT_MESSAGE(h_.out, contains(h_.out, "siplinectl "));
    CPPUNIT_ASSERT_MESSAGE(h_.out, contains(h_.out, "server: sipline 9.9 (abc)\n"));
    CPPUNIT_ASSERT_EQUAL(0, run({"version", "--json"}));
    CPPUNIT_ASSERT_EQUAL(std::string("9.9"),
                         Json::parse(h_.out).at("server").at("version").get<std::string>());
    h_.mi.connect_status = Status::unavailable("MI socket /x: Connection refused");
    CPPUNIT_ASSERT_EQUAL(0, run({"version"}));
    CPPUNIT_ASSERT_MESSAGE(
        h_.out, contains(h_.out, "server: no answer (MI socket /x: Connection refused)"));
    h_.mi.connect_status = Status::ok();
    h_.mi.calls.clear();
    CPPUNIT_ASSERT_EQUAL(0, h_.run({"-V", "--mi-socket", kSock}));  // -V asks no server
    CPPUNIT_ASSERT(h_.mi.calls.empty() && !contains(h_.out, "server:"));
  }

  void argumentErrorsAreUsage() {
    struct {
      std::vector<std::string> args;
      const char* message;
    } cases[] = {
        {{"sp"}, "unknown command 'sp' (did you mean 'ps'?)"},
        {{"ul", "shwo"}, "unknown ul command 'shwo' (did you mean 'show'?)"},
        {{"ul"}, "ul needs a command: show, rm, add or flush"},
        {{"ul", "rm"}, "ul rm needs AOR [CONTACT]"},
        {{"ul", "add", "a@x"}, "ul add needs AOR CONTACT"},
        {{"ul", "add", "a@x", "sip:a@h", "--expires", "0"},
         "--expires needs a number from 1 to 315360000"},
        {{"ul", "add", "a@x", "sip:a@h", "--q", "1.5"}, "--q needs a number from 0 to 1"},
        {{"ps", "extra"}, "ps: unexpected argument 'extra'"},
        {{"ps", "--table", "t"}, "ps takes no option --table"},
        {{"uptime", "--expires", "5"}, "uptime takes no option --expires"},
        {{"ps", "--urll", "x"}, "unknown option --urll (did you mean '--url'?)"},
        {{"tm", "stat"}, "unknown tm command 'stat' (did you mean 'stats'?)"},
        {{"log-level", "info", "--pid", "x"}, "--pid needs a number"},
        {{"subscriber", "show", "a@b", "--mi-socket", "/s", "--url", "http://h:1"},
         "subscriber show takes no option --mi-socket"},
    };
    for (const auto& c : cases) {
      CPPUNIT_ASSERT_EQUAL_MESSAGE(c.args[0], 2, h_.run(c.args));
      CPPUNIT_ASSERT_MESSAGE(h_.err, contains(h_.err, c.message));
    }
    CPPUNIT_ASSERT(h_.mi.calls.empty());
  }

  void helpForEveryCommand() {
    for (const char* word : {"version", "ps", "uptime", "stats", "shm", "ul", "online", "reload",
                             "log-level", "tm", "mi"}) {
      const std::string help = groupHelp(word);
      CPPUNIT_ASSERT_MESSAGE(word,
                             contains(help, std::string("Usage: siplinectl [OPTIONS] ") + word));
      CPPUNIT_ASSERT_MESSAGE(word, contains(help, "Exit status:") && contains(help, "--url URL"));
      CPPUNIT_ASSERT_EQUAL(0, h_.run({word, "--help"}));
      CPPUNIT_ASSERT(h_.out == help);
      CPPUNIT_ASSERT_EQUAL(0, h_.run({"help", word}));
      CPPUNIT_ASSERT(h_.out == help);
      CPPUNIT_ASSERT_MESSAGE(word, contains(mainHelp(), std::string("\n  ") + word));
    }
    CPPUNIT_ASSERT(contains(groupHelp("ul"), "ul add AOR CONTACT") &&
                   contains(groupHelp("ul"), "ul flush") && !contains(groupHelp("ul"), "  online"));
    CPPUNIT_ASSERT(contains(groupHelp("mi"), "NAME=VALUE passes a param by name"));
    CPPUNIT_ASSERT_EQUAL(0, h_.run({"ul", "add", "--help"}));
    CPPUNIT_ASSERT(h_.out == groupHelp("ul"));
  }

  void answersOfAnyShapeNeverCrash() {
    const std::vector<std::vector<std::string>> commands = {{"ps"},
                                                            {"uptime"},
                                                            {"stats"},
                                                            {"stats", "reset"},
                                                            {"shm"},
                                                            {"ul", "show"},
                                                            {"ul", "show", "a@x"},
                                                            {"online"},
                                                            {"ul", "rm", "a@x"},
                                                            {"ul", "rm", "a@x", "sip:a@h"},
                                                            {"ul", "add", "a@x", "sip:a@h"},
                                                            {"ul", "flush"},
                                                            {"reload"},
                                                            {"log-level"},
                                                            {"tm", "stats"},
                                                            {"mi", "which"},
                                                            {"version"}};
    const std::vector<Json> answers = {
        Json("text"),
        Json::array({1, "x", nullptr}),
        Json(42),
        Json(nullptr),
        Json(true),
        Json{{"processes", "x"}, {"tables", 5}, {"reset", Json::array()}, {"uptime", "x"}},
        Json{{"processes", Json::array({1, "x"})},
             {"tables", Json::array({Json{{"aors", Json::array({1, Json{{"contacts", 7}}})}}})},
             {"contacts", Json::array({"x", Json{{"expires", "soon"}}})}}};
    for (const Json& answer : answers) {
      h_.mi.answers.clear();
      h_.mi.answer = answer;
      for (const auto& args : commands) {
        for (bool json : {false, true}) {
          std::vector<std::string> a = args;
          if (json) a.push_back("--json");
          const int code = run(a);  // a throw fails the test (and aborted siplinectl before)
          CPPUNIT_ASSERT_EQUAL_MESSAGE(args[0] + " with " + answer.dump() + "\n" + h_.err, 0, code);
        }
      }
    }
    h_.mi.answer = Json::object();
  }

  void anExceptionIsAFailureNotAnAbort() {
    h_.mi.throw_on_call = true;
    CPPUNIT_ASSERT_EQUAL(1, run({"ps"}));
    h_.mi.throw_on_call = false;
    CPPUNIT_ASSERT_MESSAGE(h_.err,
                           contains(h_.err, "siplinectl: internal error: thrown by FakeMi"));
  }

  void miValuesAreTypedByTheServersHelp() {
    h_.mi.answers["help"] =
        Json{{"name", "ul_add"},
             {"params", Json::array({Json{{"name", "table"}, {"type", "string"}},
                                     Json{{"name", "aor"}, {"type", "string"}},
                                     Json{{"name", "expires"}, {"type", "int"}},
                                     Json{{"name", "sticky"}, {"type", "bool"}},
                                     Json{{"name", "extra"}, {"type", "any"}}})}};
    CPPUNIT_ASSERT_EQUAL(0, run({"mi", "ul_add", "table=1001", "aor=12345678901234567890",
                                 "expires=60", "sticky=true", "extra=[1]"}));
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, h_.mi.calls.size());
    CPPUNIT_ASSERT(h_.mi.calls[0].first == "help" &&
                   h_.mi.calls[0].second == Json({{"command", "ul_add"}}));
    CPPUNIT_ASSERT_EQUAL(std::string("ul_add"), method());
    CPPUNIT_ASSERT_MESSAGE(params().dump(), params() == Json({{"table", "1001"},
                                                              {"aor", "12345678901234567890"},
                                                              {"expires", 60},
                                                              {"sticky", true},
                                                              {"extra", Json::array({1})}}));
    // By position: the params' order; a value that does not fit its type goes as text.
    CPPUNIT_ASSERT_EQUAL(0, run({"mi", "ul_add", "007", "true", "soon", "yes", "3"}));
    CPPUNIT_ASSERT_MESSAGE(params().dump(),
                           params() == Json::array({"007", "true", "soon", "yes", 3}));
    // `mi help command=1001`: help's own param is a string.
    h_.mi.answers["help"] = Json{
        {"name", "help"}, {"params", Json::array({Json{{"name", "command"}, {"type", "string"}}})}};
    CPPUNIT_ASSERT_EQUAL(0, run({"mi", "help", "command=1001"}));
    CPPUNIT_ASSERT(params() == Json({{"command", "1001"}}));
    // No params: no help asked.
    CPPUNIT_ASSERT_EQUAL(0, run({"mi", "uptime"}));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, h_.mi.calls.size());
    h_.mi.answers.erase("help");
  }

  void miValuesWithoutHelpKeepLongNumbersAsText() {
    h_.mi.errors["help"] = Status::unsupported("method 'help' not found");
    CPPUNIT_ASSERT_EQUAL(0, run({"mi", "x", "pid=4242", "n=123456789012345", "aor=1234567890123456",
                                 "f=1.5", "l=[\"a\"]", "s=sip:1@h"}));
    CPPUNIT_ASSERT_MESSAGE(params().dump(), params() == Json({{"pid", 4242},
                                                              {"n", 123456789012345},
                                                              {"aor", "1234567890123456"},
                                                              {"f", 1.5},
                                                              {"l", Json::array({"a"})},
                                                              {"s", "sip:1@h"}}));
    h_.mi.errors.erase("help");
    h_.mi.answers["help"] = Json("not what help answers");  // a strange answer: no types
    CPPUNIT_ASSERT_EQUAL(0, run({"mi", "x", "12345678901234567"}));
    CPPUNIT_ASSERT(params() == Json::array({"12345678901234567"}));
    h_.mi.answers.erase("help");
  }

  void slowMethodsGetLongerTimeouts() {
    h_.mi.timeouts.clear();
    CPPUNIT_ASSERT_EQUAL(0, run({"mi", "t_uac", "method=OPTIONS", "ruri=sip:x@127.0.0.1:9"}));
    CPPUNIT_ASSERT(h_.mi.timeouts.back() >= std::chrono::seconds(121));
    CPPUNIT_ASSERT_EQUAL(0, run({"reload"}));
    CPPUNIT_ASSERT(h_.mi.timeouts.back() == std::chrono::seconds(20));
    CPPUNIT_ASSERT_EQUAL(0, run({"mi", "ul_flush"}));
    CPPUNIT_ASSERT(h_.mi.timeouts.back() == std::chrono::seconds(20));
    CPPUNIT_ASSERT_EQUAL(0, run({"ps"}));
    CPPUNIT_ASSERT(h_.mi.timeouts.back() == kMiTimeout);
  }

  void anOversizedAnswerIsItsOwnFailure() {
    h_.mi.call_status = miAnswerTooLarge();
    CPPUNIT_ASSERT_EQUAL(1, run({"ul", "show"}));
    h_.mi.call_status = Status::ok();
    CPPUNIT_ASSERT_MESSAGE(h_.err, contains(h_.err, "larger than 64 MiB"));
    CPPUNIT_ASSERT_MESSAGE(h_.err, !contains(h_.err, "is the server running"));
  }

  void settingsWithOnlyMiHttpUseIt() {
    char tmpl[] = "/tmp/siplinectl-mgmt-XXXXXX";
    CPPUNIT_ASSERT(::mkdtemp(tmpl) != nullptr);
    const std::string dir = tmpl;
    std::filesystem::create_directory(dir + "/modules");
    std::ofstream(dir + "/sipline.routes") << "route { exit; }\n";
    const std::string base =
        "socket = [\"udp:127.0.0.1:5060\"];\nmpath = \"modules\";\nroutes = \"sipline.routes\";\n";
    std::ofstream(dir + "/http.cfg") << base
                                     << "mi = { http = \"0.0.0.0:8888\"; http_user = \"admin\"; "
                                        "http_password = \"p/s@ss:w\"; };\n";
    std::ofstream(dir + "/plain.cfg") << base << "mi = { http = \"127.0.0.1:8889\"; };\n";
    std::ofstream(dir + "/both.cfg")
        << base << "mi = { socket = \"/run/mi.sock\"; http = \"127.0.0.1:8889\"; };\n";
    h_.mi.answers["uptime"] = Json{{"uptime", 1}};
    CPPUNIT_ASSERT_EQUAL(0, h_.run({"uptime", "-f", dir + "/http.cfg"}));
    CPPUNIT_ASSERT_EQUAL(std::string("http://admin:p%2Fs%40ss%3Aw@127.0.0.1:8888/mi"),
                         h_.mi.paths.back());
    CPPUNIT_ASSERT_EQUAL(0, h_.run({"uptime", "-f", dir + "/plain.cfg"}));
    CPPUNIT_ASSERT_EQUAL(std::string("http://127.0.0.1:8889/mi"), h_.mi.paths.back());
    CPPUNIT_ASSERT_EQUAL(0, h_.run({"uptime", "-f", dir + "/both.cfg"}));  // the socket first
    CPPUNIT_ASSERT_EQUAL(std::string("/run/mi.sock"), h_.mi.paths.back());
    h_.mi.connect_status = Status::unavailable("MI http://127.0.0.1:8888: Connection refused");
    CPPUNIT_ASSERT_EQUAL(3, h_.run({"uptime", "-f", dir + "/http.cfg"}));
    h_.mi.connect_status = Status::ok();
    CPPUNIT_ASSERT_MESSAGE(h_.err, !contains(h_.err, "p/s@ss"));
    std::filesystem::remove_all(dir);
  }

 private:
  Harness h_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(MgmtRunTest);

}  // namespace sipline::ctl
