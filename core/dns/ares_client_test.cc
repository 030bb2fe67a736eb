#include "core/dns/ares_client.h"

#include <arpa/inet.h>
#include <cppunit/extensions/HelperMacros.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "test/udp_peer.h"

namespace sipline::dns {
namespace {

// Header (id, flags, 1 question, `answers` answers) + question a.test SRV IN.
std::string replyHead(int answers) {
  std::string m("\x12\x34\x81\x80\x00\x01\x00", 7);
  m += static_cast<char>(answers);
  m += std::string("\x00\x00\x00\x00", 4);
  m += std::string(
      "\x01"
      "a\x04test\x00\x00\x21\x00\x01",
      12);
  return m;
}

// One answer record named by a pointer to the question name, with `rdata`.
std::string answer(std::uint32_t ttl, const std::string& rdata) {
  std::string r("\xc0\x0c\x00\x21\x00\x01", 6);
  for (int shift = 24; shift >= 0; shift -= 8) r += static_cast<char>((ttl >> shift) & 0xff);
  r += static_cast<char>(rdata.size() >> 8);
  r += static_cast<char>(rdata.size() & 0xff);
  return r + rdata;
}

bool ttlOf(const std::string& m, std::uint32_t& ttl) {
  return minAnswerTtl(reinterpret_cast<const unsigned char*>(m.data()), static_cast<int>(m.size()),
                      ttl);
}

}  // namespace

class AresClientTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(AresClientTest);
  CPPUNIT_TEST(silentServerTimesOutWithinTheDeadline);
  CPPUNIT_TEST(retransmitsWithinTheBudget);
  CPPUNIT_TEST(passedDeadlineReturnsAtOnce);
  CPPUNIT_TEST(badServerAddressIsAFailure);
  CPPUNIT_TEST(emptyBatchAsksNothing);
  CPPUNIT_TEST(perTryTimeoutSpreadsTheBudget);
  CPPUNIT_TEST(readsTheSmallestAnswerTtl);
  CPPUNIT_TEST(malformedRepliesHaveNoTtl);
  CPPUNIT_TEST_SUITE_END();

 public:
  void silentServerTimesOutWithinTheDeadline() {
    testing::UdpPeer server;  // a DNS server that is down but reachable
    AresClient client(AresOptions{{server.address()}, 300, 1});
    const std::int64_t start = monotonicMs();
    std::vector<DnsAnswer> got =
        client.query({{"example.test", RrType::kNaptr}, {"example.test", RrType::kA}}, start + 300);
    const std::int64_t took = monotonicMs() - start;
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, got.size());
    CPPUNIT_ASSERT(got[0].rcode == Rcode::kTimeout);
    CPPUNIT_ASSERT(got[1].rcode == Rcode::kTimeout);
    CPPUNIT_ASSERT_MESSAGE(std::to_string(took), took >= 290 && took < 450);
    CPPUNIT_ASSERT(server.drain() >= 2);  // the queries did go out
    // The channel is still usable for the next resolution.
    const std::int64_t again = monotonicMs();
    got = client.query({{"example.test", RrType::kSrv}}, again + 100);
    CPPUNIT_ASSERT(got[0].rcode == Rcode::kTimeout);
    CPPUNIT_ASSERT(monotonicMs() - again < 250);
  }

  void retransmitsWithinTheBudget() {
    testing::UdpPeer server;  // a DNS server that is down but reachable
    // 2 retries: tries of 85, 170 and 340 ms fit in 600 ms.
    AresClient client(AresOptions{{server.address()}, 600, 2});
    const std::int64_t start = monotonicMs();
    std::vector<DnsAnswer> got = client.query({{"example.test", RrType::kA}}, start + 600);
    CPPUNIT_ASSERT(got[0].rcode == Rcode::kTimeout);
    CPPUNIT_ASSERT(monotonicMs() - start < 750);
    CPPUNIT_ASSERT_EQUAL(3, server.drain());
  }

  void passedDeadlineReturnsAtOnce() {
    testing::UdpPeer server;  // a DNS server that is down but reachable
    AresClient client(AresOptions{{server.address()}, 1000, 1});
    const std::int64_t start = monotonicMs();
    std::vector<DnsAnswer> got = client.query({{"example.test", RrType::kA}}, start - 1);
    CPPUNIT_ASSERT(got[0].rcode == Rcode::kTimeout);
    CPPUNIT_ASSERT(monotonicMs() - start < 50);
  }

  void badServerAddressIsAFailure() {
    AresClient client(AresOptions{{"not an address"}, 200, 0});
    std::vector<DnsAnswer> got = client.query({{"example.test", RrType::kA}}, monotonicMs() + 200);
    CPPUNIT_ASSERT(got[0].rcode == Rcode::kFailure);
    CPPUNIT_ASSERT_MESSAGE(got[0].error, got[0].error.find("dns_servers") != std::string::npos);
  }

  void emptyBatchAsksNothing() {
    AresClient client(AresOptions{{"127.0.0.1:9"}, 200, 0});
    CPPUNIT_ASSERT(client.query({}, monotonicMs() + 200).empty());
  }

  void perTryTimeoutSpreadsTheBudget() {
    CPPUNIT_ASSERT_EQUAL(1000, AresClient::perTryTimeoutMs(AresOptions{{}, 1000, 0}));
    CPPUNIT_ASSERT_EQUAL(333, AresClient::perTryTimeoutMs(AresOptions{{}, 1000, 1}));
    CPPUNIT_ASSERT_EQUAL(142, AresClient::perTryTimeoutMs(AresOptions{{}, 1000, 2}));
    CPPUNIT_ASSERT_EQUAL(10, AresClient::perTryTimeoutMs(AresOptions{{}, 20, 5}));
  }

  void readsTheSmallestAnswerTtl() {
    std::uint32_t ttl = 0;
    CPPUNIT_ASSERT(ttlOf(replyHead(2) + answer(300, "abcdef") + answer(120, ""), ttl));
    CPPUNIT_ASSERT_EQUAL(120u, ttl);
    CPPUNIT_ASSERT(ttlOf(replyHead(1) + answer(0x80000001u, "x"), ttl));
    CPPUNIT_ASSERT_EQUAL(0u, ttl);  // RFC 2181 §8: the top bit set means 0
  }

  void malformedRepliesHaveNoTtl() {
    std::uint32_t ttl = 0;
    const std::string full = replyHead(2) + answer(300, "abcdef") + answer(120, "");
    CPPUNIT_ASSERT(!ttlOf(full.substr(0, full.size() - 1), ttl));                 // truncated
    CPPUNIT_ASSERT(!ttlOf(replyHead(1) + answer(60, "abc").substr(0, 14), ttl));  // rdata cut
    CPPUNIT_ASSERT(!ttlOf(replyHead(0), ttl));                                    // no answers
    CPPUNIT_ASSERT(!ttlOf(std::string("\x12\x34", 2), ttl));
    std::string loop = replyHead(1) + answer(60, "");
    loop[12 + 12] = '\xc0';  // the answer's name points at itself
    loop[12 + 13] = static_cast<char>(24);
    CPPUNIT_ASSERT(!ttlOf(loop, ttl));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(AresClientTest);

}  // namespace sipline::dns
