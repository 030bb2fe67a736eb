// The usrloc service in each DB mode against the in-memory fake DB: start-up checks, the
// write-through and write-back paths with the DB failing in every way, the reload at start,
// multi-domain AORs and DB-only mode. Nothing written may be lost.
#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <memory>
#include <string>

#include "modules/usrloc/fake_db_test_util.h"
#include "modules/usrloc/usrloc.h"

namespace sipline::usrloc {
namespace {

using testing::FakeDb;

Contact contact(const std::string& uri, std::int64_t expires, std::int32_t cseq = 1) {
  Contact c;
  c.uri = uri;
  c.expires = expires;
  c.cseq = cseq;
  c.callid = "cid-" + uri;
  c.user_agent = "UA";
  c.q = 500;
  c.methods = 0x1f;
  c.flags = 0x80000002u;  // high bit: int4 round trip; bit 0 (memory-only) clear
  return c;
}

}  // namespace

class UsrlocModesTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(UsrlocModesTest);
  CPPUNIT_TEST(memoryModeNeedsNoDb);
  CPPUNIT_TEST(dbModeWithoutUrlRefusesStart);
  CPPUNIT_TEST(badModeAndHashSizeRefuseStart);
  CPPUNIT_TEST(schemaMismatchRefusesStart);
  CPPUNIT_TEST(unreachableDbRefusesStart);
  CPPUNIT_TEST(tableNamesAreCheckedAndFixedAtInit);
  CPPUNIT_TEST(writeThroughWritesEveryChange);
  CPPUNIT_TEST(writeThroughKeepsChangesWhileDbIsDown);
  CPPUNIT_TEST(writeBackWritesOnlyAtFlush);
  CPPUNIT_TEST(writeBackFlushFailingMidTransactionLosesNothing);
  CPPUNIT_TEST(badRowDoesNotBlockTheOthers);
  CPPUNIT_TEST(transientRowErrorKeepsTheChange);
  CPPUNIT_TEST(expiryIsWrittenAsDeletes);
  CPPUNIT_TEST(restartReloadsUnexpiredRows);
  CPPUNIT_TEST(reloadSkipsBadRows);
  CPPUNIT_TEST(multiDomainSplitsAors);
  CPPUNIT_TEST(dbOnlyEditsAndReadsTheDb);
  CPPUNIT_TEST(dbOnlyIsUnavailableWhileDbIsDown);
  CPPUNIT_TEST(dbOnlyFlushDeletesExpiredRows);
  CPPUNIT_TEST(shutdownFlushWritesWhatIsPending);
  CPPUNIT_TEST(processesOpenConnectionsByRole);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    seg_ = std::move(shm::Segment::create(8 << 20).value());
    now_ = 100000;
  }
  void tearDown() override {
    svc_.reset();
    seg_.reset();
  }

  // A service in `mode` with table "location" declared, connected to db_ (not yet init'd).
  Service& make(const std::string& mode, bool use_domain = false) {
    svc_ = std::make_unique<Service>();
    svc_->config().db_mode = mode;
    svc_->config().db_url = mode == "memory" ? "" : "postgres://sipline@127.0.0.1/sipline";
    svc_->config().hash_size = 256;
    svc_->config().use_domain = use_domain;
    svc_->setConnectorForTest(
        [this]() { return Result<std::unique_ptr<db::Connection>>(testing::fakeConnection(db_)); });
    svc_->setClockForTest([this] { return now_; });
    svc_->counters().expired_contacts.bindForTest(&expired_);
    svc_->counters().db_errors.bindForTest(&db_errors_);
    svc_->counters().no_memory.bindForTest(&no_memory_);
    loc_ = svc_->domain("location").value();
    return *svc_;
  }
  // init() in the master, then the process opens its connection like a worker.
  void start(Service& s) {
    Status st = s.init(*seg_);
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
    CPPUNIT_ASSERT(s.connection() == nullptr);  // closed before fork
    CPPUNIT_ASSERT(s.childInit(ProcessInfo{ProcessRole::kModule, 0, kFlusherName}).isOk());
  }
  Status add(Service& s, const std::string& aor, const Contact& c) {
    return s.withRecord(loc_, aor, [&](Record& r) { return r.insert(c); });
  }
  Status drop(Service& s, const std::string& aor, const std::string& uri) {
    return s.withRecord(
        loc_, aor, [&](Record& r) { return r.remove(uri) ? Status::ok() : Status::notFound(uri); });
  }

  void memoryModeNeedsNoDb() {
    Service& s = make("memory");
    CPPUNIT_ASSERT(s.init(*seg_).isOk());
    CPPUNIT_ASSERT(add(s, "alice", contact("sip:a", now_ + 60)).isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), s.get(loc_, "alice").value().size());
    CPPUNIT_ASSERT_EQUAL(0, db_.statements);
    CPPUNIT_ASSERT(s.flush().status.isOk());
    CPPUNIT_ASSERT_EQUAL(0, db_.statements);
  }

  void dbModeWithoutUrlRefusesStart() {
    Service& s = make("write-back");
    s.config().db_url = "";
    Status st = s.init(*seg_);
    CPPUNIT_ASSERT(st.code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT(st.message().find("needs db_url") != std::string::npos);
    seg_ = std::move(shm::Segment::create(8 << 20).value());
    Service& s2 = make("db-only");
    s2.config().db_url = "mysql//nope";
    st = s2.init(*seg_);
    CPPUNIT_ASSERT(st.code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT(st.message().find("db_url") != std::string::npos);
  }

  void badModeAndHashSizeRefuseStart() {
    Service& s = make("memory");
    s.config().hash_size = 1000;
    Status st = s.init(*seg_);
    CPPUNIT_ASSERT(st.code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT(st.message().find("power of two") != std::string::npos);
    Service& s2 = make("write-around");
    CPPUNIT_ASSERT(s2.init(*seg_).code() == Code::kInvalidArgument);
  }

  void schemaMismatchRefusesStart() {
    db_.versions["location"] = 2;
    Service& s = make("write-back");
    Status st = s.init(*seg_);
    CPPUNIT_ASSERT(st.code() == Code::kFailedPrecondition);
    CPPUNIT_ASSERT_MESSAGE(st.message(),
                           st.message().find("version 1 expected, 2 found") != std::string::npos);
    db_.versions["location"] = 1;
    db_.missing_columns = {"sip_instance"};
    seg_ = std::move(shm::Segment::create(8 << 20).value());
    Service& s2 = make("db-only");
    st = s2.init(*seg_);
    CPPUNIT_ASSERT(st.code() == Code::kFailedPrecondition);
    CPPUNIT_ASSERT(st.message().find("sip_instance") != std::string::npos);
  }

  void unreachableDbRefusesStart() {
    db_.down = true;
    Service& s = make("write-through");
    Status st = s.init(*seg_);
    CPPUNIT_ASSERT(st.code() == Code::kUnavailable);
    CPPUNIT_ASSERT(st.message().find("cannot reach the DB") != std::string::npos);
  }

  void tableNamesAreCheckedAndFixedAtInit() {
    Service& s = make("memory");
    CPPUNIT_ASSERT(s.domain("Location").status().code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT(s.domain("loc; DROP TABLE x").status().code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT(s.domain("location").value() == loc_);
    Domain* second = s.domain("location2").value();
    CPPUNIT_ASSERT(s.init(*seg_).isOk());
    CPPUNIT_ASSERT(s.domain("location2").value() == second);  // a reload binds again
    Status st = s.domain("location3").status();
    CPPUNIT_ASSERT(st.code() == Code::kFailedPrecondition);
    CPPUNIT_ASSERT(st.message().find("restart") != std::string::npos);
    CPPUNIT_ASSERT(s.withRecord(nullptr, "a", [](Record&) { return Status::ok(); }).code() ==
                   Code::kInvalidArgument);
  }

  void writeThroughWritesEveryChange() {
    Service& s = make("write-through");
    start(s);
    CPPUNIT_ASSERT(add(s, "alice", contact("sip:a@1", now_ + 60)).isOk());
    FakeDb::Row* row = db_.find("location", "alice", "", "sip:a@1");
    CPPUNIT_ASSERT(row != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::string("0.5"), *(*row)["q"]);
    CPPUNIT_ASSERT_EQUAL(std::to_string(now_ + 60), *(*row)["expires"]);
    CPPUNIT_ASSERT_EQUAL(std::string("-2147483646"), *(*row)["flags"]);
    CPPUNIT_ASSERT_EQUAL(std::string("31"), *(*row)["methods"]);
    CPPUNIT_ASSERT(!(*row)["received"].has_value());  // empty is NULL
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), loc_->table()->pending());
    CPPUNIT_ASSERT(drop(s, "alice", "sip:a@1").isOk());
    CPPUNIT_ASSERT(db_.find("location", "alice", "", "sip:a@1") == nullptr);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), loc_->table()->pending());
  }

  void writeThroughKeepsChangesWhileDbIsDown() {
    Service& s = make("write-through");
    start(s);
    db_.down = true;
    CPPUNIT_ASSERT(add(s, "alice", contact("sip:a@1", now_ + 60)).isOk());  // memory still works
    CPPUNIT_ASSERT(add(s, "bob", contact("sip:b@1", now_ + 60)).isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), db_errors_.load());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), s.get(loc_, "alice").value().size());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), loc_->table()->pending());
    CPPUNIT_ASSERT(!s.flush().status.isOk());
    db_.down = false;
    FlushReport r = s.flush();  // the flusher's retry
    CPPUNIT_ASSERT(r.status.isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), r.written);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), r.pending);
    CPPUNIT_ASSERT(db_.find("location", "alice", "", "sip:a@1") != nullptr);
    CPPUNIT_ASSERT(db_.find("location", "bob", "", "sip:b@1") != nullptr);
  }

  void writeBackWritesOnlyAtFlush() {
    Service& s = make("write-back");
    start(s);
    int before = db_.statements;
    for (int i = 0; i < 150; ++i) {
      CPPUNIT_ASSERT(
          add(s, "u" + std::to_string(i), contact("sip:x@" + std::to_string(i), now_ + 60)).isOk());
    }
    CPPUNIT_ASSERT_EQUAL(before, db_.statements);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(150), loc_->table()->pending());
    FlushReport r = s.flush();
    CPPUNIT_ASSERT(r.status.isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(150), r.written);
    CPPUNIT_ASSERT_EQUAL(std::size_t(150), db_.rows("location"));
    // 150 rows: BEGIN, 64 + 64 + 16 + 4 + 2 row statements, COMMIT.
    CPPUNIT_ASSERT_EQUAL(before + 7, db_.statements);
    CPPUNIT_ASSERT(drop(s, "u7", "sip:x@7").isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(150), db_.rows("location"));
    CPPUNIT_ASSERT(s.flush().status.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(149), db_.rows("location"));
    CPPUNIT_ASSERT(s.flush().status.isOk());  // nothing pending: no statement at all
    CPPUNIT_ASSERT_EQUAL(before + 10, db_.statements);
  }

  void writeBackFlushFailingMidTransactionLosesNothing() {
    Service& s = make("write-back");
    start(s);
    for (int i = 0; i < 100; ++i) {
      CPPUNIT_ASSERT(add(s, "u" + std::to_string(i), contact("sip:x", now_ + 60)).isOk());
    }
    db_.fail_in = 3;  // BEGIN, the 64-row insert, then the 32-row insert fails
    FlushReport r = s.flush();
    CPPUNIT_ASSERT(r.status.code() == Code::kUnavailable);
    CPPUNIT_ASSERT_EQUAL(std::size_t(0), db_.rows("location"));  // rolled back
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(100), loc_->table()->pending());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), db_errors_.load());
    db_.fail_in = 4;  // now COMMIT fails
    CPPUNIT_ASSERT(!s.flush().status.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(0), db_.rows("location"));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(100), loc_->table()->pending());
    r = s.flush();
    CPPUNIT_ASSERT(r.status.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(100), db_.rows("location"));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), loc_->table()->pending());
  }

  void badRowDoesNotBlockTheOthers() {
    Service& s = make("write-back");
    start(s);
    for (int i = 0; i < 10; ++i) {
      CPPUNIT_ASSERT(
          add(s, "u" + std::to_string(i), contact("sip:x" + std::to_string(i), now_ + 60)).isOk());
    }
    db_.refuse_contact = "sip:x3";
    FlushReport r = s.flush();
    CPPUNIT_ASSERT(r.status.isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(9), r.written);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), r.dropped);
    CPPUNIT_ASSERT_EQUAL(std::size_t(9), db_.rows("location"));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), loc_->table()->pending());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), db_errors_.load());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), s.get(loc_, "u3").value().size());  // still served
  }

  void transientRowErrorKeepsTheChange() {
    Service& s = make("write-through");
    start(s);
    db_.fail_in = 1;
    db_.fail_code = Code::kFailedPrecondition;  // e.g. a deadlock: not the row's fault
    CPPUNIT_ASSERT(add(s, "alice", contact("sip:a", now_ + 60)).isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), loc_->table()->pending());
    CPPUNIT_ASSERT(s.flush().status.isOk());
    CPPUNIT_ASSERT(db_.find("location", "alice", "", "sip:a") != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), loc_->table()->pending());
  }

  void expiryIsWrittenAsDeletes() {
    Service& s = make("write-through");
    start(s);
    CPPUNIT_ASSERT(add(s, "alice", contact("sip:a", now_ + 30)).isOk());
    CPPUNIT_ASSERT(add(s, "alice", contact("sip:b", now_ + 90)).isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), db_.rows("location"));
    now_ += 60;
    int before = db_.statements;
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), s.sweep());  // timer process: shm only
    CPPUNIT_ASSERT_EQUAL(before, db_.statements);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), expired_.load());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), s.get(loc_, "alice").value().size());
    CPPUNIT_ASSERT(s.flush().status.isOk());  // the flusher writes the DELETE
    CPPUNIT_ASSERT(db_.find("location", "alice", "", "sip:a") == nullptr);
    CPPUNIT_ASSERT(db_.find("location", "alice", "", "sip:b") != nullptr);
  }

  void restartReloadsUnexpiredRows() {
    Service& s = make("write-back");
    start(s);
    for (int i = 0; i < 1000; ++i) {
      Contact c =
          contact("sip:u" + std::to_string(i) + "@192.0.2.1", now_ + (i % 10 == 0 ? 30 : 3600));
      c.path = i % 2 ? "<sip:edge;lr>" : "";
      c.instance = "<urn:uuid:" + std::to_string(i) + ">";
      c.reg_id = i % 3;
      CPPUNIT_ASSERT(add(s, "u" + std::to_string(i), c).isOk());
    }
    CPPUNIT_ASSERT(s.flush().status.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1000), db_.rows("location"));

    // The restart: a new segment and a new service load the table.
    svc_.reset();
    seg_ = std::move(shm::Segment::create(8 << 20).value());
    now_ += 60;  // every tenth contact has expired meanwhile
    Service& s2 = make("write-back");
    start(s2);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(900), loc_->table()->contacts());
    CPPUNIT_ASSERT_EQUAL(std::size_t(900), db_.rows("location"));  // expired rows deleted
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), loc_->table()->pending());
    std::vector<Contact> got = s2.get(loc_, "u7").value();
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), got.size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:u7@192.0.2.1"), got[0].uri);
    CPPUNIT_ASSERT_EQUAL(std::string("<sip:edge;lr>"), got[0].path);
    CPPUNIT_ASSERT_EQUAL(std::string("<urn:uuid:7>"), got[0].instance);
    CPPUNIT_ASSERT_EQUAL(std::int32_t(1), got[0].reg_id);
    CPPUNIT_ASSERT_EQUAL(std::int32_t(500), got[0].q);
    CPPUNIT_ASSERT_EQUAL(0x80000002u, got[0].flags);
    CPPUNIT_ASSERT_EQUAL(0x1fu, got[0].methods);
    CPPUNIT_ASSERT(s2.get(loc_, "u10").value().empty());
  }

  void reloadSkipsBadRows() {
    db_.put("location", "good", "", "sip:g", now_ + 100, {{"q", std::nullopt}});
    db_.put("location", "badq", "", "sip:q", now_ + 100, {{"q", std::string("abc")}});
    db_.put("location", "badcseq", "", "sip:c", now_ + 100, {{"cseq", std::string("9999999999")}});
    db_.put("location", "withdomain", "example.com", "sip:d", now_ + 100);
    Service& s = make("write-through");
    start(s);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), loc_->table()->contacts());
    std::vector<Contact> got = s.get(loc_, "good").value();
    CPPUNIT_ASSERT_EQUAL(std::int32_t(-1), got.at(0).q);
    CPPUNIT_ASSERT_EQUAL(0xffffffffu, got.at(0).methods);  // NULL: all methods
  }

  void multiDomainSplitsAors() {
    Service& s = make("write-back", true);
    start(s);
    CPPUNIT_ASSERT(s.useDomain());
    CPPUNIT_ASSERT(add(s, "alice@example.com", contact("sip:a1", now_ + 60)).isOk());
    CPPUNIT_ASSERT(add(s, "alice@example.org", contact("sip:a2", now_ + 60)).isOk());
    CPPUNIT_ASSERT(add(s, "bob", contact("sip:b", now_ + 60)).isOk());
    CPPUNIT_ASSERT(s.withRecord(loc_, std::string(65, 'x') + "@example.com", [](Record&) {
                      return Status::ok();
                    }).code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT(s.flush().status.isOk());
    CPPUNIT_ASSERT(db_.find("location", "alice", "example.com", "sip:a1") != nullptr);
    CPPUNIT_ASSERT(db_.find("location", "alice", "example.org", "sip:a2") != nullptr);
    CPPUNIT_ASSERT(db_.find("location", "bob", "", "sip:b") != nullptr);

    svc_.reset();
    seg_ = std::move(shm::Segment::create(8 << 20).value());
    Service& s2 = make("write-back", true);
    start(s2);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a2"),
                         s2.get(loc_, "alice@example.org").value().at(0).uri);
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), s2.get(loc_, "alice@example.com").value().size());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), s2.get(loc_, "bob").value().size());
    CPPUNIT_ASSERT(s2.get(loc_, "alice").value().empty());
  }

  void dbOnlyEditsAndReadsTheDb() {
    Service& s = make("db-only");
    start(s);
    CPPUNIT_ASSERT(loc_->table() == nullptr);  // no shm cache
    CPPUNIT_ASSERT(add(s, "alice", contact("sip:a", now_ + 60)).isOk());
    CPPUNIT_ASSERT(add(s, "alice", contact("sip:b", now_ + 60)).isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), db_.rows("location"));
    std::vector<Contact> got = s.get(loc_, "alice").value();
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), got.size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a"), got[0].uri);
    // A refresh writes the one row that changed, in one transaction.
    int before = db_.statements;
    Status st = s.withRecord(loc_, "alice", [&](Record& r) {
      CPPUNIT_ASSERT_EQUAL(std::size_t(2), r.contacts().size());
      return r.update(contact("sip:b", now_ + 120, 2));
    });
    CPPUNIT_ASSERT(st.isOk());
    CPPUNIT_ASSERT_EQUAL(before + 4, db_.statements);  // BEGIN, SELECT, INSERT, COMMIT
    CPPUNIT_ASSERT_EQUAL(std::string("2"), *(*db_.find("location", "alice", "", "sip:b"))["cseq"]);
    CPPUNIT_ASSERT(drop(s, "alice", "sip:a").isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), db_.rows("location"));
    // fn's own status comes back; its changes are still written.
    st = s.withRecord(loc_, "alice", [&](Record& r) {
      r.removeAll();
      return Status::notFound("told so");
    });
    CPPUNIT_ASSERT(st.code() == Code::kNotFound);
    CPPUNIT_ASSERT_EQUAL(std::size_t(0), db_.rows("location"));
  }

  void dbOnlyIsUnavailableWhileDbIsDown() {
    Service& s = make("db-only");
    start(s);
    CPPUNIT_ASSERT(add(s, "alice", contact("sip:a", now_ + 60)).isOk());
    db_.down = true;
    CPPUNIT_ASSERT(add(s, "alice", contact("sip:b", now_ + 60)).code() == Code::kUnavailable);
    CPPUNIT_ASSERT(s.get(loc_, "alice").status().code() == Code::kUnavailable);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), db_errors_.load());
    db_.down = false;
    db_.fail_in = 5;  // BEGIN, SELECT, lock, SELECT, then the write fails: nothing half-written
    CPPUNIT_ASSERT(add(s, "alice", contact("sip:c", now_ + 60)).code() == Code::kUnavailable);
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), db_.rows("location"));
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), s.get(loc_, "alice").value().size());
  }

  void dbOnlyFlushDeletesExpiredRows() {
    Service& s = make("db-only");
    start(s);
    CPPUNIT_ASSERT(add(s, "alice", contact("sip:a", now_ + 30)).isOk());
    CPPUNIT_ASSERT(add(s, "bob", contact("sip:b", now_ + 90)).isOk());
    now_ += 60;
    CPPUNIT_ASSERT(s.get(loc_, "alice").value().empty());
    CPPUNIT_ASSERT(s.flush().status.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), db_.rows("location"));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), expired_.load());
  }

  void shutdownFlushWritesWhatIsPending() {
    Service& s = make("write-back");
    start(s);
    CPPUNIT_ASSERT(add(s, "alice", contact("sip:a", now_ + 60)).isOk());
    s.closeConnectionForTest();  // the master has none of its own
    s.shutdownFlush();
    CPPUNIT_ASSERT(db_.find("location", "alice", "", "sip:a") != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), loc_->table()->pending());
    CPPUNIT_ASSERT(s.connection() == nullptr);
    int before = db_.statements;
    s.shutdownFlush();  // nothing pending: not even a connection
    CPPUNIT_ASSERT_EQUAL(before, db_.statements);
  }

  void processesOpenConnectionsByRole() {
    Service& wb = make("write-back");
    CPPUNIT_ASSERT(wb.init(*seg_).isOk());
    CPPUNIT_ASSERT(!wb.needsDbIn(ProcessInfo{ProcessRole::kUdpWorker, 0, ""}));
    CPPUNIT_ASSERT(!wb.needsDbIn(ProcessInfo{ProcessRole::kTimer, 0, ""}));
    CPPUNIT_ASSERT(wb.needsDbIn(ProcessInfo{ProcessRole::kModule, 0, kFlusherName}));
    CPPUNIT_ASSERT(!wb.needsDbIn(ProcessInfo{ProcessRole::kModule, 0, "other"}));
    CPPUNIT_ASSERT(wb.childInit(ProcessInfo{ProcessRole::kUdpWorker, 0, ""}).isOk());
    CPPUNIT_ASSERT(wb.connection() == nullptr);
    seg_ = std::move(shm::Segment::create(8 << 20).value());
    Service& wt = make("write-through");
    CPPUNIT_ASSERT(wt.init(*seg_).isOk());
    CPPUNIT_ASSERT(wt.needsDbIn(ProcessInfo{ProcessRole::kTcpWorker, 1, ""}));
    CPPUNIT_ASSERT(wt.needsDbIn(ProcessInfo{ProcessRole::kMi, 0, ""}));
    CPPUNIT_ASSERT(!wt.needsDbIn(ProcessInfo{ProcessRole::kTimer, 0, ""}));
    seg_ = std::move(shm::Segment::create(8 << 20).value());
    Service& mem = make("memory");
    CPPUNIT_ASSERT(mem.init(*seg_).isOk());
    CPPUNIT_ASSERT(!mem.needsDbIn(ProcessInfo{ProcessRole::kModule, 0, kFlusherName}));
  }

 private:
  FakeDb db_;
  std::unique_ptr<shm::Segment> seg_;
  std::unique_ptr<Service> svc_;
  Domain* loc_ = nullptr;
  std::int64_t now_ = 0;
  std::atomic<std::uint64_t> expired_{0}, db_errors_{0}, no_memory_{0};
};
CPPUNIT_TEST_SUITE_REGISTRATION(UsrlocModesTest);

}  // namespace sipline::usrloc
