// PgConnection when the server is not there: nobody listening, stopped and restarted, a
// connection lost inside a transaction, a server frozen with SIGSTOP. Every wait is measured
// and bounded: a DB outage must cost a worker the configured timeout at most.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "modules/db_postgres/pg_connection.h"
#include "modules/db_postgres/pg_driver.h"
#include "modules/db_postgres/pg_test_fixture.h"

namespace sipline::pg {
namespace {

// Slack for scheduling on a busy 2-core machine and the sanitizer build.
constexpr int kMarginMs = 250;
// "At once": far below any timeout or back-off of these tests, with room for a preemption.
constexpr int kQuickMs = 100;

// A 127.0.0.1 TCP socket; listening (connections complete but nobody answers) or closed.
class LocalPort {
 public:
  explicit LocalPort(bool listen_on_it) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
      port_ = ntohs(a.sin_port);
    }
    if (listen_on_it) {
      ::listen(fd_, 16);
    } else {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~LocalPort() {
    if (fd_ >= 0) ::close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace

class PgOutageTest : public PgFixture {
  CPPUNIT_TEST_SUITE(PgOutageTest);
  CPPUNIT_TEST(nobodyListeningFailsAtOnceAndBacksOff);
  CPPUNIT_TEST(silentListenerCostsTheConnectTimeout);
  CPPUNIT_TEST(stoppedServerIsUnavailableThenReconnects);
  CPPUNIT_TEST(connectionLostInsideATransactionIsReported);
  CPPUNIT_TEST(frozenServerTimesOutWithinTheQueryTimeout);
  CPPUNIT_TEST(frozenServerTimesOutTheConnect);
  CPPUNIT_TEST(openUrlNeedsTheRegisteredDriver);
  CPPUNIT_TEST_SUITE_END();

 public:
  void nobodyListeningFailsAtOnceAndBacksOff() {
    LocalPort closed(false);
    db::Options o = fastOptions();
    PgConnection c(mustParse("postgres://sipline:sipline@127.0.0.1:" +
                             std::to_string(closed.port()) + "/sipline"),
                   o, &stats_);
    Stopwatch sw;
    Result<db::Rows> first = c.query("SELECT 1");
    CPPUNIT_ASSERT_EQUAL(Code::kUnavailable, first.status().code());
    CPPUNIT_ASSERT(first.status().message().find("cannot connect") != std::string::npos);
    CPPUNIT_ASSERT(first.status().message().find("sipline:***@") != std::string::npos);
    CPPUNIT_ASSERT(first.status().message().find(":sipline@") == std::string::npos);
    CPPUNIT_ASSERT(sw.ms() < kMarginMs);
    CPPUNIT_ASSERT_EQUAL(200, c.nextBackoffMsForTest());
    // During the back-off: no attempt, an answer at once.
    Stopwatch quick;
    for (int i = 0; i < 100; ++i) {
      Result<std::int64_t> r = c.exec("SELECT 1");
      CPPUNIT_ASSERT_EQUAL(Code::kUnavailable, r.status().code());
    }
    CPPUNIT_ASSERT(quick.ms() < kQuickMs);
    Result<db::Rows> waiting = c.query("SELECT 1");
    CPPUNIT_ASSERT(waiting.status().message().find("next attempt in") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(200, c.nextBackoffMsForTest());  // no attempt was made
    // Each failed attempt doubles the back-off up to reconnect_max_ms.
    sleepMs(110);
    CPPUNIT_ASSERT(!c.ensureConnected().isOk());
    CPPUNIT_ASSERT_EQUAL(400, c.nextBackoffMsForTest());
    sleepMs(210);
    CPPUNIT_ASSERT(!c.ensureConnected().isOk());
    CPPUNIT_ASSERT_EQUAL(400, c.nextBackoffMsForTest());
    CPPUNIT_ASSERT(!c.connected());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{102}, errors_.load());
  }

  void silentListenerCostsTheConnectTimeout() {
    LocalPort silent(true);  // the kernel completes the handshake; nobody speaks
    db::Options o = fastOptions();
    o.connect_timeout_ms = 300;
    PgConnection c(mustParse("postgres://u@127.0.0.1:" + std::to_string(silent.port()) + "/d"), o,
                   nullptr);
    Stopwatch sw;
    Status st = c.ensureConnected();
    std::int64_t took = sw.ms();
    CPPUNIT_ASSERT_EQUAL(Code::kUnavailable, st.code());
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.message().find("connect timeout") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(std::to_string(took), took >= 290 && took < 300 + kMarginMs);
  }

  void stoppedServerIsUnavailableThenReconnects() {
    SL_NEED_PG();
    PgConnection& c = open();
    CPPUNIT_ASSERT(c.query("SELECT 1").isOk());
    down();
    Stopwatch sw;
    Result<db::Rows> r = c.query("SELECT 1");
    CPPUNIT_ASSERT_EQUAL(Code::kUnavailable, r.status().code());
    // The server's goodbye was noticed before sending (no statement went to a dead socket),
    // so the call tried a new connection at once.
    CPPUNIT_ASSERT_MESSAGE(r.status().message(),
                           r.status().message().find("cannot connect") != std::string::npos);
    CPPUNIT_ASSERT(sw.ms() < kMarginMs);
    CPPUNIT_ASSERT(!c.connected());
    Stopwatch quick;
    CPPUNIT_ASSERT_EQUAL(Code::kUnavailable, c.query("SELECT 1").status().code());
    CPPUNIT_ASSERT(quick.ms() < kQuickMs);
    up();
    // Still inside the back-off or not, the connection comes back within reconnect_max_ms.
    Stopwatch back;
    Result<db::Rows> again = c.query("SELECT 1");
    while (!again.isOk() && back.ms() < 2000) {
      sleepMs(50);
      again = c.query("SELECT 1");
    }
    CPPUNIT_ASSERT_MESSAGE(again.status().message(), again.isOk());
    CPPUNIT_ASSERT(c.connected());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, reconnects_.load());
    CPPUNIT_ASSERT_EQUAL(100, c.nextBackoffMsForTest());  // reset by the success
  }

  void connectionLostInsideATransactionIsReported() {
    SL_NEED_PG();
    PgConnection& c = open();
    std::string t = table("lost");
    mustExec(c, "CREATE TABLE " + t + " (k int)");
    CPPUNIT_ASSERT(c.begin().isOk());
    CPPUNIT_ASSERT(c.exec("INSERT INTO " + t + " VALUES (1)").isOk());
    down();
    up();
    // The server is back, but the transaction is gone: no statement may run in autocommit
    // as if it were still open.
    Result<std::int64_t> next = c.exec("INSERT INTO " + t + " VALUES (2)");
    CPPUNIT_ASSERT_EQUAL(Code::kUnavailable, next.status().code());
    CPPUNIT_ASSERT_MESSAGE(
        next.status().message(),
        next.status().message().find("inside a transaction") != std::string::npos);
    Result<std::int64_t> still = c.exec("INSERT INTO " + t + " VALUES (3)");
    CPPUNIT_ASSERT_EQUAL(Code::kUnavailable, still.status().code());
    Status commit = c.commit();
    CPPUNIT_ASSERT_EQUAL(Code::kUnavailable, commit.code());
    CPPUNIT_ASSERT(commit.message().find("nothing was committed") != std::string::npos);
    // After the failed commit the connection serves again; nothing reached the table.
    Result<db::Rows> rows = c.query("SELECT count(*) FROM " + t);
    std::int64_t n = -1;
    CPPUNIT_ASSERT_MESSAGE(rows.status().message(), rows.isOk() && rows.value().getInt(0, 0, n));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, n);
    // rollback() after a loss is the other way out.
    CPPUNIT_ASSERT(c.begin().isOk());
    down();
    up();
    CPPUNIT_ASSERT(!c.exec("INSERT INTO " + t + " VALUES (4)").isOk());
    CPPUNIT_ASSERT(c.rollback().isOk());
    CPPUNIT_ASSERT(c.exec("INSERT INTO " + t + " VALUES (5)").isOk());
  }

  void frozenServerTimesOutWithinTheQueryTimeout() {
    SL_NEED_PG();
    db::Options o = fastOptions();
    o.query_timeout_ms = 300;
    o.connect_timeout_ms = 300;
    PgConnection& c = open(o);
    CPPUNIT_ASSERT(c.query("SELECT 1").isOk());
    freeze();
    Stopwatch sw;
    Result<db::Rows> r = c.query("SELECT 2");
    std::int64_t took = sw.ms();
    CPPUNIT_ASSERT_EQUAL(Code::kUnavailable, r.status().code());
    CPPUNIT_ASSERT_MESSAGE(r.status().message(),
                           r.status().message().find("query timeout") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(std::to_string(took), took >= 290 && took < 300 + kMarginMs);
    CPPUNIT_ASSERT(!c.connected());
    // The back-off answers at once while the server hangs.
    Stopwatch quick;
    CPPUNIT_ASSERT_EQUAL(Code::kUnavailable, c.query("SELECT 3").status().code());
    CPPUNIT_ASSERT(quick.ms() < kQuickMs);
    thaw();
    Stopwatch back;
    Result<db::Rows> again = c.query("SELECT 4");
    while (!again.isOk() && back.ms() < 2000) {
      sleepMs(50);
      again = c.query("SELECT 4");
    }
    CPPUNIT_ASSERT_MESSAGE(again.status().message(), again.isOk());
  }

  void frozenServerTimesOutTheConnect() {
    SL_NEED_PG();
    db::Options o = fastOptions();
    // A connect is bounded by the query timeout too: no call waits longer than a statement.
    o.connect_timeout_ms = 3000;
    o.query_timeout_ms = 300;
    PgConnection& c = open(o);
    freeze();
    Stopwatch sw;
    Status st = c.ensureConnected();
    std::int64_t took = sw.ms();
    CPPUNIT_ASSERT_EQUAL(Code::kUnavailable, st.code());
    CPPUNIT_ASSERT_MESSAGE(std::to_string(took), took >= 290 && took < 300 + kMarginMs);
    thaw();
  }

  void openUrlNeedsTheRegisteredDriver() {
    db::registerDriver(&pgDriver());
    Result<std::unique_ptr<db::Connection>> bad = db::openUrl("postgres://h:port/d", fastOptions());
    CPPUNIT_ASSERT_EQUAL(Code::kInvalidArgument, bad.status().code());
    SL_NEED_PG();
    Result<std::unique_ptr<db::Connection>> c = db::openUrl(server_->url(), fastOptions());
    CPPUNIT_ASSERT_MESSAGE(c.status().message(), c.isOk());
    Result<db::Rows> r = c.value()->query("SELECT current_user");
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string_view("sipline"), *r.value().text(0, 0));
    // A wrong password is refused by the server, not hung on.
    std::string wrong = server_->url();
    wrong.replace(wrong.find(":sipline@"), 9, ":wrong@");
    Result<std::unique_ptr<db::Connection>> w = db::openUrl(wrong, fastOptions());
    CPPUNIT_ASSERT(w.isOk());
    Status st = w.value()->ensureConnected();
    CPPUNIT_ASSERT_EQUAL(Code::kUnavailable, st.code());
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.message().find("password") != std::string::npos);
    CPPUNIT_ASSERT(st.message().find("wrong") == std::string::npos);
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(PgOutageTest);

}  // namespace sipline::pg
