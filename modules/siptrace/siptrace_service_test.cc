#include <arpa/inet.h>
#include <cppunit/extensions/HelperMacros.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <list>
#include <string>
#include <vector>

#include "core/base/clock.h"
#include "core/trace/hep.h"
#include "modules/siptrace/siptrace.h"
#include "modules/siptrace/siptrace_test_util.h"

namespace sipline::siptrace {

class SiptraceServiceTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SiptraceServiceTest);
  CPPUNIT_TEST(nothingTracedQueuesNothing);
  CPPUNIT_TEST(sipTraceFollowsTheWholeCall);
  CPPUNIT_TEST(sipTraceOfATracedCallQueuesNoDuplicate);
  CPPUNIT_TEST(switchedOffTracesNothing);
  CPPUNIT_TEST(tracedUserPullsInTheCall);
  CPPUNIT_TEST(longTraceAttrsAreTheSameInEveryRow);
  CPPUNIT_TEST(fullQueueDropsAndCounts);
  CPPUNIT_TEST(lockNotHadOnTheCallSetCountsADrop);
  CPPUNIT_TEST(writerInsertsRowsInOrderAndSendsHep);
  CPPUNIT_TEST(writerDropsWhileTheDbIsDownAndResumes);
  CPPUNIT_TEST(writerWritesInCaptureTimeOrder);
  CPPUNIT_TEST(writerPlacesAMessageFarBackInOrder);
  CPPUNIT_TEST(writerWritesALateMessageAtOnce);
  CPPUNIT_TEST(writerReusesBuffersAcrossRounds);
  CPPUNIT_TEST(writerKeepsRowsLongerThanExpected);
  CPPUNIT_TEST(hepOnlyWriterSendsInCaptureOrder);
  CPPUNIT_TEST(writerNapFollowsTheRate);
  CPPUNIT_TEST(configurationErrors);
  CPPUNIT_TEST(copySqlNamesEveryColumn);
  CPPUNIT_TEST_SUITE_END();

  static constexpr std::size_t kMem = 4 << 20;

 public:
  void setUp() override {
    mem_ = mmap(nullptr, kMem, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CPPUNIT_ASSERT(mem_ != MAP_FAILED);
    testing::bindCounters(svc_.counters(), slots_);
    svc_.config().db_url = "postgres://u@127.0.0.1/x";
    svc_.config().queue_size = 64;
    ua_ = addr("127.0.0.1", 5070);
    proxy_ = addr("127.0.0.1", 5060);
    uas_ = addr("127.0.0.1", 5080);
  }
  void tearDown() override { munmap(mem_, kMem); }

  static SockAddr addr(const char* ip, std::uint16_t port) {
    SockAddr a;
    SockAddr::fromNumeric(ip, port, a);
    return a;
  }

  void init() {
    CPPUNIT_ASSERT(Service::memoryFor(svc_.config()) <= kMem);
    Status st = svc_.initForTest(mem_);
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
  }

  void capture(std::string_view msg, bool outgoing, const SockAddr& src, const SockAddr& dst) {
    trace::Captured c;
    c.time_us = unixNowUs();
    c.outgoing = outgoing;
    c.src = &src;
    c.dst = &dst;
    c.message = msg;
    c.call_id = trace::scanCallId(msg);
    svc_.onCaptured(c);
  }

  // A writer whose DB is `db` (the fake records every statement); HEP when hep is given.
  Writer dbWriter(testing::FakeTraceDb& db, WriterOptions o = {},
                  std::unique_ptr<HepSender> hep = nullptr) {
    return Writer(
        *svc_.queue(), *svc_.calls(), svc_.counters(), std::move(o),
        [&db]() {
          return Result<std::unique_ptr<db::Connection>>(
              std::make_unique<testing::FakeTraceConnection>(&db));
        },
        std::move(hep));
  }

  // The msg column of every row the fake DB took, in order.
  static std::vector<std::string> writtenMessages(const testing::FakeTraceDb& db) {
    std::vector<std::string> out;
    for (const auto& statement : db.params) {
      for (std::size_t i = 4; i < statement.size(); i += 15) {
        out.push_back(std::get<std::string>(statement[i]));
      }
    }
    return out;
  }

  std::vector<Item> drain() {
    std::vector<std::string> entries;
    svc_.queue()->pop(1000, 1 << 30, entries);
    std::vector<Item> out;
    for (const std::string& e : entries) out.push_back(decodeItem(e).value());
    return out;
  }

  // A received message as sip_trace() hands it over (the text is kept by the fixture).
  trace::Captured received(const std::string& msg) {
    texts_.push_back(msg);
    trace::Captured r;
    r.time_us = unixNowUs();
    r.src = &ua_;
    r.dst = &proxy_;
    r.message = texts_.back();
    return r;
  }

  void nothingTracedQueuesNothing() {
    init();
    capture(testing::invite("c1"), false, ua_, proxy_);
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, svc_.queue()->size().value());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, svc_.counters().traced.get());
  }

  void sipTraceFollowsTheWholeCall() {
    init();
    std::string inv = testing::invite("call-1");
    capture(inv, false, ua_, proxy_);  // before the script: not traced yet
    trace::Captured r = received(inv);
    CPPUNIT_ASSERT_EQUAL(1, svc_.traceCall("call-1", "", &r));
    capture(inv, true, proxy_, uas_);
    capture(testing::reply("call-1", "200 OK"), false, uas_, proxy_);
    capture(testing::reply("call-1", "200 OK"), true, proxy_, ua_);
    capture(testing::invite("other"), false, ua_, proxy_);
    std::vector<Item> items = drain();
    CPPUNIT_ASSERT_EQUAL(std::size_t{4}, items.size());
    CPPUNIT_ASSERT(!items[0].record.outgoing && items[1].record.outgoing);
    CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1:5080"), items[1].record.dst.toString());
    CPPUNIT_ASSERT_EQUAL(std::string("call-1"), items[2].call_id);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{4}, svc_.counters().traced.get());
  }

  // A message of a traced call whose bucket lock is held (a stuck process) is lost: counted.
  void lockNotHadOnTheCallSetCountsADrop() {
    svc_.config().max_traced_calls = 8;  // one bucket
    init();
    CPPUNIT_ASSERT_EQUAL(1, svc_.traceCall("call-l", "", nullptr));
    // The bucket's mutex is its first member, after the 64-byte aligned table header.
    auto* m = reinterpret_cast<shm::RobustMutex*>(reinterpret_cast<char*>(svc_.calls()) +
                                                  ((sizeof(TracedCalls) + 63) & ~std::size_t{63}));
    int fds[2];
    CPPUNIT_ASSERT_EQUAL(0, pipe(fds));
    pid_t pid = fork();
    if (pid == 0) {
      m->lock();
      char c = 'x';
      if (write(fds[1], &c, 1) != 1) _exit(1);
      for (int i = 0; i < 100; ++i) usleep(100000);  // killed long before
      _exit(0);
    }
    char c = 0;
    CPPUNIT_ASSERT_EQUAL(ssize_t{1}, read(fds[0], &c, 1));
    capture(testing::invite("call-l"), false, ua_, proxy_);
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    close(fds[0]);
    close(fds[1]);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, svc_.counters().dropped.get());
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, drain().size());
    capture(testing::invite("call-l"), false, ua_, proxy_);  // the lock is free again
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, drain().size());
  }

  void sipTraceOfATracedCallQueuesNoDuplicate() {
    init();
    trace::Captured r = received(testing::invite("call-2"));
    CPPUNIT_ASSERT_EQUAL(1, svc_.traceCall("call-2", "x", &r));
    // A re-INVITE: the sink queues it as it arrives; sip_trace() again adds nothing.
    capture(r.message, false, ua_, proxy_);
    CPPUNIT_ASSERT_EQUAL(1, svc_.traceCall("call-2", "", &r));
    std::vector<Item> items = drain();
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, items.size());
    CPPUNIT_ASSERT_EQUAL(std::string("x"), items[1].trace_attrs);
    CPPUNIT_ASSERT_EQUAL(-1, svc_.traceCall("", "", &r));
  }

  void switchedOffTracesNothing() {
    init();
    trace::Captured r = received(testing::invite("call-3"));
    CPPUNIT_ASSERT_EQUAL(1, svc_.traceCall("call-3", "", &r));
    Result<Json> j = svc_.miSipTrace(MiParams(Json{{"mode", "off"}}));
    CPPUNIT_ASSERT(j.isOk() && !j.value()["enabled"].get<bool>());
    capture(r.message, true, proxy_, uas_);
    CPPUNIT_ASSERT_EQUAL(-1, svc_.traceCall("call-4", "", &r));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, drain().size());
    CPPUNIT_ASSERT(!svc_.miSipTrace(MiParams(Json{{"mode", "maybe"}})).isOk());
    j = svc_.miSipTrace(MiParams(Json{{"mode", "on"}}));
    CPPUNIT_ASSERT(j.value()["enabled"].get<bool>());
    CPPUNIT_ASSERT_EQUAL(1u, j.value()["traced_calls"].get<unsigned>());
    capture(r.message, true, proxy_, uas_);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, drain().size());
    svc_.config().enabled = false;  // the start state
    init();
    CPPUNIT_ASSERT(!svc_.enabled());
  }

  void tracedUserPullsInTheCall() {
    init();
    Result<Json> j =
        svc_.miTraceUser(MiParams(Json{{"action", "add"}, {"user", "bob@example.com"}}));
    CPPUNIT_ASSERT(j.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("bob@example.com"), j.value()["users"][0].get<std::string>());
    CPPUNIT_ASSERT(!svc_.miTraceUser(MiParams(Json{{"action", "add"}})).isOk());
    CPPUNIT_ASSERT(!svc_.miTraceUser(MiParams(Json{{"action", "zap"}, {"user", "x"}})).isOk());
    capture(testing::invite("call-5", "alice", "bob"), false, ua_, proxy_);
    capture(testing::invite("call-6", "alice", "carol"), false, ua_, proxy_);
    // A later message of the call is traced by its Call-ID even without the user in it.
    capture("ACK sip:x SIP/2.0\r\nCall-ID: call-5\r\n\r\n", false, ua_, proxy_);
    std::vector<Item> items = drain();
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, items.size());
    CPPUNIT_ASSERT_EQUAL(std::string("bob@example.com"), items[0].trace_attrs);
    CPPUNIT_ASSERT_EQUAL(std::string("bob@example.com"), items[1].trace_attrs);
    j = svc_.miTraceUser(MiParams(Json{{"action", "remove"}, {"user", "bob@example.com"}}));
    CPPUNIT_ASSERT(j.isOk() && j.value()["users"].empty());
    CPPUNIT_ASSERT(svc_.miTraceUser(MiParams(Json{{"action", "list"}})).isOk());
  }

  // Values longer than the copy kept with the call: the first row carries what the later rows
  // carry, cut to kMaxAttrs bytes without splitting a UTF-8 character.
  void longTraceAttrsAreTheSameInEveryRow() {
    init();
    const std::string attrs = std::string(kMaxAttrs - 1, 'a') + "\xc3\xa9tude";  // é at the limit
    trace::Captured r = received(testing::invite("call-a"));
    CPPUNIT_ASSERT_EQUAL(1, svc_.traceCall("call-a", attrs, &r));
    capture(testing::reply("call-a", "200 OK"), true, proxy_, ua_);
    const std::string user(60, 'b');  // user@example.com: 72 bytes
    CPPUNIT_ASSERT(
        svc_.miTraceUser(MiParams(Json{{"action", "add"}, {"user", user + "@example.com"}}))
            .isOk());
    capture(testing::invite("call-u", "alice", user), false, ua_, proxy_);
    capture(testing::reply("call-u", "200 OK"), false, uas_, proxy_);
    std::vector<Item> items = drain();
    CPPUNIT_ASSERT_EQUAL(std::size_t{4}, items.size());
    CPPUNIT_ASSERT_EQUAL(std::string(kMaxAttrs - 1, 'a'), items[0].trace_attrs);
    CPPUNIT_ASSERT_EQUAL(items[0].trace_attrs, items[1].trace_attrs);
    CPPUNIT_ASSERT_EQUAL(user + "@ex", items[2].trace_attrs);  // 63 of the 72 bytes
    CPPUNIT_ASSERT_EQUAL(items[2].trace_attrs, items[3].trace_attrs);
    CPPUNIT_ASSERT_EQUAL(std::string("ab"), std::string(clipAttrs("ab")));
    // A 3- or 4-byte character across the limit is left out whole; one that ends at it stays.
    CPPUNIT_ASSERT_EQUAL(std::size_t{61}, clipAttrs(std::string(61, 'x') + "\xe2\x82\xac!").size());
    CPPUNIT_ASSERT_EQUAL(std::size_t{60},
                         clipAttrs(std::string(60, 'x') + "\xf0\x9f\x98\x80!").size());
    CPPUNIT_ASSERT_EQUAL(std::size_t{63}, clipAttrs(std::string(60, 'x') + "\xe2\x82\xac!").size());
    // Not UTF-8 (a run of continuation bytes): cut at the limit.
    CPPUNIT_ASSERT_EQUAL(kMaxAttrs, clipAttrs(std::string(80, '\x80')).size());
  }

  void fullQueueDropsAndCounts() {
    svc_.config().queue_size = 16;  // 16 KB: about 40 messages
    init();
    trace::Captured r = received(testing::invite("call-7"));
    svc_.traceCall("call-7", "", &r);
    for (int i = 0; i < 100; ++i) capture(r.message, true, proxy_, uas_);
    CPPUNIT_ASSERT(svc_.counters().dropped.get() > 0);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{101},
                         svc_.counters().dropped.get() + svc_.counters().traced.get());
  }

  int udpSocket(std::uint16_t& port) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    return fd;
  }

  void writerInsertsRowsInOrderAndSendsHep() {
    std::uint16_t port = 0;
    int fd = udpSocket(port);
    svc_.config().hep_destination = "udp:127.0.0.1:" + std::to_string(port);
    svc_.config().hep_capture_id = 42;
    init();
    trace::Captured r = received(testing::invite("call-8"));
    svc_.traceCall("call-8", "", &r);
    capture(r.message, true, proxy_, uas_);
    capture(testing::reply("call-8", "180 Ringing"), false, uas_, proxy_);
    testing::FakeTraceDb db;
    WriterOptions o;
    o.hep_capture_id = 42;
    Writer w = dbWriter(
        db, o,
        std::make_unique<HepSender>(parseHepDestination(svc_.config().hep_destination).value()));
    std::int64_t now = monotonicMs();
    CPPUNIT_ASSERT(w.step(now));
    CPPUNIT_ASSERT(db.statements.empty());  // held for the reorder window
    CPPUNIT_ASSERT(w.step(now + Writer::kReorderMs));
    CPPUNIT_ASSERT(!w.step(now + Writer::kReorderMs));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, db.statements.size());
    CPPUNIT_ASSERT_EQUAL(std::size_t{45}, db.params[0].size());
    CPPUNIT_ASSERT_EQUAL(std::string("INVITE"), std::get<std::string>(db.params[0][5]));
    CPPUNIT_ASSERT_EQUAL(std::string("in"), std::get<std::string>(db.params[0][14]));
    CPPUNIT_ASSERT_EQUAL(std::string("out"), std::get<std::string>(db.params[0][15 + 14]));
    CPPUNIT_ASSERT_EQUAL(std::string("180 Ringing"), std::get<std::string>(db.params[0][30 + 6]));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{5080}, std::get<std::int64_t>(db.params[0][30 + 9]));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{3}, svc_.counters().written.get());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{3}, svc_.counters().hep_sent.get());
    std::vector<std::string> packets;
    for (int i = 0; i < 3; ++i) {
      pollfd p{fd, POLLIN, 0};
      CPPUNIT_ASSERT(poll(&p, 1, 1000) == 1);
      char buf[65536];
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      packets.emplace_back(buf, static_cast<std::size_t>(n));
    }
    close(fd);
    Result<trace::HepPacket> p = trace::decodeHep(packets[1]);
    CPPUNIT_ASSERT(p.isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint32_t{42}, p.value().capture_id);
    CPPUNIT_ASSERT_EQUAL(std::string("call-8"), p.value().correlation_id);
    CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1:5080"), p.value().record.dst.toString());
    CPPUNIT_ASSERT_EQUAL(std::string(r.message), p.value().record.message);
  }

  void writerDropsWhileTheDbIsDownAndResumes() {
    init();
    trace::Captured r = received(testing::invite("call-9"));
    svc_.traceCall("call-9", "", &r);
    testing::FakeTraceDb db;
    db.down = true;
    Writer w = dbWriter(db);
    CPPUNIT_ASSERT(w.step(monotonicMs(), true));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, svc_.counters().dropped.get());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, svc_.counters().db_errors.get());
    db.down = false;
    capture(r.message, true, proxy_, uas_);
    CPPUNIT_ASSERT(w.step(monotonicMs(), true));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, svc_.counters().written.get());
  }

  // A producer that queued late (preempted after sending) does not put its message after
  // the reply that answered it: rows follow the capture time.
  void writerWritesInCaptureTimeOrder() {
    init();
    testing::FakeTraceDb db;
    Writer w = dbWriter(db);
    std::int64_t now = monotonicMs();
    for (std::int64_t t : {300, 100, 200}) {
      Item item;
      item.record.time_us = 1700000000000000 + t;
      item.record.message = "MESSAGE sip:x SIP/2.0\r\nCall-ID: c\r\n\r\n";
      item.call_id = "c" + std::to_string(t);
      std::string e = encodeItem(item);
      CPPUNIT_ASSERT(svc_.queue()->push({e}));
      w.step(now);
      now += 50;
    }
    Item late;
    late.record.time_us = 1700000000000000 + 150;
    late.record.message = "MESSAGE sip:x SIP/2.0\r\n\r\n";
    late.call_id = "c150";
    CPPUNIT_ASSERT(svc_.queue()->push({encodeItem(late)}));
    w.step(now);
    CPPUNIT_ASSERT(db.statements.empty());
    w.step(now + Writer::kReorderMs);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, db.statements.size());
    std::vector<std::string> ids;
    for (std::size_t i = 2; i < db.params[0].size(); i += 15) {
      ids.push_back(std::get<std::string>(db.params[0][i]));
    }
    CPPUNIT_ASSERT((ids == std::vector<std::string>{"c100", "c150", "c200", "c300"}));
  }

  // Queues a message captured t µs after a fixed time, with Call-ID "c<t>".
  void pushAt(std::int64_t t) {
    Item item;
    item.record.time_us = 1700000000000000 + t;
    item.record.message = "MESSAGE sip:x SIP/2.0\r\n\r\n";
    item.call_id = "c" + std::to_string(t);
    CPPUNIT_ASSERT(svc_.queue()->push({encodeItem(item)}));
  }

  // A message that belongs far before the newest held ones (further back than the writer
  // steps before it searches) and one that belongs first still come out in capture order.
  void writerPlacesAMessageFarBackInOrder() {
    init();
    testing::FakeTraceDb db;
    Writer w = dbWriter(db);
    const std::int64_t now = monotonicMs();
    for (std::int64_t t = 100; t < 160; t += 2) pushAt(t);  // 30 in order
    pushAt(111);                                            // 25 places back
    pushAt(99);                                             // before all
    pushAt(159);                                            // one back
    while (w.step(now)) {
    }
    w.step(now + Writer::kReorderMs);
    std::vector<std::int64_t> got;
    for (const auto& statement : db.params) {
      for (std::size_t i = 2; i < statement.size(); i += 15) {
        got.push_back(std::stoll(std::get<std::string>(statement[i]).substr(1)));
      }
    }
    CPPUNIT_ASSERT_EQUAL(std::size_t{33}, got.size());
    CPPUNIT_ASSERT(std::is_sorted(got.begin(), got.end()));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{99}, got.front());
  }

  // Many rounds through the reused buffers (slots, the rows' blocks): messages of changing
  // sizes come out whole and in order, and a damaged entry is dropped and counted without
  // costing its neighbours.
  void writerReusesBuffersAcrossRounds() {
    init();
    testing::FakeTraceDb db;
    WriterOptions o;
    o.batch = 7;  // small pops, many rounds; more due at once than a send chunk
    Writer w = dbWriter(db, o);
    std::int64_t now = monotonicMs();
    auto text = [](int t) {
      return "MESSAGE sip:x SIP/2.0\r\nX: " +
             std::string(static_cast<std::size_t>((t * 37) % 1500), 'a') + "\r\n\r\n";
    };
    std::vector<std::string> want;
    for (int t = 0; t < 600; ++t) want.push_back(text(t));
    for (int i = 0; i < 600; ++i) {
      const int t = i ^ 1;  // each pair queued the wrong way round: the writer reorders it
      Item item;
      item.record.time_us = 1700000000000000 + t;
      item.record.message = text(t);
      item.call_id = "c" + std::to_string(t);
      CPPUNIT_ASSERT(svc_.queue()->push({encodeItem(item)}));
      if (i == 300) {  // damaged: dropped at once, and its junk time orders nothing
        CPPUNIT_ASSERT(svc_.queue()->push({std::string(100, 'z')}));
      }
      if (i % 20 == 19) {
        // A reorder window per round: each round writes the last one's messages, so the
        // blocks of written rows are reused from round two on.
        while (svc_.queue()->size().value() > 0) w.step(now);
        now += Writer::kReorderMs;
      }
    }
    while (w.step(now + Writer::kReorderMs, true)) {
    }
    std::vector<std::string> got = writtenMessages(db);
    CPPUNIT_ASSERT_EQUAL(want.size(), got.size());
    CPPUNIT_ASSERT(want == got);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, svc_.counters().dropped.get());
  }

  // A row is made when its message is held, into a block sized by a guess; escapes make it
  // up to twice the message (replaced bad bytes three times). Rows far longer than guessed (a
  // message of tabs, newlines and backslashes) grow their block and still come out whole.
  void writerKeepsRowsLongerThanExpected() {
    svc_.config().queue_size = 1024;
    init();
    testing::FakeTraceDb db;
    Writer w = dbWriter(db);
    std::vector<std::string> want;
    for (int t = 0; t < 4; ++t) {
      std::string m = "MESSAGE sip:x SIP/2.0\r\nX: ";
      for (int i = 0; i < 70000 / 3; ++i) m += "\t\n\\";
      m += std::to_string(t) + "\r\n\r\n";
      want.push_back(m);
      Item item;
      item.record.time_us = 1700000000000000 + t;
      item.record.message = m;
      item.call_id = "long" + std::to_string(t);
      CPPUNIT_ASSERT(svc_.queue()->push({encodeItem(item)}));
    }
    std::int64_t now = monotonicMs();
    while (w.step(now + Writer::kReorderMs, true)) {
    }
    std::vector<std::string> got = writtenMessages(db);
    CPPUNIT_ASSERT_EQUAL(want.size(), got.size());
    CPPUNIT_ASSERT(want == got);
    // The slots they were popped into did not keep their buffers (a few small ones at most).
    CPPUNIT_ASSERT(w.keptSlotBytesForTest() < 64 * 1024);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{4}, svc_.counters().written.get());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, svc_.counters().dropped.get());
  }

  // A message captured before one already written cannot be put back in order: it is not
  // held for the window (the writer's due point is the newest capture time that waited).
  void writerWritesALateMessageAtOnce() {
    init();
    testing::FakeTraceDb db;
    Writer w = dbWriter(db);
    std::int64_t now = monotonicMs();
    pushAt(300);
    w.step(now);
    pushAt(400);
    w.step(now + 100);
    w.step(now + Writer::kReorderMs);  // 300 waited; 400 not yet
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, db.statements.size());
    CPPUNIT_ASSERT_EQUAL(std::size_t{15}, db.params[0].size());
    pushAt(100);  // late: 300 is written already
    w.step(now + Writer::kReorderMs + 10);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, db.statements.size());
    CPPUNIT_ASSERT_EQUAL(std::string("c100"), std::get<std::string>(db.params[1][2]));
    CPPUNIT_ASSERT_EQUAL(std::size_t{15}, db.params[1].size());  // 400 still held
    w.step(now + 100 + Writer::kReorderMs);
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, db.statements.size());
  }

  // HEP without a DB: packets are encoded when taken from the queue and sent in capture
  // order once due; a damaged entry is dropped and counted; buffers go round (more messages
  // than a block of packets holds, of sizes that vary).
  void hepOnlyWriterSendsInCaptureOrder() {
    std::uint16_t port = 0;
    int fd = udpSocket(port);
    int big = 1 << 22;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
    svc_.config().hep_destination = "udp:127.0.0.1:" + std::to_string(port);
    init();
    WriterOptions o;
    o.batch = 7;
    Writer w(
        *svc_.queue(), *svc_.calls(), svc_.counters(), o, {},
        std::make_unique<HepSender>(parseHepDestination(svc_.config().hep_destination).value()));
    std::int64_t now = monotonicMs();
    constexpr int kMessages = 700;
    for (int i = 0; i < kMessages; ++i) {
      const int t = i ^ 1;  // each pair queued the wrong way round
      Item item;
      item.record.time_us = 1700000000000000 + t;
      item.record.src = proxy_;
      item.record.dst = uas_;
      item.record.message = "MESSAGE sip:x SIP/2.0\r\nX: " +
                            std::string(static_cast<std::size_t>((t * 37) % 900), 'a') + "\r\n\r\n";
      item.call_id = "c" + std::to_string(t);
      CPPUNIT_ASSERT(svc_.queue()->push({encodeItem(item)}));
      if (i == 300) CPPUNIT_ASSERT(svc_.queue()->push({std::string(100, 'z')}));
      if (i % 20 == 19) {
        while (svc_.queue()->size().value() > 0) w.step(now);
        now += Writer::kReorderMs;
      }
    }
    while (w.step(now + Writer::kReorderMs, true)) {
    }
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{kMessages}, svc_.counters().hep_sent.get());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, svc_.counters().dropped.get());
    for (int t = 0; t < kMessages; ++t) {
      pollfd p{fd, POLLIN, 0};
      CPPUNIT_ASSERT(poll(&p, 1, 1000) == 1);
      char buf[65536];
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      Result<trace::HepPacket> pkt =
          trace::decodeHep(std::string_view(buf, static_cast<std::size_t>(n)));
      CPPUNIT_ASSERT(pkt.isOk());
      CPPUNIT_ASSERT_EQUAL("c" + std::to_string(t), pkt.value().correlation_id);
      CPPUNIT_ASSERT_EQUAL(std::int64_t{1700000000000000} + t, pkt.value().record.time_us);
      CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1:5080"), pkt.value().record.dst.toString());
      CPPUNIT_ASSERT_EQUAL((static_cast<std::size_t>(t) * 37) % 900 + 30,
                           pkt.value().record.message.size());
    }
    close(fd);
  }

  // The writer naps long while little comes in, and short enough that the queue is at most a
  // quarter full by its next round when much does.
  void writerNapFollowsTheRate() {
    constexpr std::size_t kQueue = 1 << 20;
    // Nothing came in: a short nap, since traffic that starts now has no rate to go by.
    CPPUNIT_ASSERT_EQUAL(Writer::kIdleNapMs, Writer::napMs(0, 10, kQueue));
    CPPUNIT_ASSERT_EQUAL(Writer::kMaxNapMs, Writer::napMs(1000, 10, kQueue));  // 100 B/ms
    // 6 KB/ms (a few hundred traced calls a second): a quarter of 1 MB in 43 ms.
    CPPUNIT_ASSERT_EQUAL(std::int64_t{43}, Writer::napMs(60000, 10, kQueue));
    // 100 KB/ms: 2.6 ms; faster still: the shortest nap.
    CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, Writer::napMs(1000000, 10, kQueue));
    CPPUNIT_ASSERT_EQUAL(Writer::kMinNapMs, Writer::napMs(50000000, 10, kQueue));
    // A bigger queue allows longer naps at the same rate; no time measured counts as 1 ms.
    CPPUNIT_ASSERT_EQUAL(std::int64_t{21}, Writer::napMs(60000, 10, kQueue / 2));
    CPPUNIT_ASSERT_EQUAL(Writer::kMinNapMs, Writer::napMs(200000, 0, kQueue));
  }

  void configurationErrors() {
    svc_.config().db_url = "";
    CPPUNIT_ASSERT(!svc_.initForTest(mem_).isOk());  // no destination
    svc_.config().hep_destination = "sctp:1.2.3.4:9";
    CPPUNIT_ASSERT(!svc_.initForTest(mem_).isOk());
    svc_.config().hep_destination = "udp:localhost:9060";
    CPPUNIT_ASSERT(!svc_.initForTest(mem_).isOk());
    svc_.config().hep_destination = "tcp:[::1]:9060";
    CPPUNIT_ASSERT(svc_.initForTest(mem_).isOk());
    svc_.config().table = "sip trace";
    CPPUNIT_ASSERT(!svc_.initForTest(mem_).isOk());
    CPPUNIT_ASSERT(!parseHepDestination("udp:127.0.0.1:0").isOk());
    CPPUNIT_ASSERT(!parseHepDestination("udp:127.0.0.1:99999").isOk());
    CPPUNIT_ASSERT(parseHepDestination("udp:127.0.0.1:9060").value().addr.port() == 9060);
  }

  void copySqlNamesEveryColumn() {
    CPPUNIT_ASSERT_EQUAL(
        std::string("COPY \"sip_trace\" (time_stamp, time_us, callid, trace_attrs, "
                    "msg, method, status, from_proto, from_ip, from_port, "
                    "to_proto, to_ip, to_port, fromtag, direction) FROM STDIN"),
        copySql("sip_trace"));
    // A reserved word as the table name works because the name is quoted.
    CPPUNIT_ASSERT(copySql("user").rfind("COPY \"user\" (", 0) == 0);
  }

 private:
  void* mem_ = nullptr;
  Service svc_;
  std::atomic<std::uint64_t> slots_[5];
  SockAddr ua_, proxy_, uas_;
  std::list<std::string> texts_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(SiptraceServiceTest);

}  // namespace sipline::siptrace
