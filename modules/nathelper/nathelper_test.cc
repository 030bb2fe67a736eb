#include "modules/nathelper/nathelper.h"

#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <string>
#include <vector>

#include "core/parser/sip_message.h"

namespace sipline::nathelper {
namespace {

// One parsed message; the text outlives the SipMessage (its views point into it).
struct Msg {
  explicit Msg(std::string t) : text(std::move(t)) {
    CPPUNIT_ASSERT_MESSAGE(text, msg.parse(text) == ParseError::kOk);
  }
  std::string built() {
    std::string out;
    CPPUNIT_ASSERT(msg.build(out));
    return out;
  }
  std::string text;
  SipMessage msg;
};

Source from(const std::string& ip, std::uint16_t port, Proto proto = Proto::kUdp) {
  Source s;
  CPPUNIT_ASSERT(SockAddr::fromNumeric(ip, port, s.addr));
  s.proto = proto;
  return s;
}

std::string request(const std::string& via, const std::string& contact,
                    const std::string& body = "", const std::string& ctype = "application/sdp") {
  std::string m =
      "INVITE sip:bob@example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP " +
      via +
      ";branch=z9hG4bK1\r\n"
      "From: <sip:alice@example.com>;tag=1\r\n"
      "To: <sip:bob@example.com>\r\n"
      "Call-ID: c1\r\n"
      "CSeq: 1 INVITE\r\n";
  if (!contact.empty()) m += "Contact: " + contact + "\r\n";
  if (!body.empty()) m += "Content-Type: " + ctype + "\r\n";
  m += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return m;
}

std::string sdp(const std::string& session_c, const std::string& media) {
  return "v=0\r\n"
         "o=- 1 1 IN IP4 192.168.1.20\r\n"
         "s=-\r\n" +
         session_c + "t=0 0\r\n" + media;
}

bool test(const std::string& text, const Source& src, std::uint32_t flags) {
  Msg m(text);
  return natUacTest(m.msg, src, flags);
}

std::string bodyOf(const std::string& out) { return out.substr(out.find("\r\n\r\n") + 4); }

std::string contentLength(const std::string& out) {
  std::size_t at = out.find("Content-Length: ");
  return out.substr(at + 16, out.find("\r\n", at) - at - 16);
}

}  // namespace

class NathelperTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(NathelperTest);
  CPPUNIT_TEST(privateRanges);
  CPPUNIT_TEST(flagsAsNumbersAndNames);
  CPPUNIT_TEST(badFlagsAreRefused);
  CPPUNIT_TEST(privateContact);
  CPPUNIT_TEST(viaDiffers);
  CPPUNIT_TEST(privateVia);
  CPPUNIT_TEST(privateSdp);
  CPPUNIT_TEST(viaPortDiffers);
  CPPUNIT_TEST(contactDiffers);
  CPPUNIT_TEST(contactPortDiffers);
  CPPUNIT_TEST(cgnatCountsAsPrivate);
  CPPUNIT_TEST(anySelectedTestIsEnough);
  CPPUNIT_TEST(fixContactForms);
  CPPUNIT_TEST(fixContactIpv6AndReply);
  CPPUNIT_TEST(fixContactWithUriParams);
  CPPUNIT_TEST(fixContactWithoutContact);
  CPPUNIT_TEST(fixContactDropsMaddr);
  CPPUNIT_TEST(rcvParamAsHeaderParam);
  CPPUNIT_TEST(rcvParamInUri);
  CPPUNIT_TEST(sdpRewriteC);
  CPPUNIT_TEST(sdpRewriteIpv6AndO);
  CPPUNIT_TEST(sdpRewriteToGivenIp);
  CPPUNIT_TEST(sdpFieldsAreAppended);
  CPPUNIT_TEST(sdpHoldAndRtcpUntouched);
  CPPUNIT_TEST(sdpDirectionActive);
  CPPUNIT_TEST(sdpMultipart);
  CPPUNIT_TEST(sdpNotSdp);
  CPPUNIT_TEST_SUITE_END();

 public:
  void privateRanges() {
    for (const char* ip :
         {"10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.1", "192.168.1.20", "fc00::1",
          "fd12:3456::1", "[fd00::2]", "fe80::1", "febf::1", "100.64.0.1", "100.127.255.254"}) {
      CPPUNIT_ASSERT_MESSAGE(ip, isPrivateAddress(ip));
    }
    for (const char* ip : {"9.255.255.255", "11.0.0.1", "172.15.0.1", "172.32.0.1", "192.169.0.1",
                           "192.0.2.1", "100.128.0.1", "100.63.255.255", "2001:db8::1", "fec0::1",
                           "::1", "example.com", "", "[", "1.2.3"}) {
      CPPUNIT_ASSERT_MESSAGE(ip, !isPrivateAddress(ip));
    }
  }

