// auth_db against a real PostgreSQL (scripts/pg-scratch): the shipped subscriber schema, every
// algorithm, calculate_ha1, and a frozen server, which must cost a check no more than the
// query timeout and never admit anyone. Each test uses a table of its own name.
#include <cppunit/extensions/HelperMacros.h>

#include "modules/auth_db/auth_db_test_util.h"
#include "modules/auth_db/authorize.h"
#include "modules/auth_db/fake_auth_test_util.h"
#include "modules/db_postgres/pg_test_fixture.h"

namespace sipline::auth_db {

using crypto::DigestAlgorithm;
using testing::credentialsLine;
using testing::FakeAuthApi;
using testing::ReplyRecorder;
using testing::Request;
using testing::requestText;
using testing::ServiceHarness;

class AuthDbPgTest : public pg::PgFixture {
  CPPUNIT_TEST_SUITE(AuthDbPgTest);
  CPPUNIT_TEST(shippedSchemaPassesTheCheckAndEveryAlgorithmWorks);
  CPPUNIT_TEST(calculateHa1ReadsThePasswordColumn);
  CPPUNIT_TEST(missingVersionRowRefusesTheStart);
  CPPUNIT_TEST(frozenDbFailsClosedWithinTheQueryTimeout);
  CPPUNIT_TEST_SUITE_END();

 public:
  // The subscriber table of scripts/sql/subscriber.sql, under a name of this test's own.
  std::string makeSubscriberTable(db::Connection& c) {
    std::string t = table("subscriber");
    createShippedTable(c, "subscriber", t);
    return t;
  }

