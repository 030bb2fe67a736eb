#include "tools/siplinectl/domains.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "tools/siplinectl/fake_db_test_util.h"

namespace sipline::ctl {
namespace {

using testing::FakeDb;
using testing::FakeSubscriber;

}  // namespace

class DomainsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DomainsTest);
  CPPUNIT_TEST(addOnceThenAlreadyExists);
  CPPUNIT_TEST(rmOfAMissingDomainIsNotFound);
  CPPUNIT_TEST(rmRefusesWhileSubscribersExist);
  CPPUNIT_TEST(rmForceRemovesTheSubscribersInOneTransaction);
  CPPUNIT_TEST(failureHalfWayRollsBack);
  CPPUNIT_TEST(listCountsSubscribersAndIsBounded);
  CPPUNIT_TEST(databasePreconditionFailuresAreNotRefusals);
  CPPUNIT_TEST_SUITE_END();

 public:
  void addOnceThenAlreadyExists() {
    CPPUNIT_ASSERT(addDomain(db_, "example.com").isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, db_.domains.count("example.com"));
    Status st = addDomain(db_, "example.com");
    CPPUNIT_ASSERT(st.code() == Code::kAlreadyExists);
    CPPUNIT_ASSERT_EQUAL(std::string("domain example.com exists already"), st.message());
  }

  void rmOfAMissingDomainIsNotFound() {
    Result<DomainRemoval> r = removeDomain(db_, "nope.org", false);
    CPPUNIT_ASSERT(r.status().code() == Code::kNotFound);
    CPPUNIT_ASSERT_EQUAL(std::string("ROLLBACK"), db_.log.back());
    // --force does not remove subscribers of a domain that is not listed.
    db_.subscribers[{"a", "nope.org"}] = FakeSubscriber{};
    CPPUNIT_ASSERT(removeDomain(db_, "nope.org", true).status().code() == Code::kNotFound);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, db_.subscribers.size());
  }

  void rmRefusesWhileSubscribersExist() {
    db_.domains["example.com"] = "";
    db_.subscribers[{"a", "example.com"}] = FakeSubscriber{};
    db_.subscribers[{"b", "example.com"}] = FakeSubscriber{};
    Result<DomainRemoval> r = removeDomain(db_, "example.com", false);
    CPPUNIT_ASSERT(r.status().code() == Code::kFailedPrecondition);
    CPPUNIT_ASSERT(r.status().message().find("domain example.com still has 2 subscribers") == 0);
    CPPUNIT_ASSERT(r.status().message().find("--force") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, db_.domains.count("example.com"));
    db_.subscribers.clear();
    CPPUNIT_ASSERT(removeDomain(db_, "example.com", false).isOk());
    CPPUNIT_ASSERT(db_.domains.empty());
    CPPUNIT_ASSERT_EQUAL(std::string("COMMIT"), db_.log.back());
  }

  void rmForceRemovesTheSubscribersInOneTransaction() {
    db_.domains["example.com"] = "";
    db_.subscribers[{"a", "example.com"}] = FakeSubscriber{};
    db_.subscribers[{"b", "example.com"}] = FakeSubscriber{};
    db_.subscribers[{"a", "other.org"}] = FakeSubscriber{};
    Result<DomainRemoval> r = removeDomain(db_, "example.com", true);
    CPPUNIT_ASSERT(r.isOk());
    CPPUNIT_ASSERT((r.value().removed_users == std::vector<std::string>{"a", "b"}));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, db_.subscribers.size());
    CPPUNIT_ASSERT(db_.domains.empty());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, db_.count("BEGIN"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, db_.count("COMMIT"));
  }

  void failureHalfWayRollsBack() {
    db_.domains["example.com"] = "";
    db_.subscribers[{"a", "example.com"}] = FakeSubscriber{};
    db_.fail_on = "DELETE FROM domain";
    db_.fail_status = Status::unavailable("server closed the connection");
    Result<DomainRemoval> r = removeDomain(db_, "example.com", true);
    CPPUNIT_ASSERT(r.status().code() == Code::kUnavailable);
    CPPUNIT_ASSERT_EQUAL(std::string("ROLLBACK"), db_.log.back());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, db_.subscribers.size());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, db_.domains.size());
    db_.fail_on = "INSERT INTO domain";
    CPPUNIT_ASSERT(addDomain(db_, "x.org").code() == Code::kUnavailable);
    db_.fail_on = "FROM domain d";
    CPPUNIT_ASSERT(listDomains(db_, 5).status().code() == Code::kUnavailable);
  }

  void listCountsSubscribersAndIsBounded() {
    for (const char* d : {"c.org", "a.org", "b.org"}) CPPUNIT_ASSERT(addDomain(db_, d).isOk());
    db_.subscribers[{"x", "b.org"}] = FakeSubscriber{};
    db_.subscribers[{"y", "b.org"}] = FakeSubscriber{};
    Result<DomainPage> all = listDomains(db_, 0);
    CPPUNIT_ASSERT(all.isOk() && !all.value().truncated);
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, all.value().rows.size());
    CPPUNIT_ASSERT_EQUAL(std::string("a.org"), all.value().rows[0].domain);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, all.value().rows[1].subscribers);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, all.value().rows[2].subscribers);
    Result<DomainPage> two = listDomains(db_, 2);
    CPPUNIT_ASSERT(two.isOk() && two.value().truncated);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, two.value().rows.size());
  }

  // A deadlock or read-only standby (kFailedPrecondition from db_postgres) is not "domain has
  // subscribers"; its DETAIL stays out of the message.
  void databasePreconditionFailuresAreNotRefusals() {
    db_.domains["example.com"] = "";
    db_.fail_on = "SELECT count(*)";
    db_.fail_status =
        Status::failedPrecondition("deadlock detected: Process 7 waits (SQLSTATE 40P01)");
    Result<DomainRemoval> r = removeDomain(db_, "example.com", false);
    CPPUNIT_ASSERT(r.status().code() == Code::kInternal);
    CPPUNIT_ASSERT_EQUAL(std::string("deadlock detected (SQLSTATE 40P01)"), r.status().message());
    CPPUNIT_ASSERT_EQUAL(std::string("ROLLBACK"), db_.log.back());
    db_.fail_on = "COMMIT";
    db_.fail_status =
        Status::failedPrecondition("the transaction was rolled back: a statement in it had failed");
    CPPUNIT_ASSERT(removeDomain(db_, "example.com", false).status().code() == Code::kInternal);
    db_.fail_on = "INSERT INTO domain";
    db_.fail_status = Status::failedPrecondition(
        "cannot execute INSERT in a read-only transaction (SQLSTATE 25006)");
    CPPUNIT_ASSERT(addDomain(db_, "x.org").code() == Code::kInternal);
  }

 private:
  FakeDb db_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(DomainsTest);

}  // namespace sipline::ctl
