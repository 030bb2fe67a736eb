#include <cppunit/extensions/HelperMacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "core/db/read_only_fake_test_util.h"
#include "core/shm/segment.h"
#include "modules/permissions/permissions.h"
#include "modules/permissions/permissions_mi.h"

namespace sipline::permissions {
namespace {

using Cells = std::vector<std::vector<std::optional<std::string>>>;

// What the fake address table holds and how it fails.
struct FakeAddressDb {
  Cells rows;  // id, grp, ip, mask, port, proto, pattern, context_info
  int version = 1;
  bool down = false;
  int statements = 0;
};

class FakeConnection final : public db::testing::ReadOnlyFakeConnection {
 public:
  explicit FakeConnection(FakeAddressDb& db) : db_(db) {}
  using ReadOnlyFakeConnection::query;
  Result<db::Rows> query(std::string_view sql, const std::vector<db::Param>&) override {
    ++db_.statements;
    if (db_.down) return Status::unavailable("fake DB is down");
    if (sql.find("FROM version") != std::string_view::npos) {
      return db::Rows({"table_version"}, {{std::to_string(db_.version)}});
    }
    if (sql.find("information_schema") != std::string_view::npos) {
      Cells cols;
      for (const char* c : kAddressColumns) cols.push_back({std::string(c)});
      return db::Rows({"column_name"}, std::move(cols));
    }
    if (sql.find("FROM address") != std::string_view::npos) {
      std::vector<std::string> names;
      for (const char* c : kAddressColumns) names.emplace_back(c);
      return db::Rows(names, db_.rows);
    }
    return Status::failedPrecondition("fake: unexpected statement " + std::string(sql));
  }

 protected:
  bool down() const override { return db_.down; }