  void flagsAsNumbersAndNames() {
    CPPUNIT_ASSERT_EQUAL(19u, parseNatTestFlags("19").value());
    CPPUNIT_ASSERT_EQUAL(127u, parseNatTestFlags("127").value());
    // OpenSIPS's 64: the Contact's port is not the source port (a test of its own).
    CPPUNIT_ASSERT_EQUAL(64u, parseNatTestFlags("64").value());
    CPPUNIT_ASSERT_EQUAL(65u, parseNatTestFlags("private-contact|contact-port-differs").value());
    CPPUNIT_ASSERT_EQUAL(126u,
                         parseNatTestFlags("via-differs, private-via|private-sdp,via-port-differs|"
                                           "contact-differs|CONTACT-PORT-DIFFERS")
                             .value());
    CPPUNIT_ASSERT_EQUAL(11u, parseSdpFixFlags("add-dir-active|rewrite-c|rewrite-o").value());
    CPPUNIT_ASSERT_EQUAL(2u, parseSdpFixFlags("2").value());
    // OpenSIPS's 16: null addresses too (with 2 or 8; alone it does nothing).
    CPPUNIT_ASSERT_EQUAL(18u, parseSdpFixFlags("18").value());
    CPPUNIT_ASSERT_EQUAL(26u, parseSdpFixFlags("rewrite-c|rewrite-o|rewrite-null").value());
  }

  void badFlagsAreRefused() {
    for (const char* bad :
         {"", "0", "128", "cgnat", "private-contakt", "1|", "-1", "1x", "private-contact|bogus"}) {
      CPPUNIT_ASSERT_MESSAGE(bad, !parseNatTestFlags(bad).isOk());
    }
    Result<std::uint32_t> typo = parseNatTestFlags("private-contakt");
    CPPUNIT_ASSERT(typo.status().message().find("private-contact") != std::string::npos);
    for (const char* bad : {"4", "16", "0", "rewrite", "private-sdp", "rewrite-null", "32"}) {
      CPPUNIT_ASSERT_MESSAGE(bad, !parseSdpFixFlags(bad).isOk());
    }
  }

  void privateContact() {
    Source src = from("203.0.113.5", 5060);
    CPPUNIT_ASSERT(test(request("203.0.113.5", "<sip:a@192.168.1.20:5062>"), src, 1));
    CPPUNIT_ASSERT(test(request("203.0.113.5", "sip:a@10.1.2.3"), src, 1));
    CPPUNIT_ASSERT(test(request("203.0.113.5", "<sip:a@[fd00::1]:5062>"), src, 1));
    CPPUNIT_ASSERT(!test(request("203.0.113.5", "<sip:a@198.51.100.7:5062>"), src, 1));
    CPPUNIT_ASSERT(!test(request("203.0.113.5", "<sip:a@[2001:db8::1]>"), src, 1));
    CPPUNIT_ASSERT(!test(request("203.0.113.5", ""), src, 1));
    // Every Contact counts, as OpenSIPS: any private one is enough (a REGISTER with two).
    CPPUNIT_ASSERT(test(request("203.0.113.5", "<sip:a@198.51.100.7>, <sip:b@10.0.0.1>"), src, 1));
    CPPUNIT_ASSERT(!test(request("203.0.113.5", "<sip:a@198.51.100.7>, <tel:+15551234>"), src, 1));
  }

  void viaDiffers() {
    Source src = from("203.0.113.5", 5060);
    CPPUNIT_ASSERT(test(request("192.168.1.20:5060", "<sip:a@203.0.113.5>"), src, 2));
    CPPUNIT_ASSERT(test(request("phone.example.com", "<sip:a@203.0.113.5>"), src, 2));
    CPPUNIT_ASSERT(!test(request("203.0.113.5:5062", "<sip:a@10.0.0.1>"), src, 2));
    Source v6 = from("2001:db8::5", 5060);
    CPPUNIT_ASSERT(!test(request("[2001:db8::5]", "<sip:a@10.0.0.1>"), v6, 2));
    CPPUNIT_ASSERT(test(request("[2001:db8::6]", "<sip:a@10.0.0.1>"), v6, 2));
  }

  void privateVia() {
    Source src = from("203.0.113.5", 5060);
    CPPUNIT_ASSERT(test(request("172.20.0.9:5060", ""), src, 4));
    CPPUNIT_ASSERT(test(request("[fe80::1]:5060", ""), src, 4));
    CPPUNIT_ASSERT(!test(request("203.0.113.5", ""), src, 4));
    CPPUNIT_ASSERT(!test(request("[2001:db8::5]", ""), src, 4));
  }

