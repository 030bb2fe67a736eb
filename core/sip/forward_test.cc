#include "core/sip/forward.h"

#include <cppunit/extensions/HelperMacros.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "core/transport/listener.h"
#include "test/udp_peer.h"

namespace sipline {
namespace {

std::uint16_t freePort() {
  testing::UdpPeer p;
  return p.port();
}

const char kRequest[] =
    "MESSAGE sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK77\r\n"
    "Max-Forwards: 10\r\n"
    "From: <sip:alice@example.com>;tag=a\r\n"
    "To: <sip:bob@example.com>\r\n"
    "Call-ID: fwd-test\r\n"
    "CSeq: 1 MESSAGE\r\n"
    "Content-Length: 0\r\n\r\n";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

class ForwardTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ForwardTest);
  CPPUNIT_TEST(forcedSocketAdvertisedAddressAndRport);
  CPPUNIT_TEST(forcedSocketOfAnotherFamilyIsUnroutable);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    std::vector<SocketSpec> specs;
    for (int i = 0; i < 2; ++i) {
      Result<SocketSpec> s = parseSocketSpec("udp:127.0.0.1:" + std::to_string(freePort()));
      CPPUNIT_ASSERT(s.isOk());
      specs.push_back(s.value());
    }
    Status st = sockets_.bindAll(specs);
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
  }
  void tearDown() override { sockets_.closeAll(); }

  void forcedSocketAdvertisedAddressAndRport() {
    testing::UdpPeer next;  // the next hop
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(kRequest) == ParseError::kOk);
    ReceiveInfo rcv;
    rcv.listener = &sockets_.all()[0];
    CPPUNIT_ASSERT(SockAddr::fromNumeric("10.0.0.1", 40001, rcv.src));
    MsgContext ctx(msg, rcv, kRequestRoute);
    const Listener& forced = sockets_.all()[1];
    ctx.send_socket = &forced;
    ctx.advertised_address = "sip.example.com";
    ctx.advertised_port = 5099;
    ctx.force_rport = true;
    ctx.branches.push_back(Branch{"sip:carol@example.com", "", "", -1, 0, nullptr});
    Result<NextHop> hop = parseNextHop("udp:127.0.0.1:" + std::to_string(next.port()));
    CPPUNIT_ASSERT(hop.isOk());
    CPPUNIT_ASSERT(forwardRequest(ctx, &hop.value()) == ForwardResult::kOk);
    std::uint16_t from = 0;
    std::string wire = next.receive(from);
    CPPUNIT_ASSERT_EQUAL(forced.port, from);  // sent from the forced socket, not the inbound one
    CPPUNIT_ASSERT_MESSAGE(wire, contains(wire, "Via: SIP/2.0/UDP sip.example.com:5099;branch="));
    CPPUNIT_ASSERT_MESSAGE(wire,
                           contains(wire,
                                    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK77;rport=40001;"
                                    "received=10.0.0.1\r\n"));
    // Branch 0 only: the appended branch is not sent statelessly.
    CPPUNIT_ASSERT(wire.rfind("MESSAGE sip:bob@example.com SIP/2.0\r\n", 0) == 0);
    CPPUNIT_ASSERT(next.receive(from).empty());
  }
  void forcedSocketOfAnotherFamilyIsUnroutable() {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(kRequest) == ParseError::kOk);
    ReceiveInfo rcv;
    MsgContext ctx(msg, rcv, kRequestRoute);
    ctx.send_socket = &sockets_.all()[1];
    Result<NextHop> hop = parseNextHop("udp:[::1]:5060");
    CPPUNIT_ASSERT(hop.isOk());
    CPPUNIT_ASSERT(forwardRequest(ctx, &hop.value()) == ForwardResult::kUnroutable);
    CPPUNIT_ASSERT(!ctx.relayed);
  }

 private:
  Listeners sockets_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(ForwardTest);

}  // namespace sipline