 private:
  FakeAddressDb& db_;
};

std::vector<std::optional<std::string>> cells(const char* id, const char* grp, const char* ip,
                                              const char* mask, const char* port = "0",
                                              const char* proto = "any", const char* pattern = "",
                                              const char* info = "") {
  auto v = [](const char* s) {
    return s == nullptr ? std::nullopt : std::optional<std::string>(s);
  };
  return {v(id), v(grp), v(ip), v(mask), v(port), v(proto), v(pattern), v(info)};
}

AddressQuery source(std::uint32_t grp, const char* ip) {
  AddressQuery q;
  q.grp = grp;
  parseIp(ip, q.ip);
  q.port = 5060;
  q.proto = kProtoUdp;
  return q;
}

}  // namespace

class PermissionsServiceTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(PermissionsServiceTest);
  CPPUNIT_TEST(startLoadsGoodRowsAndSkipsBadOnes);
  CPPUNIT_TEST(startWithoutDbIsEmptyAndRetriesUntilLoaded);
  CPPUNIT_TEST(retryStopsWhenAnAddressReloadLoadedFirst);
  CPPUNIT_TEST(startIsRefusedWithWrongVersionOrBadParams);
  CPPUNIT_TEST(reloadPicksUpNewRows);
  CPPUNIT_TEST(reloadWhileDbIsDownKeepsTheOldTable);
  CPPUNIT_TEST(reloadAnswersTheBadRowsOfThatLoad);
  CPPUNIT_TEST(checksAreCounted);
  CPPUNIT_TEST(anotherProcessSeesThePublishedTable);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    seg_ = std::move(shm::Segment::create(1 << 20).value());
    slots_ = std::vector<std::atomic<std::uint64_t>>(6);
    Counters& c = svc_.counters();
    StatCounter* all[] = {&c.entries, &c.checks,        &c.matches,
                          &c.reloads, &c.reload_errors, &c.bad_rows};
    for (std::size_t i = 0; i < 6; ++i) all[i]->bindForTest(&slots_[i]);
    svc_.config().db_url = "postgres://fake/sipline";
    svc_.setConnectorForTest([this]() -> Result<std::unique_ptr<db::Connection>> {
      return std::unique_ptr<db::Connection>(std::make_unique<FakeConnection>(db_));
    });
  }

  void startLoadsGoodRowsAndSkipsBadOnes() {
    db_.rows = {cells("1", "1", "10.0.0.1", "32"), cells("2", "1", "10.0.0.300", "32"),
                cells("3", nullptr, "10.0.0.3", "32"),
                cells("4", "2", "10.0.0.4", "32", "0", "any", "[bad", ""),
                cells("5", "2", "10.0.0.5", "32", "0", "udp", "", "gw5")};
    Status st = svc_.init(seg_->manager());
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, svc_.addresses()->size());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{2}, svc_.counters().entries.get());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{3}, svc_.counters().bad_rows.get());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, svc_.counters().reloads.get());
    std::shared_ptr<const AddressSet> hold;
    const AddressRule* r = svc_.check(source(2, "10.0.0.5"), hold);
    CPPUNIT_ASSERT(r != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::string("gw5"), r->context_info);
  }

  void startWithoutDbIsEmptyAndRetriesUntilLoaded() {
    db_.rows = {cells("1", "1", "10.0.0.1", "32")};
    db_.down = true;
    Status st = svc_.init(seg_->manager());
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, svc_.addresses()->size());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, svc_.counters().reload_errors.get());
    CPPUNIT_ASSERT(svc_.retry().armed());
    std::shared_ptr<const AddressSet> hold;
    CPPUNIT_ASSERT(svc_.check(source(1, "10.0.0.1"), hold) == nullptr);

    // Not due yet: no DB traffic.
    int before = db_.statements;
    svc_.retryTick(svc_.retry().dueMs() - 1);
    CPPUNIT_ASSERT_EQUAL(before, db_.statements);
    // Due, DB still down: counted, the next try comes later.
    std::int64_t due = svc_.retry().dueMs();
    svc_.retryTick(due);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{2}, svc_.counters().reload_errors.get());
    CPPUNIT_ASSERT(svc_.retry().armed());
    CPPUNIT_ASSERT(svc_.retry().dueMs() > due);
    // The DB is back: loaded, published, the retry ends.
    db_.down = false;
    svc_.retryTick(svc_.retry().dueMs());
    CPPUNIT_ASSERT(!svc_.retry().armed());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, svc_.addresses()->size());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, svc_.counters().reloads.get());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, svc_.counters().entries.get());
    CPPUNIT_ASSERT(svc_.check(source(1, "10.0.0.1"), hold) != nullptr);
    // Later ticks do nothing: only address_reload loads again.
    before = db_.statements;
    svc_.retryTick(svc_.retry().dueMs() + 3600 * 1000);
    CPPUNIT_ASSERT_EQUAL(before, db_.statements);
  }

  void retryStopsWhenAnAddressReloadLoadedFirst() {
    db_.rows = {cells("1", "1", "10.0.0.1", "32")};
    db_.down = true;
    CPPUNIT_ASSERT(svc_.init(seg_->manager()).isOk());
    db_.down = false;
    CPPUNIT_ASSERT(svc_.reload().isOk());
    int before = db_.statements;
    svc_.retryTick(svc_.retry().dueMs());
    CPPUNIT_ASSERT(!svc_.retry().armed());
    CPPUNIT_ASSERT_EQUAL(before, db_.statements);  // no second load
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, svc_.addresses()->size());
  }

  void startIsRefusedWithWrongVersionOrBadParams() {
    db_.version = 2;
    Status st = svc_.init(seg_->manager());
    CPPUNIT_ASSERT_EQUAL(Code::kFailedPrecondition, st.code());
    CPPUNIT_ASSERT(st.message().find("version") != std::string::npos);
    CPPUNIT_ASSERT(!svc_.retry().armed());

    Service bad_table;
    bad_table.config().db_url = "postgres://fake/sipline";
    bad_table.config().address_table = "address; DROP TABLE x";
    CPPUNIT_ASSERT_EQUAL(Code::kInvalidArgument, bad_table.init(seg_->manager()).code());
    Service no_url;
    CPPUNIT_ASSERT_EQUAL(Code::kInvalidArgument, no_url.init(seg_->manager()).code());
  }

  void reloadPicksUpNewRows() {
    db_.rows = {cells("1", "1", "10.0.0.1", "32")};
    CPPUNIT_ASSERT(svc_.init(seg_->manager()).isOk());
    std::shared_ptr<const AddressSet> hold;
    CPPUNIT_ASSERT(svc_.check(source(1, "10.0.0.9"), hold) == nullptr);
    db_.rows.push_back(cells("2", "1", "10.0.0.0", "24"));
    Result<std::size_t> n = svc_.reload();
    CPPUNIT_ASSERT_MESSAGE(n.status().message(), n.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, n.value());
    CPPUNIT_ASSERT(svc_.check(source(1, "10.0.0.9"), hold) != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{2}, svc_.counters().reloads.get());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{2}, svc_.counters().entries.get());
  }

  void reloadWhileDbIsDownKeepsTheOldTable() {
    db_.rows = {cells("1", "1", "10.0.0.1", "32")};
    CPPUNIT_ASSERT(svc_.init(seg_->manager()).isOk());
    db_.down = true;
    Result<std::size_t> n = svc_.reload();
    CPPUNIT_ASSERT(!n.isOk());
    CPPUNIT_ASSERT_EQUAL(Code::kUnavailable, n.status().code());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, svc_.counters().reload_errors.get());
    std::shared_ptr<const AddressSet> hold;
    CPPUNIT_ASSERT(svc_.check(source(1, "10.0.0.1"), hold) != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, svc_.counters().entries.get());
    db_.down = false;
    db_.rows.clear();
    CPPUNIT_ASSERT(svc_.reload().isOk());  // an empty table is a valid table
    CPPUNIT_ASSERT(svc_.check(source(1, "10.0.0.1"), hold) == nullptr);
  }

  // address_reload's bad_rows is what the table holds wrong now, not a sum since the start.
  void reloadAnswersTheBadRowsOfThatLoad() {
    db_.rows = {cells("1", "1", "10.0.0.1", "32"), cells("2", "1", "bad", "32"),
                cells("3", "1", "10.0.0.3", "99")};
    CPPUNIT_ASSERT(svc_.init(seg_->manager()).isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{2}, svc_.lastBadRows());
    db_.rows = {cells("1", "1", "10.0.0.1", "32"), cells("3", "1", "10.0.0.3", "33")};
    Result<Json> r = miAddressReload(svc_);
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.isOk());
    CPPUNIT_ASSERT_EQUAL(1, r.value()["entries"].get<int>());
    CPPUNIT_ASSERT_EQUAL(1, r.value()["bad_rows"].get<int>());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{3}, svc_.counters().bad_rows.get());
    db_.rows = {cells("1", "1", "10.0.0.1", "32")};
    r = miAddressReload(svc_);
    CPPUNIT_ASSERT(r.isOk());
    CPPUNIT_ASSERT_EQUAL(0, r.value()["bad_rows"].get<int>());
  }

  void checksAreCounted() {
    db_.rows = {cells("1", "1", "10.0.0.1", "32")};
    CPPUNIT_ASSERT(svc_.init(seg_->manager()).isOk());
    std::shared_ptr<const AddressSet> hold;
    svc_.check(source(1, "10.0.0.1"), hold);
    svc_.check(source(1, "10.0.0.2"), hold);
    svc_.check(source(0, "10.0.0.1"), hold);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{3}, svc_.counters().checks.get());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{2}, svc_.counters().matches.get());
  }

  // The table is in shm: a child forked before a reload sees the new rows afterwards.
  void anotherProcessSeesThePublishedTable() {
    db_.rows = {cells("1", "1", "10.0.0.1", "32")};
    CPPUNIT_ASSERT(svc_.init(seg_->manager()).isOk());
    {
      // This process (and so the child) has compiled the table without 10.0.0.7.
      std::shared_ptr<const AddressSet> hold;
      CPPUNIT_ASSERT(svc_.check(source(1, "10.0.0.7"), hold) == nullptr);
    }
    int go[2];
    CPPUNIT_ASSERT_EQUAL(0, pipe(go));
    pid_t pid = fork();
    CPPUNIT_ASSERT(pid >= 0);
    if (pid == 0) {
      close(go[1]);
      char c = 0;
      if (read(go[0], &c, 1) != 1) _exit(3);
      std::shared_ptr<const AddressSet> hold;
      _exit(svc_.check(source(1, "10.0.0.7"), hold) != nullptr ? 0 : 1);
    }
    close(go[0]);
    db_.rows.push_back(cells("2", "1", "10.0.0.7", "32"));
    CPPUNIT_ASSERT(svc_.reload().isOk());
    CPPUNIT_ASSERT_EQUAL(ssize_t{1}, write(go[1], "x", 1));
    close(go[1]);
    int status = 0;
    CPPUNIT_ASSERT_EQUAL(pid, waitpid(pid, &status, 0));
    CPPUNIT_ASSERT(WIFEXITED(status));
    CPPUNIT_ASSERT_EQUAL(0, WEXITSTATUS(status));
  }

 private:
  std::unique_ptr<shm::Segment> seg_;
  std::vector<std::atomic<std::uint64_t>> slots_;
  FakeAddressDb db_;
  Service svc_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(PermissionsServiceTest);

}  // namespace sipline::permissions
