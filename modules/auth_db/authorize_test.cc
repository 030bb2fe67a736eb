#include "modules/auth_db/authorize.h"

#include <cppunit/extensions/HelperMacros.h>

#include "modules/auth_db/auth_db_test_util.h"
#include "modules/auth_db/fake_auth_test_util.h"

namespace sipline::auth_db {

using crypto::DigestAlgorithm;
using testing::credentialsLine;
using testing::FakeAuthApi;
using testing::FakeSubscriberDb;
using testing::ReplyRecorder;
using testing::Request;
using testing::requestText;
using testing::ServiceHarness;

namespace {

const char* kAlice = "sip:alice@example.com";

// A REGISTER of alice with credentials for `password`.
std::string aliceRegister(const std::string& password, DigestAlgorithm alg = DigestAlgorithm::kMd5,
                          const std::string& user = "alice",
                          const std::string& realm = "example.com") {
  std::string to = "sip:" + user + "@" + realm;
  return requestText(
      "REGISTER", to, to,
      credentialsLine("Authorization", "REGISTER", "sip:example.com", user, realm, password, alg));
}

// Alice's row with the HA1 of every algorithm for `password`.
FakeSubscriberDb::Row hashes(const std::string& user, const std::string& realm,
                             const std::string& password) {
  return {
      {"ha1", crypto::digestHa1(DigestAlgorithm::kMd5, user, realm, password)},
      {"ha1_sha256", crypto::digestHa1(DigestAlgorithm::kSha256, user, realm, password)},
      {"ha1_sha512t256", crypto::digestHa1(DigestAlgorithm::kSha512_256, user, realm, password)},
      {"password", password},
      {"email_address", user + "@mail.example.com"},
      {"rpid", std::nullopt}};
}

}  // namespace

class AuthorizeTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(AuthorizeTest);
  CPPUNIT_TEST(eachAlgorithmUsesItsOwnColumn);
  CPPUNIT_TEST(calculateHa1UsesThePassword);
  CPPUNIT_TEST(wrongPasswordIsMinusTwo);
  CPPUNIT_TEST(unknownUserCostsWhatAWrongPasswordCosts);
  CPPUNIT_TEST(noCredentialsAndNonceOutcomesPassThrough);
  CPPUNIT_TEST(proxyAuthorizeReadsProxyAuthorization);
  CPPUNIT_TEST(realmFromTheScriptSelectsTheDomain);
  CPPUNIT_TEST(withoutUseDomainAnyDomainMatches);
  CPPUNIT_TEST(domainComparesCaseInsensitively);
  CPPUNIT_TEST(dbDownFailsClosedWithA500);
  CPPUNIT_TEST(dbErrorReplyZeroLeavesTheAnswerToTheScript);
  CPPUNIT_TEST(cachedSubscriberPassesWhileTheDbIsDown);
  CPPUNIT_TEST(cacheSavesTheSecondRoundTrip);
  CPPUNIT_TEST(cacheExpiresAfterTheTtl);
  CPPUNIT_TEST(unknownUsersAreNeverCachedWithoutNegativeTtl);
  CPPUNIT_TEST(emptyHa1CostsWhatAWrongPasswordCosts);
  CPPUNIT_TEST(emptyPasswordCostsWhatAWrongPasswordCosts);
  CPPUNIT_TEST(cacheOffAlwaysAsksTheDb);
  CPPUNIT_TEST(loadCredentialsFillsAvps);
  CPPUNIT_TEST(loadCredentialsComeFromTheCacheToo);
  CPPUNIT_TEST(ackPassesWithoutTheDb);
  CPPUNIT_TEST(outageIsNotedOnceAndRecovers);
  CPPUNIT_TEST_SUITE_END();

 public:
  int run(ServiceHarness& h, Request& r, std::string_view realm = "",
          HeaderType type = HeaderType::kAuthorization) {
    return authorize(h.service, api_, r.ctx(), realm, h.table(), type, std::ref(replies_));
  }

