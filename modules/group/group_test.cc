#include "modules/group/group.h"

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/db/read_only_fake_test_util.h"

namespace sipline::group {
namespace {

// An in-memory grp table answering exactly GroupSql's statement and db::checkTable's.
struct FakeGrpDb {
  std::set<std::tuple<std::string, std::string, std::string>> rows;  // user, domain, group
  int version = 1;
  bool down = false;
  std::vector<std::string> sql;
  std::vector<std::vector<db::Param>> params;
};

class FakeConnection final : public db::testing::ReadOnlyFakeConnection {
 public:
  explicit FakeConnection(FakeGrpDb& db) : db_(db) {}
  using ReadOnlyFakeConnection::query;
  Result<db::Rows> query(std::string_view sql, const std::vector<db::Param>& p) override {
    if (db_.down) return Status::unavailable("fake DB is down");
    if (sql.find("FROM version") != std::string_view::npos) {
      return db::Rows({"table_version"}, {{std::to_string(db_.version)}});
    }
    if (sql.find("information_schema") != std::string_view::npos) {
      return db::Rows({"column_name"}, {{"id"}, {"username"}, {"domain"}, {"grp"}});
    }
    db_.sql.emplace_back(sql);
    db_.params.push_back(p);
    auto s = [&](std::size_t i) { return i < p.size() ? std::get<std::string>(p[i]) : ""; };
    bool use_domain = p.size() == 3;
    for (const auto& [user, domain, grp] : db_.rows) {
      if (user == s(0) && grp == s(1) && (!use_domain || domain == s(2))) {
        return db::Rows({"?column?"}, {{"1"}});
      }
    }
    return db::Rows({"?column?"}, {});
  }

 protected:
  bool down() const override { return db_.down; }

