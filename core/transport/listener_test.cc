#include "core/transport/listener.h"

#include <cppunit/extensions/HelperMacros.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sipline {
namespace {

// A UDP port that was free a moment ago.
std::uint16_t freePort() {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

SocketSpec spec(const std::string& text) {
  Result<SocketSpec> s = parseSocketSpec(text);
  CPPUNIT_ASSERT_MESSAGE(text + ": " + s.status().message(), s.isOk());
  return s.value();
}

}  // namespace

class ListenerTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ListenerTest);
  CPPUNIT_TEST(bindsLoopbackAndKnowsItself);
  CPPUNIT_TEST(wildcardNeedsAnAdvertisedAddress);
  CPPUNIT_TEST(wildcardMatchesInterfaceAddressesAndAdvertisesItsName);
  CPPUNIT_TEST(aliasesAreMyself);
  CPPUNIT_TEST(portInUseIsAClearError);
  CPPUNIT_TEST(streamSocketsListenAndAreChosenByTransport);
  CPPUNIT_TEST_SUITE_END();

 public:
  void bindsLoopbackAndKnowsItself() {
    Listeners set;
    std::uint16_t port = freePort();
    CPPUNIT_ASSERT(set.bindAll({spec("udp:127.0.0.1:" + std::to_string(port))}).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), set.all()[0].via_host);
    CPPUNIT_ASSERT(set.isMyself("127.0.0.1", port));
    CPPUNIT_ASSERT(set.isMyself("127.0.0.1", 0));
    CPPUNIT_ASSERT(!set.isMyself("127.0.0.1", static_cast<std::uint16_t>(port + 1)));
    CPPUNIT_ASSERT(!set.isMyself("127.0.0.2", port));
    CPPUNIT_ASSERT(!set.isMyself("example.com", 0));
    set.closeAll();
  }

  void streamSocketsListenAndAreChosenByTransport() {
    Listeners set;
    std::string port = std::to_string(freePort());
    CPPUNIT_ASSERT(set.bindAll({spec("udp:127.0.0.1:" + port), spec("tcp:127.0.0.1:" + port),
                                spec("tls:127.0.0.1:" + std::to_string(freePort()))})
                       .isOk());
    const Listener& udp = set.all()[0];
    const Listener& tcp = set.all()[1];
    const Listener& tls = set.all()[2];
    int type = 0;
    socklen_t len = sizeof(type);
    CPPUNIT_ASSERT_EQUAL(0, getsockopt(tcp.fd, SOL_SOCKET, SO_TYPE, &type, &len));
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(SOCK_STREAM), type);
    int listening = 0;
    len = sizeof(listening);
    CPPUNIT_ASSERT_EQUAL(0, getsockopt(tls.fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len));
    CPPUNIT_ASSERT_EQUAL(1, listening);
    SockAddr dst;
    CPPUNIT_ASSERT(SockAddr::fromNumeric("127.0.0.9", 5060, dst));
    CPPUNIT_ASSERT_EQUAL(&tcp, set.forDestination(dst, Proto::kTcp, &udp));
    CPPUNIT_ASSERT_EQUAL(&tls, set.forDestination(dst, Proto::kTls, &tcp));
    CPPUNIT_ASSERT_EQUAL(&udp, set.forDestination(dst, Proto::kUdp, nullptr));
    SockAddr v6;
    CPPUNIT_ASSERT(SockAddr::fromNumeric("::1", 5060, v6));
    CPPUNIT_ASSERT(set.forDestination(v6, Proto::kTcp, &tcp) == nullptr);  // no IPv6 socket
    CPPUNIT_ASSERT(set.has(Proto::kTls));
    set.closeAll();
  }

  void wildcardNeedsAnAdvertisedAddress() {
    Listeners set;
    std::string text = "udp:0.0.0.0:" + std::to_string(freePort());
    Status st = set.bindAll({spec(text)});
    CPPUNIT_ASSERT(!st.isOk());
    CPPUNIT_ASSERT_MESSAGE(st.message(),
                           st.message().find("needs an address to advertise") != std::string::npos);
  }

  void wildcardMatchesInterfaceAddressesAndAdvertisesItsName() {
    Listeners set;
    std::uint16_t port = freePort();
    Status st = set.bindAll({spec("udp:0.0.0.0:" + std::to_string(port) + " as sip.example.com")});
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("sip.example.com"), set.all()[0].via_host);
    CPPUNIT_ASSERT(set.isMyself("127.0.0.1", port));     // an interface address
    CPPUNIT_ASSERT(set.isMyself("SIP.example.com", 0));  // the advertised name
    CPPUNIT_ASSERT(!set.isMyself("192.0.2.99", port));
    set.closeAll();
  }

  void aliasesAreMyself() {
    Listeners set;
    std::uint16_t port = freePort();
    CPPUNIT_ASSERT(set.bindAll({spec("udp:127.0.0.1:" + std::to_string(port))}).isOk());
    set.setAliases({"example.com", "pbx.example.net:5080"});
    CPPUNIT_ASSERT(set.isMyself("Example.COM", 0));
    CPPUNIT_ASSERT(set.isMyself("example.com", 5060));
    CPPUNIT_ASSERT(set.isMyself("pbx.example.net", 5080));
    CPPUNIT_ASSERT(!set.isMyself("pbx.example.net", 5060));
    set.closeAll();
  }

  void portInUseIsAClearError() {
    Listeners first, second;
    std::string text = "udp:127.0.0.1:" + std::to_string(freePort());
    CPPUNIT_ASSERT(first.bindAll({spec(text)}).isOk());
    Status st = second.bindAll({spec(text)});
    CPPUNIT_ASSERT(!st.isOk());
    CPPUNIT_ASSERT_MESSAGE(st.message(),
                           st.message().find("cannot bind socket " + text) != std::string::npos);
    first.closeAll();
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(ListenerTest);

}  // namespace sipline
