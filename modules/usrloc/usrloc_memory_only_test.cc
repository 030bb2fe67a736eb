// Memory-only contacts through the service in each DB mode, against the fake DB: never
// written by write-through, the flusher or the shutdown flush, gone after a restart, refused
// in DB-only mode; and the memory-only bit never stored in, nor read from, a row.
#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <memory>
#include <string>

#include "modules/usrloc/fake_db_test_util.h"
#include "modules/usrloc/usrloc.h"

namespace sipline::usrloc {
namespace {

using testing::FakeDb;

Contact contact(const std::string& uri, std::int64_t expires, bool memory_only) {
  Contact c;
  c.uri = uri;
  c.expires = expires;
  c.cseq = 1;
  c.callid = "cid-" + uri;
  c.flags = memory_only ? kContactMemoryOnly : 0;
  return c;
}

}  // namespace

class UsrlocMemoryOnlyTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(UsrlocMemoryOnlyTest);
  CPPUNIT_TEST(writeThroughNeverWritesThem);
  CPPUNIT_TEST(writeBackFlushAndShutdownNeverWriteThem);
  CPPUNIT_TEST(restartLosesThemAndKeepsTheOthers);
  CPPUNIT_TEST(dbOnlyRefusesThem);
  CPPUNIT_TEST(theBitIsNeverStoredNorLoaded);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override { seg_ = std::move(shm::Segment::create(8 << 20).value()); }
  void tearDown() override {
    svc_.reset();
    seg_.reset();
  }

  Service& start(const std::string& mode) {
    svc_ = std::make_unique<Service>();
    svc_->config().db_mode = mode;
    svc_->config().db_url = "postgres://sipline@127.0.0.1/sipline";
    svc_->config().hash_size = 64;
    svc_->setConnectorForTest(
        [this]() { return Result<std::unique_ptr<db::Connection>>(testing::fakeConnection(db_)); });
    svc_->setClockForTest([this] { return now_; });
    svc_->counters().db_errors.bindForTest(&db_errors_);
    loc_ = svc_->domain("location").value();
    Status st = svc_->init(*seg_);
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
    CPPUNIT_ASSERT(svc_->childInit(ProcessInfo{ProcessRole::kModule, 0, kFlusherName}).isOk());
    return *svc_;
  }
  Status add(const std::string& aor, const Contact& c) {
    return svc_->withRecord(loc_, aor, [&](Record& r) { return r.insert(c); });
  }

  void writeThroughNeverWritesThem() {
    Service& s = start("write-through");
    CPPUNIT_ASSERT(s.memoryOnlyContacts());
    int before = db_.statements;
    CPPUNIT_ASSERT(add("alice", contact("sip:mem", now_ + 60, true)).isOk());
    CPPUNIT_ASSERT_EQUAL(before, db_.statements);  // not even a statement
    CPPUNIT_ASSERT(add("alice", contact("sip:db", now_ + 60, false)).isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), db_.rows("location"));
    CPPUNIT_ASSERT(db_.find("location", "alice", "", "sip:db") != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), s.get(loc_, "alice").value().size());
    CPPUNIT_ASSERT(s.flush().status.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), db_.rows("location"));
  }

  void writeBackFlushAndShutdownNeverWriteThem() {
    Service& s = start("write-back");
    CPPUNIT_ASSERT(add("alice", contact("sip:mem", now_ + 60, true)).isOk());
    CPPUNIT_ASSERT(add("bob", contact("sip:db", now_ + 60, false)).isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), loc_->table()->pending());
    FlushReport r = s.flush();
    CPPUNIT_ASSERT(r.status.isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), r.written);
    CPPUNIT_ASSERT(db_.find("location", "alice", "", "sip:mem") == nullptr);
    CPPUNIT_ASSERT(add("carol", contact("sip:mem2", now_ + 60, true)).isOk());
    CPPUNIT_ASSERT(add("dave", contact("sip:db2", now_ + 60, false)).isOk());
    s.shutdownFlush();
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), db_.rows("location"));
    CPPUNIT_ASSERT(db_.find("location", "dave", "", "sip:db2") != nullptr);
  }

  void restartLosesThemAndKeepsTheOthers() {
    start("write-back");
    CPPUNIT_ASSERT(add("alice", contact("sip:mem", now_ + 600, true)).isOk());
    CPPUNIT_ASSERT(add("alice", contact("sip:db", now_ + 600, false)).isOk());
    svc_->shutdownFlush();
    svc_.reset();
    seg_ = std::move(shm::Segment::create(8 << 20).value());
    Service& s = start("write-back");
    std::vector<Contact> got = s.get(loc_, "alice").value();
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), got.size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:db"), got[0].uri);
  }

  void dbOnlyRefusesThem() {
    svc_ = std::make_unique<Service>();
    svc_->config().db_mode = "db-only";
    CPPUNIT_ASSERT(!svc_->memoryOnlyContacts());  // known before init, for the binds
    Service& s = start("db-only");
    CPPUNIT_ASSERT(!s.memoryOnlyContacts());
    Status st = add("alice", contact("sip:mem", now_ + 60, true));
    CPPUNIT_ASSERT(st.code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.message().find("memory-only") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(std::size_t(0), db_.rows("location"));
    CPPUNIT_ASSERT(add("alice", contact("sip:db", now_ + 60, false)).isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), db_.rows("location"));
  }

  void theBitIsNeverStoredNorLoaded() {
    TableSql sql("location", false);
    testing::FakeConnection conn(db_);
    Contact c = contact("sip:x", now_ + 60, true);
    c.flags |= 0x40u;
    CPPUNIT_ASSERT(sql.upsert(conn, {AorContact{"alice", c}}).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("64"),
                         *(*db_.find("location", "alice", "", "sip:x"))["flags"]);
    db_.put("location", "bob", "", "sip:y", now_ + 60, {{"flags", std::string("65")}});
    Result<std::vector<Contact>> got = sql.selectAor(conn, "bob", 0, false);
    CPPUNIT_ASSERT(got.isOk());
    CPPUNIT_ASSERT_EQUAL(0x40u, got.value()[0].flags);
  }

 private:
  std::unique_ptr<shm::Segment> seg_;
  std::unique_ptr<Service> svc_;
  Domain* loc_ = nullptr;
  FakeDb db_;
  std::int64_t now_ = 100000;
  std::atomic<std::uint64_t> db_errors_{0};
};
CPPUNIT_TEST_SUITE_REGISTRATION(UsrlocMemoryOnlyTest);

}  // namespace sipline::usrloc