  void privateSdp() {
    Source src = from("203.0.113.5", 5060);
    std::string media_c = sdp("", "m=audio 4000 RTP/AVP 0\r\nc=IN IP4 192.168.1.20\r\n");
    std::string session_c = sdp("c=IN IP4 10.0.0.8\r\n", "m=audio 4000 RTP/AVP 0\r\n");
    std::string v6 = sdp("c=IN IP6 fd00::8\r\n", "m=audio 4000 RTP/AVP 0\r\n");
    std::string pub = sdp("c=IN IP4 203.0.113.5\r\n", "m=audio 4000 RTP/AVP 0\r\n");
    std::string pub6 = sdp("c=IN IP6 2001:db8::8\r\n", "m=audio 4000 RTP/AVP 0\r\n");
    CPPUNIT_ASSERT(test(request("203.0.113.5", "", media_c), src, 8));
    CPPUNIT_ASSERT(test(request("203.0.113.5", "", session_c), src, 8));
    CPPUNIT_ASSERT(test(request("203.0.113.5", "", v6), src, 8));
    CPPUNIT_ASSERT(!test(request("203.0.113.5", "", pub), src, 8));
    CPPUNIT_ASSERT(!test(request("203.0.113.5", "", pub6), src, 8));
    CPPUNIT_ASSERT(!test(request("203.0.113.5", ""), src, 8));
    CPPUNIT_ASSERT(!test(request("203.0.113.5", "", media_c, "text/plain"), src, 8));
  }

  void viaPortDiffers() {
    Source src = from("203.0.113.5", 40000);
    CPPUNIT_ASSERT(test(request("203.0.113.5:5060", ""), src, 16));
    CPPUNIT_ASSERT(test(request("203.0.113.5", ""), src, 16));  // 5060 by default
    CPPUNIT_ASSERT(!test(request("192.168.1.20:40000", ""), src, 16));
    CPPUNIT_ASSERT(!test(request("203.0.113.5", ""), from("203.0.113.5", 5060), 16));
    Source v6 = from("2001:db8::5", 5070);
    CPPUNIT_ASSERT(!test(request("[2001:db8::5]:5070", ""), v6, 16));
    CPPUNIT_ASSERT(test(request("[2001:db8::5]:5071", ""), v6, 16));
  }

  // 32 (OpenSIPS's): the Contact's IP is not the source IP; its port does not matter.
  void contactDiffers() {
    Source src = from("203.0.113.5", 5062);
    CPPUNIT_ASSERT(!test(request("203.0.113.5", "<sip:a@203.0.113.5:5062>"), src, 32));
    CPPUNIT_ASSERT(!test(request("203.0.113.5", "<sip:a@203.0.113.5:5063>"), src, 32));
    CPPUNIT_ASSERT(!test(request("203.0.113.5", "<sip:a@203.0.113.5>"), src, 32));
    CPPUNIT_ASSERT(test(request("203.0.113.5", "<sip:a@203.0.113.6:5062>"), src, 32));
    CPPUNIT_ASSERT(test(request("203.0.113.5", "<sip:a@phone.example.com:5062>"), src, 32));
    CPPUNIT_ASSERT(
        test(request("203.0.113.5", "<sip:a@203.0.113.5:5062>, <sip:b@203.0.113.6>"), src, 32));
    Source v6 = from("2001:db8::5", 5062);
    CPPUNIT_ASSERT(!test(request("[2001:db8::5]", "<sip:a@[2001:db8::5]:5062>"), v6, 32));
    CPPUNIT_ASSERT(test(request("[2001:db8::5]", "<sip:a@[fd00::5]:5062>"), v6, 32));
  }

  // 64 (OpenSIPS's): the Contact's port (5060, 5061 for sips:, when absent) is not the
  // source port; its IP does not matter.
  void contactPortDiffers() {
    Source src = from("203.0.113.5", 5062);
    CPPUNIT_ASSERT(!test(request("203.0.113.5", "<sip:a@203.0.113.5:5062>"), src, 64));
    CPPUNIT_ASSERT(!test(request("203.0.113.5", "<sip:a@192.168.1.2:5062>"), src, 64));
    CPPUNIT_ASSERT(test(request("203.0.113.5", "<sip:a@203.0.113.5:5063>"), src, 64));
    CPPUNIT_ASSERT(test(request("203.0.113.5", "<sip:a@203.0.113.5>"), src, 64));  // 5060
    CPPUNIT_ASSERT(
        test(request("203.0.113.5", "<sip:a@203.0.113.5:5062>, <sip:b@203.0.113.5>"), src, 64));
    CPPUNIT_ASSERT(
        !test(request("203.0.113.5", "<sip:a@203.0.113.5>"), from("203.0.113.5", 5060), 64));
    CPPUNIT_ASSERT(
        !test(request("203.0.113.5", "<sips:a@203.0.113.5>"), from("203.0.113.5", 5061), 64));
    CPPUNIT_ASSERT(!test(request("203.0.113.5", "<sip:a@203.0.113.5;transport=TLS>"),
                         from("203.0.113.5", 5061), 64));
    // Both: either one differing is enough.
    CPPUNIT_ASSERT(test(request("203.0.113.5", "<sip:a@203.0.113.5:5063>"), src, 32 | 64));
    CPPUNIT_ASSERT(test(request("203.0.113.5", "<sip:a@203.0.113.6:5062>"), src, 32 | 64));
  }

