#include "core/trace/ladder.h"

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

namespace sipline::trace {
namespace {

Record rec(std::int64_t t, const char* src, std::uint16_t sport, const char* dst,
           std::uint16_t dport, std::string msg, Proto proto = Proto::kUdp) {
  Record r;
  r.time_us = t;
  r.proto = proto;
  SockAddr::fromNumeric(src, sport, r.src);
  SockAddr::fromNumeric(dst, dport, r.dst);
  r.message = std::move(msg);
  return r;
}

std::string req(const char* method, const char* uri) {
  return std::string(method) + " " + uri + " SIP/2.0\r\nCall-ID: c@h\r\nContent-Length: 0\r\n\r\n";
}

std::string reply(const char* status) {
  return std::string("SIP/2.0 ") + status + "\r\nCall-ID: c@h\r\nContent-Length: 0\r\n\r\n";
}

constexpr std::int64_t kT0 = 1700000000000000;
const char kA[] = "192.0.2.10";
const char kP[] = "192.0.2.1";
const char kB[] = "192.0.2.20";

}  // namespace

class LadderTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(LadderTest);
  CPPUNIT_TEST(rendersCallThroughProxy);
  CPPUNIT_TEST(emptyInputRendersNothing);
  CPPUNIT_TEST(oneEndpointTalkingToItself);
  CPPUNIT_TEST(retransmissionsAndStreamsAreNoted);
  CPPUNIT_TEST(longIpv6NamesKeepTheirTail);
  CPPUNIT_TEST(unparseableMessagesAreQuestionMarks);
  CPPUNIT_TEST(labelsComeFromTheFirstLine);
  CPPUNIT_TEST(linesStayAsciiAndBounded);
  CPPUNIT_TEST_SUITE_END();

 public:
  void rendersCallThroughProxy() {
    const std::vector<Record> call = {
        rec(kT0, kA, 5060, kP, 5060, req("INVITE", "sip:bob@example.com")),
        rec(kT0 + 400, kP, 5060, kA, 5060, reply("100 Trying")),
        rec(kT0 + 1000, kP, 5060, kB, 5070, req("INVITE", "sip:bob@192.0.2.20:5070")),
        rec(kT0 + 150000, kB, 5070, kP, 5060, reply("180 Ringing")),
        rec(kT0 + 150500, kP, 5060, kA, 5060, reply("180 Ringing")),
        rec(kT0 + 2000000, kB, 5070, kP, 5060, reply("200 OK")),
        rec(kT0 + 2000600, kP, 5060, kA, 5060, reply("200 OK")),
        rec(kT0 + 2010000, kA, 5060, kP, 5060, req("ACK", "sip:bob@192.0.2.20:5070")),
        rec(kT0 + 2010300, kP, 5060, kB, 5070, req("ACK", "sip:bob@192.0.2.20:5070")),
        rec(kT0 + 12500000, kB, 5070, kP, 5060, req("BYE", "sip:alice@192.0.2.10")),
        rec(kT0 + 12500400, kP, 5060, kA, 5060, req("BYE", "sip:alice@192.0.2.10")),
        rec(kT0 + 12520000, kA, 5060, kP, 5060, reply("200 OK")),
        rec(kT0 + 12520300, kP, 5060, kB, 5070, reply("200 OK")),
    };
    LadderOptions opts;
    opts.names["192.0.2.1:5060"] = "sipline";
    const std::string expected =
        "               192.0.2.10:5060         sipline         192.0.2.20:5070\n"
        "                      |                   |                   |\n"
        "+0.000s               |------INVITE------>|                   |\n"
        "+0.000s               |<----100 Trying----|                   |\n"
        "+0.001s               |                   |------INVITE------>|\n"
        "+0.150s               |                   |<---180 Ringing----|\n"
        "+0.150s               |<---180 Ringing----|                   |\n"
        "+2.000s               |                   |<------200 OK------|\n"
        "+2.000s               |<------200 OK------|                   |\n"
        "+2.010s               |-------ACK-------->|                   |\n"
        "+2.010s               |                   |-------ACK-------->|\n"
        "+12.500s              |                   |<-------BYE--------|\n"
        "+12.500s              |<-------BYE--------|                   |\n"
        "+12.520s              |------200 OK------>|                   |\n"
        "+12.520s              |                   |------200 OK------>|\n";
    CPPUNIT_ASSERT_EQUAL(expected, renderLadder(call, opts));
  }

  void emptyInputRendersNothing() {
    CPPUNIT_ASSERT_EQUAL(std::string(), renderLadder({}, LadderOptions{}));
  }

  void oneEndpointTalkingToItself() {
    const std::vector<Record> loop = {
        rec(kT0, "127.0.0.1", 5060, "127.0.0.1", 5060, req("OPTIONS", "sip:127.0.0.1")),
        rec(kT0 + 1500, "127.0.0.1", 5060, "127.0.0.1", 5060, reply("200 OK")),
    };
    const std::string expected =
        "               127.0.0.1:5060\n"
        "                      |\n"
        "+0.000s               |<- OPTIONS\n"
        "+0.001s               |<- 200 OK\n";
    CPPUNIT_ASSERT_EQUAL(expected, renderLadder(loop, LadderOptions{}));
  }

