#include "modules/acc/acc_writer.h"

#include <cppunit/extensions/HelperMacros.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "core/base/clock.h"
#include "modules/acc/acc_test_util.h"
#include "test/test_files.h"

namespace sipline::acc {

namespace {

Row rowFor(int i, const std::string& table = "acc") {
  Row r;
  r.table = table;
  r.columns = {{"acc_key", "k" + std::to_string(i)},
               {"method", "INVITE"},
               {"callid", "call" + std::to_string(i)},
               {"sip_code", "200"}};
  return r;
}

}  // namespace

class AccWriterTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(AccWriterTest);
  CPPUNIT_TEST(queuedRowsReachTheDbInBatches);
  CPPUNIT_TEST(dbDownSpoolsAndReplaysInOrder);
  CPPUNIT_TEST(slowDbSpoolsTooAndLaterRowsQueueBehind);
  CPPUNIT_TEST(restartReplaysFromThePositionAndNothingTwice);
  CPPUNIT_TEST(missingColumnKeepsRowsInTheSpoolUntilItExists);
  CPPUNIT_TEST(badRowIsSetAsideAndTheRestWritten);
  CPPUNIT_TEST(constraintViolationIsSetAsideToo);
  CPPUNIT_TEST(otherDbErrorsSpoolAndRetryNeverReject);
  CPPUNIT_TEST(damagedSpoolLineIsSkippedAndKept);
  CPPUNIT_TEST(drainAtStopWritesToAHealthyDb);
  CPPUNIT_TEST(drainAtStopSpoolsWhenTheDbIsDown);
  CPPUNIT_TEST(masterDrainSpoolsWhatIsLeft);
  CPPUNIT_TEST(syslogEntriesAreSentToTheSocket);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    mem_ = std::aligned_alloc(16, RecordQueue::bytesFor(1 << 16));
    queue_ = RecordQueue::create(mem_, 1 << 16, 1000);
    for (std::size_t i = 0; i < kCounters; ++i) slots_[i] = 0;
    StatCounter* all[] = {&c_.records,     &c_.db_written, &c_.spooled,
                          &c_.replayed,    &c_.failed,     &c_.queue_full,
                          &c_.log_written, &c_.log_failed, &c_.spool_records};
    for (std::size_t i = 0; i < kCounters; ++i) all[i]->bindForTest(&slots_[i]);
    dir_ = std::make_unique<testing::TempDir>();
    db_ = std::make_unique<testing::FakeAccDb>();
    spool_ = std::make_unique<Spool>();
    CPPUNIT_ASSERT(spool_->recover(dir_->path()).isOk());
    syslog_ = std::make_unique<SyslogSender>(dir_->file("log.sock"));
    WriterOptions o;
    o.batch = 10;
    o.retry_ms = 1000;
    o.schema_retry_ms = 5000;
    writer_ = makeWriter(o);
  }
  void tearDown() override {
    writer_.reset();
    std::free(mem_);
  }

  std::unique_ptr<Writer> makeWriter(WriterOptions o) {
    testing::FakeAccDb* db = db_.get();
    return std::make_unique<Writer>(*queue_, *spool_, *syslog_, c_, o, [db]() {
      return Result<std::unique_ptr<db::Connection>>(
          std::unique_ptr<db::Connection>(new testing::FakeAccConnection(db)));
    });
  }

  void push(int from, int to, const std::string& table = "acc") {
    for (int i = from; i <= to; ++i) {
      CPPUNIT_ASSERT(queue_->push(EntryKind::kDbRow, encodeLine(rowFor(i, table))));
    }
  }
  std::vector<std::string> expectedOrder(int from, int to) {
    std::vector<std::string> v;
    for (int i = from; i <= to; ++i) v.push_back("k" + std::to_string(i));
    return v;
  }
  // Steps until nothing is left to do (bounded).
  void settle(std::int64_t now) {
    for (int i = 0; i < 100 && writer_->step(now); ++i) {
    }
  }

  void queuedRowsReachTheDbInBatches() {
    push(1, 25);
    settle(0);
    CPPUNIT_ASSERT_EQUAL(std::size_t{25}, db_->rows("acc"));
    CPPUNIT_ASSERT(db_->order == expectedOrder(1, 25));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{25}, c_.db_written.get());
    CPPUNIT_ASSERT_EQUAL(0u, queue_->size());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, c_.spooled.get());
    CPPUNIT_ASSERT_EQUAL(3, db_->inserts);  // one statement per batch of 10 alike rows
  }

  void dbDownSpoolsAndReplaysInOrder() {
    db_->down = true;
    push(1, 5);
    settle(0);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{5}, c_.spooled.get());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{5}, c_.spool_records.get());
    CPPUNIT_ASSERT(!writer_->dbHealthy());
    db_->down = false;
    push(6, 8);  // the DB is back, but the spool is not replayed yet: these go behind it
    settle(10);
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, db_->rows("acc"));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{8}, c_.spool_records.get());
    settle(2000);  // the retry is due
    CPPUNIT_ASSERT(db_->order == expectedOrder(1, 8));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{8}, c_.replayed.get());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, c_.spool_records.get());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, spool_->pendingBytes());
    CPPUNIT_ASSERT_EQUAL(std::string(""), sipline::testing::readFile(spool_->spoolPath()));
    push(9, 9);  // spool empty again: straight to the DB
    settle(2000);
    CPPUNIT_ASSERT_EQUAL(std::size_t{9}, db_->rows("acc"));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{8}, c_.spooled.get());
  }

  void slowDbSpoolsTooAndLaterRowsQueueBehind() {
    db_->slow = true;
    push(1, 3);
    settle(0);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{3}, c_.spooled.get());
    push(4, 4);
    settle(3000);  // still slow: the replay fails, row 4 joins the spool
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{4}, c_.spool_records.get());
    db_->slow = false;
    settle(6000);
    CPPUNIT_ASSERT(db_->order == expectedOrder(1, 4));
  }

  void restartReplaysFromThePositionAndNothingTwice() {
    db_->down = true;
    push(1, 25);
    settle(0);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{25}, c_.spool_records.get());
    db_->down = false;
    CPPUNIT_ASSERT(writer_->step(2000));  // one replay batch of 10
    CPPUNIT_ASSERT_EQUAL(std::size_t{10}, db_->rows("acc"));
    // A restart: a new spool object (the position file) and a new writer.
    spool_ = std::make_unique<Spool>();
    CPPUNIT_ASSERT(spool_->recover(dir_->path()).isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{15}, spool_->countPendingLines());
    writer_ = makeWriter(WriterOptions{});
    settle(0);
    CPPUNIT_ASSERT(db_->order == expectedOrder(1, 25));
    CPPUNIT_ASSERT_EQUAL(0, db_->conflicts);
    // A crash between the commit and the position save replays rows the DB has: no-ops.
    CPPUNIT_ASSERT(spool_->append(encodeLine(rowFor(3)) + encodeLine(rowFor(26))).isOk());
    settle(0);
    CPPUNIT_ASSERT_EQUAL(std::size_t{26}, db_->rows("acc"));
    CPPUNIT_ASSERT_EQUAL(1, db_->conflicts);
  }

  void missingColumnKeepsRowsInTheSpoolUntilItExists() {
    db_->columns["acc"].erase("callid");
    push(1, 3);
    settle(0);
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, db_->rows("acc"));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{3}, c_.spool_records.get());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, c_.failed.get());
    settle(10000);  // retried: still missing
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, db_->rows("acc"));
    db_->columns["acc"].insert("callid");  // the operator adds it
    settle(20000);
    CPPUNIT_ASSERT(db_->order == expectedOrder(1, 3));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, c_.spool_records.get());
  }

  void badRowIsSetAsideAndTheRestWritten() {
    db_->refuse_value = "call2";
    push(1, 3);
    settle(0);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, db_->rows("acc"));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, c_.failed.get());
    std::string rejected = sipline::testing::readFile(dir_->file("acc.rejected"));
    CPPUNIT_ASSERT(rejected.find("callid=call2") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, c_.spooled.get());
  }

  void constraintViolationIsSetAsideToo() {
    db_->refuse_value = "call2";
    db_->refuse_state = "23514";  // a check constraint
    push(1, 3);
    settle(0);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, db_->rows("acc"));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, c_.failed.get());
    CPPUNIT_ASSERT(sipline::testing::readFile(dir_->file("acc.rejected")).find("callid=call2") !=
                   std::string::npos);
  }

  void otherDbErrorsSpoolAndRetryNeverReject() {
    // Read-only after a failover, serialization failure, deadlock, lock not available, an
    // internal error: the rows are fine, the DB is not; they wait in the spool.
    int base = 0;
    std::int64_t now = 0;
    for (const char* state : {"25006", "40001", "40P01", "55P03", "XX000"}) {
      db_->insert_state = state;
      push(base + 1, base + 4);
      settle(now);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(state, std::uint64_t{0}, c_.failed.get());
      CPPUNIT_ASSERT_MESSAGE(state, !writer_->dbHealthy());
      CPPUNIT_ASSERT_EQUAL_MESSAGE(state, std::uint64_t{4}, spool_->countPendingLines());
      CPPUNIT_ASSERT_EQUAL_MESSAGE(state, static_cast<std::size_t>(base), db_->rows("acc"));
      now += 2000;
      settle(now);  // retried: still failing, still kept
      CPPUNIT_ASSERT_EQUAL_MESSAGE(state, std::uint64_t{0}, c_.failed.get());
      db_->insert_state.clear();
      now += 2000;
      settle(now);
      CPPUNIT_ASSERT_MESSAGE(state, db_->order == expectedOrder(1, base + 4));
      CPPUNIT_ASSERT_EQUAL_MESSAGE(state, std::int64_t{0}, spool_->pendingBytes());
      base += 4;
      now += 2000;
    }
    CPPUNIT_ASSERT(!std::filesystem::exists(dir_->file("acc.rejected")));
  }

  void damagedSpoolLineIsSkippedAndKept() {
    std::string bad = encodeLine(rowFor(2));
    bad[8] = bad[8] == 'x' ? 'y' : 'x';  // a flipped byte: the checksum no longer matches
    CPPUNIT_ASSERT(spool_->append(encodeLine(rowFor(1)) + bad + encodeLine(rowFor(3))).isOk());
    settle(0);
    CPPUNIT_ASSERT(db_->order == std::vector<std::string>({"k1", "k3"}));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, c_.failed.get());
    CPPUNIT_ASSERT_EQUAL(bad, sipline::testing::readFile(dir_->file("acc.rejected")));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, spool_->pendingBytes());
  }

  void drainAtStopWritesToAHealthyDb() {
    push(1, 35);
    writer_->drain(monotonicMs() + 2000);
    CPPUNIT_ASSERT_EQUAL(0u, queue_->size());
    CPPUNIT_ASSERT(db_->order == expectedOrder(1, 35));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, spool_->pendingBytes());
  }

  void drainAtStopSpoolsWhenTheDbIsDown() {
    db_->down = true;
    push(1, 2);
    settle(0);  // the writer learns the DB is down
    push(3, 40);
    writer_->drain(0);
    CPPUNIT_ASSERT_EQUAL(0u, queue_->size());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{40}, spool_->countPendingLines());
  }

  void masterDrainSpoolsWhatIsLeft() {
    push(1, 7);
    CPPUNIT_ASSERT(queue_->push(EntryKind::kLog, "<134>msg"));
    drainToSpool(*queue_, *spool_, *syslog_, c_);
    CPPUNIT_ASSERT_EQUAL(0u, queue_->size());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{7}, spool_->countPendingLines());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, c_.log_failed.get());  // no socket bound
  }

  void syslogEntriesAreSentToTheSocket() {
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::string path = dir_->file("log.sock");
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    CPPUNIT_ASSERT_EQUAL(0, bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a));
    CPPUNIT_ASSERT(queue_->push(EntryKind::kLog, "<134>Nov 27 12:00:00 sipline[1]: ACC: x: a=b"));
    push(1, 1);
    settle(0);
    char buf[256] = {};
    ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
    close(fd);
    CPPUNIT_ASSERT(n > 0);
    CPPUNIT_ASSERT_EQUAL(std::string("<134>Nov 27 12:00:00 sipline[1]: ACC: x: a=b"),
                         std::string(buf, static_cast<std::size_t>(n)));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, c_.log_written.get());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, db_->rows("acc"));
  }

 private:
  static constexpr std::size_t kCounters = 9;
  void* mem_ = nullptr;
  RecordQueue* queue_ = nullptr;
  std::atomic<std::uint64_t> slots_[kCounters];
  Counters c_;
  std::unique_ptr<testing::TempDir> dir_;
  std::unique_ptr<testing::FakeAccDb> db_;
  std::unique_ptr<Spool> spool_;
  std::unique_ptr<SyslogSender> syslog_;
  std::unique_ptr<Writer> writer_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(AccWriterTest);

}  // namespace sipline::acc