  // RFC 6598 (carrier-grade NAT) addresses are private for 1, 4 and 8, as in OpenSIPS.
  void cgnatCountsAsPrivate() {
    Source src = from("203.0.113.5", 5060);
    std::string m = request("100.64.1.1", "<sip:a@100.100.0.1>",
                            sdp("c=IN IP4 100.64.9.9\r\n", "m=audio 4000 RTP/AVP 0\r\n"));
    CPPUNIT_ASSERT(test(m, src, 1));
    CPPUNIT_ASSERT(test(m, src, 4));
    CPPUNIT_ASSERT(test(m, src, 8));
  }

  void anySelectedTestIsEnough() {
    Source src = from("203.0.113.5", 5060);
    std::string m = request("203.0.113.5", "<sip:a@192.168.0.2>");
    CPPUNIT_ASSERT(!test(m, src, 2 | 4 | 16));
    CPPUNIT_ASSERT(test(m, src, 2 | 4 | 16 | 1));
  }

  void fixContactForms() {
    Source src = from("203.0.113.5", 40001);
    struct Case {
      const char* in;
      const char* out;
    } cases[] = {
        {"\"Alice\" <sip:alice@192.168.1.20:5062;transport=udp>;expires=60",
         "\"Alice\" <sip:alice@203.0.113.5:40001;transport=udp>;expires=60"},
        {"<sip:alice@192.168.1.20>", "<sip:alice@203.0.113.5:40001>"},
        {"sip:alice@192.168.1.20:5062;q=0.5", "sip:alice@203.0.113.5:40001;q=0.5"},
        {"<sips:alice:pw@phone.local:5061;ob>;+sip.instance=\"<urn:uuid:1>\"",
         "<sips:alice:pw@203.0.113.5:40001;ob>;+sip.instance=\"<urn:uuid:1>\""},
        // Every Contact, as OpenSIPS (a REGISTER binding two); a tel: URI stays.
        {"<sip:10.0.0.1:5070>, <sip:b@10.0.0.2>",
         "<sip:203.0.113.5:40001>, <sip:b@203.0.113.5:40001>"},
        {"<tel:+15551234>, sip:b@10.0.0.2;expires=30",
         "<tel:+15551234>, sip:b@203.0.113.5:40001;expires=30"},
        {"<sip:a@10.0.0.1>\r\nContact: <sip:b@10.0.0.2;maddr=10.0.0.2;lr>",
         "<sip:a@203.0.113.5:40001>\r\nContact: <sip:b@203.0.113.5:40001;lr>"},
    };
    for (const Case& c : cases) {
      Msg m(request("203.0.113.5", c.in));
      CPPUNIT_ASSERT(fixNatedContact(m.msg, src));
      CPPUNIT_ASSERT(fixNatedContact(m.msg, src));  // a second call replaces the first
      std::string out = m.built();
      CPPUNIT_ASSERT_MESSAGE(
          out, out.find(std::string("Contact: ") + c.out + "\r\n") != std::string::npos);
    }
  }

  void fixContactIpv6AndReply() {
    Source src = from("2001:db8::5", 5062);
    Msg m(request("[2001:db8::5]", "<sip:alice@[fd00::20]:5062>"));
    CPPUNIT_ASSERT(fixNatedContact(m.msg, src));
    CPPUNIT_ASSERT(m.built().find("Contact: <sip:alice@[2001:db8::5]:5062>\r\n") !=
                   std::string::npos);
    Msg reply(
        "SIP/2.0 200 OK\r\n"
        "Via: SIP/2.0/UDP 198.51.100.1;branch=z9hG4bK1\r\n"
        "From: <sip:alice@example.com>;tag=1\r\n"
        "To: <sip:bob@example.com>;tag=2\r\n"
        "Call-ID: c1\r\n"
        "CSeq: 1 INVITE\r\n"
        "Contact: <sip:bob@192.168.7.7:5060>\r\n"
        "Content-Length: 0\r\n\r\n");
    CPPUNIT_ASSERT(fixNatedContact(reply.msg, from("203.0.113.9", 31000)));
    CPPUNIT_ASSERT(reply.built().find("Contact: <sip:bob@203.0.113.9:31000>\r\n") !=
                   std::string::npos);
  }