  void eachAlgorithmUsesItsOwnColumn() {
    for (DigestAlgorithm alg :
         {DigestAlgorithm::kMd5, DigestAlgorithm::kSha256, DigestAlgorithm::kSha512_256}) {
      ServiceHarness h;
      // Only the column of this algorithm holds the right HA1.
      FakeSubscriberDb::Row row = {{"ha1", std::string(32, 'a')},
                                   {"ha1_sha256", std::string(64, 'b')},
                                   {"ha1_sha512t256", std::string(64, 'c')}};
      const char* column = alg == DigestAlgorithm::kMd5      ? "ha1"
                           : alg == DigestAlgorithm::kSha256 ? "ha1_sha256"
                                                             : "ha1_sha512t256";
      row[column] = crypto::digestHa1(alg, "alice", "example.com", "secret");
      h.db.add("subscriber", "alice", "example.com", row);
      h.mustStart();
      Request r(aliceRegister("secret", alg));
      CPPUNIT_ASSERT_EQUAL_MESSAGE(column, 1, run(h, r));
      CPPUNIT_ASSERT(r.ctx().auth.credentials != nullptr);
      Request wrong(aliceRegister("other", alg));
      CPPUNIT_ASSERT_EQUAL(-2, run(h, wrong));
    }
  }

  void calculateHa1UsesThePassword() {
    ServiceHarness h;
    h.service.config().calculate_ha1 = true;
    h.db.add("subscriber", "alice", "example.com", {{"password", "secret"}});
    h.mustStart();
    for (DigestAlgorithm alg :
         {DigestAlgorithm::kMd5, DigestAlgorithm::kSha256, DigestAlgorithm::kSha512_256}) {
      Request r(aliceRegister("secret", alg));
      CPPUNIT_ASSERT_EQUAL(1, run(h, r));
      CPPUNIT_ASSERT_EQUAL(crypto::digestHa1(alg, "alice", "example.com", "secret"), api_.last_ha1);
    }
    Request wrong(aliceRegister("guess"));
    CPPUNIT_ASSERT_EQUAL(-2, run(h, wrong));
    CPPUNIT_ASSERT(h.db.log.back().find("SELECT password FROM") == 0);
  }

  void wrongPasswordIsMinusTwo() {
    ServiceHarness h;
    h.db.add("subscriber", "alice", "example.com", hashes("alice", "example.com", "secret"));
    h.mustStart();
    Request r(aliceRegister("guess"));
    CPPUNIT_ASSERT_EQUAL(-2, run(h, r));
    CPPUNIT_ASSERT(r.ctx().auth.credentials == nullptr);
    CPPUNIT_ASSERT(replies_.codes.empty());
  }

  void unknownUserCostsWhatAWrongPasswordCosts() {
    ServiceHarness h;
    h.mustStart();
    h.db.add("subscriber", "bob", "example.com", {});
    Request r(aliceRegister("secret"));
    CPPUNIT_ASSERT_EQUAL(-1, run(h, r));
    CPPUNIT_ASSERT_EQUAL(1, api_.post_calls);  // postAuth ran, as for a wrong password
    CPPUNIT_ASSERT_EQUAL(std::size_t(32), api_.last_ha1.size());
    CPPUNIT_ASSERT(api_.last_ha1 != std::string(32, '0'));
    CPPUNIT_ASSERT(r.ctx().auth.credentials == nullptr);
    CPPUNIT_ASSERT(replies_.codes.empty());
    // The decoy is stable in a process and sized per algorithm.
    std::string first = api_.last_ha1;
    Request again(aliceRegister("secret", DigestAlgorithm::kSha256));
    CPPUNIT_ASSERT_EQUAL(-1, run(h, again));
    CPPUNIT_ASSERT_EQUAL(std::size_t(64), api_.last_ha1.size());
    CPPUNIT_ASSERT_EQUAL(first, h.service.decoyHa1(DigestAlgorithm::kMd5));
  }

