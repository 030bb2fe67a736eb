// The writer's HEP counters over TCP: a packet counts in siptrace:hep_sent once it is written
// whole to the socket; those discarded from the sender's buffer (a connect given up, a stream
// broken) count in siptrace:dropped, HEP being the only destination.
#include <arpa/inet.h>
#include <cppunit/extensions/HelperMacros.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "core/base/clock.h"
#include "modules/siptrace/siptrace.h"
#include "modules/siptrace/siptrace_test_util.h"

namespace sipline::siptrace {

class SiptraceWriterHepTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SiptraceWriterHepTest);
  CPPUNIT_TEST(bufferedWhileConnectingIsNotSentAndLostWithTheConnect);
  CPPUNIT_TEST(bufferedWhenTheStreamBreaksIsLostNotSent);
  CPPUNIT_TEST_SUITE_END();

  static constexpr std::size_t kMem = 16 << 20;

 public:
  void setUp() override {
    mem_ = mmap(nullptr, kMem, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CPPUNIT_ASSERT(mem_ != MAP_FAILED);
    testing::bindCounters(svc_.counters(), slots_);
  }
  void tearDown() override { munmap(mem_, kMem); }

  // A listening socket on a free loopback port; `a` gets its address.
  static int listener(sockaddr_in& a, int backlog) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    a = sockaddr_in{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CPPUNIT_ASSERT_EQUAL(0, bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a));
    CPPUNIT_ASSERT_EQUAL(0, listen(fd, backlog));
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    return fd;
  }

  // A HEP-only writer to tcp:127.0.0.1:port, over a queue of `queue_kb`.
  Writer hepWriter(const sockaddr_in& a, std::int64_t queue_kb) {
    svc_.config().hep_destination = "tcp:127.0.0.1:" + std::to_string(ntohs(a.sin_port));
    svc_.config().queue_size = queue_kb;
    CPPUNIT_ASSERT(Service::memoryFor(svc_.config()) <= kMem);
    CPPUNIT_ASSERT(svc_.initForTest(mem_).isOk());
    return Writer(
        *svc_.queue(), *svc_.calls(), svc_.counters(), WriterOptions{}, {},
        std::make_unique<HepSender>(parseHepDestination(svc_.config().hep_destination).value()));
  }

  void push(int t, std::size_t body) {
    Item item;
    item.record.time_us = 1700000000000000 + t;
    item.record.message = "MESSAGE sip:x SIP/2.0\r\n\r\n" + std::string(body, 'b');
    item.call_id = "c" + std::to_string(t);
    CPPUNIT_ASSERT(svc_.queue()->push({encodeItem(item)}));
  }

  std::uint64_t sent() { return svc_.counters().hep_sent.get(); }
  std::uint64_t dropped() { return svc_.counters().dropped.get(); }

  // A collector whose accept queue is full never answers the handshake.
  void bufferedWhileConnectingIsNotSentAndLostWithTheConnect() {
    sockaddr_in a{};
    int lfd = listener(a, 0);
    std::vector<int> fillers;
    for (int i = 0; i < 4; ++i) {
      fillers.push_back(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
      connect(fillers.back(), reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
    usleep(20000);
    Writer w = hepWriter(a, 64);
    for (int t = 0; t < 5; ++t) push(t, 0);
    const std::int64_t now = monotonicMs();
    CPPUNIT_ASSERT(w.step(now, true));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, sent());  // buffered, waiting for the connect
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, dropped());
    usleep(static_cast<useconds_t>(HepSender::kConnectTimeoutMs + 100) * 1000);
    w.step(now + 1);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, sent());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{5}, dropped());
    for (int fd : fillers) close(fd);
    close(lfd);
  }

  // A collector that does not read, then resets the stream: what the socket took counts as
  // sent, what was still buffered as dropped; every message once.
  void bufferedWhenTheStreamBreaksIsLostNotSent() {
    sockaddr_in a{};
    int lfd = listener(a, 4);
    Writer w = hepWriter(a, 12 * 1024);
    constexpr int kMessages = 200;  // 8 MB: more than the socket takes (about 4 MB)
    std::int64_t now = monotonicMs();
    push(0, 0);
    w.step(now, true);  // connects
    for (int i = 0; i < 100 && sent() == 0; ++i) {
      usleep(1000);
      w.step(now);
    }
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, sent());
    for (int t = 1; t < kMessages; ++t) push(t, 40000);
    while (w.step(now, true)) {
    }
    // Some wait in the sender's buffer: neither sent nor dropped yet.
    CPPUNIT_ASSERT(sent() + dropped() < kMessages);
    testing::acceptAndReset(lfd);
    for (int i = 0; i < 100 && sent() + dropped() < kMessages; ++i) {
      usleep(1000);
      w.step(now);
    }
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{kMessages}, sent() + dropped());
    CPPUNIT_ASSERT(sent() > 1);
  }

 private:
  void* mem_ = nullptr;
  Service svc_;
  std::atomic<std::uint64_t> slots_[5];
};

CPPUNIT_TEST_SUITE_REGISTRATION(SiptraceWriterHepTest);

}  // namespace sipline::siptrace