  // A maddr would still send requests for the Contact to the private address (RFC 3261
  // §19.1.1: maddr overrides the host), so the fixed Contact drops it, as OpenSIPS does.
  void fixContactDropsMaddr() {
    Source src = from("203.0.113.5", 40001);
    struct Case {
      const char* in;
      const char* out;
    } cases[] = {
        {"<sip:alice@192.168.1.20:5062;maddr=192.168.1.20;transport=udp>;expires=60",
         "<sip:alice@203.0.113.5:40001;transport=udp>;expires=60"},
        {"<sip:alice@192.168.1.20;lr;MADDR=10.0.0.1>", "<sip:alice@203.0.113.5:40001;lr>"},
        {"<sip:alice@192.168.1.20;maddr=10.0.0.1?Subject=x>",
         "<sip:alice@203.0.113.5:40001?Subject=x>"},
    };
    for (const Case& c : cases) {
      Msg m(request("203.0.113.5", c.in));
      CPPUNIT_ASSERT(fixNatedContact(m.msg, src));
      CPPUNIT_ASSERT(fixNatedContact(m.msg, src));  // a second call replaces the first
      std::string out = m.built();
      CPPUNIT_ASSERT_MESSAGE(
          out, out.find(std::string("Contact: ") + c.out + "\r\n") != std::string::npos);
    }
  }

  // OpenSIPS's optional uri_params: right after the new host:port; a bare addr-spec goes in
  // <> so that they stay URI parameters (its header parameters stay outside).
  void fixContactWithUriParams() {
    Source src = from("203.0.113.5", 40001);
    struct Case {
      const char* in;
      const char* out;
    } cases[] = {
        {"\"A\" <sip:alice@192.168.1.20:5062;transport=udp>;expires=60",
         "\"A\" <sip:alice@203.0.113.5:40001;ata=cisco;transport=udp>;expires=60"},
        {"sip:alice@192.168.1.20:5062;q=0.5", "<sip:alice@203.0.113.5:40001;ata=cisco>;q=0.5"},
        {"sip:alice@192.168.1.20", "<sip:alice@203.0.113.5:40001;ata=cisco>"},
        {"<sip:alice@192.168.1.20;maddr=10.0.0.1;lr>",
         "<sip:alice@203.0.113.5:40001;ata=cisco;lr>"},
    };
    for (const Case& c : cases) {
      Msg m(request("203.0.113.5", c.in));
      CPPUNIT_ASSERT(fixNatedContact(m.msg, src, ";ata=cisco"));
      CPPUNIT_ASSERT(fixNatedContact(m.msg, src, ";ata=cisco"));  // replaces the first
      std::string out = m.built();
      CPPUNIT_ASSERT_MESSAGE(
          out, out.find(std::string("Contact: ") + c.out + "\r\n") != std::string::npos);
    }
    // With add_rcv_param(1) on the same bare Contact, in either order: one pair of <>.
    for (bool rcv_first : {false, true}) {
      Msg m(request("203.0.113.5", "sip:a@10.0.0.1:5060;expires=60"));
      if (rcv_first) CPPUNIT_ASSERT_EQUAL(1, addRcvParam(m.msg, src, true));
      CPPUNIT_ASSERT(fixNatedContact(m.msg, src, ";p=1"));
      if (!rcv_first) CPPUNIT_ASSERT_EQUAL(1, addRcvParam(m.msg, src, true));
      std::string out = m.built();
      CPPUNIT_ASSERT_MESSAGE(
          out, out.find("Contact: <sip:a@203.0.113.5:40001;p=1;received=sip:203.0.113.5:40001>"
                        ";expires=60\r\n") != std::string::npos);
    }
    CPPUNIT_ASSERT(validUriParams(""));
    CPPUNIT_ASSERT(validUriParams(";ata=cisco;x"));
    CPPUNIT_ASSERT(!validUriParams("ata=cisco"));
    CPPUNIT_ASSERT(!validUriParams(";"));
    CPPUNIT_ASSERT(!validUriParams(";a=b>"));
    CPPUNIT_ASSERT(!validUriParams(";a=b, <sip:x@y>"));
    CPPUNIT_ASSERT(!validUriParams(";a=b\r\nX: y"));
  }

