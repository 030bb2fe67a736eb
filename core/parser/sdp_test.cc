// Tests of parseSdp() and the SdpSession helpers, including the RFC 5118 IPv6 SDP bodies read
// from test/corpora/ as they are.
#include "core/parser/sdp.h"

#include <cppunit/extensions/HelperMacros.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "core/parser/edit_list.h"
#include "test/test_files.h"

namespace sipline {
namespace {

std::string s(std::string_view v) { return std::string(v); }

using testing::corpusPath;
using testing::readFile;

// The body of a stored SIP message: everything after the first empty line.
std::string bodyOf(const std::string& message) {
  const std::size_t p = message.find("\r\n\r\n");
  return p == std::string::npos ? std::string() : message.substr(p + 4);
}

const char kOffer[] =
    "v=0\r\n"
    "o=alice 2890844526 2890844527 IN IP4 atlanta.example.com\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.10\r\n"
    "t=0 0\r\n"
    "b=AS:64\r\n"
    "m=audio 49170 RTP/AVP 0 8 18 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:18 G729/8000\r\n"
    "a=fmtp:18 annexb=no\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n";

}  // namespace

class SdpTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SdpTest);
  CPPUNIT_TEST(parsesTypicalOffer);
  CPPUNIT_TEST(parsesRtpmapChannelsAndStaticTypes);
  CPPUNIT_TEST(parsesRfc5118Ipv6InSdp);
  CPPUNIT_TEST(parsesRfc5118MediaLevelAddresses);
  CPPUNIT_TEST(detectsHold);
  CPPUNIT_TEST(parsesRtcpAttribute);
  CPPUNIT_TEST(splitsSessionAndMediaSections);
  CPPUNIT_TEST(portZeroIsRejectedStream);
  CPPUNIT_TEST(acceptsLfLineEndsAndMissingLastLineEnd);
  CPPUNIT_TEST(parsesMulticastConnection);
  CPPUNIT_TEST(rewritesAddressesAndPortsThroughEditList);
  CPPUNIT_TEST(toleratesUnknownLinesAndBadAttributes);
  CPPUNIT_TEST(rejectsStructurallyBrokenSdp);
  CPPUNIT_TEST(survivesTruncationAndMutation);
  CPPUNIT_TEST_SUITE_END();

 public:
  void parsesTypicalOffer() {
    const std::string body = kOffer;
    SdpSession sdp;
    CPPUNIT_ASSERT(parseSdp(body, sdp) == SdpError::kOk);
    CPPUNIT_ASSERT(sdp.has_origin);
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), s(sdp.origin.username));
    CPPUNIT_ASSERT_EQUAL(std::string("2890844526"), s(sdp.origin.sess_id));
    CPPUNIT_ASSERT_EQUAL(std::string("2890844527"), s(sdp.origin.sess_version));
    CPPUNIT_ASSERT_EQUAL(std::string("IN"), s(sdp.origin.nettype));
    CPPUNIT_ASSERT(sdp.origin.addr_type == SdpAddrType::kIp4);
    CPPUNIT_ASSERT_EQUAL(std::string("atlanta.example.com"), s(sdp.origin.address));
    CPPUNIT_ASSERT_EQUAL(std::string("-"), s(sdp.session_name));
    CPPUNIT_ASSERT(sdp.has_connection);
    CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.10"), s(sdp.connection.address));
    CPPUNIT_ASSERT_EQUAL(std::string("c=IN IP4 192.0.2.10\r\n"), s(sdp.connection.line));
    CPPUNIT_ASSERT_EQUAL(std::string("0"), s(sdp.start_time));
    CPPUNIT_ASSERT_EQUAL(std::string("0"), s(sdp.stop_time));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, sdp.bandwidths.size());
    CPPUNIT_ASSERT_EQUAL(std::string("AS"), s(sdp.bandwidths[0].type));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{64}, sdp.bandwidths[0].value);

    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, sdp.media.size());
    const SdpMedia& m = sdp.media[0];
    CPPUNIT_ASSERT_EQUAL(std::string("audio"), s(m.media));
    CPPUNIT_ASSERT_EQUAL(49170, static_cast<int>(m.port));
    CPPUNIT_ASSERT_EQUAL(body.find("49170"), sdp.offsetOf(m.port_text));
    CPPUNIT_ASSERT_EQUAL(1u, m.port_count);
    CPPUNIT_ASSERT_EQUAL(std::string("RTP/AVP"), s(m.proto));
    CPPUNIT_ASSERT_EQUAL(std::string("0 8 18 101"), s(m.formats));
    CPPUNIT_ASSERT_EQUAL(std::size_t{4}, m.format_list.size());
    CPPUNIT_ASSERT_EQUAL(std::string("101"), s(m.format_list[3]));
    CPPUNIT_ASSERT_EQUAL(std::size_t{4}, m.rtpmaps.size());
    CPPUNIT_ASSERT_EQUAL(std::string("G729"), s(m.rtpmap(18)->encoding));
    CPPUNIT_ASSERT_EQUAL(std::string("telephone-event"), s(m.rtpmap(101)->encoding));
    CPPUNIT_ASSERT_EQUAL(8000u, m.rtpmap(101)->clock_rate);
    CPPUNIT_ASSERT_EQUAL(1u, m.rtpmap(101)->channels);
    CPPUNIT_ASSERT(m.rtpmap(9) == nullptr);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, m.fmtps.size());
    CPPUNIT_ASSERT_EQUAL(std::string("18"), s(m.fmtps[0].format));
    CPPUNIT_ASSERT_EQUAL(std::string("annexb=no"), s(m.fmtps[0].params));
    CPPUNIT_ASSERT_EQUAL(std::string("0-15"), s(m.fmtps[1].params));
    CPPUNIT_ASSERT_EQUAL(20u, m.ptime);
    CPPUNIT_ASSERT(m.direction == SdpDirection::kSendRecv);
    CPPUNIT_ASSERT_EQUAL(std::size_t{8}, m.attributes.size());  // every a= line is kept
    CPPUNIT_ASSERT_EQUAL(std::string("a=ptime:20\r\n"), s(m.attribute("ptime")->line));
    CPPUNIT_ASSERT(!m.has_rtcp);
    CPPUNIT_ASSERT(!m.isRejected());

    const SdpAddressRef ref = sdp.effectiveConnection(0);
    CPPUNIT_ASSERT(ref.connection == &sdp.connection);
    CPPUNIT_ASSERT(ref.from_session);
    CPPUNIT_ASSERT_EQUAL(body.find("192.0.2.10"), ref.offset);
    CPPUNIT_ASSERT_EQUAL(std::size_t{10}, ref.length);
    CPPUNIT_ASSERT(!sdp.isOnHold(0));
    CPPUNIT_ASSERT(sdp.effectiveConnection(1).connection == nullptr);
  }

  void parsesRtpmapChannelsAndStaticTypes() {
    SdpSession sdp;
    CPPUNIT_ASSERT(parseSdp("v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 5004 RTP/AVP 96 97 0\r\n"
                            "a=rtpmap:96 opus/48000/2\r\na=rtpmap:97 L16/44100/6\r\n",
                            sdp) == SdpError::kOk);
    const SdpMedia& m = sdp.media[0];
    CPPUNIT_ASSERT_EQUAL(std::string("opus"), s(m.rtpmap(96)->encoding));
    CPPUNIT_ASSERT_EQUAL(48000u, m.rtpmap(96)->clock_rate);
    CPPUNIT_ASSERT_EQUAL(std::string("2"), s(m.rtpmap(96)->encoding_params));
    CPPUNIT_ASSERT_EQUAL(2u, m.rtpmap(96)->channels);
    CPPUNIT_ASSERT_EQUAL(6u, m.rtpmap(97)->channels);
    CPPUNIT_ASSERT(m.rtpmap(0) == nullptr);  // static payload type without a=rtpmap
    CPPUNIT_ASSERT(m.direction == SdpDirection::kUnset);
    CPPUNIT_ASSERT(sdp.effectiveDirection(0) == SdpDirection::kSendRecv);
  }

  void parsesRfc5118Ipv6InSdp() {
    const std::string body = bodyOf(readFile(corpusPath("rfc5118/ipv6-in-sdp.dat")));
    CPPUNIT_ASSERT_EQUAL(std::size_t{251}, body.size());  // its Content-Length
    SdpSession sdp;
    CPPUNIT_ASSERT(parseSdp(body, sdp) == SdpError::kOk);
    CPPUNIT_ASSERT(sdp.origin.addr_type == SdpAddrType::kIp6);
    CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::20"), s(sdp.origin.address));
    CPPUNIT_ASSERT_EQUAL(std::string("Live video feed for today's meeting"), s(sdp.session_name));
    CPPUNIT_ASSERT(sdp.connection.addr_type == SdpAddrType::kIp6);
    CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::20"), s(sdp.connection.address));
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, sdp.media.size());
    CPPUNIT_ASSERT_EQUAL(6000, static_cast<int>(sdp.media[0].port));
    CPPUNIT_ASSERT_EQUAL(std::string("G726-32"), s(sdp.media[0].rtpmap(2)->encoding));
    CPPUNIT_ASSERT_EQUAL(std::string("video"), s(sdp.media[1].media));
    CPPUNIT_ASSERT_EQUAL(90000u, sdp.media[1].rtpmap(107)->clock_rate);
    for (std::size_t i = 0; i < 2; ++i) {
      const SdpAddressRef ref = sdp.effectiveConnection(i);
      CPPUNIT_ASSERT(ref.from_session);
      CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::20"), body.substr(ref.offset, ref.length));
      CPPUNIT_ASSERT_EQUAL(body.find("c=IN IP6 ") + 9, ref.offset);
    }
  }

  void parsesRfc5118MediaLevelAddresses() {
    const std::string body = bodyOf(readFile(corpusPath("rfc5118/mult-ip-in-sdp.dat")));
    CPPUNIT_ASSERT_EQUAL(std::size_t{189}, body.size());
    SdpSession sdp;
    CPPUNIT_ASSERT(parseSdp(body, sdp) == SdpError::kOk);
    CPPUNIT_ASSERT(!sdp.has_connection);
    CPPUNIT_ASSERT_EQUAL(std::string(""), s(sdp.session_name));  // "s=" with an empty value
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, sdp.media.size());
    const SdpAddressRef audio = sdp.effectiveConnection(0);
    CPPUNIT_ASSERT(!audio.from_session);
    CPPUNIT_ASSERT(audio.connection->addr_type == SdpAddrType::kIp4);
    CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.1"), body.substr(audio.offset, audio.length));
    const SdpAddressRef video = sdp.effectiveConnection(1);
    CPPUNIT_ASSERT(video.connection->addr_type == SdpAddrType::kIp6);
    CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::1"), body.substr(video.offset, video.length));
    CPPUNIT_ASSERT_EQUAL(22334, static_cast<int>(sdp.media[0].port));
  }

  void detectsHold() {
    SdpSession sdp;
    CPPUNIT_ASSERT(parseSdp("v=0\r\nc=IN IP4 0.0.0.0\r\nm=audio 4000 RTP/AVP 0\r\n", sdp) ==
                   SdpError::kOk);
    CPPUNIT_ASSERT(sdp.connection.isUnspecified());
    CPPUNIT_ASSERT(sdp.isOnHold(0));

    CPPUNIT_ASSERT(parseSdp("v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n"
                            "a=sendonly\r\nm=video 4002 RTP/AVP 31\r\na=recvonly\r\n",
                            sdp) == SdpError::kOk);
    CPPUNIT_ASSERT(sdp.effectiveDirection(0) == SdpDirection::kSendOnly);
    CPPUNIT_ASSERT(sdp.isOnHold(0));
    CPPUNIT_ASSERT(sdp.effectiveDirection(1) == SdpDirection::kRecvOnly);
    CPPUNIT_ASSERT(!sdp.isOnHold(1));

    // Session-level direction applies to media without their own; media-level wins.
    CPPUNIT_ASSERT(parseSdp("v=0\r\nc=IN IP6 ::\r\na=inactive\r\nm=audio 4000 RTP/AVP 0\r\n"
                            "m=audio 4002 RTP/AVP 0\r\na=sendrecv\r\nc=IN IP6 2001:db8::2\r\n",
                            sdp) == SdpError::kOk);
    CPPUNIT_ASSERT(sdp.direction == SdpDirection::kInactive);
    CPPUNIT_ASSERT(sdp.effectiveDirection(0) == SdpDirection::kInactive);
    CPPUNIT_ASSERT(sdp.isOnHold(0));
    CPPUNIT_ASSERT(sdp.effectiveDirection(1) == SdpDirection::kSendRecv);
    CPPUNIT_ASSERT(!sdp.isOnHold(1));  // its own c= overrides the session's ::
  }

  void parsesRtcpAttribute() {
    const std::string body =
        "v=0\r\nc=IN IP4 10.0.0.1\r\n"
        "m=audio 49170 RTP/AVP 0\r\na=rtcp:53020 IN IP4 126.16.64.4\r\n"
        "m=audio 49180 RTP/AVP 0\r\na=rtcp:49181\r\n"
        "m=audio 49190 RTP/AVP 0\r\na=rtcp:x\r\n"
        "m=audio 49200 RTP/AVP 0\r\na=rtcp:53000 IN IP6 2001:db8::9\r\n";
    SdpSession sdp;
    CPPUNIT_ASSERT(parseSdp(body, sdp) == SdpError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::size_t{4}, sdp.media.size());
    const SdpRtcp& r = sdp.media[0].rtcp;
    CPPUNIT_ASSERT(sdp.media[0].has_rtcp);
    CPPUNIT_ASSERT_EQUAL(53020, static_cast<int>(r.port));
    CPPUNIT_ASSERT_EQUAL(body.find("53020"), sdp.offsetOf(r.port_text));
    CPPUNIT_ASSERT_EQUAL(std::string("IN"), s(r.nettype));
    CPPUNIT_ASSERT(r.addr_type == SdpAddrType::kIp4);
    CPPUNIT_ASSERT_EQUAL(std::string("126.16.64.4"), s(r.address));
    CPPUNIT_ASSERT_EQUAL(body.find("126.16.64.4"), sdp.offsetOf(r.address));
    CPPUNIT_ASSERT(sdp.media[1].has_rtcp);
    CPPUNIT_ASSERT_EQUAL(49181, static_cast<int>(sdp.media[1].rtcp.port));
    CPPUNIT_ASSERT(sdp.media[1].rtcp.address.empty());
    CPPUNIT_ASSERT(!sdp.media[2].has_rtcp);  // malformed: kept as a plain attribute only
    CPPUNIT_ASSERT_EQUAL(std::string("x"), s(sdp.media[2].attribute("rtcp")->value));
    CPPUNIT_ASSERT(sdp.media[3].rtcp.addr_type == SdpAddrType::kIp6);
    CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::9"), s(sdp.media[3].rtcp.address));
  }

  void splitsSessionAndMediaSections() {
    const std::string body =
        "v=0\r\no=- 1 1 IN IP4 h\r\ns=x\r\nt=0 0\r\n"
        "m=audio 1000 RTP/AVP 0\r\na=x\r\n"
        "m=video 1002 RTP/AVP 31\r\n"
        "m=application 1004 UDP/BFCP *\r\nb=TIAS:1000\r\n\r\n";
    SdpSession sdp;
    CPPUNIT_ASSERT(parseSdp(body, sdp) == SdpError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, sdp.media.size());
    CPPUNIT_ASSERT_EQUAL(std::string("v=0\r\no=- 1 1 IN IP4 h\r\ns=x\r\nt=0 0\r\n"),
                         s(sdp.session_text));
    CPPUNIT_ASSERT_EQUAL(std::string("m=audio 1000 RTP/AVP 0\r\na=x\r\n"), s(sdp.media[0].text));
    CPPUNIT_ASSERT_EQUAL(std::string("m=video 1002 RTP/AVP 31\r\n"), s(sdp.media[1].text));
    CPPUNIT_ASSERT_EQUAL(std::string("m=application 1004 UDP/BFCP *\r\nb=TIAS:1000\r\n\r\n"),
                         s(sdp.media[2].text));
    std::string joined = s(sdp.session_text);
    for (const SdpMedia& m : sdp.media) joined += s(m.text);
    CPPUNIT_ASSERT_EQUAL(body, joined);
    CPPUNIT_ASSERT_EQUAL(std::string("*"), s(sdp.media[2].format_list[0]));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1000}, sdp.media[2].bandwidths[0].value);
    CPPUNIT_ASSERT(sdp.bandwidths.empty());
    // No c= anywhere: nothing to rewrite.
    CPPUNIT_ASSERT(sdp.effectiveConnection(0).connection == nullptr);
  }

  void portZeroIsRejectedStream() {
    SdpSession sdp;
    CPPUNIT_ASSERT(parseSdp("v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n"
                            "m=video 0 RTP/AVP 31\r\nm=audio 00 RTP/AVP\r\n",
                            sdp) == SdpError::kOk);
    CPPUNIT_ASSERT(!sdp.media[0].isRejected());
    CPPUNIT_ASSERT(sdp.media[1].isRejected());
    CPPUNIT_ASSERT(sdp.media[2].isRejected());  // leading zeros; an empty fmt list tolerated
    CPPUNIT_ASSERT(sdp.media[2].format_list.empty());
  }

  void acceptsLfLineEndsAndMissingLastLineEnd() {
    const std::string body =
        "v=0\no=- 1 2 IN IP4 192.0.2.3\ns=-\nc=IN IP4 192.0.2.3\nt=0 0\n"
        "m=audio 7078 RTP/AVP 8\na=rtpmap:8 PCMA/8000";
    SdpSession sdp;
    CPPUNIT_ASSERT(parseSdp(body, sdp) == SdpError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("c=IN IP4 192.0.2.3\n"), s(sdp.connection.line));
    CPPUNIT_ASSERT_EQUAL(std::string("PCMA"), s(sdp.media[0].rtpmap(8)->encoding));
    CPPUNIT_ASSERT_EQUAL(std::string("a=rtpmap:8 PCMA/8000"), s(sdp.media[0].attributes[0].line));
    CPPUNIT_ASSERT_EQUAL(body.size(), sdp.offsetOf(sdp.media[0].text) + sdp.media[0].text.size());
  }

  void parsesMulticastConnection() {
    SdpSession sdp;
    CPPUNIT_ASSERT(parseSdp("v=0\r\nc=IN IP4 233.252.0.1/127/3\r\nm=audio 4000/2 RTP/AVP 0\r\n"
                            "c=IN IP6 ff15::101/3\r\n",
                            sdp) == SdpError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("233.252.0.1"), s(sdp.connection.address));
    CPPUNIT_ASSERT_EQUAL(127u, sdp.connection.ttl);
    CPPUNIT_ASSERT_EQUAL(3u, sdp.connection.count);
    CPPUNIT_ASSERT_EQUAL(2u, sdp.media[0].port_count);
    const SdpConnection& c6 = sdp.media[0].connections[0];
    CPPUNIT_ASSERT_EQUAL(std::string("ff15::101"), s(c6.address));
    CPPUNIT_ASSERT_EQUAL(0u, c6.ttl);  // IPv6 has no TTL: the number is the count
    CPPUNIT_ASSERT_EQUAL(3u, c6.count);
    CPPUNIT_ASSERT_EQUAL(std::string("ff15::101"),
                         s(sdp.body.substr(sdp.effectiveConnection(0).offset, 9)));
  }

  void rewritesAddressesAndPortsThroughEditList() {
    const std::string body = kOffer;
    SdpSession sdp;
    CPPUNIT_ASSERT(parseSdp(body, sdp) == SdpError::kOk);
    EditList edits;
    const SdpAddressRef ref = sdp.effectiveConnection(0);
    edits.replace(ref.offset, ref.length, "203.0.113.7");
    edits.replace(sdp.offsetOf(sdp.media[0].port_text), sdp.media[0].port_text.size(), "30000");
    std::string out;
    CPPUNIT_ASSERT(edits.build(body, out));
    SdpSession again;
    CPPUNIT_ASSERT(parseSdp(out, again) == SdpError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("203.0.113.7"), s(again.connection.address));
    CPPUNIT_ASSERT_EQUAL(30000, static_cast<int>(again.media[0].port));
    CPPUNIT_ASSERT_EQUAL(body.size() + 1, out.size());
  }

  void toleratesUnknownLinesAndBadAttributes() {
    // RFC 4475 sdp01: "a=rtpmap:31 LPC" has no clock rate.
    const std::string body =
        "v=0\r\no=mhandley 29739 7272939 IN IP4 192.0.2.5\r\ns=-\r\nc=IN IP4 192.0.2.5\r\n"
        "t=0 0\r\nm=audio 49217 RTP/AVP 0 12\r\nm=video 3227 RTP/AVP 31\r\na=rtpmap:31 LPC\r\n";
    SdpSession sdp;
    CPPUNIT_ASSERT(parseSdp(body, sdp) == SdpError::kOk);
    CPPUNIT_ASSERT(sdp.media[1].rtpmaps.empty());
    CPPUNIT_ASSERT_EQUAL(std::string("31 LPC"), s(sdp.media[1].attribute("rtpmap")->value));

    CPPUNIT_ASSERT(parseSdp("v=0\r\ni=info\r\nu=http://x\r\ne=a@b\r\np=+1\r\nz=0 0\r\nk=prompt\r\n"
                            "x=unknown\r\nt=0 0\r\nr=7d 1h 0 25h\r\nb=bogus\r\na=\r\na=ice-lite\r\n"
                            "a=group:BUNDLE 0 1\r\nm=audio 1 RTP/AVP 0\r\na=ptime:abc\r\n"
                            "a=maxptime:150\r\na=rtpmap:300 X/8000\r\na=fmtp:\r\n",
                            sdp) == SdpError::kOk);
    CPPUNIT_ASSERT(sdp.bandwidths.empty());
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, sdp.attributes.size());
    CPPUNIT_ASSERT(!sdp.attributes[0].has_value);
    CPPUNIT_ASSERT_EQUAL(std::string("BUNDLE 0 1"), s(sdp.attributes[1].value));
    CPPUNIT_ASSERT_EQUAL(0u, sdp.media[0].ptime);
    CPPUNIT_ASSERT(sdp.media[0].rtpmaps.empty());
    CPPUNIT_ASSERT(sdp.media[0].fmtps.empty());
    CPPUNIT_ASSERT_EQUAL(std::string("150"), s(sdp.media[0].attribute("maxptime")->value));
  }

  void rejectsStructurallyBrokenSdp() {
    SdpSession sdp;
    CPPUNIT_ASSERT(parseSdp("", sdp) == SdpError::kEmpty);
    CPPUNIT_ASSERT(parseSdp("\r\n\r\n", sdp) == SdpError::kEmpty);
    CPPUNIT_ASSERT(parseSdp("o=- 1 1 IN IP4 h\r\nv=0\r\n", sdp) == SdpError::kNoVersion);
    CPPUNIT_ASSERT(parseSdp("hello world", sdp) == SdpError::kNoVersion);
    CPPUNIT_ASSERT(parseSdp("v=1\r\n", sdp) == SdpError::kBadVersion);
    CPPUNIT_ASSERT(parseSdp("v=0\r\nv=0\r\n", sdp) == SdpError::kBadVersion);
    CPPUNIT_ASSERT(parseSdp("v=0\r\ngarbage\r\n", sdp) == SdpError::kBadLine);
    CPPUNIT_ASSERT(parseSdp("v=0\r\n =x\r\n", sdp) == SdpError::kBadLine);
    CPPUNIT_ASSERT(parseSdp("v=0\r\no=- 1 IN IP4 h\r\n", sdp) == SdpError::kBadOrigin);
    CPPUNIT_ASSERT(parseSdp("v=0\r\no=- 1 1 IN IP4 h x\r\n", sdp) == SdpError::kBadOrigin);
    CPPUNIT_ASSERT(parseSdp("v=0\r\nc=IN IP4\r\n", sdp) == SdpError::kBadConnection);
    CPPUNIT_ASSERT(parseSdp("v=0\r\nc=IN IP4 1.2.3.4 x\r\n", sdp) == SdpError::kBadConnection);
    CPPUNIT_ASSERT(parseSdp("v=0\r\nc=IN IP4 /5\r\n", sdp) == SdpError::kBadConnection);
    CPPUNIT_ASSERT(parseSdp("v=0\r\nc=IN IP4 224.2.1.1/x\r\n", sdp) == SdpError::kBadConnection);
    CPPUNIT_ASSERT(parseSdp("v=0\r\nc=IN IP4 224.2.1.1/300\r\n", sdp) == SdpError::kBadConnection);
    CPPUNIT_ASSERT(parseSdp("v=0\r\nc=IN IP6 ff15::1/1/2\r\n", sdp) == SdpError::kBadConnection);
    CPPUNIT_ASSERT(parseSdp("v=0\r\nc=IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.5\r\n", sdp) ==
                   SdpError::kBadConnection);
    CPPUNIT_ASSERT(parseSdp("v=0\r\nm=audio x RTP/AVP 0\r\n", sdp) == SdpError::kBadPort);
    CPPUNIT_ASSERT(parseSdp("v=0\r\nm=audio 70000 RTP/AVP 0\r\n", sdp) == SdpError::kBadPort);
    CPPUNIT_ASSERT(parseSdp("v=0\r\nm=audio -1 RTP/AVP 0\r\n", sdp) == SdpError::kBadPort);
    CPPUNIT_ASSERT(parseSdp("v=0\r\nm=audio 4000/0 RTP/AVP 0\r\n", sdp) == SdpError::kBadPort);
    CPPUNIT_ASSERT(parseSdp("v=0\r\nm=audio 4000\r\n", sdp) == SdpError::kBadMedia);
    CPPUNIT_ASSERT(parseSdp("v=0\r\nm=\r\n", sdp) == SdpError::kBadMedia);
    CPPUNIT_ASSERT(parseSdp("v=0\r\nm=audio 4000 RTP/AVP 0\r\nc=IN\r\n", sdp) ==
                   SdpError::kBadConnection);
    CPPUNIT_ASSERT_EQUAL(std::string("Bad SDP media port"),
                         std::string(sdpErrorText(SdpError::kBadPort)));
    CPPUNIT_ASSERT_EQUAL(std::string("Unknown SDP error"),
                         std::string(sdpErrorText(static_cast<SdpError>(200))));
  }

  // Every prefix and every single-byte mutation must parse or fail cleanly, in bounds (ASan).
  void survivesTruncationAndMutation() {
    const std::string body = std::string(kOffer) + "a=rtcp:53020 IN IP4 1.2.3.4\r\n" +
                             "m=video 0/2 RTP/AVP 31\r\nc=IN IP6 ff15::1/3\r\n";
    SdpSession sdp;
    std::size_t ok = 0;
    for (std::size_t n = 0; n <= body.size(); ++n) {
      const std::string prefix = body.substr(0, n);
      if (parseSdp(prefix, sdp) == SdpError::kOk) {
        ++ok;
        for (std::size_t i = 0; i <= sdp.media.size(); ++i) {
          const SdpAddressRef ref = sdp.effectiveConnection(i);
          if (ref.connection != nullptr) {
            CPPUNIT_ASSERT(ref.offset + ref.length <= prefix.size());
          }
          (void)sdp.isOnHold(i);
        }
      }
    }
    CPPUNIT_ASSERT(ok > 0);
    const char kBytes[] = {'\0', '\r', '\n', ' ', '/', ':', '=', 'x', '9', '\xff'};
    for (std::size_t i = 0; i < body.size(); ++i) {
      for (char b : kBytes) {
        std::string m = body;
        m[i] = b;
        if (parseSdp(m, sdp) == SdpError::kOk) {
          for (const SdpMedia& media : sdp.media) {
            CPPUNIT_ASSERT(sdp.offsetOf(media.text) + media.text.size() <= m.size());
          }
        }
      }
    }
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(SdpTest);

}  // namespace sipline