  void noCredentialsAndNonceOutcomesPassThrough() {
    ServiceHarness h;
    h.db.add("subscriber", "alice", "example.com", hashes("alice", "example.com", "secret"));
    h.mustStart();
    Request none(requestText("REGISTER", kAlice, kAlice, ""));
    CPPUNIT_ASSERT_EQUAL(-4, run(h, none));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), h.db_lookups.load());
    api_.nonce_outcome = auth::kStaleNonce;
    Request stale(aliceRegister("secret"));
    CPPUNIT_ASSERT_EQUAL(-3, run(h, stale));
    CPPUNIT_ASSERT(stale.ctx().auth.stale);
    api_.nonce_outcome = auth::kNonceReused;
    Request reused(aliceRegister("secret"));
    CPPUNIT_ASSERT_EQUAL(-6, run(h, reused));
  }

  void proxyAuthorizeReadsProxyAuthorization() {
    ServiceHarness h;
    h.db.add("subscriber", "alice", "example.com", hashes("alice", "example.com", "secret"));
    h.mustStart();
    Request r(requestText("INVITE", kAlice, "sip:bob@example.com",
                          credentialsLine("Proxy-Authorization", "INVITE", "sip:bob@example.com",
                                          "alice", "example.com", "secret")));
    CPPUNIT_ASSERT_EQUAL(1, run(h, r, "", HeaderType::kProxyAuthorization));
    Request www(requestText("INVITE", kAlice, "sip:bob@example.com",
                            credentialsLine("Proxy-Authorization", "INVITE", "sip:bob@example.com",
                                            "alice", "example.com", "secret")));
    CPPUNIT_ASSERT_EQUAL(-4, run(h, www, "", HeaderType::kAuthorization));
  }

  void realmFromTheScriptSelectsTheDomain() {
    ServiceHarness h;
    h.db.add("subscriber", "alice", "example.com", hashes("alice", "example.com", "secret"));
    h.db.add("subscriber", "alice", "other.net", hashes("alice", "other.net", "netpass"));
    h.mustStart();
    Request r(aliceRegister("netpass", DigestAlgorithm::kMd5, "alice", "other.net"));
    CPPUNIT_ASSERT_EQUAL(1, run(h, r, "other.net"));
    Request wrong_realm(aliceRegister("secret", DigestAlgorithm::kMd5, "alice", "other.net"));
    CPPUNIT_ASSERT_EQUAL(-2, run(h, wrong_realm, "other.net"));
  }

  void withoutUseDomainAnyDomainMatches() {
    ServiceHarness h;
    h.service.config().use_domain = false;
    h.db.add("subscriber", "alice", "", hashes("alice", "voip.test", "secret"));
    h.mustStart();
    Request r(aliceRegister("secret", DigestAlgorithm::kMd5, "alice", "voip.test"));
    CPPUNIT_ASSERT_EQUAL(1, run(h, r, "voip.test"));
    CPPUNIT_ASSERT(h.db.log.back().find("lower(") == std::string::npos);
  }

  void domainComparesCaseInsensitively() {
    ServiceHarness h;
    h.db.add("subscriber", "alice", "Example.COM", hashes("alice", "example.com", "secret"));
    h.mustStart();
    Request r(aliceRegister("secret"));
    CPPUNIT_ASSERT_EQUAL(1, run(h, r));
    // The user part is exact: Alice is not alice.
    Request upper(aliceRegister("secret", DigestAlgorithm::kMd5, "Alice"));
    CPPUNIT_ASSERT_EQUAL(-1, run(h, upper));
  }

  void dbDownFailsClosedWithA500() {
    ServiceHarness h;
    h.db.add("subscriber", "alice", "example.com", hashes("alice", "example.com", "secret"));
    h.mustStart();
    h.db.down = true;
    Request r(aliceRegister("secret"));
    CPPUNIT_ASSERT_EQUAL(-5, run(h, r));
    CPPUNIT_ASSERT(r.ctx().auth.credentials == nullptr);
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), replies_.codes.size());
    CPPUNIT_ASSERT_EQUAL(500, replies_.codes[0]);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), h.db_errors.load());
    CPPUNIT_ASSERT_EQUAL(0, api_.post_calls);  // nobody is admitted, nothing is checked
  }

  void dbErrorReplyZeroLeavesTheAnswerToTheScript() {
    ServiceHarness h;
    h.service.config().db_error_reply = 0;
    h.mustStart();
    h.db.fail_in = 1;
    Request r(aliceRegister("secret"));
    CPPUNIT_ASSERT_EQUAL(-5, run(h, r));
    CPPUNIT_ASSERT(replies_.codes.empty());
  }

  void cachedSubscriberPassesWhileTheDbIsDown() {
    ServiceHarness h;
    h.db.add("subscriber", "alice", "example.com", hashes("alice", "example.com", "secret"));
    h.mustStart();
    Request first(aliceRegister("secret"));
    CPPUNIT_ASSERT_EQUAL(1, run(h, first));
    h.db.down = true;
    Request refresh(aliceRegister("secret"));
    CPPUNIT_ASSERT_EQUAL(1, run(h, refresh));
    Request wrong(aliceRegister("guess"));
    CPPUNIT_ASSERT_EQUAL(-2, run(h, wrong));  // the cache holds the HA1, not a verdict
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), h.db_errors.load());
  }

  void cacheSavesTheSecondRoundTrip() {
    ServiceHarness h;
    h.db.add("subscriber", "alice", "example.com", hashes("alice", "example.com", "secret"));
    h.mustStart();
    for (int i = 0; i < 3; ++i) {
      Request r(aliceRegister("secret"));
      CPPUNIT_ASSERT_EQUAL(1, run(h, r));
    }
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), h.db_lookups.load());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), h.hits.load());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), h.misses.load());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), h.entries.load());
    // A flush (siplinectl after `subscriber passwd`) makes the next check read the DB.
    h.db.remove("subscriber", "alice");
    h.db.add("subscriber", "alice", "example.com", hashes("alice", "example.com", "changed"));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), h.service.flushCache("alice", "EXAMPLE.com"));
    Request old_pass(aliceRegister("secret"));
    CPPUNIT_ASSERT_EQUAL(-2, run(h, old_pass));
    Request new_pass(aliceRegister("changed"));
    CPPUNIT_ASSERT_EQUAL(1, run(h, new_pass));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), h.db_lookups.load());
  }

  void cacheExpiresAfterTheTtl() {
    ServiceHarness h;
    h.service.config().cache_ttl_s = 10;
    h.db.add("subscriber", "alice", "example.com", hashes("alice", "example.com", "secret"));
    h.mustStart();
    Request a(aliceRegister("secret"));
    CPPUNIT_ASSERT_EQUAL(1, run(h, a));
    h.now_ms += 9999;
    Request b(aliceRegister("secret"));
    CPPUNIT_ASSERT_EQUAL(1, run(h, b));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), h.db_lookups.load());
    h.now_ms += 1;
    h.db.down = true;  // expired: the DB is asked, and it fails closed
    Request c(aliceRegister("secret"));
    CPPUNIT_ASSERT_EQUAL(-5, run(h, c));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), h.db_lookups.load());
  }

  void unknownUsersAreNeverCachedWithoutNegativeTtl() {
    ServiceHarness h;
    h.service.config().negative_cache_ttl_s = 0;
    h.mustStart();
    Request a(aliceRegister("secret"));
    CPPUNIT_ASSERT_EQUAL(-1, run(h, a));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), h.entries.load());
    h.db.add("subscriber", "alice", "example.com", hashes("alice", "example.com", "secret"));
    Request b(aliceRegister("secret"));
    CPPUNIT_ASSERT_EQUAL(1, run(h, b));  // a new subscriber works at once
  }

  // An empty (or malformed) HA1 column must not answer faster than an unknown user: postAuth()
  // runs on the decoy, never on nothing.
  void emptyHa1CostsWhatAWrongPasswordCosts() {
    ServiceHarness h;
    h.db.add("subscriber", "alice", "example.com", {{"ha1", ""}});
    h.db.add("subscriber", "bob", "example.com", {{"ha1", "abc"}});
    h.mustStart();
    const std::string& decoy = h.service.decoyHa1(DigestAlgorithm::kMd5);
    Request a(aliceRegister("secret"));
    CPPUNIT_ASSERT_EQUAL(-2, run(h, a));
    CPPUNIT_ASSERT_EQUAL(1, api_.post_calls);
    CPPUNIT_ASSERT_EQUAL(decoy, api_.last_ha1);
    CPPUNIT_ASSERT(a.ctx().auth.credentials == nullptr);
    Request b(aliceRegister("secret", DigestAlgorithm::kMd5, "bob"));
    CPPUNIT_ASSERT_EQUAL(-2, run(h, b));
    CPPUNIT_ASSERT_EQUAL(decoy, api_.last_ha1);
    Request ghost(aliceRegister("secret", DigestAlgorithm::kMd5, "ghost"));
    CPPUNIT_ASSERT_EQUAL(-1, run(h, ghost));
    CPPUNIT_ASSERT_EQUAL(decoy, api_.last_ha1);
    CPPUNIT_ASSERT_EQUAL(3, api_.post_calls);
  }

  void emptyPasswordCostsWhatAWrongPasswordCosts() {
    ServiceHarness h;
    h.service.config().calculate_ha1 = true;
    h.db.add("subscriber", "alice", "example.com", {{"password", ""}});
    h.mustStart();
    // A phone that sends the HA1 of an empty password is still refused.
    Request a(aliceRegister(""));
    CPPUNIT_ASSERT_EQUAL(-2, run(h, a));
    CPPUNIT_ASSERT_EQUAL(1, api_.post_calls);
    CPPUNIT_ASSERT_EQUAL(h.service.decoyHa1(DigestAlgorithm::kMd5), api_.last_ha1);
  }

  void cacheOffAlwaysAsksTheDb() {
    ServiceHarness h;
    h.service.config().cache_size = 0;
    h.db.add("subscriber", "alice", "example.com", hashes("alice", "example.com", "secret"));
    h.mustStart();
    CPPUNIT_ASSERT(h.service.cache() == nullptr);
    for (int i = 0; i < 3; ++i) {
      Request r(aliceRegister("secret"));
      CPPUNIT_ASSERT_EQUAL(1, run(h, r));
    }
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), h.db_lookups.load());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), h.service.flushCache(std::nullopt, ""));
  }

  void loadCredentialsFillsAvps() {
    ServiceHarness h;
    h.service.config().load_credentials = "email_address;$avp(caller_class)=rpid;$avp(c2)=class";
    FakeSubscriberDb::Row row = hashes("alice", "example.com", "secret");
    row["class"] = "gold";
    h.db.add("subscriber", "alice", "example.com", row);
    h.mustStart();
    Request wrong(aliceRegister("guess"));
    CPPUNIT_ASSERT_EQUAL(-2, run(h, wrong));
    CPPUNIT_ASSERT(wrong.ctx().avps.empty());  // only after success
    Request r(aliceRegister("secret"));
    CPPUNIT_ASSERT_EQUAL(1, run(h, r));
    const script::Value* mail = r.ctx().avps.get("email_address");
    CPPUNIT_ASSERT(mail != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::string("alice@mail.example.com"), std::string(mail->str()));
    CPPUNIT_ASSERT(r.ctx().avps.get("caller_class") == nullptr);  // NULL: no value
    CPPUNIT_ASSERT_EQUAL(std::string("gold"), std::string(r.ctx().avps.get("c2")->str()));
  }

  void loadCredentialsComeFromTheCacheToo() {
    ServiceHarness h;
    h.service.config().load_credentials = "$avp(c)=class";
    FakeSubscriberDb::Row row = hashes("alice", "example.com", "secret");
    row["class"] = "gold";
    h.db.add("subscriber", "alice", "example.com", row);
    h.mustStart();
    Request a(aliceRegister("secret"));
    CPPUNIT_ASSERT_EQUAL(1, run(h, a));
    h.db.down = true;
    Request b(aliceRegister("secret"));
    CPPUNIT_ASSERT_EQUAL(1, run(h, b));
    CPPUNIT_ASSERT_EQUAL(std::string("gold"), std::string(b.ctx().avps.get("c")->str()));
  }

  void ackPassesWithoutTheDb() {
    ServiceHarness h;
    h.mustStart();
    h.db.down = true;
    int before = h.db.statements;
    Request ack(requestText("ACK", kAlice, "sip:bob@example.com", ""));
    CPPUNIT_ASSERT_EQUAL(1, run(h, ack, "", HeaderType::kProxyAuthorization));
    CPPUNIT_ASSERT_EQUAL(before, h.db.statements);
  }

  void outageIsNotedOnceAndRecovers() {
    ServiceHarness h;
    h.db.add("subscriber", "alice", "example.com", hashes("alice", "example.com", "secret"));
    h.service.config().cache_size = 0;
    h.mustStart();
    h.db.down = true;
    for (int i = 0; i < 3; ++i) {
      Request r(aliceRegister("secret"));
      CPPUNIT_ASSERT_EQUAL(-5, run(h, r));
    }
    CPPUNIT_ASSERT(h.service.dbDownForTest());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), h.db_errors.load());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), h.service.outageLogLinesForTest());
    h.now_ms += 60000;  // a reminder a minute while it lasts
    Request later(aliceRegister("secret"));
    CPPUNIT_ASSERT_EQUAL(-5, run(h, later));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), h.service.outageLogLinesForTest());
    h.db.down = false;
    Request r(aliceRegister("secret"));
    CPPUNIT_ASSERT_EQUAL(1, run(h, r));
    CPPUNIT_ASSERT(!h.service.dbDownForTest());
  }

 private:
  FakeAuthApi api_;
  ReplyRecorder replies_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(AuthorizeTest);

}  // namespace sipline::auth_db