  void fixContactWithoutContact() {
    Msg none(request("203.0.113.5", ""));
    CPPUNIT_ASSERT(!fixNatedContact(none.msg, from("203.0.113.5", 5060)));
    Msg tel(request("203.0.113.5", "<tel:+15551234>"));
    CPPUNIT_ASSERT(!fixNatedContact(tel.msg, from("203.0.113.5", 5060)));
    CPPUNIT_ASSERT(tel.msg.edits().empty());
  }

  void rcvParamAsHeaderParam() {
    Msg m(request("203.0.113.5", "\"A\" <sip:a@10.0.0.1:5062>;expires=60, sip:b@10.0.0.2"));
    CPPUNIT_ASSERT_EQUAL(2, addRcvParam(m.msg, from("203.0.113.5", 40001), false));
    std::string out = m.built();
    CPPUNIT_ASSERT_MESSAGE(out,
                           out.find("Contact: \"A\" <sip:a@10.0.0.1:5062>;expires=60;"
                                    "received=\"sip:203.0.113.5:40001\", sip:b@10.0.0.2;"
                                    "received=\"sip:203.0.113.5:40001\"\r\n") != std::string::npos);
    Msg tcp(request("[2001:db8::5]", "<sip:a@[fd00::1]>"));
    CPPUNIT_ASSERT_EQUAL(1, addRcvParam(tcp.msg, from("2001:db8::5", 50000, Proto::kTcp), false));
    CPPUNIT_ASSERT(
        tcp.built().find("<sip:a@[fd00::1]>;received=\"sip:[2001:db8::5]:50000;transport=tcp\"") !=
        std::string::npos);
    Msg none(request("203.0.113.5", ""));
    CPPUNIT_ASSERT_EQUAL(0, addRcvParam(none.msg, from("203.0.113.5", 5060), false));
  }

  void rcvParamInUri() {
    Msg m(request("203.0.113.5", "<sip:a@10.0.0.1:5062;ob>;expires=60, sip:b@10.0.0.2;q=0.1"));
    CPPUNIT_ASSERT_EQUAL(2, addRcvParam(m.msg, from("203.0.113.5", 40001, Proto::kTls), true));
    std::string out = m.built();
    CPPUNIT_ASSERT_MESSAGE(
        out, out.find("Contact: <sip:a@10.0.0.1:5062;ob;received=sip:203.0.113.5:40001%3Btransport"
                      "%3Dtls>;expires=60, <sip:b@10.0.0.2;received=sip:203.0.113.5:40001%3B"
                      "transport%3Dtls>;q=0.1\r\n") != std::string::npos);
    // What we wrote parses back, with the param inside the URI.
    Msg again(out);
    const ContactList* list = again.msg.contacts();
    CPPUNIT_ASSERT(list != nullptr && list->items.size() == 2);
    CPPUNIT_ASSERT(hasUriParam(list->items[1].addr.uri.params, "received"));
  }

  void sdpRewriteC() {
    std::string body = sdp("c=IN IP4 192.168.1.20\r\n",
                           "m=audio 4000 RTP/AVP 0 8\r\n"
                           "c=IN IP4 192.168.1.20\r\n"
                           "a=rtpmap:0 PCMU/8000\r\n"
                           "m=video 4002 RTP/AVP 96\r\n"
                           "c=IN IP4 10.0.0.3/127\r\n");
    Msg m(request("203.0.113.5", "", body));
    CPPUNIT_ASSERT(fixNatedSdp(m.msg, from("203.0.113.5", 5060), kRewriteC));
    std::string out = m.built();
    std::string want = sdp("c=IN IP4 203.0.113.5\r\n",
                           "m=audio 4000 RTP/AVP 0 8\r\n"
                           "c=IN IP4 203.0.113.5\r\n"
                           "a=rtpmap:0 PCMU/8000\r\n"
                           "m=video 4002 RTP/AVP 96\r\n"
                           "c=IN IP4 203.0.113.5/127\r\n");
    CPPUNIT_ASSERT_EQUAL(want, bodyOf(out));
    CPPUNIT_ASSERT_EQUAL(std::to_string(want.size()), contentLength(out));
    // o= is left alone without rewrite-o.
    CPPUNIT_ASSERT(out.find("o=- 1 1 IN IP4 192.168.1.20\r\n") != std::string::npos);
  }

  void sdpRewriteIpv6AndO() {
    std::string body = sdp("c=IN IP4 192.168.1.20\r\n", "m=audio 4000 RTP/AVP 0\r\n");
    Msg m(request("[2001:db8::5]", "", body));
    CPPUNIT_ASSERT(fixNatedSdp(m.msg, from("2001:db8::5", 5060), kRewriteC | kRewriteO));
    std::string want =
        "v=0\r\n"
        "o=- 1 1 IN IP6 2001:db8::5\r\n"
        "s=-\r\n"
        "c=IN IP6 2001:db8::5\r\n"
        "t=0 0\r\n"
        "m=audio 4000 RTP/AVP 0\r\n";
    std::string out = m.built();
    CPPUNIT_ASSERT_EQUAL(want, bodyOf(out));
    CPPUNIT_ASSERT_EQUAL(std::to_string(want.size()), contentLength(out));
  }

