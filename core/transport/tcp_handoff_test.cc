#include "core/transport/tcp_handoff.h"

#include <cppunit/extensions/HelperMacros.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sipline {

class HandoffTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(HandoffTest);
  CPPUNIT_TEST(messagesArriveWholeAndInOrder);
  CPPUNIT_TEST(aDescriptorTravelsWithItsMessage);
  CPPUNIT_TEST(aFullChannelRefusesInsteadOfBlocking);
  CPPUNIT_TEST(garbageIsDiscarded);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override { CPPUNIT_ASSERT(channels_.create(2, 65535).isOk()); }

  void messagesArriveWholeAndInOrder() {
    HandoffHeader h;
    h.conn_id = 42;
    std::string big(60000, 'x');
    CPPUNIT_ASSERT(channels_.send(1, h, "", "first"));
    CPPUNIT_ASSERT(channels_.send(1, h, "gw.example.com", big));
    HandoffMessage m;
    std::string scratch;
    CPPUNIT_ASSERT(HandoffChannels::receive(channels_.receiveFd(1), m, scratch));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(42), m.header.conn_id);
    CPPUNIT_ASSERT_EQUAL(std::string("first"), m.payload);
    CPPUNIT_ASSERT_EQUAL(-1, m.fd);
    CPPUNIT_ASSERT(HandoffChannels::receive(channels_.receiveFd(1), m, scratch));
    CPPUNIT_ASSERT_EQUAL(std::string("gw.example.com"), m.host);
    CPPUNIT_ASSERT(m.payload == big);
    CPPUNIT_ASSERT(!HandoffChannels::receive(channels_.receiveFd(1), m, scratch));  // empty
    CPPUNIT_ASSERT(!HandoffChannels::receive(channels_.receiveFd(0), m, scratch));  // other one
    CPPUNIT_ASSERT(!channels_.send(2, h, "", "no such worker"));
  }

  void aDescriptorTravelsWithItsMessage() {
    int sv[2];
    CPPUNIT_ASSERT_EQUAL(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    HandoffHeader h;
    h.kind = HandoffKind::kAdopt;
    h.listener = 3;
    SockAddr peer;
    CPPUNIT_ASSERT(SockAddr::fromNumeric("127.0.0.1", 5070, peer));
    h.peer = PackedAddr::of(peer);
    CPPUNIT_ASSERT(channels_.send(0, h, "", "INVITE", sv[0]));
    ::close(sv[0]);
    HandoffMessage m;
    std::string scratch;
    CPPUNIT_ASSERT(HandoffChannels::receive(channels_.receiveFd(0), m, scratch));
    CPPUNIT_ASSERT(m.header.kind == HandoffKind::kAdopt);
    CPPUNIT_ASSERT_EQUAL(std::int16_t(3), m.header.listener);
    CPPUNIT_ASSERT(m.header.peer.unpack() == peer);
    CPPUNIT_ASSERT(m.fd >= 0);
    CPPUNIT_ASSERT_EQUAL(ssize_t(2), ::write(m.fd, "hi", 2));  // the same socket
    char buf[2];
    CPPUNIT_ASSERT_EQUAL(ssize_t(2), ::read(sv[1], buf, 2));
    ::close(m.fd);
    ::close(sv[1]);
  }

  void aFullChannelRefusesInsteadOfBlocking() {
    HandoffHeader h;
    std::string chunk(60000, 'y');
    int sent = 0;
    while (sent < 100000 && channels_.send(0, h, "", chunk)) ++sent;
    CPPUNIT_ASSERT(sent < 100000);  // it filled up and said so
    CPPUNIT_ASSERT(sent > 0);
  }

  void garbageIsDiscarded() {
    // A datagram that is not a hand-off (wrong magic) is dropped, not taken for one.
    HandoffHeader h;
    h.magic = 7;
    CPPUNIT_ASSERT(channels_.send(1, h, "", "x"));
    HandoffMessage m;
    std::string scratch;
    CPPUNIT_ASSERT(HandoffChannels::receive(channels_.receiveFd(1), m, scratch));
    CPPUNIT_ASSERT(m.header.magic != HandoffHeader::kMagic);
  }

 private:
  HandoffChannels channels_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(HandoffTest);

}  // namespace sipline
