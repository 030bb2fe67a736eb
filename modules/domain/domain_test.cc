// The domain table without a DB (normalisation, snapshots in a private segment, a reload whose
// DB fails, the script checks on parsed messages) and against a real PostgreSQL (the shipped
// schema, a reload that sees a new row, a reload while the server is down, a start while it
// is down that the background retry fills once it is up).
#include <cppunit/extensions/HelperMacros.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "core/base/clock.h"
#include "core/shm/segment.h"
#include "core/sip/msg_context.h"
#include "modules/db_postgres/pg_test_fixture.h"
#include "modules/domain/domain_checks.h"
#include "modules/domain/domain_shm.h"
#include "modules/domain/domain_table.h"

namespace sipline::domain {
namespace {

struct BoundCounters {
  std::atomic<std::uint64_t> domains{0}, reloads{0}, reload_errors{0};
  void bind(Counters& c) {
    c.domains.bindForTest(&domains);
    c.reloads.bindForTest(&reloads);
    c.reload_errors.bindForTest(&reload_errors);
  }
};

// A request with this From host and request-URI, and its context.
struct Request {
  explicit Request(const std::string& ruri, const std::string& from_host) {
    text = "OPTIONS " + ruri +
           " SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
           "From: <sip:bob@" +
           from_host +
           ">;tag=ft\r\n"
           "To: <sip:alice@example.com>\r\n"
           "Call-ID: abc@host\r\n"
           "CSeq: 1 OPTIONS\r\n"
           "Content-Length: 0\r\n\r\n";
    CPPUNIT_ASSERT(msg.parse(text) == ParseError::kOk);
    ctx = std::make_unique<MsgContext>(msg, rcv, kRequestRoute);
  }
  std::string text;
  SipMessage msg;
  ReceiveInfo rcv;
  std::unique_ptr<MsgContext> ctx;
};

}  // namespace

class DomainTableTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DomainTableTest);
  CPPUNIT_TEST(normalisationFoldsCaseAndRefusesJunk);
  CPPUNIT_TEST(installedSnapshotAnswersCaseInsensitively);
  CPPUNIT_TEST(newSnapshotReplacesTheOldAsAWhole);
  CPPUNIT_TEST(failedReloadKeepsTheOldSnapshot);
  CPPUNIT_TEST(badParametersRefuseTheStart);
  CPPUNIT_TEST(unreachableDbStartsEmptyAndArmsTheRetry);
  CPPUNIT_TEST(scriptChecksReadFromAndRequestUri);
  CPPUNIT_TEST(numericHostsMatchInAnyWrittenForm);
  CPPUNIT_TEST(snapshotLockHeldOrAbandonedByAnotherProcess);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    seg_ = std::move(shm::Segment::create(1 << 20).value());
    counters_.bind(service_.counters());
    Status st = service_.initShmForTest(seg_->manager());
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
  }

  void normalisationFoldsCaseAndRefusesJunk() {
    CPPUNIT_ASSERT_EQUAL(std::string("example.com"), *normalizeDomain("Example.COM"));
    CPPUNIT_ASSERT_EQUAL(std::string("[::1]"), *normalizeDomain("[::1]"));
    CPPUNIT_ASSERT_EQUAL(std::string("10.0.0.1"), *normalizeDomain("10.0.0.1"));
    CPPUNIT_ASSERT(!normalizeDomain(""));
    CPPUNIT_ASSERT(!normalizeDomain("exa mple.com"));
    CPPUNIT_ASSERT(!normalizeDomain("a\nb"));
    CPPUNIT_ASSERT(!normalizeDomain(std::string(256, 'a')));
    // Numeric addresses have one form; a trailing dot (FQDN) is dropped; junk with ':' or
    // brackets that is no address is refused.
    CPPUNIT_ASSERT_EQUAL(std::string("[::1]"), *normalizeDomain("::1"));
    CPPUNIT_ASSERT_EQUAL(std::string("[::1]"), *normalizeDomain("[0:0:0::1]"));
    CPPUNIT_ASSERT_EQUAL(std::string("[2001:db8::a]"), *normalizeDomain("[2001:DB8:0::A]"));
    CPPUNIT_ASSERT_EQUAL(std::string("example.com"), *normalizeDomain("Example.com."));
    CPPUNIT_ASSERT(!normalizeDomain("."));
    CPPUNIT_ASSERT(!normalizeDomain("example.com:5060"));
    CPPUNIT_ASSERT(!normalizeDomain("[example.com]"));
    CPPUNIT_ASSERT(!normalizeDomain("[::1"));
  }

  void installedSnapshotAnswersCaseInsensitively() {
    CPPUNIT_ASSERT(!service_.isLocal("example.com"));  // empty until loaded
    Result<std::size_t> n =
        service_.install({"Example.com", "voip.example.org", "example.com", "bad name"});
    CPPUNIT_ASSERT(n.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, n.value());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{2}, counters_.domains.load());
    CPPUNIT_ASSERT(service_.isLocal("EXAMPLE.COM"));
    CPPUNIT_ASSERT(service_.isLocal("voip.Example.org"));
    CPPUNIT_ASSERT(!service_.isLocal("example.co"));
    CPPUNIT_ASSERT(!service_.isLocal("sub.example.com"));
    CPPUNIT_ASSERT(!service_.isLocal(""));
    CPPUNIT_ASSERT((std::vector<std::string>{"example.com", "voip.example.org"}) ==
                   service_.names());
  }

  void newSnapshotReplacesTheOldAsAWhole() {
    CPPUNIT_ASSERT(service_.install({"a.example", "b.example"}).isOk());
    std::uint64_t gen = service_.generation();
    CPPUNIT_ASSERT(service_.isLocal("a.example"));
    CPPUNIT_ASSERT(service_.install({"c.example"}).isOk());
    CPPUNIT_ASSERT(service_.generation() > gen);
    CPPUNIT_ASSERT(!service_.isLocal("a.example"));
    CPPUNIT_ASSERT(service_.isLocal("c.example"));
    CPPUNIT_ASSERT(service_.install({}).isOk());
    CPPUNIT_ASSERT(!service_.isLocal("c.example"));
    CPPUNIT_ASSERT(service_.names().empty());
  }

  void failedReloadKeepsTheOldSnapshot() {
    CPPUNIT_ASSERT(service_.install({"example.com"}).isOk());
    service_.setConnectorForTest(
        []() -> Result<std::unique_ptr<db::Connection>> { return Status::unavailable("down"); });
    Result<std::size_t> r = service_.reload();
    CPPUNIT_ASSERT(!r.isOk());
    CPPUNIT_ASSERT(r.status().message().find("previous domains stay") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, counters_.reload_errors.load());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, counters_.reloads.load());
    CPPUNIT_ASSERT(service_.isLocal("example.com"));
  }

  void badParametersRefuseTheStart() {
    Service s;
    CPPUNIT_ASSERT(s.init(seg_->manager()).message().find("db_url is required") !=
                   std::string::npos);
    s.config().db_url = "postgres://x@127.0.0.1/db";
    s.config().domain_table = "domain; DROP";
    CPPUNIT_ASSERT(s.init(seg_->manager()).message().find("domain_table") != std::string::npos);
    s.config().domain_table = "domain";
    s.config().domain_col = "1col";
    CPPUNIT_ASSERT(s.init(seg_->manager()).message().find("domain_col") != std::string::npos);
  }

  void unreachableDbStartsEmptyAndArmsTheRetry() {
    Service s;
    BoundCounters c;
    c.bind(s.counters());
    s.config().db_url = "postgres://x@127.0.0.1/db";
    int opens = 0;
    s.setConnectorForTest([&opens]() -> Result<std::unique_ptr<db::Connection>> {
      ++opens;
      return Status::unavailable("down");
    });
    Status st = s.init(seg_->manager());
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
    CPPUNIT_ASSERT(s.names().empty());
    CPPUNIT_ASSERT(!s.isLocal("example.com"));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, c.reload_errors.load());
    CPPUNIT_ASSERT(s.retry().armed());
    s.retryTick(s.retry().dueMs() - 1);  // not due: no connection attempt
    CPPUNIT_ASSERT_EQUAL(1, opens);
    s.retryTick(s.retry().dueMs());
    CPPUNIT_ASSERT_EQUAL(2, opens);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{2}, c.reload_errors.load());
    CPPUNIT_ASSERT(s.retry().armed());
    // A domain_reload that installs a list first ends the retry without another load.
    CPPUNIT_ASSERT(s.install({"example.com"}).isOk());
    s.retryTick(s.retry().dueMs());
    CPPUNIT_ASSERT(!s.retry().armed());
    CPPUNIT_ASSERT_EQUAL(2, opens);
    CPPUNIT_ASSERT(s.isLocal("example.com"));

    // Not "unreachable" (no driver, a bad URL): refused as before.
    Service other;
    other.config().db_url = "postgres://x@127.0.0.1/db";
    other.setConnectorForTest([]() -> Result<std::unique_ptr<db::Connection>> {
      return Status::notFound("no DB driver");
    });
    CPPUNIT_ASSERT_EQUAL(Code::kNotFound, other.init(seg_->manager()).code());
    CPPUNIT_ASSERT(!other.retry().armed());
  }

  void scriptChecksReadFromAndRequestUri() {
    CPPUNIT_ASSERT(service_.install({"example.com"}).isOk());
    Request local("sip:alice@Example.com", "EXAMPLE.com");
    CPPUNIT_ASSERT_EQUAL(int{kLocal}, isFromLocal(service_, *local.ctx));
    CPPUNIT_ASSERT_EQUAL(int{kLocal}, isUriHostLocal(service_, *local.ctx));
    Request foreign("sip:alice@example.net:5060", "example.org");
    CPPUNIT_ASSERT_EQUAL(int{kNotLocal}, isFromLocal(service_, *foreign.ctx));
    CPPUNIT_ASSERT_EQUAL(int{kNotLocal}, isUriHostLocal(service_, *foreign.ctx));
    // The rewritten request-URI counts.
    CPPUNIT_ASSERT(foreign.ctx->setRuri("sip:alice@example.com").isOk());
    CPPUNIT_ASSERT_EQUAL(int{kLocal}, isUriHostLocal(service_, *foreign.ctx));
    Request tel("tel:+4930123", "example.com");
    CPPUNIT_ASSERT_EQUAL(int{kNoHost}, isUriHostLocal(service_, *tel.ctx));
    CPPUNIT_ASSERT_EQUAL(int{kLocal}, isDomainLocal(service_, "EXAMPLE.COM"));
    CPPUNIT_ASSERT_EQUAL(int{kNotLocal}, isDomainLocal(service_, "example.net"));
    CPPUNIT_ASSERT_EQUAL(int{kNoHost}, isDomainLocal(service_, ""));
  }

  // A table row "::1" and a request-URI "[0:0::1]" are the same host (before, the row had to
  // be written exactly as the URI wrote it, brackets included).
  void numericHostsMatchInAnyWrittenForm() {
    CPPUNIT_ASSERT(service_.install({"::1", "192.0.2.10", "example.com"}).isOk());
    CPPUNIT_ASSERT(service_.isLocal("[::1]"));
    CPPUNIT_ASSERT(service_.isLocal("[0:0::1]"));
    CPPUNIT_ASSERT(service_.isLocal("::1"));
    CPPUNIT_ASSERT(service_.isLocal("192.0.2.10"));
    CPPUNIT_ASSERT(service_.isLocal("example.com."));
    CPPUNIT_ASSERT(!service_.isLocal("[::2]"));
    CPPUNIT_ASSERT(!service_.isLocal("192.0.2.1"));
    Request v6("sip:alice@[0:0::1]:5070", "[::1]");
    CPPUNIT_ASSERT_EQUAL(int{kLocal}, isUriHostLocal(service_, *v6.ctx));
    CPPUNIT_ASSERT_EQUAL(int{kLocal}, isFromLocal(service_, *v6.ctx));
    CPPUNIT_ASSERT_EQUAL(int{kLocal}, isDomainLocal(service_, "[::1]"));
  }

  // The snapshot's mutex is shared by every process: one that holds it must not stop the
  // others answering (a reader gives up after a few ms and keeps its copy; a reload fails),
  // and one killed holding it must not leave it locked for good.
  void snapshotLockHeldOrAbandonedByAnotherProcess() {
    CPPUNIT_ASSERT(service_.install({"a.example"}).isOk());
    CPPUNIT_ASSERT(service_.isLocal("a.example"));
    int fds[2];
    CPPUNIT_ASSERT(pipe(fds) == 0);
    pid_t pid = fork();
    CPPUNIT_ASSERT(pid >= 0);
    if (pid == 0) {
      DomainShm* shm = service_.shmForTest();
      shm->mutex.lock();
      shm->generation.fetch_add(1);  // as if it were publishing: readers must look
      char c = 1;
      if (write(fds[1], &c, 1) != 1) _exit(1);
      for (int i = 0; i < 600; ++i) sleep(1);  // killed long before
      _exit(0);
    }
    char c = 0;
    CPPUNIT_ASSERT(read(fds[0], &c, 1) == 1);
    close(fds[0]);
    close(fds[1]);
    std::int64_t t0 = monotonicMs();
    CPPUNIT_ASSERT(service_.isLocal("a.example"));  // the previous copy answers
    CPPUNIT_ASSERT(monotonicMs() - t0 < 500);
    Result<std::size_t> r = service_.install({"b.example"});
    CPPUNIT_ASSERT(!r.isOk());
    CPPUNIT_ASSERT_MESSAGE(r.status().message(),
                           r.status().message().find("locked") != std::string::npos);
    CPPUNIT_ASSERT(service_.isLocal("a.example"));
    kill(pid, SIGKILL);
    int wstatus = 0;
    CPPUNIT_ASSERT(waitpid(pid, &wstatus, 0) == pid);
    // The holder died: the next locker recovers the mutex and the table moves on.
    r = service_.install({"b.example"});
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.isOk());
    CPPUNIT_ASSERT(service_.isLocal("b.example"));
    CPPUNIT_ASSERT(!service_.isLocal("a.example"));
  }

 private:
  std::unique_ptr<shm::Segment> seg_;
  Service service_;
  BoundCounters counters_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(DomainTableTest);