  // OpenSIPS's optional ip_address: written instead of the source IP, its family decides.
  void sdpRewriteToGivenIp() {
    std::string body = sdp("c=IN IP4 192.168.1.20\r\n", "m=audio 4000 RTP/AVP 0\r\n");
    std::string want =
        "v=0\r\n"
        "o=- 1 1 IN IP4 198.51.100.9\r\n"
        "s=-\r\n"
        "c=IN IP4 198.51.100.9\r\n"
        "t=0 0\r\n"
        "m=audio 4000 RTP/AVP 0\r\n";
    Msg m(request("203.0.113.5", "", body));
    CPPUNIT_ASSERT(
        fixNatedSdp(m.msg, from("203.0.113.5", 5060), kRewriteC | kRewriteO, "198.51.100.9"));
    CPPUNIT_ASSERT_EQUAL(want, bodyOf(m.built()));
    Msg v6(request("203.0.113.5", "", body));
    CPPUNIT_ASSERT(fixNatedSdp(v6.msg, from("203.0.113.5", 5060), kRewriteC, "[2001:db8::9]"));
    CPPUNIT_ASSERT(bodyOf(v6.built()).find("c=IN IP6 2001:db8::9\r\n") != std::string::npos);
    Msg bad(request("203.0.113.5", "", body));
    CPPUNIT_ASSERT(!fixNatedSdp(bad.msg, from("203.0.113.5", 5060), kRewriteC, "media.example"));
    CPPUNIT_ASSERT(bad.msg.edits().empty());
  }

