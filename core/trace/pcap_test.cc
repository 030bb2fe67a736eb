#include "core/trace/pcap.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

namespace sipline::trace {
namespace {

// A frame read back from the file, every length and checksum verified on the way.
struct Frame {
  std::uint32_t ts_sec = 0, ts_usec = 0;
  bool v6 = false;
  std::string src_ip, dst_ip;  // raw address bytes
  std::uint8_t proto = 0;
  std::uint16_t sport = 0, dport = 0;
  std::uint32_t seq = 0, ack = 0;
  std::uint8_t flags = 0;
  std::string payload;
};

std::uint32_t rd32le(const std::string& s, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<std::uint8_t>(s[at + i]);
  return v;
}

std::uint16_t rd16(const std::string& s, std::size_t at) {
  return static_cast<std::uint16_t>(static_cast<std::uint8_t>(s[at]) << 8 |
                                    static_cast<std::uint8_t>(s[at + 1]));
}

std::uint32_t rd32(const std::string& s, std::size_t at) {
  return static_cast<std::uint32_t>(rd16(s, at)) << 16 | rd16(s, at + 2);
}

// Ones'-complement sum of s[at, at+n), independent of the code under test's helper.
std::uint32_t sum16(const std::string& s, std::size_t at, std::size_t n, std::uint32_t sum = 0) {
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t b = static_cast<std::uint8_t>(s[at + i]);
    sum += i % 2 == 0 ? b << 8 : b;
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum;
}

// Parses a whole file; CppUnit assertions fail the test on any inconsistency.
std::vector<Frame> parse(const std::string& file) {
  CPPUNIT_ASSERT(file.size() >= 24);
  CPPUNIT_ASSERT_EQUAL(kPcapMagic, rd32le(file, 0));
  CPPUNIT_ASSERT_EQUAL(kPcapLinkEthernet, rd32le(file, 20));
  std::vector<Frame> frames;
  std::size_t at = 24;
  while (at < file.size()) {
    CPPUNIT_ASSERT(file.size() - at >= 16);
    Frame f;
    f.ts_sec = rd32le(file, at);
    f.ts_usec = rd32le(file, at + 4);
    const std::size_t incl = rd32le(file, at + 8);
    CPPUNIT_ASSERT_EQUAL(incl, std::size_t{rd32le(file, at + 12)});
    CPPUNIT_ASSERT(file.size() - at - 16 >= incl);
    const std::string pkt = file.substr(at + 16, incl);
    at += 16 + incl;

    const std::uint16_t ethertype = rd16(pkt, 12);
    CPPUNIT_ASSERT(ethertype == 0x0800 || ethertype == 0x86dd);
    f.v6 = ethertype == 0x86dd;
    std::size_t l4 = 0, l4_len = 0;
    if (f.v6) {
      CPPUNIT_ASSERT_EQUAL(0x60, pkt[14] & 0xf0);
      l4_len = rd16(pkt, 18);
      f.proto = static_cast<std::uint8_t>(pkt[20]);
      f.src_ip = pkt.substr(22, 16);
      f.dst_ip = pkt.substr(38, 16);
      l4 = 54;
    } else {
      CPPUNIT_ASSERT_EQUAL(0x45, static_cast<int>(pkt[14]));
      CPPUNIT_ASSERT_EQUAL(0xffffu, sum16(pkt, 14, 20));  // header checksum verifies
      l4_len = rd16(pkt, 16) - 20u;
      f.proto = static_cast<std::uint8_t>(pkt[23]);
      f.src_ip = pkt.substr(26, 4);
      f.dst_ip = pkt.substr(30, 4);
      l4 = 34;
    }
    CPPUNIT_ASSERT_EQUAL(pkt.size(), l4 + l4_len);
    // Pseudo-header sum + segment must verify to 0xffff.
    std::uint32_t ph = sum16(f.src_ip + f.dst_ip, 0, f.src_ip.size() * 2);
    ph += f.proto + static_cast<std::uint32_t>(l4_len);
    CPPUNIT_ASSERT_EQUAL(0xffffu, sum16(pkt, l4, l4_len, ph));
    f.sport = rd16(pkt, l4);
    f.dport = rd16(pkt, l4 + 2);
    if (f.proto == 17) {
      CPPUNIT_ASSERT_EQUAL(l4_len, std::size_t{rd16(pkt, l4 + 4)});
      CPPUNIT_ASSERT(rd16(pkt, l4 + 6) != 0);
      f.payload = pkt.substr(l4 + 8);
    } else {
      CPPUNIT_ASSERT_EQUAL(6, static_cast<int>(f.proto));
      f.seq = rd32(pkt, l4 + 4);
      f.ack = rd32(pkt, l4 + 8);
      CPPUNIT_ASSERT_EQUAL(0x50, static_cast<int>(pkt[l4 + 12]));
      f.flags = static_cast<std::uint8_t>(pkt[l4 + 13]);
      f.payload = pkt.substr(l4 + 20);
    }
    frames.push_back(f);
  }
  return frames;
}

Record rec(Proto proto, const char* src, std::uint16_t sport, const char* dst, std::uint16_t dport,
           std::string msg, std::int64_t t = 1700000000123456) {
  Record r;
  r.time_us = t;
  r.proto = proto;
  SockAddr::fromNumeric(src, sport, r.src);
  SockAddr::fromNumeric(dst, dport, r.dst);
  r.message = std::move(msg);
  return r;
}

std::string ip4(const char* a) {
  SockAddr s;
  SockAddr::fromNumeric(a, 0, s);
  std::uint8_t b[4];
  addressBytes(s, false, b);
  return std::string(reinterpret_cast<char*>(b), 4);
}

std::string ip6(const char* a) {
  SockAddr s;
  SockAddr::fromNumeric(a, 0, s);
  std::uint8_t b[16];
  addressBytes(s, true, b);
  return std::string(reinterpret_cast<char*>(b), 16);
}

const char kInvite[] = "INVITE sip:b@h SIP/2.0\r\nContent-Length: 0\r\n\r\n";
const char kOk[] = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";

}  // namespace

class PcapTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(PcapTest);
  CPPUNIT_TEST(fileHeaderIsClassicMicrosecondEthernet);
  CPPUNIT_TEST(udpV4FrameKeepsAddressesTimeAndPayload);
  CPPUNIT_TEST(udpV6FrameHasChecksum);
  CPPUNIT_TEST(tcpDirectionsAdvanceAndAcknowledge);
  CPPUNIT_TEST(tlsIsFramedAsTcp);
  CPPUNIT_TEST(longTcpMessageIsSplitIntoSegments);
  CPPUNIT_TEST(longUdpMessageIsWholeUpToTheDatagramLimit);
  CPPUNIT_TEST(longerUdpMessageIsCutToTheDatagramLimit);
  CPPUNIT_TEST(mixedFamiliesBecomeV4MappedIpv6);
  CPPUNIT_TEST(streamingWriterMatchesWholeFile);
  CPPUNIT_TEST_SUITE_END();