  void retransmissionsAndStreamsAreNoted() {
    const std::vector<Record> rs = {
        rec(kT0, kA, 5060, kP, 5060, req("INVITE", "sip:b@h")),
        rec(kT0 + 500000, kA, 5060, kP, 5060, req("INVITE", "sip:b@h")),
        rec(kT0 + 1500000, kA, 5060, kP, 5060, req("INVITE", "sip:b@h")),
        rec(kT0 + 1600000, kP, 5060, kA, 5060, reply("100 Trying"), Proto::kTcp),
        rec(kT0 + 1700000, kP, 5060, kA, 5060, reply("100 Trying"), Proto::kTls),
    };
    const std::string expected =
        "               192.0.2.10:5060     192.0.2.1:5060\n"
        "                      |                   |\n"
        "+0.000s               |------INVITE------>|\n"
        "+0.500s               |------INVITE------>|           (retransmission)\n"
        "+1.500s               |------INVITE------>|           (retransmission)\n"
        "+1.600s               |<----100 Trying----|           (tcp)\n"
        "+1.700s               |<----100 Trying----|           (tls, retransmission)\n";
    CPPUNIT_ASSERT_EQUAL(expected, renderLadder(rs, LadderOptions{}));
  }

  void longIpv6NamesKeepTheirTail() {
    const std::vector<Record> rs = {
        rec(kT0, "2001:db8:1234:5678::abcd", 5060, "::1", 5062, req("REGISTER", "sip:h")),
        rec(kT0 + 2000, "::1", 5062, "2001:db8:1234:5678::abcd", 5060, reply("401 Unauthorized")),
    };
    const std::string expected =
        "             ~:5678::abcd]:5060      [::1]:5062\n"
        "                      |                   |\n"
        "+0.000s               |-----REGISTER----->|\n"
        "+0.002s               |<-401 Unauthorized-|\n";
    CPPUNIT_ASSERT_EQUAL(expected, renderLadder(rs, LadderOptions{}));
  }

  void unparseableMessagesAreQuestionMarks() {
    const std::vector<Record> rs = {
        rec(kT0, kA, 5060, kP, 5060, std::string("\x16\x03\x01\x02\x00\x01\x00", 7)),
        rec(kT0 + 10, kP, 5060, kA, 5060, ""),
        rec(kT0 + 20, kP, 5060, kA, 5060, "\r\n\r\n"),
    };
    const std::string expected =
        "               192.0.2.10:5060     192.0.2.1:5060\n"
        "                      |                   |\n"
        "+0.000s               |--------?--------->|\n"
        "+0.000s               |<--------?---------|\n"
        "+0.000s               |<----keepalive-----|\n";
    CPPUNIT_ASSERT_EQUAL(expected, renderLadder(rs, LadderOptions{}));
  }

  void labelsComeFromTheFirstLine() {
    CPPUNIT_ASSERT_EQUAL(std::string("INVITE"), ladderLabel(req("INVITE", "sip:b@h")));
    CPPUNIT_ASSERT_EQUAL(std::string("X-CUSTOM.1"), ladderLabel("X-CUSTOM.1 sip:h SIP/2.0\n"));
    CPPUNIT_ASSERT_EQUAL(std::string("486 Busy Here"), ladderLabel(reply("486 Busy Here")));
    CPPUNIT_ASSERT_EQUAL(std::string("200"), ladderLabel("SIP/2.0 200\r\n"));
    CPPUNIT_ASSERT_EQUAL(std::string("200 O?"), ladderLabel("SIP/2.0 200 O\x01\r\n"));
    CPPUNIT_ASSERT_EQUAL(std::string("?"), ladderLabel("SIP/2.0 20 OK\r\n"));
    CPPUNIT_ASSERT_EQUAL(std::string("?"), ladderLabel("SIP/2.0 2000 OK\r\n"));
    CPPUNIT_ASSERT_EQUAL(std::string("?"), ladderLabel("INVITE sip:b@h\r\n"));
    CPPUNIT_ASSERT_EQUAL(std::string("?"), ladderLabel(" INVITE sip:b@h SIP/2.0\r\n"));
    CPPUNIT_ASSERT_EQUAL(std::string("?"), ladderLabel("INV\x01TE sip:b@h SIP/2.0\r\n"));
    CPPUNIT_ASSERT_EQUAL(std::string("?"), ladderLabel("GET / HTTP/1.1\r\n"));
    CPPUNIT_ASSERT_EQUAL(std::string("?"), ladderLabel(""));
    CPPUNIT_ASSERT_EQUAL(std::string("keepalive"), ladderLabel("\r\n"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{64},
                         ladderLabel(std::string(100, 'M') + " sip:h SIP/2.0\r\n").size());
  }

  // Many endpoints, odd bytes, narrow and over-wide settings: every line is printable ASCII
  // and within the documented bound.
  void linesStayAsciiAndBounded() {
    std::vector<Record> rs;
    for (int i = 0; i < 12; ++i) {
      std::string ip = "2001:db8::" + std::to_string(100 + i);
      std::string msg = i % 3 == 0 ? std::string(300, static_cast<char>(0x80 + i))
                                   : "SIP/2.0 183 " + std::string(200, 'x') + "\r\n";
      rs.push_back(rec(kT0 + i, ip.c_str(), 5060, "2001:db8::1", static_cast<std::uint16_t>(i), msg,
                       Proto::kTls));
    }
    for (int width : {0, 12, 20, 40, 1000}) {
      LadderOptions opts;
      opts.column_width = width;
      const std::size_t w = static_cast<std::size_t>(std::clamp(width, 12, 40));
      std::istringstream lines(renderLadder(rs, opts));
      std::string line;
      int n = 0;
      // 24 columns (12 senders, 12 receiver ports), the note at most "  (tls, retransmission)".
      while (std::getline(lines, line)) {
        ++n;
        CPPUNIT_ASSERT(line.size() <= kLadderTimeWidth + 25 * w + 23);
        for (char c : line) CPPUNIT_ASSERT(c >= 0x20 && c <= 0x7e);
      }
      CPPUNIT_ASSERT_EQUAL(14, n);
    }
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(LadderTest);

}  // namespace sipline::trace