  void addSubscriber(db::Connection& c, const std::string& t, const std::string& user,
                     const std::string& password) {
    const std::string realm = "example.com";
    Result<std::int64_t> r = c.exec(
        "INSERT INTO " + t +
            " (username, domain, password, ha1, ha1_sha256, ha1_sha512t256, email_address) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        {user, realm, password, crypto::digestHa1(DigestAlgorithm::kMd5, user, realm, password),
         crypto::digestHa1(DigestAlgorithm::kSha256, user, realm, password),
         crypto::digestHa1(DigestAlgorithm::kSha512_256, user, realm, password),
         user + "@mail.example.com"});
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.isOk());
  }

  void useRealDb(ServiceHarness& h, int query_timeout_ms = 2000) {
    h.service.config().db_url = server_->url();
    h.service.config().db_query_timeout_ms = query_timeout_ms;
    std::string url = server_->url();
    h.service.setConnectorForTest(
        [url, query_timeout_ms]() -> Result<std::unique_ptr<db::Connection>> {
          db::Options o;
          o.query_timeout_ms = query_timeout_ms;
          o.connect_timeout_ms = query_timeout_ms;
          o.reconnect_min_ms = 200;
          o.reconnect_max_ms = 400;
          return std::unique_ptr<db::Connection>(
              std::make_unique<pg::PgConnection>(mustParse(url), o, nullptr));
        });
  }

  static std::string registerOf(const std::string& user, const std::string& password,
                                DigestAlgorithm alg = DigestAlgorithm::kMd5) {
    std::string aor = "sip:" + user + "@example.com";
    return requestText("REGISTER", aor, aor,
                       credentialsLine("Authorization", "REGISTER", "sip:example.com", user,
                                       "example.com", password, alg));
  }

  int check(ServiceHarness& h, const std::string& t, const std::string& text) {
    Request r(text);
    int rc = authorize(h.service, api_, r.ctx(), "", h.table(t.c_str()), HeaderType::kAuthorization,
                       std::ref(replies_));
    if (rc == 1)
      last_mail_ = r.ctx().avps.get("mail") ? std::string(r.ctx().avps.get("mail")->str()) : "";
    return rc;
  }

  void shippedSchemaPassesTheCheckAndEveryAlgorithmWorks() {
    SL_NEED_PG();
    auto& c = open();
    std::string t = makeSubscriberTable(c);
    addSubscriber(c, t, "alice", "s3cret");
    ServiceHarness h;
    useRealDb(h);
    h.service.config().load_credentials = "$avp(mail)=email_address";
    Status st = h.start({t.c_str()});
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
    for (DigestAlgorithm alg :
         {DigestAlgorithm::kMd5, DigestAlgorithm::kSha256, DigestAlgorithm::kSha512_256}) {
      h.service.flushCache(std::nullopt, "");
      CPPUNIT_ASSERT_EQUAL(1, check(h, t, registerOf("alice", "s3cret", alg)));
      CPPUNIT_ASSERT_EQUAL(std::string("alice@mail.example.com"), last_mail_);
      CPPUNIT_ASSERT_EQUAL(-2, check(h, t, registerOf("alice", "wrong", alg)));
    }
    CPPUNIT_ASSERT_EQUAL(-1, check(h, t, registerOf("mallory", "s3cret")));
    // A subscriber added now works at once after the flush `siplinectl subscriber add` sends
    // (its "not found" was cached a moment ago).
    addSubscriber(c, t, "mallory", "m");
    CPPUNIT_ASSERT_EQUAL(-1, check(h, t, registerOf("mallory", "m")));
    h.service.flushCache("mallory", "example.com");
    CPPUNIT_ASSERT_EQUAL(1, check(h, t, registerOf("mallory", "m")));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), h.db_errors.load());
  }

  void calculateHa1ReadsThePasswordColumn() {
    SL_NEED_PG();
    auto& c = open();
    std::string t = makeSubscriberTable(c);
    addSubscriber(c, t, "bob", "plain");
    CPPUNIT_ASSERT(c.exec("UPDATE " + t + " SET ha1 = '', ha1_sha256 = ''").isOk());
    ServiceHarness h;
    useRealDb(h);
    h.service.config().calculate_ha1 = true;
    h.service.config().cache_size = 0;
    CPPUNIT_ASSERT(h.start({t.c_str()}).isOk());
    CPPUNIT_ASSERT_EQUAL(1, check(h, t, registerOf("bob", "plain", DigestAlgorithm::kSha256)));
    CPPUNIT_ASSERT_EQUAL(-2, check(h, t, registerOf("bob", "other")));
  }

  void missingVersionRowRefusesTheStart() {
    SL_NEED_PG();
    auto& c = open();
    std::string t = makeSubscriberTable(c);
    CPPUNIT_ASSERT(c.exec("DELETE FROM version WHERE table_name = $1", {t}).isOk());
    ServiceHarness h;
    useRealDb(h);
    Status st = h.start({t.c_str()});
    CPPUNIT_ASSERT(!st.isOk());
    CPPUNIT_ASSERT_MESSAGE(st.message(),
                           st.message().find("no row in table version") != std::string::npos);
  }

  void frozenDbFailsClosedWithinTheQueryTimeout() {
    SL_NEED_PG();
    auto& c = open();
    std::string t = makeSubscriberTable(c);
    addSubscriber(c, t, "alice", "s3cret");
    addSubscriber(c, t, "carol", "c");
    ServiceHarness h;
    useRealDb(h, 300);
    CPPUNIT_ASSERT(h.start({t.c_str()}).isOk());
    CPPUNIT_ASSERT_EQUAL(1, check(h, t, registerOf("carol", "c")));  // cached now
    freeze();
    Stopwatch w;
    CPPUNIT_ASSERT_EQUAL(-5, check(h, t, registerOf("alice", "s3cret")));
    CPPUNIT_ASSERT_MESSAGE(std::to_string(w.ms()), w.ms() < 300 + 250);
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), replies_.codes.size());
    CPPUNIT_ASSERT_EQUAL(500, replies_.codes[0]);
    Stopwatch again;
    CPPUNIT_ASSERT_EQUAL(-5, check(h, t, registerOf("alice", "s3cret")));  // backing off
    CPPUNIT_ASSERT_MESSAGE(std::to_string(again.ms()), again.ms() < 100);
    CPPUNIT_ASSERT(h.db_errors.load() >= 2);
    // The cached subscriber still passes.
    CPPUNIT_ASSERT_EQUAL(1, check(h, t, registerOf("carol", "c")));
    thaw();
    sleepMs(450);
    CPPUNIT_ASSERT_EQUAL(1, check(h, t, registerOf("alice", "s3cret")));
  }

 private:
  FakeAuthApi api_;
  ReplyRecorder replies_;
  std::string last_mail_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(AuthDbPgTest);

}  // namespace sipline::auth_db
