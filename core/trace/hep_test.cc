#include "core/trace/hep.h"

#include <cppunit/extensions/HelperMacros.h>

#include <cstring>
#include <string>

namespace sipline::trace {
namespace {

// "48 45 ..." -> bytes; spaces ignored.
std::string fromHex(std::string_view hex) {
  std::string out;
  int hi = -1;
  for (char c : hex) {
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (v < 0) continue;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<char>(hi * 16 + v));
      hi = -1;
    }
  }
  return out;
}

SockAddr addr(const char* ip, std::uint16_t port) {
  SockAddr a;
  SockAddr::fromNumeric(ip, port, a);
  return a;
}

Record record(Proto proto, const char* src, std::uint16_t sport, const char* dst,
              std::uint16_t dport, std::string msg) {
  Record r;
  r.time_us = 1700000000123456;
  r.proto = proto;
  r.src = addr(src, sport);
  r.dst = addr(dst, dport);
  r.message = std::move(msg);
  return r;
}

const char kInvite[] =
    "INVITE sip:bob@example.com SIP/2.0\r\nCall-ID: c1@h\r\nContent-Length: 0\r\n\r\n";

}  // namespace

class HepTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(HepTest);
  CPPUNIT_TEST(encodesKnownRecordByteExact);
  CPPUNIT_TEST(optionalChunksComeBeforePayload);
  CPPUNIT_TEST(roundTripsIpv4Tcp);
  CPPUNIT_TEST(roundTripsIpv6Udp);
  CPPUNIT_TEST(tlsIsSentAsTcp);
  CPPUNIT_TEST(mixedFamiliesAreSentV4Mapped);
  CPPUNIT_TEST(oversizedMessageIsTruncatedToFit);
  CPPUNIT_TEST(maxPacketLimitsTheDatagram);
  CPPUNIT_TEST(longestFixedPartRoundTrips);
  CPPUNIT_TEST(appendHepAddsToTheBuffer);
  CPPUNIT_TEST(unknownChunksAreSkipped);
  CPPUNIT_TEST(rejectsMalformedPackets);
  CPPUNIT_TEST(survivesEveryTruncationAndByteFlip);
  CPPUNIT_TEST(frameLengthReadsTheStreamHeader);
  CPPUNIT_TEST_SUITE_END();

 public:
  // Hand-computed: 1700000000 s = 0x6553f100, 123456 us = 0x0001e240, ports 5060 = 0x13c4 and
  // 5080 = 0x13d8, capture id 2001 = 0x7d1; total 6 + 7+7 + 10+10 + 8+8 + 10+10 + 7 + 10 + 13.
  void encodesKnownRecordByteExact() {
    Record r = record(Proto::kUdp, "192.0.2.1", 5060, "198.51.100.2", 5080, "OPTIONS");
    HepOptions opts;
    opts.capture_id = 2001;
    std::string expected = fromHex(
                               "48455033 006a"
                               "0000 0001 0007 02"
                               "0000 0002 0007 11"
                               "0000 0003 000a c0000201"
                               "0000 0004 000a c6336402"
                               "0000 0007 0008 13c4"
                               "0000 0008 0008 13d8"
                               "0000 0009 000a 6553f100"
                               "0000 000a 000a 0001e240"
                               "0000 000b 0007 01"
                               "0000 000c 000a 000007d1"
                               "0000 000f 000d") +
                           "OPTIONS";
    CPPUNIT_ASSERT_EQUAL(std::size_t{106}, expected.size());
    CPPUNIT_ASSERT(encodeHep(r, opts) == expected);
  }

  void optionalChunksComeBeforePayload() {
    Record r = record(Proto::kUdp, "192.0.2.1", 5060, "198.51.100.2", 5080, "OPTIONS");
    HepOptions opts;
    opts.capture_id = 2001;
    opts.auth_key = "key";
    opts.correlation_id = "c1@h";
    std::string pkt = encodeHep(r, opts);
    // The plain packet minus its payload chunk, then 14, 17 and the payload.
    std::string tail = fromHex("0000 000e 0009") + "key" + fromHex("0000 0011 000a") + "c1@h" +
                       fromHex("0000 000f 000d") + "OPTIONS";
    CPPUNIT_ASSERT_EQUAL(std::size_t{106 + 9 + 10}, pkt.size());
    CPPUNIT_ASSERT(pkt.substr(4, 2) == fromHex("007d"));
    CPPUNIT_ASSERT(pkt.substr(pkt.size() - tail.size()) == tail);
    Result<HepPacket> d = decodeHep(pkt);
    CPPUNIT_ASSERT(d.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("key"), d.value().auth_key);
    CPPUNIT_ASSERT_EQUAL(std::string("c1@h"), d.value().correlation_id);
    CPPUNIT_ASSERT_EQUAL(std::uint32_t{2001}, d.value().capture_id);
  }

  void roundTripsIpv4Tcp() {
    Record r = record(Proto::kTcp, "10.1.2.3", 40000, "10.9.8.7", 5060, kInvite);
    Result<HepPacket> d = decodeHep(encodeHep(r, HepOptions{7, "", "c1@h"}));
    CPPUNIT_ASSERT(d.isOk());
    const Record& got = d.value().record;
    CPPUNIT_ASSERT(got.src == r.src);
    CPPUNIT_ASSERT(got.dst == r.dst);
    CPPUNIT_ASSERT(got.proto == Proto::kTcp);
    CPPUNIT_ASSERT_EQUAL(r.time_us, got.time_us);
    CPPUNIT_ASSERT_EQUAL(r.message, got.message);
    CPPUNIT_ASSERT_EQUAL(std::uint8_t{6}, d.value().ip_proto);
    CPPUNIT_ASSERT_EQUAL(std::uint8_t{1}, d.value().proto_type);
    CPPUNIT_ASSERT_EQUAL(std::string("c1@h"), d.value().correlation_id);
    CPPUNIT_ASSERT(d.value().auth_key.empty());
  }

  void roundTripsIpv6Udp() {
    Record r = record(Proto::kUdp, "2001:db8::1", 5060, "2001:db8:ffff::abcd", 5070, kInvite);
    std::string pkt = encodeHep(r, HepOptions{});
    CPPUNIT_ASSERT(pkt.substr(6, 7) == fromHex("0000 0001 0007 0a"));
    CPPUNIT_ASSERT(pkt.substr(20, 6) == fromHex("0000 0005 0016"));
    Result<HepPacket> d = decodeHep(pkt);
    CPPUNIT_ASSERT(d.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("[2001:db8::1]:5060"), d.value().record.src.toString());
    CPPUNIT_ASSERT_EQUAL(std::string("[2001:db8:ffff::abcd]:5070"),
                         d.value().record.dst.toString());
    CPPUNIT_ASSERT(d.value().record.proto == Proto::kUdp);
    CPPUNIT_ASSERT_EQUAL(r.message, d.value().record.message);
  }

  void tlsIsSentAsTcp() {
    Record r = record(Proto::kTls, "10.0.0.1", 5061, "10.0.0.2", 5061, kInvite);
    Result<HepPacket> d = decodeHep(encodeHep(r, HepOptions{}));
    CPPUNIT_ASSERT(d.isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint8_t{6}, d.value().ip_proto);
    CPPUNIT_ASSERT(d.value().record.proto == Proto::kTcp);
  }

  void mixedFamiliesAreSentV4Mapped() {
    Record r = record(Proto::kUdp, "10.0.0.1", 5060, "2001:db8::2", 5060, "x");
    Result<HepPacket> d = decodeHep(encodeHep(r, HepOptions{}));
    CPPUNIT_ASSERT(d.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("[::ffff:10.0.0.1]:5060"), d.value().record.src.toString());
    CPPUNIT_ASSERT_EQUAL(std::string("[2001:db8::2]:5060"), d.value().record.dst.toString());
  }

  void oversizedMessageIsTruncatedToFit() {
    Record r = record(Proto::kTcp, "10.0.0.1", 5060, "10.0.0.2", 5060, std::string(70000, 'a'));
    r.message.replace(0, 6, "INVITE");
    std::string pkt = encodeHep(r, HepOptions{1, std::string(5000, 'k'), "c"});
    CPPUNIT_ASSERT_EQUAL(kHepMaxPacket, pkt.size());
    Result<HepPacket> d = decodeHep(pkt);
    CPPUNIT_ASSERT(d.isOk());
    CPPUNIT_ASSERT_EQUAL(kHepMaxIdLength, d.value().auth_key.size());
    const std::string& m = d.value().record.message;
    CPPUNIT_ASSERT(m.size() > 60000 && m.size() < 65535);
    CPPUNIT_ASSERT(r.message.compare(0, m.size(), m) == 0);
  }

  // The largest fixed part: IPv6 and both ids at their longest (the encoder builds it in a
  // buffer of that size).
  void longestFixedPartRoundTrips() {
    Record r = record(Proto::kUdp, "2001:db8::1", 5060, "2001:db8::2", 5070, kInvite);
    HepOptions opts{7, std::string(kHepMaxIdLength + 10, 'k'),
                    std::string(kHepMaxIdLength + 10, 'c')};
    std::string pkt = encodeHep(r, opts);
    CPPUNIT_ASSERT_EQUAL(std::size_t{6 + 3 * 7 + 2 * 22 + 2 * 8 + 3 * 10 + 2 * (6 + 1024) + 6} +
                             std::strlen(kInvite),
                         pkt.size());
    Result<HepPacket> d = decodeHep(pkt);
    CPPUNIT_ASSERT(d.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string(kHepMaxIdLength, 'k'), d.value().auth_key);
    CPPUNIT_ASSERT_EQUAL(std::string(kHepMaxIdLength, 'c'), d.value().correlation_id);
    CPPUNIT_ASSERT_EQUAL(std::string("[2001:db8::2]:5070"), d.value().record.dst.toString());
    CPPUNIT_ASSERT_EQUAL(std::string(kInvite), d.value().record.message);
  }

  void maxPacketLimitsTheDatagram() {
    Record r = record(Proto::kTcp, "10.0.0.1", 5060, "10.0.0.2", 5060, std::string(70000, 'a'));
    HepOptions opts{1, "", "c"};
    opts.max_packet = kHepMaxUdpPacket;
    std::string pkt = encodeHep(r, opts);
    CPPUNIT_ASSERT_EQUAL(std::size_t{65507}, pkt.size());
    CPPUNIT_ASSERT(decodeHep(pkt).isOk());
    // A message that fits is not touched; a limit above 16 bits counts as kHepMaxPacket.
    r.message = kInvite;
    CPPUNIT_ASSERT_EQUAL(std::string(kInvite),
                         decodeHep(encodeHep(r, opts)).value().record.message);
    r.message.assign(70000, 'b');
    opts.max_packet = 1 << 20;
    CPPUNIT_ASSERT_EQUAL(kHepMaxPacket, encodeHep(r, opts).size());
    // Under the fixed chunks: an empty payload, still a valid packet.
    opts.max_packet = 10;
    Result<HepPacket> d = decodeHep(encodeHep(r, opts));
    CPPUNIT_ASSERT(d.isOk());
    CPPUNIT_ASSERT(d.value().record.message.empty());
  }

  void appendHepAddsToTheBuffer() {
    Record r = record(Proto::kUdp, "10.0.0.1", 1, "10.0.0.2", 2, kInvite);
    std::string buf = "xy";
    appendHep(r, HepOptions{}, buf);
    CPPUNIT_ASSERT_EQUAL(std::string("xy") + encodeHep(r, HepOptions{}), buf);
  }

  void unknownChunksAreSkipped() {
    std::string pkt = encodeHep(record(Proto::kUdp, "10.0.0.1", 1, "10.0.0.2", 2, "m"), {});
    // A vendor chunk (vendor 0x0021, type 1) and a generic type 0x20, before the rest.
    std::string extra = fromHex("0021 0001 0008 abcd 0000 0020 0006");
    pkt.insert(6, extra);
    std::uint16_t len = static_cast<std::uint16_t>(pkt.size());
    pkt[4] = static_cast<char>(len >> 8);
    pkt[5] = static_cast<char>(len & 0xff);
    Result<HepPacket> d = decodeHep(pkt);
    CPPUNIT_ASSERT(d.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("m"), d.value().record.message);
  }

  void rejectsMalformedPackets() {
    const std::string good =
        encodeHep(record(Proto::kUdp, "10.0.0.1", 1, "10.0.0.2", 2, "msg"), HepOptions{});
    CPPUNIT_ASSERT(decodeHep(good).isOk());
    auto bad = [](const std::string& s) { return !decodeHep(s).isOk(); };
    CPPUNIT_ASSERT(bad(""));
    CPPUNIT_ASSERT(bad("HEP3"));
    CPPUNIT_ASSERT(bad(fromHex("48455033 0006")));  // no chunks: no family
    CPPUNIT_ASSERT(bad("HEP2" + good.substr(4)));
    CPPUNIT_ASSERT(bad(good + "x"));                       // trailing byte
    CPPUNIT_ASSERT(bad(good.substr(0, good.size() - 1)));  // one byte short
    std::string wrong_total = good;
    wrong_total[5] = static_cast<char>(wrong_total[5] + 1);
    CPPUNIT_ASSERT(bad(wrong_total));
    // First chunk (offset 6): its length under 6, and past the end.
    std::string short_chunk = good;
    short_chunk[10] = 0;
    short_chunk[11] = 5;
    CPPUNIT_ASSERT(bad(short_chunk));
    std::string long_chunk = good;
    long_chunk[10] = 0x7f;
    CPPUNIT_ASSERT(bad(long_chunk));
    // The family chunk with 2 bytes of payload instead of 1.
    std::string odd = good;
    odd[11] = 8;
    odd.insert(13, 1, '\0');
    odd[5] = static_cast<char>(odd[5] + 1);
    CPPUNIT_ASSERT(bad(odd));
    // Unknown family, unknown IP protocol.
    std::string fam = good;
    fam[12] = 7;
    CPPUNIT_ASSERT(bad(fam));
    std::string ipp = good;
    ipp[19] = 50;
    CPPUNIT_ASSERT(bad(ipp));
    // A repeated chunk (the family chunk twice).
    std::string twice = good;
    twice.insert(6, good.substr(6, 7));
    twice[5] = static_cast<char>(twice[5] + 7);
    CPPUNIT_ASSERT(bad(twice));
    // No payload: drop the last chunk (6 + 3 bytes).
    std::string nopay = good.substr(0, good.size() - 9);
    nopay[5] = static_cast<char>(nopay[5] - 9);
    CPPUNIT_ASSERT(bad(nopay));
    // Family says IPv6, addresses are IPv4.
    std::string mismatch = good;
    mismatch[12] = 10;
    CPPUNIT_ASSERT(bad(mismatch));
  }

  // Bounded robustness sweep: every prefix, and every byte set to 0x00 and 0xff (with the total
  // length fixed up where it still matches), must decode or fail cleanly.
  void survivesEveryTruncationAndByteFlip() {
    const std::string good = encodeHep(
        record(Proto::kUdp, "2001:db8::1", 1, "2001:db8::2", 2, kInvite), HepOptions{3, "k", "c"});
    int ok = 0;
    for (std::size_t n = 0; n < good.size(); ++n) ok += decodeHep(good.substr(0, n)).isOk();
    CPPUNIT_ASSERT_EQUAL(0, ok);
    for (std::size_t i = 0; i < good.size(); ++i) {
      for (char c : {'\0', '\xff'}) {
        std::string s = good;
        s[i] = c;
        Result<HepPacket> d = decodeHep(s);
        if (d.isOk()) CPPUNIT_ASSERT(d.value().record.message.size() <= s.size());
      }
    }
  }

  void frameLengthReadsTheStreamHeader() {
    std::string pkt = encodeHep(record(Proto::kTcp, "10.0.0.1", 1, "10.0.0.2", 2, "m"), {});
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, hepFrameLength(pkt.substr(0, 5)).value());
    CPPUNIT_ASSERT_EQUAL(pkt.size(), hepFrameLength(pkt + "HEP3").value());
    CPPUNIT_ASSERT(!hepFrameLength("GET / HTTP/1.1").isOk());
    CPPUNIT_ASSERT(!hepFrameLength(fromHex("48455033 0005")).isOk());
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(HepTest);

}  // namespace sipline::trace
