// Whole subscriber and domain commands through runCtl(): exit codes, text and --json, the
// password sources, the cache flush, and that no password leaks.
#include "tools/siplinectl/provision_run.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "core/crypto/digest.h"
#include "tools/siplinectl/run_test_util.h"
#include "tools/siplinectl/subscribers.h"

namespace sipline::ctl {
namespace {

using testing::Harness;
using testing::kUrl;

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// The command with the fake database and, for the commands that flush, the MI socket.
std::vector<std::string> cmd(std::vector<std::string> words) {
  const bool flushes = words.size() > 1 && (words[1] == "passwd" || words[1] == "rm");
  words.insert(words.end(), {"--db-url", kUrl});
  if (flushes) words.insert(words.end(), {"--mi-socket", "/run/t/mi.sock"});
  return words;
}

std::vector<std::string> cmdNoMi(std::vector<std::string> words) {
  words.insert(words.end(), {"--db-url", kUrl});
  return words;
}

}  // namespace

class ProvisionRunTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ProvisionRunTest);
  CPPUNIT_TEST(addWithPasswordStoresHashesOnly);
  CPPUNIT_TEST(addFlushesTheNegativeCacheQuietly);
  CPPUNIT_TEST(addWithoutPasswordGeneratesAndPrintsItOnce);
  CPPUNIT_TEST(addReadsThePasswordFromStdin);
  CPPUNIT_TEST(addErrorsHaveTheirExitCodes);
  CPPUNIT_TEST(badOperandsAreExitTwoWithoutTouchingTheDatabase);
  CPPUNIT_TEST(passwdChangesAndFlushesTheCache);
  CPPUNIT_TEST(passwdWithoutARunningServerIsANoteNotAnError);
  CPPUNIT_TEST(rmRemovesAndFlushes);
  CPPUNIT_TEST(showHidesHashesUnlessAsked);
  CPPUNIT_TEST(listIsBoundedByLimit);
  CPPUNIT_TEST(domainCommands);
  CPPUNIT_TEST(domainRmForceRemovesAndFlushesItsSubscribers);
  CPPUNIT_TEST(unreachableOrLostDatabaseIsExitThree);
  CPPUNIT_TEST(missingTableHintsAtDbCheck);
  CPPUNIT_TEST(everyCommandPrintsOneJsonObject);
  CPPUNIT_TEST(givenPasswordsAreNeverPrinted);
  CPPUNIT_TEST(databasePreconditionFailuresAreExitOne);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override { h_.db.domains["example.com"] = "2026-11-27T00:00:00Z"; }

  void addWithPasswordStoresHashesOnly() {
    CPPUNIT_ASSERT_EQUAL(0, h_.run(cmd({"subscriber", "add", "alice@Example.com", "s3cret"})));
    CPPUNIT_ASSERT_EQUAL(
        std::string("added subscriber alice@example.com (HA1 hashes stored, no clear password)\n"),
        h_.out);
    CPPUNIT_ASSERT(h_.err.empty());
    const testing::FakeSubscriber& s = h_.db.subscribers.at({"alice", "example.com"});
    CPPUNIT_ASSERT_EQUAL(
        crypto::digestHex(crypto::DigestAlgorithm::kMd5, "alice:example.com:s3cret"), s.ha1);
    CPPUNIT_ASSERT(s.password.empty());
    CPPUNIT_ASSERT(h_.mi.calls.empty());  // no MI socket known: add flushes nothing, says nothing
    CPPUNIT_ASSERT_EQUAL(0, h_.run(cmd({"subscriber", "add", "bob@example.com", "pw",
                                        "--store-password", "--email", "bob@example.com"})));
    CPPUNIT_ASSERT(contains(h_.out, "HA1 hashes and the clear password stored"));
    CPPUNIT_ASSERT_EQUAL(std::string("pw"), h_.db.subscribers.at({"bob", "example.com"}).password);
    CPPUNIT_ASSERT_EQUAL(std::string("bob@example.com"),
                         h_.db.subscribers.at({"bob", "example.com"}).email);
  }

  void addWithoutPasswordGeneratesAndPrintsItOnce() {
    CPPUNIT_ASSERT_EQUAL(0, h_.run(cmd({"subscriber", "add", "alice@example.com"})));
    const std::size_t at = h_.out.find("password: ");
    CPPUNIT_ASSERT(at != std::string::npos);
    const std::string pw = h_.out.substr(at + 10, h_.out.find('\n', at) - at - 10);
    CPPUNIT_ASSERT_EQUAL(std::size_t{20}, pw.size());
    CPPUNIT_ASSERT(contains(h_.out, "shown only now"));
    CPPUNIT_ASSERT_EQUAL(ha1For(Aor{"alice", "example.com"}, pw).md5,
                         h_.db.subscribers.at({"alice", "example.com"}).ha1);
    CPPUNIT_ASSERT_EQUAL(0, h_.run(cmd({"subscriber", "add", "bob@example.com", "--json"})));
    Json j = Json::parse(h_.out);
    CPPUNIT_ASSERT(j["password_generated"].get<bool>());
    CPPUNIT_ASSERT_EQUAL(ha1For(Aor{"bob", "example.com"}, j["password"].get<std::string>()).md5,
                         h_.db.subscribers.at({"bob", "example.com"}).ha1);
  }

  void addReadsThePasswordFromStdin() {
    h_.input = "from stdin\n";
    CPPUNIT_ASSERT_EQUAL(0, h_.run(cmd({"subscriber", "add", "alice@example.com", "--stdin"})));
    CPPUNIT_ASSERT(!contains(h_.out, "password:"));
    CPPUNIT_ASSERT_EQUAL(ha1For(Aor{"alice", "example.com"}, "from stdin").md5,
                         h_.db.subscribers.at({"alice", "example.com"}).ha1);
    h_.input = "";
    CPPUNIT_ASSERT_EQUAL(2, h_.run(cmd({"subscriber", "add", "bob@example.com", "--stdin"})));
    CPPUNIT_ASSERT(contains(h_.err, "--stdin: no password on standard input"));
    CPPUNIT_ASSERT(h_.db.subscribers.count({"bob", "example.com"}) == 0);
  }

  void addErrorsHaveTheirExitCodes() {
    CPPUNIT_ASSERT_EQUAL(0, h_.run(cmd({"subscriber", "add", "alice@example.com", "pw"})));
    CPPUNIT_ASSERT_EQUAL(6, h_.run(cmd({"subscriber", "add", "alice@example.com", "pw2"})));
    CPPUNIT_ASSERT(contains(h_.err,
                            "siplinectl: subscriber add: subscriber alice@example.com "
                            "exists already"));
    CPPUNIT_ASSERT(h_.out.empty());
    CPPUNIT_ASSERT_EQUAL(8, h_.run(cmd({"subscriber", "add", "alice@exmaple.com", "pw"})));
    CPPUNIT_ASSERT(contains(h_.err, "domain exmaple.com is not in table domain"));
    CPPUNIT_ASSERT_EQUAL(0,
                         h_.run(cmd({"subscriber", "add", "alice@exmaple.com", "pw", "--force"})));
  }

  void badOperandsAreExitTwoWithoutTouchingTheDatabase() {
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"subscriber", "add", "alice", "pw"},
             {"subscriber", "add", "al ice@example.com", "pw"},
             {"subscriber", "add", std::string(65, 'a') + "@example.com", "pw"},
             {"subscriber", "add", "alice@example.com:5060", "pw"},
             {"subscriber", "add", "alice@example.com", std::string(65, 'p')},
             {"subscriber", "add", "alice@example.com", "pw", "--email", "nope"},
             {"subscriber", "show", "sip:alice@example.com"},
             {"subscriber", "list", "bad_domain"},
             {"domain", "add", "bad-.com"},
             {"domain", "rm", "a..b"}}) {
      h_.opened_url.clear();
      CPPUNIT_ASSERT_EQUAL_MESSAGE(args[2], 2, h_.run(cmd(args)));
      CPPUNIT_ASSERT_MESSAGE(args[2], h_.opened_url.empty());
      CPPUNIT_ASSERT_MESSAGE(h_.err,
                             contains(h_.err, "siplinectl: " + args[0] + " " + args[1] + ": "));
    }
    CPPUNIT_ASSERT(h_.db.log.empty());
    CPPUNIT_ASSERT_EQUAL(2, h_.run(cmd({"domain", "add", "a_b.org", "--json"})));
    Json j = Json::parse(h_.out);
    CPPUNIT_ASSERT_EQUAL(2, j["exit"].get<int>());
    CPPUNIT_ASSERT(contains(j["error"].get<std::string>(), "the domain 'a_b.org' is not"));
  }

  // auth_db caches unknown users briefly: add drops that entry, and says nothing when no
  // server runs (there is no cache then).
  void addFlushesTheNegativeCacheQuietly() {
    std::vector<std::string> words = cmd({"subscriber", "add", "carol@example.com", "pw"});
    words.insert(words.end(), {"--mi-socket", "/run/t/mi.sock"});
    CPPUNIT_ASSERT_EQUAL(0, h_.run(words));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, h_.mi.calls.size());
    CPPUNIT_ASSERT_EQUAL(std::string("carol@example.com"),
                         h_.mi.calls[0].second["aor"].get<std::string>());
    h_.mi.connect_status = Status::unavailable("MI socket /run/t/mi.sock: Connection refused");
    words = cmd({"subscriber", "add", "dave@example.com", "pw"});
    words.insert(words.end(), {"--mi-socket", "/run/t/mi.sock"});
    CPPUNIT_ASSERT_EQUAL(0, h_.run(words));
    CPPUNIT_ASSERT(!contains(h_.err, "note"));
  }

  void passwdChangesAndFlushesTheCache() {
    CPPUNIT_ASSERT_EQUAL(0, h_.run(cmd({"subscriber", "add", "alice@example.com", "old"})));
    CPPUNIT_ASSERT_EQUAL(0, h_.run(cmd({"subscriber", "passwd", "alice@example.com", "new"})));
    CPPUNIT_ASSERT(contains(h_.out, "changed the password of alice@example.com"));
    CPPUNIT_ASSERT(contains(h_.out,
                            "cached credentials of alice@example.com were dropped "
                            "(/run/t/mi.sock)"));
    CPPUNIT_ASSERT_EQUAL(ha1For(Aor{"alice", "example.com"}, "new").md5,
                         h_.db.subscribers.at({"alice", "example.com"}).ha1);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, h_.mi.calls.size());
    CPPUNIT_ASSERT_EQUAL(std::string("auth_db_cache_flush"), h_.mi.calls[0].first);
    CPPUNIT_ASSERT_EQUAL(std::string("alice@example.com"),
                         h_.mi.calls[0].second["aor"].get<std::string>());
    CPPUNIT_ASSERT_EQUAL(7, h_.run(cmd({"subscriber", "passwd", "nobody@example.com", "x"})));
    CPPUNIT_ASSERT(contains(h_.err, "no subscriber nobody@example.com"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, h_.mi.calls.size());  // nothing changed: no flush
  }

  void passwdWithoutARunningServerIsANoteNotAnError() {
    CPPUNIT_ASSERT_EQUAL(0, h_.run(cmd({"subscriber", "add", "alice@example.com", "old"})));
    h_.mi.connect_status = Status::unavailable("MI socket /run/t/mi.sock: Connection refused");
    CPPUNIT_ASSERT_EQUAL(0, h_.run(cmd({"subscriber", "passwd", "alice@example.com", "new"})));
    CPPUNIT_ASSERT(contains(h_.err, "siplinectl: note: no server answers on /run/t/mi.sock"));
    CPPUNIT_ASSERT(contains(h_.err, "cache TTL"));
    // No --mi-socket and an unreadable settings file: a note as well.
    CPPUNIT_ASSERT_EQUAL(0, h_.run(cmdNoMi({"subscriber", "passwd", "alice@example.com", "x", "-f",
                                            "/nonexistent/sipline.cfg"})));
    CPPUNIT_ASSERT(contains(h_.err, "note: no MI socket to reach the server"));
    CPPUNIT_ASSERT_EQUAL(0,
                         h_.run(cmd({"subscriber", "passwd", "alice@example.com", "y", "--json"})));
    Json j = Json::parse(h_.out);
    CPPUNIT_ASSERT(!j["cache_flush"]["done"].get<bool>());
    CPPUNIT_ASSERT(contains(j["cache_flush"]["note"].get<std::string>(), "no server answers"));
    CPPUNIT_ASSERT(h_.err.empty());
  }

  void rmRemovesAndFlushes() {
    CPPUNIT_ASSERT_EQUAL(0, h_.run(cmd({"subscriber", "add", "alice@example.com", "pw"})));
    CPPUNIT_ASSERT_EQUAL(0, h_.run(cmd({"subscriber", "rm", "alice@example.com"})));
    CPPUNIT_ASSERT(contains(h_.out, "removed subscriber alice@example.com\n"));
    CPPUNIT_ASSERT(h_.db.subscribers.empty());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, h_.mi.calls.size());
    CPPUNIT_ASSERT_EQUAL(7, h_.run(cmd({"subscriber", "rm", "alice@example.com"})));
    CPPUNIT_ASSERT_EQUAL(7, h_.run(cmd({"subscriber", "rm", "alice@example.com", "--json"})));
    CPPUNIT_ASSERT_EQUAL(7, Json::parse(h_.out)["exit"].get<int>());
  }

  void showHidesHashesUnlessAsked() {
    CPPUNIT_ASSERT_EQUAL(0, h_.run(cmd({"subscriber", "add", "alice@example.com", "pw",
                                        "--store-password", "--email", "a@b.org"})));
    const std::string md5 = h_.db.subscribers.at({"alice", "example.com"}).ha1;
    CPPUNIT_ASSERT_EQUAL(0, h_.run(cmd({"subscriber", "show", "alice@example.com"})));
    CPPUNIT_ASSERT(contains(h_.out, "subscriber      alice@example.com\n"));
    CPPUNIT_ASSERT(contains(h_.out, "email           a@b.org\n"));
    CPPUNIT_ASSERT(contains(h_.out, "password        stored in clear (for calculate_ha1)\n"));
    CPPUNIT_ASSERT(contains(h_.out, "ha1             set\n"));
    CPPUNIT_ASSERT(contains(h_.out, "ha1_sha512t256  set\n"));
    CPPUNIT_ASSERT(!contains(h_.out, md5));
    CPPUNIT_ASSERT_EQUAL(0,
                         h_.run(cmd({"subscriber", "show", "alice@example.com", "--show-hashes"})));
    CPPUNIT_ASSERT(contains(h_.out, "ha1             " + md5 + "\n"));
    CPPUNIT_ASSERT(!contains(h_.out, "pw\n"));
    CPPUNIT_ASSERT_EQUAL(0, h_.run(cmd({"subscriber", "show", "alice@example.com", "--json"})));
    Json j = Json::parse(h_.out);
    CPPUNIT_ASSERT(j["subscriber"]["ha1_set"]["ha1"].get<bool>());
    CPPUNIT_ASSERT(j["subscriber"]["password_stored"].get<bool>());
    CPPUNIT_ASSERT(!contains(h_.out, md5));
    CPPUNIT_ASSERT_EQUAL(
        0, h_.run(cmd({"subscriber", "show", "alice@example.com", "--json", "--show-hashes"})));
    CPPUNIT_ASSERT_EQUAL(md5, Json::parse(h_.out)["subscriber"]["ha1"]["ha1"].get<std::string>());
    CPPUNIT_ASSERT_EQUAL(7, h_.run(cmd({"subscriber", "show", "bob@example.com"})));
  }

  void listIsBoundedByLimit() {
    for (int i = 0; i < 5; ++i) {
      CPPUNIT_ASSERT_EQUAL(
          0, h_.run(cmd({"subscriber", "add", "u" + std::to_string(i) + "@example.com", "pw"})));
    }
    CPPUNIT_ASSERT_EQUAL(0, h_.run(cmd({"subscriber", "list"})));
    CPPUNIT_ASSERT(contains(h_.out, "u0@example.com  2026-11-27T02:50:00Z  -\n"));
    CPPUNIT_ASSERT(contains(h_.out, "5 subscribers\n"));
    CPPUNIT_ASSERT_EQUAL(0, h_.run(cmd({"subscriber", "list", "example.com", "--limit", "2"})));
    CPPUNIT_ASSERT(contains(h_.out, "u1@example.com"));
    CPPUNIT_ASSERT(!contains(h_.out, "u2@example.com"));
    CPPUNIT_ASSERT(contains(h_.out, "first 2 subscribers shown; there are more"));
    CPPUNIT_ASSERT_EQUAL(0, h_.run(cmd({"subscriber", "list", "--limit=3", "--json"})));
    Json j = Json::parse(h_.out);
    CPPUNIT_ASSERT(j["truncated"].get<bool>());
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, j["subscribers"].size());
    CPPUNIT_ASSERT_EQUAL(std::string("u0@example.com"),
                         j["subscribers"][0]["subscriber"].get<std::string>());
    CPPUNIT_ASSERT(j["domain"].is_null());
    CPPUNIT_ASSERT_EQUAL(0, h_.run(cmd({"subscriber", "list", "other.org"})));
    CPPUNIT_ASSERT_EQUAL(std::string("0 subscribers of other.org\n"), h_.out);
  }

  void domainCommands() {
    CPPUNIT_ASSERT_EQUAL(0, h_.run(cmd({"domain", "add", "New.Example.org"})));
    CPPUNIT_ASSERT_EQUAL(std::string("added domain new.example.org\n"), h_.out);
    CPPUNIT_ASSERT_EQUAL(6, h_.run(cmd({"domain", "add", "new.example.org"})));
    CPPUNIT_ASSERT(contains(h_.err, "domain new.example.org exists already"));
    CPPUNIT_ASSERT_EQUAL(0, h_.run(cmd({"subscriber", "add", "a@new.example.org", "pw"})));
    CPPUNIT_ASSERT_EQUAL(0, h_.run(cmd({"domain", "list"})));
    CPPUNIT_ASSERT(contains(h_.out, "example.com      2026-11-27T00:00:00Z  0 subscribers\n"));
    CPPUNIT_ASSERT(contains(h_.out, "new.example.org  2026-11-27T02:40:00Z  1 subscriber\n"));
    CPPUNIT_ASSERT(contains(h_.out, "2 domains\n"));
    CPPUNIT_ASSERT_EQUAL(9, h_.run(cmd({"domain", "rm", "new.example.org"})));
    CPPUNIT_ASSERT(contains(h_.err, "still has 1 subscriber;"));
    CPPUNIT_ASSERT_EQUAL(7, h_.run(cmd({"domain", "rm", "gone.org"})));
    CPPUNIT_ASSERT_EQUAL(0, h_.run(cmd({"domain", "rm", "example.com"})));
    CPPUNIT_ASSERT_EQUAL(std::string("removed domain example.com\n"), h_.out);
    CPPUNIT_ASSERT(h_.mi.calls.empty());  // no subscribers removed: nothing to flush
    CPPUNIT_ASSERT_EQUAL(0, h_.run(cmd({"domain", "list", "--limit", "1", "--json"})));
    Json j = Json::parse(h_.out);
    CPPUNIT_ASSERT_EQUAL(std::string("new.example.org"),
                         j["domains"][0]["domain"].get<std::string>());
    CPPUNIT_ASSERT_EQUAL(1, j["domains"][0]["subscribers"].get<int>());
    CPPUNIT_ASSERT(!j["truncated"].get<bool>());
  }

  void domainRmForceRemovesAndFlushesItsSubscribers() {
    for (const char* u : {"a", "b"}) {
      CPPUNIT_ASSERT_EQUAL(
          0, h_.run(cmd({"subscriber", "add", std::string(u) + "@example.com", "pw"})));
    }
    CPPUNIT_ASSERT_EQUAL(0, h_.run(cmd({"domain", "rm", "example.com", "--force", "--json"})));
    Json j = Json::parse(h_.out);
    CPPUNIT_ASSERT((j["removed_subscribers"] == Json::array({"a@example.com", "b@example.com"})));
    CPPUNIT_ASSERT(j["cache_flush"]["done"].get<bool>());
    CPPUNIT_ASSERT_EQUAL(2, j["cache_flush"]["flushed"].get<int>());
    CPPUNIT_ASSERT(h_.db.subscribers.empty() && h_.db.domains.empty());
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, h_.mi.calls.size());
  }

  void unreachableOrLostDatabaseIsExitThree() {
    h_.db.connect_status = Status::unavailable("connection refused");
    CPPUNIT_ASSERT_EQUAL(3, h_.run(cmd({"subscriber", "add", "alice@example.com", "pw"})));
    CPPUNIT_ASSERT(contains(h_.err,
                            "siplinectl: subscriber add: cannot connect to "
                            "postgres://sipline:***@127.0.0.1:5999/sipline"));
    CPPUNIT_ASSERT_EQUAL(3, h_.run(cmd({"domain", "list", "--json"})));
    CPPUNIT_ASSERT_EQUAL(3, Json::parse(h_.out)["exit"].get<int>());
    h_.db.connect_status = Status::ok();
    h_.db.fail_on = "subscriber";
    h_.db.fail_status = Status::unavailable("server closed the connection");
    CPPUNIT_ASSERT_EQUAL(3, h_.run(cmd({"subscriber", "list"})));
    CPPUNIT_ASSERT(contains(h_.err, "lost the connection to postgres://sipline:***@"));
    CPPUNIT_ASSERT(h_.mi.calls.empty());
  }

  // Read-only standby, deadlock: exit 1, not 8 ("unknown domain") or 9 ("domain in use"); and
  // never the failing row of a constraint violation.
  void databasePreconditionFailuresAreExitOne() {
    h_.db.fail_on = "INSERT INTO subscriber";
    h_.db.fail_status = Status::failedPrecondition(
        "cannot execute INSERT in a read-only transaction (SQLSTATE 25006)");
    CPPUNIT_ASSERT_EQUAL(1, h_.run(cmd({"subscriber", "add", "alice@example.com", "pw"})));
    CPPUNIT_ASSERT(contains(h_.err, "read-only transaction"));
    h_.db.fail_status = Status::failedPrecondition(
        "new row for relation \"subscriber\" violates check constraint \"c\": Failing row "
        "contains (1, alice, example.com, pw, 0a1b). (SQLSTATE 23514)");
    CPPUNIT_ASSERT_EQUAL(1, h_.run(cmd({"subscriber", "add", "alice@example.com", "pw"})));
    CPPUNIT_ASSERT(contains(h_.err, "violates check constraint \"c\" (SQLSTATE 23514)"));
    CPPUNIT_ASSERT(!contains(h_.err, "Failing row"));
    CPPUNIT_ASSERT_EQUAL(1,
                         h_.run(cmd({"subscriber", "add", "alice@example.com", "pw", "--json"})));
    CPPUNIT_ASSERT(!contains(h_.out, "Failing row"));
    h_.db.fail_on = "SELECT count(*)";
    h_.db.fail_status = Status::failedPrecondition("deadlock detected (SQLSTATE 40P01)");
    CPPUNIT_ASSERT_EQUAL(1, h_.run(cmd({"domain", "rm", "example.com"})));
    CPPUNIT_ASSERT(contains(h_.err, "deadlock detected"));
    h_.db.fail_on = "UPDATE subscriber";
    CPPUNIT_ASSERT_EQUAL(1, h_.run(cmd({"subscriber", "passwd", "alice@example.com", "pw"})));
  }

  void missingTableHintsAtDbCheck() {
    h_.db.fail_on = "FROM domain";
    h_.db.fail_status = Status::invalidArgument("ERROR: relation \"domain\" does not exist");
    CPPUNIT_ASSERT_EQUAL(1, h_.run(cmd({"subscriber", "add", "alice@example.com", "pw"})));
    CPPUNIT_ASSERT(contains(h_.err, "relation \"domain\" does not exist ('siplinectl db check'"));
  }

  void everyCommandPrintsOneJsonObject() {
    const std::vector<std::vector<std::string>> runs = {{"domain", "add", "x.org"},
                                                        {"subscriber", "add", "a@x.org", "pw"},
                                                        {"subscriber", "passwd", "a@x.org", "pw2"},
                                                        {"subscriber", "show", "a@x.org"},
                                                        {"subscriber", "list", "x.org"},
                                                        {"domain", "list"},
                                                        {"subscriber", "rm", "a@x.org"},
                                                        {"domain", "rm", "x.org"}};
    for (const auto& args : runs) {
      std::vector<std::string> a = cmd(args);
      a.push_back("--json");
      CPPUNIT_ASSERT_EQUAL_MESSAGE(args[0] + " " + args[1], 0, h_.run(a));
      Json j = Json::parse(h_.out);  // exactly one value, or parse() throws
      CPPUNIT_ASSERT(j.is_object());
      CPPUNIT_ASSERT_EQUAL(args[0] + " " + args[1], j["command"].get<std::string>());
      CPPUNIT_ASSERT(j["ok"].get<bool>());
      CPPUNIT_ASSERT(j["database"]["url"].get<std::string>().find("***") != std::string::npos);
      CPPUNIT_ASSERT_MESSAGE(h_.err, h_.err.empty());
    }
  }

  void givenPasswordsAreNeverPrinted() {
    const std::string pw = "Very-Secret-42";
    h_.input = pw + "\n";
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"subscriber", "add", "a@example.com", pw},
             {"subscriber", "add", "a@example.com", pw},  // exists
             {"subscriber", "passwd", "a@example.com", pw},
             {"subscriber", "passwd", "a@example.com", "--stdin"},
             {"subscriber", "passwd", "a@example.com", pw, "--json", "--store-password"},
             {"subscriber", "show", "a@example.com", "--show-hashes"},
             {"subscriber", "show", "a@example.com", "--json", "--show-hashes"},
             {"subscriber", "list", "--json"}}) {
      h_.run(cmd(args));
      CPPUNIT_ASSERT_MESSAGE(args[1], !contains(h_.out + h_.err, pw));
      CPPUNIT_ASSERT(!contains(h_.out + h_.err, "secret"));  // nor the DB URL's
    }
  }

 private:
  Harness h_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(ProvisionRunTest);

}  // namespace sipline::ctl
