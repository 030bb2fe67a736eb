// Tests of rewriteSdp(): varied bodies (IPv4/IPv6, several m= lines, session- and media-level
// c=, a=rtcp with and without address, ICE lines, rejected streams, CRLF and LF).
#include "core/media/sdp_rewrite.h"

#include <cppunit/extensions/HelperMacros.h>
#include <dirent.h>

#include <string>
#include <vector>

#include "test/test_files.h"

namespace sipline::media {
namespace {

StreamTarget to(std::string address, std::uint16_t port) {
  return {true, std::move(address), port};
}

std::string rewrite(const std::string& body, const std::vector<StreamTarget>& targets,
                    const RewriteOptions& options = {}) {
  std::string out;
  RewriteError e = rewriteSdpBody(body, targets, options, out);
  CPPUNIT_ASSERT_EQUAL(std::string("ok"), std::string(rewriteErrorText(e)));
  SdpSession check;  // the result parses again
  CPPUNIT_ASSERT(parseSdp(out, check) == SdpError::kOk);
  return out;
}

const char kSimple[] =
    "v=0\r\n"
    "o=alice 1 1 IN IP4 192.168.1.10\r\n"
    "s=-\r\n"
    "c=IN IP4 192.168.1.10\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 0 101\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=rtcp:49171\r\n"
    "a=sendrecv\r\n";

}  // namespace

class SdpRewriteTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SdpRewriteTest);
  CPPUNIT_TEST(rewritesSessionConnectionPortAndRtcp);
  CPPUNIT_TEST(switchesToIp6AndRewritesOriginOnRequest);
  CPPUNIT_TEST(rewritesIp6BodyToIp4);
  CPPUNIT_TEST(rewritesEveryStreamOfSeveralMediaLines);
  CPPUNIT_TEST(streamsWithDifferentRelayAddressesGetTheirOwnConnection);
  CPPUNIT_TEST(untouchedStreamKeepsTheOldSessionAddress);
  CPPUNIT_TEST(rtcpWithAddressGetsTheRelayAddress);
  CPPUNIT_TEST(rtcpMuxKeepsRtcpOnTheRtpPort);
  CPPUNIT_TEST(removesIceLinesOnlyWhenAsked);
  CPPUNIT_TEST(leavesRejectedStreamsAlone);
  CPPUNIT_TEST(keepsHoldAddress);
  CPPUNIT_TEST(keepsBareLfLineEnds);
  CPPUNIT_TEST(addsConnectionWhereNoneWas);
  CPPUNIT_TEST(addsSessionAttributeOnce);
  CPPUNIT_TEST(refusesMalformedSdpAndBadTargets);
  CPPUNIT_TEST(rewritesEverySdpOfTheCorpora);
  CPPUNIT_TEST_SUITE_END();

 public:
  void rewritesSessionConnectionPortAndRtcp() {
    std::string out = rewrite(kSimple, {to("203.0.113.5", 30000)});
    CPPUNIT_ASSERT_EQUAL(std::string("v=0\r\n"
                                     "o=alice 1 1 IN IP4 192.168.1.10\r\n"
                                     "s=-\r\n"
                                     "c=IN IP4 203.0.113.5\r\n"
                                     "t=0 0\r\n"
                                     "m=audio 30000 RTP/AVP 0 101\r\n"
                                     "a=rtpmap:101 telephone-event/8000\r\n"
                                     "a=rtcp:30001\r\n"
                                     "a=sendrecv\r\n"),
                         out);
  }

  void switchesToIp6AndRewritesOriginOnRequest() {
    RewriteOptions o;
    o.rewrite_origin = true;
    std::string out = rewrite(kSimple, {to("2001:db8::5", 40000)}, o);
    CPPUNIT_ASSERT(out.find("o=alice 1 1 IN IP6 2001:db8::5\r\n") != std::string::npos);
    CPPUNIT_ASSERT(out.find("c=IN IP6 2001:db8::5\r\n") != std::string::npos);
    CPPUNIT_ASSERT(out.find("m=audio 40000 ") != std::string::npos);
    CPPUNIT_ASSERT(out.find("192.168.1.10") == std::string::npos);
  }

  void rewritesIp6BodyToIp4() {
    const std::string body =
        "v=0\r\n"
        "o=bob 2 2 IN IP6 2001:db8::10\r\n"
        "s=-\r\n"
        "t=0 0\r\n"
        "m=audio 5004 RTP/AVP 8\r\n"
        "c=IN IP6 2001:db8::10\r\n";
    std::string out = rewrite(body, {to("127.0.0.1", 35000)});
    CPPUNIT_ASSERT(out.find("c=IN IP4 127.0.0.1\r\n") != std::string::npos);
    CPPUNIT_ASSERT(out.find("m=audio 35000 RTP/AVP 8\r\n") != std::string::npos);
    // o= only on request.
    CPPUNIT_ASSERT(out.find("o=bob 2 2 IN IP6 2001:db8::10\r\n") != std::string::npos);
  }

  void rewritesEveryStreamOfSeveralMediaLines() {
    const std::string body =
        "v=0\r\n"
        "o=- 1 1 IN IP4 10.0.0.1\r\n"
        "s=-\r\n"
        "t=0 0\r\n"
        "m=audio 4000 RTP/AVP 0\r\n"
        "c=IN IP4 10.0.0.1\r\n"
        "a=rtcp:4001\r\n"
        "m=video 4002 RTP/AVP 96\r\n"
        "c=IN IP4 10.0.0.1\r\n"
        "a=rtpmap:96 H264/90000\r\n";
    std::string out = rewrite(body, {to("198.51.100.1", 20000), to("198.51.100.1", 20002)});
    CPPUNIT_ASSERT_EQUAL(std::string("v=0\r\n"
                                     "o=- 1 1 IN IP4 10.0.0.1\r\n"
                                     "s=-\r\n"
                                     "t=0 0\r\n"
                                     "m=audio 20000 RTP/AVP 0\r\n"
                                     "c=IN IP4 198.51.100.1\r\n"
                                     "a=rtcp:20001\r\n"
                                     "m=video 20002 RTP/AVP 96\r\n"
                                     "c=IN IP4 198.51.100.1\r\n"
                                     "a=rtpmap:96 H264/90000\r\n"),
                         out);
  }

  void streamsWithDifferentRelayAddressesGetTheirOwnConnection() {
    const std::string body =
        "v=0\r\n"
        "o=- 1 1 IN IP4 10.0.0.1\r\n"
        "s=-\r\n"
        "c=IN IP4 10.0.0.1\r\n"
        "t=0 0\r\n"
        "m=audio 4000 RTP/AVP 0\r\n"
        "i=voice\r\n"
        "a=sendrecv\r\n"
        "m=video 4002 RTP/AVP 96\r\n"
        "i=camera\r\n"
        "b=AS:512\r\n";
    std::string out = rewrite(body, {to("192.0.2.1", 20000), to("2001:db8::1", 30000)});
    SdpSession s;
    CPPUNIT_ASSERT(parseSdp(out, s) == SdpError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.1"), std::string(s.connection.address));
    CPPUNIT_ASSERT(s.media[0].connections.empty());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), s.media[1].connections.size());
    CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::1"),
                         std::string(s.media[1].connections[0].address));
    // RFC 8866 order: c= after i=, before b=.
    CPPUNIT_ASSERT(out.find("i=camera\r\nc=IN IP6 2001:db8::1\r\nb=AS:512\r\n") !=
                   std::string::npos);
    CPPUNIT_ASSERT_EQUAL(std::uint16_t(30000), s.media[1].port);
  }

  void untouchedStreamKeepsTheOldSessionAddress() {
    const std::string body =
        "v=0\r\n"
        "o=- 1 1 IN IP4 10.0.0.1\r\n"
        "s=-\r\n"
        "c=IN IP4 10.0.0.1\r\n"
        "t=0 0\r\n"
        "m=audio 4000 RTP/AVP 0\r\n"
        "m=text 4004 RTP/AVP 98\r\n";
    std::string out = rewrite(body, {to("192.0.2.1", 20000)});  // the second: no target
    SdpSession s;
    CPPUNIT_ASSERT(parseSdp(out, s) == SdpError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.1"), std::string(s.connection.address));
    CPPUNIT_ASSERT_EQUAL(std::string("10.0.0.1"),
                         std::string(s.effectiveConnection(1).connection->address));
    CPPUNIT_ASSERT_EQUAL(std::uint16_t(4004), s.media[1].port);
  }

  void rtcpWithAddressGetsTheRelayAddress() {
    const std::string body =
        "v=0\r\n"
        "o=- 1 1 IN IP4 10.0.0.1\r\n"
        "s=-\r\n"
        "c=IN IP4 10.0.0.1\r\n"
        "t=0 0\r\n"
        "m=audio 4000 RTP/AVP 0\r\n"
        "a=rtcp:4001 IN IP4 10.0.0.1\r\n";
    std::string out = rewrite(body, {to("2001:db8::7", 50000)});
    CPPUNIT_ASSERT(out.find("a=rtcp:50001 IN IP6 2001:db8::7\r\n") != std::string::npos);
    CPPUNIT_ASSERT(out.find("10.0.0.1\r\nt=") == std::string::npos);
  }

  void rtcpMuxKeepsRtcpOnTheRtpPort() {
    const std::string body =
        "v=0\r\n"
        "o=- 1 1 IN IP4 10.0.0.1\r\n"
        "s=-\r\n"
        "c=IN IP4 10.0.0.1\r\n"
        "t=0 0\r\n"
        "m=audio 4000 RTP/AVP 0\r\n"
        "a=rtcp:4000 IN IP4 10.0.0.1\r\n"
        "a=rtcp-mux\r\n"
        "m=audio 5000 RTP/AVP 0\r\n"
        "a=rtcp:5001\r\n";
    std::string out = rewrite(body, {to("192.0.2.9", 50000), to("192.0.2.9", 50010)});
    CPPUNIT_ASSERT(out.find("a=rtcp:50000 IN IP4 192.0.2.9\r\na=rtcp-mux\r\n") !=
                   std::string::npos);
    CPPUNIT_ASSERT(out.find("a=rtcp:50011\r\n") != std::string::npos);  // no mux: RTP + 1
  }

  void removesIceLinesOnlyWhenAsked() {
    const std::string body =
        "v=0\r\n"
        "o=- 1 1 IN IP4 10.0.0.1\r\n"
        "s=-\r\n"
        "c=IN IP4 10.0.0.1\r\n"
        "t=0 0\r\n"
        "a=ice-lite\r\n"
        "m=audio 4000 RTP/AVP 0\r\n"
        "a=ice-ufrag:abcd\r\n"
        "a=ice-pwd:0123456789abcdef012345\r\n"
        "a=candidate:1 1 UDP 2130706431 10.0.0.1 4000 typ host\r\n"
        "a=candidate:2 1 UDP 1694498815 203.0.113.9 4000 typ srflx raddr 10.0.0.1 rport 4000\r\n"
        "a=end-of-candidates\r\n"
        "a=sendrecv\r\n";
    std::string kept = rewrite(body, {to("192.0.2.1", 20000)});
    CPPUNIT_ASSERT(kept.find("a=candidate:2 ") != std::string::npos);
    CPPUNIT_ASSERT(kept.find("a=ice-lite\r\n") != std::string::npos);
    RewriteOptions o;
    o.ice = IceMode::kRemove;
    std::string out = rewrite(body, {to("192.0.2.1", 20000)}, o);
    CPPUNIT_ASSERT_EQUAL(std::string("v=0\r\n"
                                     "o=- 1 1 IN IP4 10.0.0.1\r\n"
                                     "s=-\r\n"
                                     "c=IN IP4 192.0.2.1\r\n"
                                     "t=0 0\r\n"
                                     "m=audio 20000 RTP/AVP 0\r\n"
                                     "a=sendrecv\r\n"),
                         out);
  }

  void leavesRejectedStreamsAlone() {
    const std::string body =
        "v=0\r\n"
        "o=- 1 1 IN IP4 10.0.0.1\r\n"
        "s=-\r\n"
        "t=0 0\r\n"
        "m=audio 4000 RTP/AVP 0\r\n"
        "c=IN IP4 10.0.0.1\r\n"
        "m=video 0 RTP/AVP 96\r\n"
        "c=IN IP4 10.0.0.1\r\n"
        "a=candidate:1 1 UDP 2130706431 10.0.0.1 4002 typ host\r\n";
    RewriteOptions o;
    o.ice = IceMode::kRemove;
    std::string out = rewrite(body, {to("192.0.2.1", 20000), to("192.0.2.1", 20002)}, o);
    CPPUNIT_ASSERT(out.find("m=video 0 RTP/AVP 96\r\nc=IN IP4 10.0.0.1\r\na=candidate:1") !=
                   std::string::npos);
    CPPUNIT_ASSERT(out.find("m=audio 20000 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\n") !=
                   std::string::npos);
  }

  void keepsHoldAddress() {
    std::string body = kSimple;
    body.replace(body.find("c=IN IP4 192.168.1.10"), 21, "c=IN IP4 0.0.0.0");
    std::string out = rewrite(body, {to("192.0.2.1", 20000)});
    CPPUNIT_ASSERT(out.find("c=IN IP4 0.0.0.0\r\n") != std::string::npos);
    CPPUNIT_ASSERT(out.find("m=audio 20000 ") != std::string::npos);
    CPPUNIT_ASSERT(out.find("192.0.2.1") == std::string::npos);
  }

  void keepsBareLfLineEnds() {
    const std::string body =
        "v=0\n"
        "o=- 1 1 IN IP4 10.0.0.1\n"
        "s=-\n"
        "c=IN IP4 10.0.0.1\n"
        "t=0 0\n"
        "m=audio 4000 RTP/AVP 0\n"
        "m=video 4002 RTP/AVP 96";  // the last line without a line end
    RewriteOptions o;
    o.add_session_attribute = "nortpproxy:yes";
    std::string out = rewrite(body, {to("192.0.2.1", 20000), to("192.0.2.2", 20002)}, o);
    CPPUNIT_ASSERT_EQUAL(std::string("v=0\n"
                                     "o=- 1 1 IN IP4 10.0.0.1\n"
                                     "s=-\n"
                                     "c=IN IP4 192.0.2.1\n"
                                     "t=0 0\n"
                                     "a=nortpproxy:yes\n"
                                     "m=audio 20000 RTP/AVP 0\n"
                                     "m=video 20002 RTP/AVP 96\n"
                                     "c=IN IP4 192.0.2.2\n"),
                         out);
  }

  void addsConnectionWhereNoneWas() {
    const std::string body =
        "v=0\r\n"
        "o=- 1 1 IN IP4 10.0.0.1\r\n"
        "s=-\r\n"
        "t=0 0\r\n"
        "m=audio 4000 RTP/AVP 0\r\n";
    std::string out = rewrite(body, {to("192.0.2.1", 20000)});
    CPPUNIT_ASSERT(out.find("m=audio 20000 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\n") !=
                   std::string::npos);
  }

  void addsSessionAttributeOnce() {
    RewriteOptions o;
    o.add_session_attribute = "nortpproxy:yes";
    std::string once = rewrite(kSimple, {to("192.0.2.1", 20000)}, o);
    CPPUNIT_ASSERT(once.find("t=0 0\r\na=nortpproxy:yes\r\nm=audio") != std::string::npos);
    std::string twice = rewrite(once, {to("192.0.2.1", 20000)}, o);
    CPPUNIT_ASSERT_EQUAL(once, twice);
  }

  void refusesMalformedSdpAndBadTargets() {
    std::string out;
    CPPUNIT_ASSERT(rewriteSdpBody("", {}, {}, out) == RewriteError::kBadSdp);
    CPPUNIT_ASSERT(rewriteSdpBody("hello\r\n", {}, {}, out) == RewriteError::kBadSdp);
    CPPUNIT_ASSERT(rewriteSdpBody("v=0\r\nm=audio x RTP/AVP 0\r\n", {}, {}, out) ==
                   RewriteError::kBadSdp);
    CPPUNIT_ASSERT(rewriteSdpBody("v=0\r\nc=IN IP4\r\n", {}, {}, out) == RewriteError::kBadSdp);
    CPPUNIT_ASSERT(rewriteSdpBody(kSimple, {to("relay.example.com", 1)}, {}, out) ==
                   RewriteError::kBadTarget);
    CPPUNIT_ASSERT(rewriteSdpBody(kSimple, {to("1.2.3.4", 1), to("1.2.3.4", 3)}, {}, out) ==
                   RewriteError::kBadTarget);
    CPPUNIT_ASSERT(rewriteSdpBody(kSimple, {to("[::1]", 1)}, {}, out) == RewriteError::kBadTarget);
    // No target set: the body comes back as it was.
    CPPUNIT_ASSERT(rewriteSdpBody(kSimple, {}, {}, out) == RewriteError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string(kSimple), out);
  }

  // The SDP bodies of the RFC 4475/5118 messages (read as they are): every stream rewritten,
  // to IPv6 and to IPv4, gives a body that parses with the relay's address and ports.
  void rewritesEverySdpOfTheCorpora() {
    int bodies = 0;
    for (const char* dir : {"rfc5118", "rfc4475"}) {
      DIR* d = opendir(testing::corpusPath(dir).c_str());
      CPPUNIT_ASSERT_MESSAGE(dir, d != nullptr);
      while (dirent* e = readdir(d)) {
        std::string name = e->d_name;
        if (name.size() < 4 || name.substr(name.size() - 4) != ".dat") continue;
        std::string msg = testing::readFile(testing::corpusPath(std::string(dir) + "/" + name));
        std::size_t at = msg.find("\r\n\r\n");
        if (at == std::string::npos || msg.find("application/sdp") == std::string::npos) continue;
        std::string body = msg.substr(at + 4);
        SdpSession in;
        if (parseSdp(body, in) != SdpError::kOk) continue;  // the malformed ones
        ++bodies;
        for (const char* relay : {"2001:db8::99", "198.51.100.99"}) {
          std::vector<StreamTarget> targets;
          for (std::size_t i = 0; i < in.media.size(); ++i) {
            targets.push_back(to(relay, static_cast<std::uint16_t>(30000 + 2 * i)));
          }
          std::string out;
          CPPUNIT_ASSERT_MESSAGE(name, rewriteSdp(in, targets, {}, out) == RewriteError::kOk);
          SdpSession back;
          CPPUNIT_ASSERT_MESSAGE(name + ": " + out, parseSdp(out, back) == SdpError::kOk);
          CPPUNIT_ASSERT_EQUAL(in.media.size(), back.media.size());
          for (std::size_t i = 0; i < back.media.size(); ++i) {
            if (in.media[i].isRejected()) continue;
            CPPUNIT_ASSERT_EQUAL(static_cast<std::uint16_t>(30000 + 2 * i), back.media[i].port);
            SdpAddressRef c = back.effectiveConnection(i);
            CPPUNIT_ASSERT_MESSAGE(name + ": " + out, c.connection != nullptr);
            if (!c.connection->isUnspecified()) {
              CPPUNIT_ASSERT_EQUAL(std::string(relay), std::string(c.connection->address));
            }
          }
        }
      }
      closedir(d);
    }
    CPPUNIT_ASSERT(bodies >= 3);
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(SdpRewriteTest);

}  // namespace sipline::media