  // OpenSIPS's optional sdp_fields: lines appended at the end of the SDP.
  void sdpFieldsAreAppended() {
    std::string body = sdp("c=IN IP4 192.168.1.20\r\n", "m=audio 4000 RTP/AVP 0\r\n");
    Msg m(request("203.0.113.5", "", body));
    CPPUNIT_ASSERT(
        fixNatedSdp(m.msg, from("203.0.113.5", 5060), kRewriteC, "", "\r\na=x-attr1\r\na=x-attr2"));
    std::string out = m.built();
    std::string want =
        sdp("c=IN IP4 203.0.113.5\r\n", "m=audio 4000 RTP/AVP 0\r\na=x-attr1\r\na=x-attr2\r\n");
    CPPUNIT_ASSERT_EQUAL(want, bodyOf(out));
    CPPUNIT_ASSERT_EQUAL(std::to_string(want.size()), contentLength(out));
    std::vector<std::string> lines;
    CPPUNIT_ASSERT(sdpFieldLines("a=x\nb=AS:64\r\n", lines));
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, lines.size());
    for (const char* bad : {"", "\r\n", "x-attr", "A=x", "a=x\r\n=y", "a=\x01"}) {
      CPPUNIT_ASSERT_MESSAGE(bad, !sdpFieldLines(bad, lines));
    }
    Msg bad(request("203.0.113.5", "", body));
    CPPUNIT_ASSERT(!fixNatedSdp(bad.msg, from("203.0.113.5", 5060), kRewriteC, "", "x-attr"));
    CPPUNIT_ASSERT(bad.msg.edits().empty());
  }

  void sdpHoldAndRtcpUntouched() {
    std::string body = sdp("c=IN IP4 0.0.0.0\r\n",
                           "m=audio 4000 RTP/AVP 0\r\n"
                           "a=rtcp:4001 IN IP4 192.168.1.20\r\n"
                           "a=sendonly\r\n"
                           "m=audio 4004 RTP/AVP 0\r\n"
                           "c=IN IP6 ::\r\n");
    Msg m(request("203.0.113.5", "", body));
    CPPUNIT_ASSERT(fixNatedSdp(m.msg, from("203.0.113.5", 5060), kRewriteC));
    CPPUNIT_ASSERT(m.msg.edits().empty());  // only hold addresses: nothing to change
    std::string mixed = sdp("c=IN IP4 192.168.1.20\r\n",
                            "m=audio 4000 RTP/AVP 0\r\n"
                            "a=rtcp:4001 IN IP4 192.168.1.20\r\n"
                            "m=audio 4004 RTP/AVP 0\r\n"
                            "c=IN IP4 0.0.0.0\r\n");
    Msg m2(request("203.0.113.5", "", mixed));
    CPPUNIT_ASSERT(fixNatedSdp(m2.msg, from("203.0.113.5", 5060), kRewriteC));
    CPPUNIT_ASSERT_EQUAL(sdp("c=IN IP4 203.0.113.5\r\n",
                             "m=audio 4000 RTP/AVP 0\r\n"
                             "a=rtcp:4001 IN IP4 192.168.1.20\r\n"
                             "m=audio 4004 RTP/AVP 0\r\n"
                             "c=IN IP4 0.0.0.0\r\n"),
                         bodyOf(m2.built()));
    // A null o= address stays too; with rewrite-null (OpenSIPS's 16) every null address goes.
    std::string null_o =
        "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
        "m=audio 4000 RTP/AVP 0\r\nc=IN IP6 ::\r\n";
    Msg m3(request("203.0.113.5", "", null_o));
    CPPUNIT_ASSERT(fixNatedSdp(m3.msg, from("203.0.113.5", 5060), kRewriteC | kRewriteO));
    CPPUNIT_ASSERT(m3.msg.edits().empty());
    Msg m4(request("203.0.113.5", "", null_o));
    CPPUNIT_ASSERT(
        fixNatedSdp(m4.msg, from("203.0.113.5", 5060), kRewriteC | kRewriteO | kRewriteNull));
    CPPUNIT_ASSERT_EQUAL(std::string("v=0\r\no=- 1 1 IN IP4 203.0.113.5\r\ns=-\r\n"
                                     "c=IN IP4 203.0.113.5\r\nt=0 0\r\n"
                                     "m=audio 4000 RTP/AVP 0\r\nc=IN IP4 203.0.113.5\r\n"),
                         bodyOf(m4.built()));
  }

  void sdpDirectionActive() {
    std::string body = sdp("c=IN IP4 192.168.1.20\r\n", "m=audio 4000 TCP/RTP/AVP 0\r\n");
    Msg m(request("203.0.113.5", "", body));
    CPPUNIT_ASSERT(fixNatedSdp(m.msg, from("203.0.113.5", 5060), kAddDirActive | kRewriteC));
    std::string want =
        sdp("c=IN IP4 203.0.113.5\r\n", "a=direction:active\r\nm=audio 4000 TCP/RTP/AVP 0\r\n");
    std::string out = m.built();
    CPPUNIT_ASSERT_EQUAL(want, bodyOf(out));
    CPPUNIT_ASSERT_EQUAL(std::to_string(want.size()), contentLength(out));
    // Already there: not added twice.
    Msg again(out);
    CPPUNIT_ASSERT(fixNatedSdp(again.msg, from("203.0.113.5", 5060), kAddDirActive));
    CPPUNIT_ASSERT(again.msg.edits().empty());
  }

  void sdpMultipart() {
    std::string inner = sdp("c=IN IP4 10.0.0.7\r\n", "m=audio 4000 RTP/AVP 0\r\n");
    std::string body =
        "--b1\r\n"
        "Content-Type: application/sdp\r\n\r\n" +
        inner +
        "\r\n--b1\r\n"
        "Content-Type: application/isup\r\n\r\n"
        "c=IN IP4 10.0.0.7\r\n"
        "\r\n--b1--\r\n";
    Msg m(request("203.0.113.5", "", body, "multipart/mixed;boundary=b1"));
    CPPUNIT_ASSERT(fixNatedSdp(m.msg, from("203.0.113.5", 5060), kRewriteC));
    std::string out = bodyOf(m.built());
    CPPUNIT_ASSERT(out.find("c=IN IP4 203.0.113.5\r\nt=0 0") != std::string::npos);
    // Only the SDP part changed.
    CPPUNIT_ASSERT(out.find("application/isup\r\n\r\nc=IN IP4 10.0.0.7\r\n") != std::string::npos);
  }

  void sdpNotSdp() {
    std::string body = sdp("c=IN IP4 10.0.0.7\r\n", "m=audio 4000 RTP/AVP 0\r\n");
    Msg text(request("203.0.113.5", "", body, "text/plain"));
    CPPUNIT_ASSERT(!fixNatedSdp(text.msg, from("203.0.113.5", 5060), kRewriteC));
    Msg none(request("203.0.113.5", ""));
    CPPUNIT_ASSERT(!fixNatedSdp(none.msg, from("203.0.113.5", 5060), kRewriteC));
    Msg bad(request("203.0.113.5", "", "x=1\r\n"));
    CPPUNIT_ASSERT(!fixNatedSdp(bad.msg, from("203.0.113.5", 5060), kRewriteC));
    CPPUNIT_ASSERT(text.msg.edits().empty() && none.msg.edits().empty() && bad.msg.edits().empty());
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(NathelperTest);

}  // namespace sipline::nathelper