 public:
  void fileHeaderIsClassicMicrosecondEthernet() {
    const std::string h = writePcap({});
    const unsigned char expected[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
                                        0,    0,    0,    0,    0, 0, 4, 0, 1, 0, 0, 0};
    CPPUNIT_ASSERT(h == std::string(reinterpret_cast<const char*>(expected), 24));
  }

  void udpV4FrameKeepsAddressesTimeAndPayload() {
    std::vector<Frame> f =
        parse(writePcap({rec(Proto::kUdp, "192.0.2.1", 5060, "198.51.100.2", 5080, kInvite)}));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, f.size());
    CPPUNIT_ASSERT_EQUAL(1700000000u, f[0].ts_sec);
    CPPUNIT_ASSERT_EQUAL(123456u, f[0].ts_usec);
    CPPUNIT_ASSERT(!f[0].v6);
    CPPUNIT_ASSERT(f[0].src_ip == ip4("192.0.2.1"));
    CPPUNIT_ASSERT(f[0].dst_ip == ip4("198.51.100.2"));
    CPPUNIT_ASSERT_EQUAL(17, static_cast<int>(f[0].proto));
    CPPUNIT_ASSERT_EQUAL(std::uint16_t{5060}, f[0].sport);
    CPPUNIT_ASSERT_EQUAL(std::uint16_t{5080}, f[0].dport);
    CPPUNIT_ASSERT_EQUAL(std::string(kInvite), f[0].payload);
  }

  void udpV6FrameHasChecksum() {
    std::vector<Frame> f =
        parse(writePcap({rec(Proto::kUdp, "2001:db8::1", 5060, "2001:db8::2", 5062, kOk)}));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, f.size());
    CPPUNIT_ASSERT(f[0].v6);
    CPPUNIT_ASSERT(f[0].src_ip == ip6("2001:db8::1"));
    CPPUNIT_ASSERT(f[0].dst_ip == ip6("2001:db8::2"));
    CPPUNIT_ASSERT_EQUAL(std::string(kOk), f[0].payload);
  }

  void tcpDirectionsAdvanceAndAcknowledge() {
    const std::string a = kInvite, b = kOk;
    std::vector<Frame> f = parse(writePcap({
        rec(Proto::kTcp, "10.0.0.1", 40000, "10.0.0.2", 5060, a),
        rec(Proto::kTcp, "10.0.0.2", 5060, "10.0.0.1", 40000, b),
        rec(Proto::kTcp, "10.0.0.1", 40000, "10.0.0.2", 5060, a),
        rec(Proto::kTcp, "10.0.0.1", 40001, "10.0.0.2", 5060, b),  // another flow
    }));
    CPPUNIT_ASSERT_EQUAL(std::size_t{4}, f.size());
    CPPUNIT_ASSERT_EQUAL(1u, f[0].seq);
    CPPUNIT_ASSERT_EQUAL(1u, f[0].ack);
    CPPUNIT_ASSERT_EQUAL(1u, f[1].seq);
    CPPUNIT_ASSERT_EQUAL(1u + static_cast<std::uint32_t>(a.size()), f[1].ack);
    CPPUNIT_ASSERT_EQUAL(1u + static_cast<std::uint32_t>(a.size()), f[2].seq);
    CPPUNIT_ASSERT_EQUAL(1u + static_cast<std::uint32_t>(b.size()), f[2].ack);
    CPPUNIT_ASSERT_EQUAL(1u, f[3].seq);
    CPPUNIT_ASSERT_EQUAL(1u, f[3].ack);
    for (const Frame& x : f) CPPUNIT_ASSERT_EQUAL(0x18, static_cast<int>(x.flags));
    CPPUNIT_ASSERT_EQUAL(b, f[1].payload);
  }

  void tlsIsFramedAsTcp() {
    std::vector<Frame> f =
        parse(writePcap({rec(Proto::kTls, "10.0.0.1", 5061, "10.0.0.2", 5061, kInvite),
                         rec(Proto::kTcp, "10.0.0.1", 5061, "10.0.0.2", 5061, kInvite)}));
    CPPUNIT_ASSERT_EQUAL(6, static_cast<int>(f[0].proto));
    CPPUNIT_ASSERT_EQUAL(std::string(kInvite), f[0].payload);
    CPPUNIT_ASSERT_EQUAL(1u + static_cast<std::uint32_t>(sizeof(kInvite) - 1), f[1].seq);
  }

  void longTcpMessageIsSplitIntoSegments() {
    std::string big = "MESSAGE sip:b@h SIP/2.0\r\nContent-Length: 70000\r\n\r\n";
    big.append(70000, 'x');
    std::vector<Frame> f = parse(writePcap({rec(Proto::kTcp, "10.0.0.1", 1, "10.0.0.2", 2, big)}));
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, f.size());
    CPPUNIT_ASSERT_EQUAL(kPcapMaxSegment, f[0].payload.size());
    CPPUNIT_ASSERT_EQUAL(1u + static_cast<std::uint32_t>(kPcapMaxSegment), f[1].seq);
    CPPUNIT_ASSERT(f[0].payload + f[1].payload == big);
  }

  // A datagram the server may send (up to 65507 bytes over IPv4, 65527 over IPv6) is one
  // frame with the whole message; only a longer one, which no IP packet holds, is cut.
  void longUdpMessageIsWholeUpToTheDatagramLimit() {
    std::string big = "MESSAGE sip:b@h SIP/2.0\r\nContent-Length: 65350\r\n\r\n";
    big.append(65400 - big.size(), 'z');
    for (const char* ip : {"10.0.0.1", "2001:db8::1"}) {
      const std::string peer = ip[0] == '1' ? "10.0.0.2" : "2001:db8::2";
      std::vector<Frame> f = parse(writePcap({rec(Proto::kUdp, ip, 1, peer.c_str(), 2, big)}));
      CPPUNIT_ASSERT_EQUAL(std::size_t{1}, f.size());
      CPPUNIT_ASSERT_EQUAL(std::size_t{65400}, f[0].payload.size());
      CPPUNIT_ASSERT(f[0].payload == big);
    }
    const std::string v4max(kPcapMaxUdpV4, 'a'), v6max(kPcapMaxUdpV6, 'b');
    CPPUNIT_ASSERT(
        parse(writePcap({rec(Proto::kUdp, "10.0.0.1", 1, "10.0.0.2", 2, v4max)}))[0].payload ==
        v4max);
    CPPUNIT_ASSERT(
        parse(writePcap({rec(Proto::kUdp, "2001:db8::1", 1, "2001:db8::2", 2, v6max)}))[0]
            .payload == v6max);
  }

  void longerUdpMessageIsCutToTheDatagramLimit() {
    std::string big(70000, 'y');
    std::vector<Frame> f =
        parse(writePcap({rec(Proto::kUdp, "2001:db8::1", 1, "2001:db8::2", 2, big)}));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, f.size());
    CPPUNIT_ASSERT(f[0].payload == big.substr(0, kPcapMaxUdpV6));
    f = parse(writePcap({rec(Proto::kUdp, "10.0.0.1", 1, "10.0.0.2", 2, big)}));
    CPPUNIT_ASSERT(f[0].payload == big.substr(0, kPcapMaxUdpV4));
  }

  void mixedFamiliesBecomeV4MappedIpv6() {
    std::vector<Frame> f =
        parse(writePcap({rec(Proto::kUdp, "10.0.0.1", 1, "2001:db8::2", 2, "x")}));
    CPPUNIT_ASSERT(f[0].v6);
    CPPUNIT_ASSERT(f[0].src_ip == ip6("::ffff:10.0.0.1"));
  }

  void streamingWriterMatchesWholeFile() {
    std::vector<Record> rs = {rec(Proto::kTcp, "10.0.0.1", 1, "10.0.0.2", 2, kInvite, 5),
                              rec(Proto::kUdp, "10.0.0.1", 1, "10.0.0.2", 2, kOk, 7),
                              rec(Proto::kTcp, "10.0.0.2", 2, "10.0.0.1", 1, kOk, 9)};
    std::string out = PcapWriter::fileHeader();
    PcapWriter w;
    for (const Record& r : rs) w.append(r, out);
    CPPUNIT_ASSERT(out == writePcap(rs));
    std::vector<Frame> f = parse(out);
    CPPUNIT_ASSERT_EQUAL(3u, static_cast<unsigned>(f.size()));
    CPPUNIT_ASSERT_EQUAL(9u, f[2].ts_usec);
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(PcapTest);

}  // namespace sipline::trace