class DomainPgTest : public pg::PgFixture {
  CPPUNIT_TEST_SUITE(DomainPgTest);
  CPPUNIT_TEST(shippedSchemaLoadsAndReloadSeesNewRows);
  CPPUNIT_TEST(reloadWithTheServerDownKeepsTheOldSnapshot);
  CPPUNIT_TEST(missingVersionRowRefusesTheStart);
  CPPUNIT_TEST(serverDownAtStartIsLoadedByTheRetryOnceUp);
  CPPUNIT_TEST_SUITE_END();

 public:
  // scripts/sql/domain.sql under a name of this test's own.
  std::string makeDomainTable(db::Connection& c) {
    std::string t = table("domain");
    createShippedTable(c, "domain", t);
    return t;
  }

  void prepare(Service& s, const std::string& t) {
    s.config().db_url = server_->url();
    s.config().domain_table = t;
    s.config().db_query_timeout_ms = 500;
    s.config().db_connect_timeout_ms = 500;
    counters_.bind(s.counters());
    seg_ = std::move(shm::Segment::create(1 << 20).value());
    // No driver registry in the unit runner: the connection is made here.
    db::Options o = fastOptions();
    o.query_timeout_ms = o.connect_timeout_ms = 500;
    s.setConnectorForTest([this, o]() -> Result<std::unique_ptr<db::Connection>> {
      return std::unique_ptr<db::Connection>(
          std::make_unique<pg::PgConnection>(mustParse(server_->url()), o, &stats_));
    });
  }

