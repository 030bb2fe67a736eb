#include "tools/siplinectl/subscribers.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "core/crypto/digest.h"
#include "tools/siplinectl/fake_db_test_util.h"

namespace sipline::ctl {
namespace {

using crypto::DigestAlgorithm;
using testing::FakeDb;

const Aor kAlice{"alice", "example.com"};

bool paramsContain(const std::vector<db::Param>& params, const std::string& text) {
  for (const db::Param& p : params) {
    if (std::holds_alternative<std::string>(p) && std::get<std::string>(p) == text) return true;
  }
  return false;
}

}  // namespace

class SubscribersTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SubscribersTest);
  CPPUNIT_TEST(ha1IsOverUserDomainPasswordForEveryAlgorithm);
  CPPUNIT_TEST(addStoresHashesButNoClearPassword);
  CPPUNIT_TEST(addStoresTheClearPasswordOnlyWhenAsked);
  CPPUNIT_TEST(addRefusesAnUnknownDomainUnlessUnchecked);
  CPPUNIT_TEST(addRefusesAnExistingSubscriber);
  CPPUNIT_TEST(passwdReplacesHashesAndClearsAStaleClearPassword);
  CPPUNIT_TEST(passwdAndRmOfAMissingSubscriberAreNotFound);
  CPPUNIT_TEST(rmRemovesOnlyThatSubscriber);
  CPPUNIT_TEST(findReadsTheRowButNeverTheClearPassword);
  CPPUNIT_TEST(listIsOrderedFilteredAndBounded);
  CPPUNIT_TEST(databaseErrorsPassThrough);
  CPPUNIT_TEST(addChecksAndInsertsInOneTransactionHoldingTheDomain);
  CPPUNIT_TEST(databasePreconditionFailuresAreNotRefusals);
  CPPUNIT_TEST(constraintViolationsNeverShowTheFailingRow);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override { db_.domains["example.com"] = "2026-11-27T00:00:00Z"; }

  void ha1IsOverUserDomainPasswordForEveryAlgorithm() {
    Ha1Set h = ha1For(kAlice, "s3cret");
    // MD5("alice:example.com:s3cret"), computed independently of digest.cc's HA1 helper.
    CPPUNIT_ASSERT_EQUAL(crypto::digestHex(DigestAlgorithm::kMd5, "alice:example.com:s3cret"),
                         h.md5);
    CPPUNIT_ASSERT_EQUAL(std::size_t{32}, h.md5.size());
    CPPUNIT_ASSERT_EQUAL(crypto::digestHex(DigestAlgorithm::kSha256, "alice:example.com:s3cret"),
                         h.sha256);
    CPPUNIT_ASSERT_EQUAL(
        crypto::digestHex(DigestAlgorithm::kSha512_256, "alice:example.com:s3cret"), h.sha512_256);
    CPPUNIT_ASSERT(h.sha256 != h.sha512_256);
    CPPUNIT_ASSERT(ha1For(Aor{"alice", "other.com"}, "s3cret").md5 != h.md5);
  }

  void addStoresHashesButNoClearPassword() {
    CPPUNIT_ASSERT(addSubscriber(db_, {kAlice, "s3cret", false, "a@example.com", true}).isOk());
    const testing::FakeSubscriber& s = db_.subscribers.at({"alice", "example.com"});
    CPPUNIT_ASSERT_EQUAL(std::string(""), s.password);
    CPPUNIT_ASSERT_EQUAL(ha1For(kAlice, "s3cret").md5, s.ha1);
    CPPUNIT_ASSERT_EQUAL(ha1For(kAlice, "s3cret").sha256, s.ha1_sha256);
    CPPUNIT_ASSERT_EQUAL(ha1For(kAlice, "s3cret").sha512_256, s.ha1_sha512t256);
    CPPUNIT_ASSERT_EQUAL(std::string("a@example.com"), s.email);
    // Parameterised: the SQL text carries no value, and the password is in no parameter.
    for (const std::string& sql : db_.log) {
      CPPUNIT_ASSERT(sql.find("alice") == std::string::npos);
    }
    CPPUNIT_ASSERT(!paramsContain(db_.paramsOf("INSERT INTO subscriber"), "s3cret"));
  }

  void addStoresTheClearPasswordOnlyWhenAsked() {
    CPPUNIT_ASSERT(addSubscriber(db_, {kAlice, "s3cret", true, "", true}).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("s3cret"),
                         db_.subscribers.at({"alice", "example.com"}).password);
  }

  void addRefusesAnUnknownDomainUnlessUnchecked() {
    Aor bob{"bob", "typo.com"};
    Status st = addSubscriber(db_, {bob, "pw", false, "", true});
    CPPUNIT_ASSERT(st.code() == Code::kFailedPrecondition);
    CPPUNIT_ASSERT(st.message().find("domain typo.com is not in table domain") == 0);
    CPPUNIT_ASSERT(st.message().find("siplinectl domain add typo.com") != std::string::npos);
    CPPUNIT_ASSERT(db_.subscribers.empty());
    CPPUNIT_ASSERT(addSubscriber(db_, {bob, "pw", false, "", false}).isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, db_.subscribers.size());
  }

  void addRefusesAnExistingSubscriber() {
    CPPUNIT_ASSERT(addSubscriber(db_, {kAlice, "first", false, "", true}).isOk());
    Status st = addSubscriber(db_, {kAlice, "second", false, "", true});
    CPPUNIT_ASSERT(st.code() == Code::kAlreadyExists);
    CPPUNIT_ASSERT(st.message().find("subscriber alice@example.com exists already") == 0);
    CPPUNIT_ASSERT_EQUAL(ha1For(kAlice, "first").md5,
                         db_.subscribers.at({"alice", "example.com"}).ha1);
  }

  void passwdReplacesHashesAndClearsAStaleClearPassword() {
    CPPUNIT_ASSERT(addSubscriber(db_, {kAlice, "old", true, "", true}).isOk());
    CPPUNIT_ASSERT(setSubscriberPassword(db_, kAlice, "new", false).isOk());
    const testing::FakeSubscriber& s = db_.subscribers.at({"alice", "example.com"});
    CPPUNIT_ASSERT_EQUAL(ha1For(kAlice, "new").md5, s.ha1);
    CPPUNIT_ASSERT_EQUAL(ha1For(kAlice, "new").sha512_256, s.ha1_sha512t256);
    CPPUNIT_ASSERT_EQUAL(std::string(""), s.password);
    CPPUNIT_ASSERT(setSubscriberPassword(db_, kAlice, "newer", true).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("newer"),
                         db_.subscribers.at({"alice", "example.com"}).password);
  }

  void passwdAndRmOfAMissingSubscriberAreNotFound() {
    Status st = setSubscriberPassword(db_, kAlice, "pw", false);
    CPPUNIT_ASSERT(st.code() == Code::kNotFound);
    CPPUNIT_ASSERT_EQUAL(std::string("no subscriber alice@example.com"), st.message());
    CPPUNIT_ASSERT(removeSubscriber(db_, kAlice).code() == Code::kNotFound);
    CPPUNIT_ASSERT(findSubscriber(db_, kAlice).status().code() == Code::kNotFound);
  }

  void rmRemovesOnlyThatSubscriber() {
    CPPUNIT_ASSERT(addSubscriber(db_, {kAlice, "pw", false, "", true}).isOk());
    CPPUNIT_ASSERT(addSubscriber(db_, {{"bob", "example.com"}, "pw", false, "", true}).isOk());
    CPPUNIT_ASSERT(removeSubscriber(db_, kAlice).isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, db_.subscribers.size());
    CPPUNIT_ASSERT(db_.subscribers.count({"bob", "example.com"}) == 1);
  }

  void findReadsTheRowButNeverTheClearPassword() {
    CPPUNIT_ASSERT(addSubscriber(db_, {kAlice, "s3cret", true, "a@x.org", true}).isOk());
    Result<SubscriberRow> r = findSubscriber(db_, kAlice);
    CPPUNIT_ASSERT(r.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("a@x.org"), r.value().email);
    CPPUNIT_ASSERT(r.value().password_stored);
    CPPUNIT_ASSERT_EQUAL(ha1For(kAlice, "s3cret").sha256, r.value().ha1.sha256);
    CPPUNIT_ASSERT_EQUAL(std::string("2026-11-27T02:50:00Z"), r.value().created);
    // The query asks whether a password is set, not for the password.
    const std::string& sql = db_.log.back();
    CPPUNIT_ASSERT(sql.find("password <> ''") != std::string::npos);
    CPPUNIT_ASSERT(sql.find(", password,") == std::string::npos);
  }

  void listIsOrderedFilteredAndBounded() {
    db_.domains["b.org"] = "";
    for (const char* u : {"carol", "alice", "bob"}) {
      CPPUNIT_ASSERT(addSubscriber(db_, {{u, "example.com"}, "pw", false, "", true}).isOk());
    }
    CPPUNIT_ASSERT(addSubscriber(db_, {{"zed", "b.org"}, "pw", false, "", true}).isOk());
    Result<SubscriberPage> all = listSubscribers(db_, "", 0);
    CPPUNIT_ASSERT(all.isOk() && !all.value().truncated);
    CPPUNIT_ASSERT_EQUAL(std::size_t{4}, all.value().rows.size());
    CPPUNIT_ASSERT_EQUAL(std::string("zed@b.org"), all.value().rows[0].aor.text());
    CPPUNIT_ASSERT_EQUAL(std::string("alice@example.com"), all.value().rows[1].aor.text());
    CPPUNIT_ASSERT(all.value().rows[1].ha1.md5.empty());  // lists carry no hashes

    Result<SubscriberPage> some = listSubscribers(db_, "example.com", 2);
    CPPUNIT_ASSERT(some.isOk() && some.value().truncated);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, some.value().rows.size());
    CPPUNIT_ASSERT_EQUAL(std::string("bob"), some.value().rows[1].aor.user);
    // One row more than the limit is fetched to know about the rest.
    CPPUNIT_ASSERT(std::get<std::int64_t>(db_.paramsOf("ORDER BY domain, username")[1]) == 3);
    Result<SubscriberPage> exact = listSubscribers(db_, "example.com", 3);
    CPPUNIT_ASSERT(exact.isOk() && !exact.value().truncated);
    CPPUNIT_ASSERT(listSubscribers(db_, "none.org", 10).value().rows.empty());
  }

  void databaseErrorsPassThrough() {
    db_.fail_on = "subscriber";
    db_.fail_status = Status::unavailable("server closed the connection");
    CPPUNIT_ASSERT(addSubscriber(db_, {kAlice, "pw", false, "", true}).code() ==
                   Code::kUnavailable);
    CPPUNIT_ASSERT(setSubscriberPassword(db_, kAlice, "pw", false).code() == Code::kUnavailable);
    CPPUNIT_ASSERT(removeSubscriber(db_, kAlice).code() == Code::kUnavailable);
    CPPUNIT_ASSERT(findSubscriber(db_, kAlice).status().code() == Code::kUnavailable);
    CPPUNIT_ASSERT(listSubscribers(db_, "", 5).status().code() == Code::kUnavailable);
    db_.fail_on = "FROM domain";
    db_.fail_status = Status::invalidArgument("ERROR: relation \"domain\" does not exist");
    Status st = addSubscriber(db_, {kAlice, "pw", false, "", true});
    CPPUNIT_ASSERT(st.code() == Code::kInternal);
    CPPUNIT_ASSERT_EQUAL(std::string("ERROR: relation \"domain\" does not exist"), st.message());
  }

  // `domain rm --force` locks the domain row FOR UPDATE; the check of `subscriber add` takes
  // it FOR SHARE in the transaction of its INSERT, so the two cannot interleave.
  void addChecksAndInsertsInOneTransactionHoldingTheDomain() {
    CPPUNIT_ASSERT(addSubscriber(db_, {kAlice, "pw", false, "", true}).isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t{4}, db_.log.size());
    CPPUNIT_ASSERT_EQUAL(std::string("BEGIN"), db_.log[0]);
    CPPUNIT_ASSERT_EQUAL(std::string("SELECT 1 FROM domain WHERE domain = $1 FOR SHARE"),
                         db_.log[1]);
    CPPUNIT_ASSERT(db_.log[2].find("INSERT INTO subscriber") == 0);
    CPPUNIT_ASSERT_EQUAL(std::string("COMMIT"), db_.log[3]);
    // An INSERT that fails rolls the check back with it.
    db_.log.clear();
    db_.fail_on = "INSERT INTO subscriber";
    CPPUNIT_ASSERT(!addSubscriber(db_, {Aor{"bob", "example.com"}, "pw", false, "", true}).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("ROLLBACK"), db_.log.back());
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, db_.count("COMMIT"));
    // Unknown domain and existing subscriber end the transaction too.
    db_.fail_on.clear();
    CPPUNIT_ASSERT(addSubscriber(db_, {Aor{"bob", "typo.org"}, "pw", false, "", true}).code() ==
                   Code::kFailedPrecondition);
    CPPUNIT_ASSERT_EQUAL(std::string("ROLLBACK"), db_.log.back());
    CPPUNIT_ASSERT(addSubscriber(db_, {kAlice, "pw", false, "", true}).code() ==
                   Code::kAlreadyExists);
    CPPUNIT_ASSERT_EQUAL(std::string("ROLLBACK"), db_.log.back());
    // --force checks nothing, so it needs no transaction.
    db_.log.clear();
    CPPUNIT_ASSERT(addSubscriber(db_, {Aor{"bob", "typo.org"}, "pw", false, "", false}).isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, db_.log.size());
  }

  // db_postgres maps read-only standby (25006), deadlock (40P01) and a rolled-back COMMIT to
  // kFailedPrecondition: none of them may look like "unknown domain".
  void databasePreconditionFailuresAreNotRefusals() {
    db_.fail_on = "INSERT INTO subscriber";
    db_.fail_status = Status::failedPrecondition(
        "cannot execute INSERT in a read-only transaction (SQLSTATE 25006)");
    Status st = addSubscriber(db_, {kAlice, "pw", false, "", true});
    CPPUNIT_ASSERT(st.code() == Code::kInternal);
    CPPUNIT_ASSERT(st.message().find("read-only transaction") != std::string::npos);
    st = addSubscriber(db_, {kAlice, "pw", false, "", false});
    CPPUNIT_ASSERT(st.code() == Code::kInternal);
    db_.fail_on = "COMMIT";
    db_.fail_status =
        Status::failedPrecondition("the transaction was rolled back: a statement in it had failed");
    st = addSubscriber(db_, {kAlice, "pw", false, "", true});
    CPPUNIT_ASSERT(st.code() == Code::kInternal);
    CPPUNIT_ASSERT(st.message().find("commit: ") == 0);
    db_.fail_on = "UPDATE subscriber";
    db_.fail_status = Status::failedPrecondition("deadlock detected (SQLSTATE 40P01)");
    CPPUNIT_ASSERT(setSubscriberPassword(db_, kAlice, "pw", false).code() == Code::kInternal);
    db_.fail_on = "DELETE FROM subscriber";
    CPPUNIT_ASSERT(removeSubscriber(db_, kAlice).code() == Code::kInternal);
  }

  void constraintViolationsNeverShowTheFailingRow() {
    db_.fail_on = "INSERT INTO subscriber";
    db_.fail_status = Status::failedPrecondition(
        "new row for relation \"subscriber\" violates check constraint \"subscriber_email\": "
        "Failing row contains (7, alice, example.com, s3cret, 0a1b2c, 3d4e5f, 6a7b8c, x). "
        "(SQLSTATE 23514)");
    Status st = addSubscriber(db_, {kAlice, "s3cret", true, "x", true});
    CPPUNIT_ASSERT_EQUAL(std::string("new row for relation \"subscriber\" violates check "
                                     "constraint \"subscriber_email\" (SQLSTATE 23514)"),
                         st.message());
  }

 private:
  FakeDb db_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(SubscribersTest);

}  // namespace sipline::ctl
