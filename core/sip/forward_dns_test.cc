// forward() and parseNextHop() with destinations that are names (RFC 3263 through
// core/dns/resolver.h). The resolver's own behaviour is tested in core/dns.
#include <cppunit/extensions/HelperMacros.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "core/base/clock.h"
#include "core/dns/resolver.h"
#include "core/sip/forward.h"
#include "test/udp_peer.h"

namespace sipline {
namespace {

const char kRequest[] =
    "MESSAGE sip:bob@example.test SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK78\r\n"
    "Max-Forwards: 10\r\n"
    "From: <sip:alice@example.com>;tag=a\r\n"
    "To: <sip:bob@example.test>\r\n"
    "Call-ID: fwd-dns-test\r\n"
    "CSeq: 1 MESSAGE\r\n"
    "Content-Length: 0\r\n\r\n";

}  // namespace

class ForwardDnsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ForwardDnsTest);
  CPPUNIT_TEST(nextHopRecordsWhatWasWritten);
  CPPUNIT_TEST(maddrIsTheTarget);
  CPPUNIT_TEST(badHostNamesAreRefusedWhenParsed);
  CPPUNIT_TEST(transportsAndSipsSetTheProtocolAndItsDefaultPort);
  CPPUNIT_TEST(nameWithoutResolverIsUnroutable);
  CPPUNIT_TEST(silentDnsServerMakesForwardFailInTime);
  CPPUNIT_TEST_SUITE_END();

 public:
  void tearDown() override { dns::resetForTest(); }

  void nextHopRecordsWhatWasWritten() {
    NextHop h = parseNextHop("sip:bob@Example.test").value();
    CPPUNIT_ASSERT_EQUAL(std::string("Example.test"), h.host);
    CPPUNIT_ASSERT(!h.port_set && !h.proto_set && !h.secure);
    CPPUNIT_ASSERT_EQUAL(std::uint16_t{5060}, h.port);
    h = parseNextHop("sip:example.test:5080;transport=UDP").value();
    CPPUNIT_ASSERT(h.port_set && h.proto_set);
    CPPUNIT_ASSERT_EQUAL(std::uint16_t{5080}, h.port);
    h = parseNextHop("udp:gw.example.test").value();
    CPPUNIT_ASSERT(h.proto_set && !h.port_set);
    h = parseNextHop("gw.example.test:5070").value();
    CPPUNIT_ASSERT(!h.proto_set && h.port_set);
    h = parseNextHop("gw.example.test").value();
    CPPUNIT_ASSERT(!h.proto_set && !h.port_set);
    h = parseNextHop("[2001:db8::1]:5062").value();
    CPPUNIT_ASSERT_EQUAL(std::string("[2001:db8::1]"), h.host);
    CPPUNIT_ASSERT(h.port_set);
  }

  void maddrIsTheTarget() {
    NextHop h = parseNextHop("sip:bob@example.test;maddr=192.0.2.33").value();
    CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.33"), h.host);
  }

  void badHostNamesAreRefusedWhenParsed() {
    Result<NextHop> h = parseNextHop("udp:exa_mple!.test:5060");
    CPPUNIT_ASSERT(!h.isOk());
    CPPUNIT_ASSERT_MESSAGE(h.status().message(),
                           h.status().message().find("invalid character") != std::string::npos);
    h = parseNextHop(std::string(70, 'a') + ".test");
    CPPUNIT_ASSERT(h.status().message().find("label longer than 63") != std::string::npos);
    CPPUNIT_ASSERT(!parseNextHop("udp:a..b").isOk());
    CPPUNIT_ASSERT(!parseNextHop(":5060").isOk());
    CPPUNIT_ASSERT(parseNextHop("sip:bob@example.test;transport=sctp").status().code() ==
                   Code::kUnsupported);
    CPPUNIT_ASSERT(!parseNextHop("sctp:example.test").isOk());
  }

  void transportsAndSipsSetTheProtocolAndItsDefaultPort() {
    Result<NextHop> h = parseNextHop("sips:bob@example.test");
    CPPUNIT_ASSERT(h.isOk());
    CPPUNIT_ASSERT(h.value().proto == Proto::kTls && h.value().secure);
    CPPUNIT_ASSERT_EQUAL(std::uint16_t(5061), h.value().port);
    CPPUNIT_ASSERT(!h.value().port_set && !h.value().proto_set);
    h = parseNextHop("sip:bob@example.test;transport=TCP");
    CPPUNIT_ASSERT(h.isOk() && h.value().proto == Proto::kTcp && h.value().proto_set);
    CPPUNIT_ASSERT_EQUAL(std::uint16_t(5060), h.value().port);
    h = parseNextHop("sip:10.0.0.1:5071;transport=tls");
    CPPUNIT_ASSERT(h.isOk() && h.value().proto == Proto::kTls && h.value().port == 5071);
    h = parseNextHop("tls:10.0.0.1");
    CPPUNIT_ASSERT(h.isOk() && h.value().proto == Proto::kTls && h.value().port == 5061);
    h = parseNextHop("tcp:[::1]:5070");
    CPPUNIT_ASSERT(h.isOk() && h.value().proto == Proto::kTcp && h.value().port == 5070);
    // sips: is TLS whatever transport= says (RFC 3261 §26.2).
    h = parseNextHop("sips:bob@10.0.0.1;transport=tcp");
    CPPUNIT_ASSERT(h.isOk() && h.value().proto == Proto::kTls);
  }

  void nameWithoutResolverIsUnroutable() {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(kRequest) == ParseError::kOk);
    ReceiveInfo rcv;
    MsgContext ctx(msg, rcv, kRequestRoute);
    CPPUNIT_ASSERT(forwardRequest(ctx, nullptr) == ForwardResult::kUnroutable);
    CPPUNIT_ASSERT(!ctx.relayed);
  }

  void silentDnsServerMakesForwardFailInTime() {
    testing::UdpPeer dns_server;  // never answers
    auto seg = std::move(shm::Segment::create(1 << 20).value());
    Settings s;
    s.sockets.push_back(parseSocketSpec("udp:127.0.0.1:5060").value());
    s.dns.servers = {"127.0.0.1:" + std::to_string(dns_server.port())};
    s.dns.timeout_ms = 150;
    CPPUNIT_ASSERT(dns::setUp(s, seg.get()).isOk());
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(kRequest) == ParseError::kOk);
    ReceiveInfo rcv;
    MsgContext ctx(msg, rcv, kRequestRoute);
    const std::int64_t start = monotonicMs();
    CPPUNIT_ASSERT(forwardRequest(ctx, nullptr) == ForwardResult::kUnroutable);
    const std::int64_t took = monotonicMs() - start;
    CPPUNIT_ASSERT_MESSAGE(std::to_string(took), took >= 140 && took < 300);
    CPPUNIT_ASSERT(!ctx.relayed);
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(ForwardDnsTest);

}  // namespace sipline