  void shippedSchemaLoadsAndReloadSeesNewRows() {
    SL_NEED_PG();
    db::Connection& c = open();
    std::string t = makeDomainTable(c);
    // A row that is no domain name is skipped (logged), the others load.
    mustExec(c, "INSERT INTO " + t +
                    " (domain) VALUES ('example.com'), ('Mixed.Example'), ('bad name!')");
    Service s;
    prepare(s, t);
    Status st = s.init(seg_->manager());
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
    CPPUNIT_ASSERT(s.isLocal("example.com"));
    CPPUNIT_ASSERT(s.isLocal("mixed.example"));
    CPPUNIT_ASSERT(!s.isLocal("new.example"));
    mustExec(c, "INSERT INTO " + t + " (domain) VALUES ('new.example')");
    Result<std::size_t> n = s.reload();
    CPPUNIT_ASSERT_MESSAGE(n.status().message(), n.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, n.value());
    CPPUNIT_ASSERT(s.isLocal("new.example"));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, counters_.reloads.load());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{3}, counters_.domains.load());
  }

  void reloadWithTheServerDownKeepsTheOldSnapshot() {
    SL_NEED_PG();
    db::Connection& c = open();
    std::string t = makeDomainTable(c);
    mustExec(c, "INSERT INTO " + t + " (domain) VALUES ('example.com')");
    conn_.reset();
    Service s;
    prepare(s, t);
    // The driver's real back-off (doubling from 500 ms), as in the server.
    db::Options o = fastOptions();
    o.query_timeout_ms = o.connect_timeout_ms = 500;
    o.reconnect_min_ms = 500;
    o.reconnect_max_ms = 30000;
    s.setConnectorForTest([this, o]() -> Result<std::unique_ptr<db::Connection>> {
      return std::unique_ptr<db::Connection>(
          std::make_unique<pg::PgConnection>(mustParse(server_->url()), o, &stats_));
    });
    CPPUNIT_ASSERT(s.init(seg_->manager()).isOk());
    down();
    Stopwatch w;
    for (int i = 0; i < 3; ++i) {
      if (i > 0) sleepMs(600 * i);  // past each back-off, so that it doubles
      Result<std::size_t> n = s.reload();
      CPPUNIT_ASSERT(!n.isOk());
    }
    CPPUNIT_ASSERT(w.ms() < 8000);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{3}, counters_.reload_errors.load());
    CPPUNIT_ASSERT(s.isLocal("example.com"));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, counters_.domains.load());
    up();
    // The first reload once the DB is back works: no back-off is left over from the outage
    // (before, the failed reloads' connection refused reloads for seconds afterwards).
    mustExec(open(), "INSERT INTO " + t + " (domain) VALUES ('new.example')");
    Result<std::size_t> n = s.reload();
    CPPUNIT_ASSERT_MESSAGE(n.status().message(), n.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, n.value());
    CPPUNIT_ASSERT(s.isLocal("new.example"));
  }

  void serverDownAtStartIsLoadedByTheRetryOnceUp() {
    SL_NEED_PG();
    db::Connection& c = open();
    std::string t = makeDomainTable(c);
    mustExec(c, "INSERT INTO " + t + " (domain) VALUES ('example.com')");
    conn_.reset();
    Service s;
    prepare(s, t);
    down();
    Status st = s.init(seg_->manager());
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
    CPPUNIT_ASSERT(!s.isLocal("example.com"));
    CPPUNIT_ASSERT(s.retry().armed());
    s.retryTick(s.retry().dueMs());  // still down
    CPPUNIT_ASSERT(s.retry().armed());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{2}, counters_.reload_errors.load());
    up();
    s.retryTick(s.retry().dueMs());
    CPPUNIT_ASSERT(!s.retry().armed());
    CPPUNIT_ASSERT(s.isLocal("example.com"));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, counters_.reloads.load());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, counters_.domains.load());
  }

  void missingVersionRowRefusesTheStart() {
    SL_NEED_PG();
    db::Connection& c = open();
    std::string t = makeDomainTable(c);
    mustExec(c, "DELETE FROM version WHERE table_name = '" + t + "'");
    Service s;
    prepare(s, t);
    Status st = s.init(seg_->manager());
    CPPUNIT_ASSERT(!st.isOk());
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.message().find(t) != std::string::npos);
  }

 private:
  std::unique_ptr<shm::Segment> seg_;
  BoundCounters counters_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(DomainPgTest);

}  // namespace sipline::domain
