// DB-only edits that add a row take the AOR's advisory lock and run again on what is there
// then, so two workers adding contacts to one AOR (a new one above all, which has no row for
// SELECT ... FOR UPDATE to lock) cannot both pass a limit; refreshes never take it.
#include <cppunit/extensions/HelperMacros.h>

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
  c.callid = "cid";
  return c;
}

bool startsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

class DbOnlyLockTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DbOnlyLockTest);
  CPPUNIT_TEST(newAorTakesTheLockThenReadsAgain);
  CPPUNIT_TEST(refreshAndRemovalTakeNoLock);
  CPPUNIT_TEST(aRowAddedMeanwhileIsSeenUnderTheLock);
  CPPUNIT_TEST(lockFailureWritesNothing);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    seg_ = std::move(shm::Segment::create(4 << 20).value());
    svc_ = std::make_unique<Service>();
    svc_->config().db_mode = "db-only";
    svc_->config().db_url = "postgres://sipline@127.0.0.1/sipline";
    svc_->config().hash_size = 64;
    svc_->setConnectorForTest(
        [this]() { return Result<std::unique_ptr<db::Connection>>(testing::fakeConnection(db_)); });
    svc_->setClockForTest([] { return std::int64_t(100000); });
    loc_ = svc_->domain("location").value();
    CPPUNIT_ASSERT(svc_->init(*seg_).isOk());
    CPPUNIT_ASSERT(svc_->childInit(ProcessInfo{ProcessRole::kUdpWorker, 0, ""}).isOk());
  }
  void tearDown() override {
    svc_.reset();
    seg_.reset();
  }

  Status add(const std::string& aor, const Contact& c) {
    return svc_->withRecord(loc_, aor, [&](Record& r) { return r.insert(c); });
  }

  void newAorTakesTheLockThenReadsAgain() {
    std::size_t first = db_.log.size();
    CPPUNIT_ASSERT(add("alice", contact("sip:a", 100060)).isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), db_.locks.size());
    CPPUNIT_ASSERT_EQUAL(std::string("location:alice"), db_.locks[0]);
    std::vector<std::string> log(db_.log.begin() + static_cast<std::ptrdiff_t>(first),
                                 db_.log.end());
    CPPUNIT_ASSERT_EQUAL(std::size_t(6), log.size());
    CPPUNIT_ASSERT_EQUAL(std::string("BEGIN"), log[0]);
    CPPUNIT_ASSERT(startsWith(log[1], "SELECT ") && log[1].find("FOR UPDATE") != std::string::npos);
    CPPUNIT_ASSERT(log[2].find("pg_advisory_xact_lock") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(log[1], log[3]);  // read again under the lock
    CPPUNIT_ASSERT(startsWith(log[4], "INSERT "));
    CPPUNIT_ASSERT_EQUAL(std::string("COMMIT"), log[5]);
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), db_.rows("location"));
    // A second contact for the same AOR adds a row too.
    CPPUNIT_ASSERT(add("alice", contact("sip:b", 100060)).isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), db_.locks.size());
  }

  void refreshAndRemovalTakeNoLock() {
    CPPUNIT_ASSERT(add("alice", contact("sip:a", 100060)).isOk());
    int before = db_.statements;
    Status st = svc_->withRecord(loc_, "alice",
                                 [](Record& r) { return r.update(contact("sip:a", 100120, 2)); });
    CPPUNIT_ASSERT(st.isOk());
    CPPUNIT_ASSERT_EQUAL(before + 4, db_.statements);  // BEGIN, SELECT, INSERT, COMMIT
    st = svc_->withRecord(loc_, "alice", [](Record& r) {
      r.removeAll();
      return Status::ok();
    });
    CPPUNIT_ASSERT(st.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), db_.locks.size());  // only the first insert's
    CPPUNIT_ASSERT_EQUAL(std::size_t(0), db_.rows("location"));
  }

  void aRowAddedMeanwhileIsSeenUnderTheLock() {
    // fn allows one contact per AOR (as registrar's max_contacts = 1). While its first run
    // decides, another worker commits a contact of the same new AOR.
    int runs = 0;
    Status st = svc_->withRecord(loc_, "alice", [&](Record& r) {
      if (++runs == 1) db_.put("location", "alice", "", "sip:other", 100060);
      if (!r.contacts().empty()) return Status::failedPrecondition("max_contacts reached");
      return r.insert(contact("sip:mine", 100060));
    });
    CPPUNIT_ASSERT_EQUAL(2, runs);
    CPPUNIT_ASSERT(st.code() == Code::kFailedPrecondition);  // the last run's verdict
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), db_.rows("location"));
    CPPUNIT_ASSERT(db_.find("location", "alice", "", "sip:mine") == nullptr);
  }

  void lockFailureWritesNothing() {
    db_.fail_in = 3;  // BEGIN, SELECT, then the lock fails (the DB went away)
    CPPUNIT_ASSERT(add("alice", contact("sip:a", 100060)).code() == Code::kUnavailable);
    CPPUNIT_ASSERT_EQUAL(std::size_t(0), db_.rows("location"));
    CPPUNIT_ASSERT(add("alice", contact("sip:a", 100060)).isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), db_.rows("location"));
  }

 private:
  std::unique_ptr<shm::Segment> seg_;
  std::unique_ptr<Service> svc_;
  Domain* loc_ = nullptr;
  FakeDb db_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(DbOnlyLockTest);

}  // namespace sipline::usrloc
