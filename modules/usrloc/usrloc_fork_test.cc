// The shm table across fork, as the server uses it: processes editing the same AORs at once
// through the bucket locks, and marks set by one process written by another.
#include <cppunit/extensions/HelperMacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>

#include "core/proc/supervisor.h"
#include "modules/usrloc/fake_db_test_util.h"
#include "modules/usrloc/ul_table.h"
#include "modules/usrloc/usrloc.h"

namespace sipline::usrloc {
namespace {

constexpr int kAors = 40;
constexpr int kRounds = 1500;

Contact contact(const std::string& uri, std::int64_t expires, std::int32_t cseq) {
  Contact c;
  c.uri = uri;
  c.expires = expires;
  c.cseq = cseq;
  c.callid = "cid";
  return c;
}

// Each child registers, refreshes and removes its own contact on every AOR, and refreshes a
// contact every child shares; exits 0 when every edit succeeded.
int childEdits(Table& t, int id) {
  std::string mine = "sip:child" + std::to_string(id);
  for (int round = 0; round < kRounds; ++round) {
    std::string aor = "user" + std::to_string(round % kAors);
    Status st = t.edit(
        aor, 1000,
        [&](Record& r) {
          Status s = r.insert(contact(mine, 5000, round));
          if (!s.isOk()) return s;
          s = r.insert(contact("sip:shared", 5000, round));
          if (!s.isOk()) return s;
          if (round % 7 == 0) r.remove(mine);
          return Status::ok();
        },
        nullptr);
    if (!st.isOk()) return 1;
  }
  return 0;
}

pid_t spawn(const std::function<int()>& body) {
  pid_t pid = fork();
  if (pid == 0) _exit(body());
  return pid;
}

int waitExit(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

}  // namespace

class UsrlocForkTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(UsrlocForkTest);
  CPPUNIT_TEST(twoProcessesEditTheSameAors);
  CPPUNIT_TEST(marksMadeByAWorkerAreFlushedByAnotherProcess);
  CPPUNIT_TEST(flusherServesUlFlushAndFlushesAtStop);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override { seg_ = std::move(shm::Segment::create(16 << 20).value()); }
  void tearDown() override { seg_.reset(); }

  void twoProcessesEditTheSameAors() {
    Counters counters;
    TableOptions opt;
    opt.size = 256;
    opt.persist = true;
    auto t = std::move(Table::create(*seg_, "location", opt, &counters).value());
    pid_t a = spawn([&] { return childEdits(*t, 1); });
    pid_t b = spawn([&] { return childEdits(*t, 2); });
    CPPUNIT_ASSERT_EQUAL(0, waitExit(a));
    CPPUNIT_ASSERT_EQUAL(0, waitExit(b));
    // The last round of each child on each AOR decides what is left: count by walking.
    std::uint64_t users = 0, contacts = 0;
    t->forEach(1000, [&](const std::string&, std::vector<Contact>& cs) {
      ++users;
      contacts += cs.size();
      int shared = 0;
      for (const Contact& c : cs) shared += c.uri == "sip:shared";
      CPPUNIT_ASSERT_EQUAL(1, shared);  // never duplicated by the race
    });
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(kAors), users);
    CPPUNIT_ASSERT_EQUAL(users, t->users());
    CPPUNIT_ASSERT_EQUAL(contacts, t->contacts());
    CPPUNIT_ASSERT(contacts >= std::uint64_t(kAors));
    // Every contact is dirty and every removal a tombstone: pending is exactly that.
    std::vector<PendingWrite> pending;
    std::uint32_t cursor = 0;
    CPPUNIT_ASSERT(t->collectPending(1u << 20, cursor, pending));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(pending.size()), t->pending());
  }

  void marksMadeByAWorkerAreFlushedByAnotherProcess() {
    testing::FakeDb db;
    Service svc;
    svc.config().db_mode = "write-back";
    svc.config().db_url = "postgres://fake/db";
    svc.config().hash_size = 256;
    svc.setConnectorForTest(
        [&db]() { return Result<std::unique_ptr<db::Connection>>(testing::fakeConnection(db)); });
    Domain* loc = svc.domain("location").value();
    CPPUNIT_ASSERT(svc.init(*seg_).isOk());
    std::int64_t now = svc.now();
    // The worker: edits only (no connection in write-back).
    pid_t worker = spawn([&] {
      for (int i = 0; i < 200; ++i) {
        Status st = svc.withRecord(loc, "u" + std::to_string(i), [&](Record& r) {
          return r.insert(contact("sip:x", now + 600, 1));
        });
        if (!st.isOk()) return 1;
      }
      return 0;
    });
    CPPUNIT_ASSERT_EQUAL(0, waitExit(worker));
    // The flusher (here: this process) sees the marks and writes them.
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(200), loc->table()->pending());
    CPPUNIT_ASSERT(svc.childInit(ProcessInfo{ProcessRole::kModule, 0, kFlusherName}).isOk());
    FlushReport r = svc.flush();
    CPPUNIT_ASSERT(r.status.isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(200), r.written);
    CPPUNIT_ASSERT_EQUAL(std::size_t(200), db.rows("location"));
  }

  // The "usrloc-flusher" process itself: an MI ul_flush is served by it while it waits out
  // a long write_back_interval, and SIGTERM makes it write what is left before it exits.
  void flusherServesUlFlushAndFlushesAtStop() {
    testing::FakeDb db;
    Service svc;
    svc.config().db_mode = "write-back";
    svc.config().db_url = "postgres://fake/db";
    svc.config().hash_size = 256;
    svc.config().write_back_interval_s = 3600;
    svc.setConnectorForTest(
        [&db]() { return Result<std::unique_ptr<db::Connection>>(testing::fakeConnection(db)); });
    Domain* loc = svc.domain("location").value();
    CPPUNIT_ASSERT(svc.init(*seg_).isOk());
    std::int64_t now = svc.now();
    auto add = [&](const std::string& aor) {
      return svc.withRecord(loc, aor,
                            [&](Record& r) { return r.insert(contact("sip:x", now + 600, 1)); });
    };
    for (int i = 0; i < 30; ++i) CPPUNIT_ASSERT(add("u" + std::to_string(i)).isOk());
    pid_t flusher = spawn([&] {
      signals::installChild();
      if (!svc.childInit(ProcessInfo{ProcessRole::kModule, 0, kFlusherName}).isOk()) return 2;
      return svc.runFlusher();
    });
    Result<FlushReport> r = svc.requestFlush(5000);  // as the MI process does
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.isOk());
    CPPUNIT_ASSERT(r.value().status.isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(30), r.value().written);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), r.value().pending);
    CPPUNIT_ASSERT(add("late").isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), loc->table()->pending());
    kill(flusher, SIGTERM);
    CPPUNIT_ASSERT_EQUAL(0, waitExit(flusher));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), loc->table()->pending());
    // Without a flusher, ul_flush gives up after its timeout instead of hanging the MI.
    CPPUNIT_ASSERT(add("later").isOk());
    CPPUNIT_ASSERT(svc.requestFlush(100).status().code() == Code::kUnavailable);
  }

 private:
  std::unique_ptr<shm::Segment> seg_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(UsrlocForkTest);

}  // namespace sipline::usrloc
