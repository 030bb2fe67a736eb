#include "modules/siptrace/hep_sender.h"

#include <arpa/inet.h>
#include <cppunit/extensions/HelperMacros.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/base/clock.h"
#include "core/trace/hep.h"
#include "modules/siptrace/siptrace_test_util.h"

namespace sipline::siptrace {

class SiptraceHepSenderTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SiptraceHepSenderTest);
  CPPUNIT_TEST(destinationsParse);
  CPPUNIT_TEST(tcpStreamCarriesWholePacketsAndReconnects);
  CPPUNIT_TEST(tcpCollectorDownDropsWithoutWaiting);
  CPPUNIT_TEST(tcpConnectInProgressBuffersWithoutWaiting);
  CPPUNIT_TEST(tcpSendManyBuffersWhatAFullSocketLeaves);
  CPPUNIT_TEST(tcpBrokenStreamLosesWhatWasBuffered);
  CPPUNIT_TEST(udpSendManyDeliversEveryDatagram);
  CPPUNIT_TEST(udpCollectorBackAfterRefusalLosesNothing);
  CPPUNIT_TEST_SUITE_END();

  static int listener(std::uint16_t& port, int backlog = 4) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    CPPUNIT_ASSERT_EQUAL(0, bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a));
    CPPUNIT_ASSERT_EQUAL(0, listen(fd, backlog));
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    return fd;
  }

  static std::string packet(const std::string& call_id, std::size_t body = 0) {
    trace::Record r;
    SockAddr::fromNumeric("127.0.0.1", 5060, r.src);
    SockAddr::fromNumeric("127.0.0.1", 5070, r.dst);
    r.time_us = 1700000000000000;
    r.message =
        "OPTIONS sip:x SIP/2.0\r\nCall-ID: " + call_id + "\r\n\r\n" + std::string(body, 'b');
    trace::HepOptions o;
    o.correlation_id = call_id;
    return trace::encodeHep(r, o);
  }

  // Reads whole HEP frames from a stream until `n` arrived (bounded by 2 s).
  static std::vector<std::string> frames(int fd, std::size_t n) {
    std::vector<std::string> out;
    std::string buf;
    std::int64_t until = monotonicMs() + 2000;
    while (out.size() < n && monotonicMs() < until) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 100) != 1) continue;
      char chunk[4096];
      ssize_t got = recv(fd, chunk, sizeof chunk, 0);
      if (got <= 0) break;
      buf.append(chunk, static_cast<std::size_t>(got));
      while (true) {
        Result<std::size_t> len = trace::hepFrameLength(buf);
        CPPUNIT_ASSERT(len.isOk());
        if (len.value() == 0 || buf.size() < len.value()) break;
        out.push_back(buf.substr(0, len.value()));
        buf.erase(0, len.value());
      }
    }
    return out;
  }

 public:
  void destinationsParse() {
    Result<HepDestination> d = parseHepDestination("tcp:[::1]:9061");
    CPPUNIT_ASSERT(d.isOk() && d.value().tcp && d.value().addr.isV6());
    CPPUNIT_ASSERT_EQUAL(std::uint16_t{9061}, d.value().addr.port());
    CPPUNIT_ASSERT(!parseHepDestination("udp:127.0.0.1").isOk());
    CPPUNIT_ASSERT(!parseHepDestination("udp:127.0.0.1:").isOk());
    CPPUNIT_ASSERT(!parseHepDestination("udp:127.0.0.1:9x").isOk());
    CPPUNIT_ASSERT(!parseHepDestination("127.0.0.1:9060").isOk());
  }

  void tcpStreamCarriesWholePacketsAndReconnects() {
    std::uint16_t port = 0;
    int lfd = listener(port);
    HepSender s(parseHepDestination("tcp:127.0.0.1:" + std::to_string(port)).value());
    std::int64_t now = monotonicMs();
    CPPUNIT_ASSERT(s.send(packet("a"), now));
    int conn = accept(lfd, nullptr, nullptr);
    CPPUNIT_ASSERT(conn >= 0);
    CPPUNIT_ASSERT(s.send(packet("b"), now));
    std::vector<std::string> got = frames(conn, 2);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, got.size());
    CPPUNIT_ASSERT_EQUAL(std::string("b"), trace::decodeHep(got[1]).value().correlation_id);
    // The collector goes away: the sender notices, backs off, then connects again.
    close(conn);
    close(lfd);
    bool failed = false;
    for (int i = 0; i < 50 && !failed; ++i) {
      failed = !s.send(packet("lost"), now);
      usleep(2000);
    }
    CPPUNIT_ASSERT(failed);
    lfd = listener(port);
    bool sent = false;
    for (int i = 0; i < 100 && !sent; ++i) {
      now += 200;  // past the back-off
      sent = s.send(packet("c"), now) && s.connected();
    }
    CPPUNIT_ASSERT(sent);
    conn = accept(lfd, nullptr, nullptr);
    got = frames(conn, 1);
    CPPUNIT_ASSERT(!got.empty());
    CPPUNIT_ASSERT_EQUAL(std::string("c"), trace::decodeHep(got.back()).value().correlation_id);
    close(conn);
    close(lfd);
  }

  void tcpCollectorDownDropsWithoutWaiting() {
    std::uint16_t port = 0;
    int lfd = listener(port);
    close(lfd);  // nobody listens there now
    HepSender s(parseHepDestination("tcp:127.0.0.1:" + std::to_string(port)).value());
    std::int64_t t0 = monotonicMs();
    // The first may wait in the buffer while the refused connect is in flight.
    int dropped = 0;
    for (int i = 0; i < 100; ++i) dropped += s.send(packet("x"), t0) ? 0 : 1;
    CPPUNIT_ASSERT(dropped >= 99);
    CPPUNIT_ASSERT(monotonicMs() - t0 < 500);
  }

  // A collector that does not answer the handshake (its accept queue is full, so the SYNs
  // are dropped): sends are buffered at once, and the connect fails after its deadline even
  // though the caller's clock stands still.
  void tcpConnectInProgressBuffersWithoutWaiting() {
    std::uint16_t port = 0;
    int lfd = listener(port, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    std::vector<int> fillers;
    for (int i = 0; i < 4; ++i) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
      fillers.push_back(fd);
    }
    usleep(20000);
    HepSender s(parseHepDestination("tcp:127.0.0.1:" + std::to_string(port)).value());
    const std::int64_t now = monotonicMs();
    const std::string p = packet("q");
    for (int i = 0; i < 100; ++i) CPPUNIT_ASSERT(s.send(p, now));
    CPPUNIT_ASSERT(monotonicMs() - now < 200);
    CPPUNIT_ASSERT(!s.connected());
    CPPUNIT_ASSERT_EQUAL(100 * p.size(), s.pending());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, s.sent());  // buffered is not sent
    usleep(static_cast<useconds_t>(HepSender::kConnectTimeoutMs + 100) * 1000);
    s.flush(now);  // the same batch clock: the deadline still fires
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, s.pending());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, s.sent());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{100}, s.lost());
    CPPUNIT_ASSERT(!s.send(p, now));  // in the back-off now
    for (int fd : fillers) close(fd);
    close(lfd);
  }

  // A collector that does not read: the batch goes straight to the socket until it is full,
  // the packet it cuts is finished from the buffer, then the buffer takes the rest up to its
  // limit and drops the others. Once the collector reads, every packet handed over arrives
  // whole and in order, and nothing else does.
  void tcpSendManyBuffersWhatAFullSocketLeaves() {
    std::uint16_t port = 0;
    int lfd = listener(port);
    HepSender s(parseHepDestination("tcp:127.0.0.1:" + std::to_string(port)).value());
    std::int64_t now = monotonicMs();
    CPPUNIT_ASSERT(s.send(packet("first"), now));
    int conn = accept(lfd, nullptr, nullptr);
    CPPUNIT_ASSERT(conn >= 0);
    for (int i = 0; i < 100 && !s.connected(); ++i) {
      usleep(1000);
      s.flush(now);
    }
    CPPUNIT_ASSERT(s.connected());
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, s.pending());
    std::vector<std::string> packets;
    for (int i = 0; i < 400; ++i) packets.push_back(packet(std::to_string(i), 40000));
    std::vector<std::string_view> views(packets.begin(), packets.end());
    const std::size_t sent = s.sendMany(views.data(), views.size(), now);
    CPPUNIT_ASSERT(sent < views.size());  // 16 MB: more than the socket and the buffer take
    CPPUNIT_ASSERT(sent > 0);
    // The first went through the buffer (connecting); the batch's head went out directly,
    // and one was cut: the buffer holds its rest, then the next ones whole.
    CPPUNIT_ASSERT(s.writtenDirect() > 0);
    CPPUNIT_ASSERT(s.writtenDirect() < sent);
    CPPUNIT_ASSERT(s.pending() % packets[0].size() != 0);
    CPPUNIT_ASSERT(s.pending() > 0);
    CPPUNIT_ASSERT(s.pending() <= HepSender::kMaxPending + packets[0].size());
    // Sent: only those written whole (the cut one is not, yet).
    CPPUNIT_ASSERT_EQUAL(s.writtenDirect() + 1, s.sent());
    // The collector reads; the sender flushes what it buffered.
    std::string stream;
    const std::int64_t until = monotonicMs() + 5000;
    while (monotonicMs() < until) {
      s.flush(now);
      pollfd p{conn, POLLIN, 0};
      if (poll(&p, 1, 20) != 1) {
        if (s.pending() == 0) break;
        continue;
      }
      char chunk[65536];
      ssize_t got = recv(conn, chunk, sizeof chunk, 0);
      if (got <= 0) break;
      stream.append(chunk, static_cast<std::size_t>(got));
    }
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, s.pending());
    std::vector<std::string> ids;
    for (std::string_view rest = stream; !rest.empty();) {
      Result<std::size_t> len = trace::hepFrameLength(rest);
      CPPUNIT_ASSERT(len.isOk() && len.value() != 0 && len.value() <= rest.size());
      ids.push_back(trace::decodeHep(rest.substr(0, len.value())).value().correlation_id);
      rest.remove_prefix(len.value());
    }
    CPPUNIT_ASSERT_EQUAL(sent + 1, ids.size());
    CPPUNIT_ASSERT_EQUAL(std::string("first"), ids[0]);
    for (std::size_t i = 0; i < sent; ++i) CPPUNIT_ASSERT_EQUAL(std::to_string(i), ids[i + 1]);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{sent + 1}, s.sent());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, s.lost());
    close(conn);
    close(lfd);
  }

  // A collector that stops reading, then resets the stream: the packets still in the buffer
  // (and the one cut) are lost, not sent; each packet accepted is counted exactly once.
  void tcpBrokenStreamLosesWhatWasBuffered() {
    std::uint16_t port = 0;
    int lfd = listener(port);
    HepSender s(parseHepDestination("tcp:127.0.0.1:" + std::to_string(port)).value());
    std::int64_t now = monotonicMs();
    std::vector<std::string> packets;
    // 8 MB: more than the socket takes (about 4 MB on loopback), so the buffer holds some.
    for (int i = 0; i < 200; ++i) packets.push_back(packet(std::to_string(i), 40000));
    std::vector<std::string_view> views(packets.begin(), packets.end());
    std::size_t accepted = 0;
    for (std::size_t i = 0; i < views.size(); ++i) {
      accepted += s.sendMany(&views[i], 1, now);
      usleep(i == 0 ? 20000 : 0);  // the connect completes; the rest goes to the socket
      s.flush(now);
    }
    CPPUNIT_ASSERT(s.connected());
    CPPUNIT_ASSERT(s.pending() > 0);
    CPPUNIT_ASSERT(s.sent() < accepted);
    testing::acceptAndReset(lfd);
    for (int i = 0; i < 100 && s.pending() > 0; ++i) {
      usleep(1000);
      s.flush(now);
    }
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, s.pending());
    CPPUNIT_ASSERT(!s.connected());
    CPPUNIT_ASSERT(s.lost() > 0);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{accepted}, s.sent() + s.lost());
  }

  // A UDP socket bound to 127.0.0.1:port (0: any free port, written back to `a`).
  static int boundUdp(sockaddr_in& a, std::uint16_t port = 0) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int big = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    a = sockaddr_in{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    CPPUNIT_ASSERT_EQUAL(0, bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a));
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    return fd;
  }
  // The correlation id of the next HEP datagram on fd (waits up to a second for it).
  static std::string receiveCorrelation(int fd) {
    pollfd p{fd, POLLIN, 0};
    CPPUNIT_ASSERT_EQUAL(1, poll(&p, 1, 1000));
    char buf[2048];
    ssize_t got = recv(fd, buf, sizeof buf, 0);
    CPPUNIT_ASSERT(got > 0);
    Result<trace::HepPacket> d =
        trace::decodeHep(std::string_view(buf, static_cast<std::size_t>(got)));
    CPPUNIT_ASSERT(d.isOk());
    return d.value().correlation_id;
  }
  static HepSender udpSender(const sockaddr_in& a) {
    return HepSender(
        parseHepDestination("udp:127.0.0.1:" + std::to_string(ntohs(a.sin_port))).value());
  }

  void udpSendManyDeliversEveryDatagram() {
    sockaddr_in a{};
    int rfd = boundUdp(a);
    HepSender s = udpSender(a);
    std::vector<std::string> packets;
    for (int i = 0; i < 150; ++i) packets.push_back(packet("u" + std::to_string(i)));
    std::vector<std::string_view> views(packets.begin(), packets.end());
    CPPUNIT_ASSERT_EQUAL(std::size_t{150}, s.sendMany(views.data(), views.size(), monotonicMs()));
    for (int i = 0; i < 150; ++i) {
      CPPUNIT_ASSERT_EQUAL("u" + std::to_string(i), receiveCorrelation(rfd));
    }
    close(rfd);
  }

  // A collector that was down (the kernel holds its ICMP "port unreachable" as the socket's
  // pending error) and is back: the first packets after its return are not lost to that error.
  void udpCollectorBackAfterRefusalLosesNothing() {
    sockaddr_in a{};
    close(boundUdp(a));  // a free port, and the collector is down
    const std::uint16_t port = ntohs(a.sin_port);
    HepSender s = udpSender(a);
    std::string lost = packet("lost");
    s.send(lost, monotonicMs());  // refused: ICMP comes back
    usleep(20000);
    int rfd = boundUdp(a, port);  // the collector is back on the same port
    std::string one = packet("one");
    CPPUNIT_ASSERT(s.send(one, monotonicMs()));
    CPPUNIT_ASSERT_EQUAL(std::string("one"), receiveCorrelation(rfd));
    close(rfd);
    s.send(lost, monotonicMs());
    usleep(20000);  // refused again: the error is pending for sendMany
    rfd = boundUdp(a, port);
    std::vector<std::string> packets{packet("two"), packet("three")};
    std::vector<std::string_view> views(packets.begin(), packets.end());
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, s.sendMany(views.data(), views.size(), monotonicMs()));
    CPPUNIT_ASSERT_EQUAL(std::string("two"), receiveCorrelation(rfd));
    CPPUNIT_ASSERT_EQUAL(std::string("three"), receiveCorrelation(rfd));
    close(rfd);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SiptraceHepSenderTest);

}  // namespace sipline::siptrace