 private:
  FakeGrpDb& db_;
};

}  // namespace

class GroupTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(GroupTest);
  CPPUNIT_TEST(queryMatchesUserAndGroupOnlyWithoutUseDomain);
  CPPUNIT_TEST(queryAddsTheLowerCasedDomainWithUseDomain);
  CPPUNIT_TEST(badNamesAreRefused);
  CPPUNIT_TEST(membershipIsAskedEveryTime);
  CPPUNIT_TEST(useDomainSeparatesDomains);
  CPPUNIT_TEST(dbDownIsAnErrorNotANonMember);
  CPPUNIT_TEST(startIsRefusedForAWrongTableNotForAnOutage);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    for (auto& s : slots_) s = 0;
    Counters& c = svc_.counters();
    c.queries.bindForTest(&slots_[0]);
    c.members.bindForTest(&slots_[1]);
    c.db_errors.bindForTest(&slots_[2]);
    svc_.config().db_url = "postgres://fake/sipline";
    svc_.setConnectorForTest([this]() -> Result<std::unique_ptr<db::Connection>> {
      return std::unique_ptr<db::Connection>(std::make_unique<FakeConnection>(db_));
    });
    svc_.setClockForTest([this] { return now_ms_; });
  }

  void queryMatchesUserAndGroupOnlyWithoutUseDomain() {
    Config c;
    GroupSql sql(c);
    CPPUNIT_ASSERT_EQUAL(std::string("SELECT 1 FROM grp WHERE username = $1 AND grp = $2 LIMIT 1"),
                         sql.sql());
    std::vector<db::Param> p = sql.params("alice", "Example.COM", "int");
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, p.size());
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), std::get<std::string>(p[0]));
    CPPUNIT_ASSERT_EQUAL(std::string("int"), std::get<std::string>(p[1]));
    CPPUNIT_ASSERT_EQUAL(std::string("grp"), sql.spec().table);
    CPPUNIT_ASSERT_EQUAL(1, sql.spec().version);
  }

  void queryAddsTheLowerCasedDomainWithUseDomain() {
    Config c;
    c.use_domain = true;
    c.table = "groups2";
    c.user_column = "u";
    c.domain_column = "d";
    c.group_column = "g";
    GroupSql sql(c);
    CPPUNIT_ASSERT_EQUAL(
        std::string("SELECT 1 FROM groups2 WHERE u = $1 AND g = $2 AND lower(d) = $3 LIMIT 1"),
        sql.sql());
    std::vector<db::Param> p = sql.params("alice", "Example.COM", "ld");
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, p.size());
    CPPUNIT_ASSERT_EQUAL(std::string("example.com"), std::get<std::string>(p[2]));
    CPPUNIT_ASSERT(std::find(sql.spec().columns.begin(), sql.spec().columns.end(), "d") !=
                   sql.spec().columns.end());
  }

  void badNamesAreRefused() {
    Config c;
    CPPUNIT_ASSERT_EQUAL(Code::kInvalidArgument, checkConfig(c).code());  // no db_url
    c.db_url = "postgres://x/y";
    CPPUNIT_ASSERT(checkConfig(c).isOk());
    c.group_column = "grp; DROP TABLE grp";
    Status st = checkConfig(c);
    CPPUNIT_ASSERT_EQUAL(Code::kInvalidArgument, st.code());
    CPPUNIT_ASSERT(st.message().find("group_column") != std::string::npos);
    c.group_column = "grp";
    c.table = "1grp";
    CPPUNIT_ASSERT(checkConfig(c).message().find("table") != std::string::npos);
  }

  void membershipIsAskedEveryTime() {
    db_.rows.insert({"alice", "", "int"});
    CPPUNIT_ASSERT(svc_.init().isOk());
    CPPUNIT_ASSERT(svc_.childInit().isOk());
    CPPUNIT_ASSERT(svc_.isUserIn("alice", "example.com", "int") == Membership::kMember);
    CPPUNIT_ASSERT(svc_.isUserIn("alice", "example.com", "ld") == Membership::kNotMember);
    CPPUNIT_ASSERT(svc_.isUserIn("bob", "example.com", "int") == Membership::kNotMember);
    db_.rows.insert({"bob", "", "int"});  // a change counts at once: no cache
    CPPUNIT_ASSERT(svc_.isUserIn("bob", "example.com", "int") == Membership::kMember);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{4}, svc_.counters().queries.get());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{2}, svc_.counters().members.get());
  }

  void useDomainSeparatesDomains() {
    svc_.config().use_domain = true;
    db_.rows.insert({"alice", "a.example", "int"});
    CPPUNIT_ASSERT(svc_.init().isOk());
    CPPUNIT_ASSERT(svc_.childInit().isOk());
    CPPUNIT_ASSERT(svc_.isUserIn("alice", "A.Example", "int") == Membership::kMember);
    CPPUNIT_ASSERT(svc_.isUserIn("alice", "b.example", "int") == Membership::kNotMember);
  }

  void dbDownIsAnErrorNotANonMember() {
    CPPUNIT_ASSERT(svc_.init().isOk());
    CPPUNIT_ASSERT(svc_.childInit().isOk());
    db_.down = true;
    for (int i = 0; i < 50; ++i) {
      CPPUNIT_ASSERT(svc_.isUserIn("alice", "", "int") == Membership::kError);
    }
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{50}, svc_.counters().db_errors.get());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, svc_.outageLogLinesForTest());  // once per outage
    now_ms_ += 61000;
    CPPUNIT_ASSERT(svc_.isUserIn("alice", "", "int") == Membership::kError);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{2}, svc_.outageLogLinesForTest());  // a minute later
    db_.down = false;
    CPPUNIT_ASSERT(svc_.isUserIn("alice", "", "int") == Membership::kNotMember);
  }

  void startIsRefusedForAWrongTableNotForAnOutage() {
    db_.version = 3;
    Status st = svc_.init();
    CPPUNIT_ASSERT_EQUAL(Code::kFailedPrecondition, st.code());
    CPPUNIT_ASSERT(st.message().find("grp") != std::string::npos);
    db_.version = 1;
    db_.down = true;  // an outage never stops the start: the queries answer kError until back
    CPPUNIT_ASSERT(svc_.init().isOk());
    CPPUNIT_ASSERT(svc_.childInit().isOk());
    CPPUNIT_ASSERT(svc_.isUserIn("alice", "", "int") == Membership::kError);
    db_.down = false;
    CPPUNIT_ASSERT(svc_.isUserIn("alice", "", "int") == Membership::kNotMember);
  }

 private:
  std::atomic<std::uint64_t> slots_[3];
  FakeGrpDb db_;
  Service svc_;
  std::int64_t now_ms_ = 1000000;
};
CPPUNIT_TEST_SUITE_REGISTRATION(GroupTest);

}  // namespace sipline::group
