// SipMessage against messages of RFC 4475 (SIP torture tests), embedded byte-exact so the
// test needs no files. The whole corpus is read as-is by a later corpus test (test/corpora/).
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "core/parser/sip_message.h"

namespace sipline {
namespace {

std::string s(std::string_view v) { return std::string(v); }

// RFC 4475 §3.1.1.1 wsinv.dat
const char kWsinv[] =
    "INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0\r\n"
    "TO :\r\n"
    " sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n\r\n"
    "from   : \"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n"
    "  ;\r\n"
    "  tag = 98asjd8\r\n"
    "MaX-fOrWaRdS: 0068\r\n"
    "Call-ID: wsinv.ndaksdj@192.0.2.1\r\n"
    "Content-Length   : 150\r\n"
    "cseq: 0009\r\n"
    "  INVITE\r\n"
    "Via  : SIP  /   2.0\r\n"
    " /UDP\r\n"
    "    192.0.2.2;branch=390skdjuw\r\n"
    "s :\r\n"
    "NewFangledHeader:   newfangled value\r\n"
    " continued newfangled value\r\n"
    "UnknownHeaderWithUnusualValue: ;;,,;;,;\r\n"
    "Content-Type: application/sdp\r\n"
    "Route:\r\n"
    " <sip:services.example.com;lr;unknownwith=value;unknown-no-value>\r\n"
    "v:  SIP  / 2.0  / TCP     spindle.example.com   ;\r\n"
    "  branch  =   z9hG4bK9ikj8  ,\r\n"
    " SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n"
    " z9hG4bK30239\r\n"
    "m:\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =\r\n"
    "      newvalue ;\r\n"
    "  secondparam ; q = 0.33\r\n"
    "\r\n"
    "v=0\r\n"
    "o=mhandley 29739 7272939 IN IP4 192.0.2.3\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.4\r\n"
    "t=0 0\r\n"
    "m=audio 49217 RTP/AVP 0 12\r\n"
    "m=video 3227 RTP/AVP 31\r\n"
    "a=rtpmap:31 LPC\r\n";

// RFC 4475 §3.1.1.3 esc01.dat
const char kEsc01[] =
    "INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0\r\n"
    "To: sip:%75se%72@example.com\r\n"
    "From: <sip:I%20have%20spaces@example.net>;tag=938\r\n"
    "Max-Forwards: 87\r\n"
    "i: esc01.239409asdfakjkn23onasd0-3234\r\n"
    "CSeq: 234234 INVITE\r\n"
    "Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw\r\n"
    "C: application/sdp\r\n"
    "Contact:\r\n"
    "  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>\r\n"
    "Content-Length: 150\r\n"
    "\r\n"
    "v=0\r\n"
    "o=mhandley 29739 7272939 IN IP4 192.0.2.1\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.1\r\n"
    "t=0 0\r\n"
    "m=audio 49217 RTP/AVP 0 12\r\n"
    "m=video 3227 RTP/AVP 31\r\n"
    "a=rtpmap:31 LPC\r\n";

// RFC 4475 §3.1.1.6 lwsdisp.dat
const char kLwsdisp[] =
    "OPTIONS sip:user@example.com SIP/2.0\r\n"
    "To: sip:user@example.com\r\n"
    "From: caller<sip:caller@example.com>;tag=323\r\n"
    "Max-Forwards: 70\r\n"
    "Call-ID: lwsdisp.1234abcd@funky.example.com\r\n"
    "CSeq: 60 OPTIONS\r\n"
    "Via: SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw\r\n"
    "l: 0\r\n"
    "\r\n";

// RFC 4475 §3.1.1.2 intmeth.dat (contains a NUL inside a quoted string)
const char kIntmeth[] =
    "!interesting-Method0123456789_*+`.%indeed'~ sip:1_unusual.URI~(to-be!sure)&isn't+it$/"
    "crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~\r\n"
    "To: \"BEL:\\\x07"
    " NUL:\\\x00"
    " DEL:\\\x7f"
    "\" <sip:1_unusual.URI~(to-be!sure)&isn't+it$/"
    "crazy?,/;;*@example.com>\r\n"
    "From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%="
    "\"\xd1\x80\xd0\xb0\xd0\xb1\xd0\xbe\xd1\x82\xd0\xb0\xd1\x8e\xd1\x89\xd0\xb8\xd0\xb9\""
    ";tag=_token~1'+`*%!-.\r\n"
    "Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{\r\n"
    "CSeq: 139122385 !interesting-Method0123456789_*+`.%indeed'~\r\n"
    "Max-Forwards: 255\r\n"
    "extensionHeader-!.%*+_`'~:\xef\xbb\xbf\xe5\xa4\xa7\xe5\x81\x9c\xe9\x9b\xbb\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

// RFC 4475 §3.1.1.8 dblreq.dat (REGISTER followed by trailing octets in the datagram)
const char kDblreq[] =
    "REGISTER sip:example.com SIP/2.0\r\n"
    "To: sip:j.user@example.com\r\n"
    "From: sip:j.user@example.com;tag=43251j3j324\r\n"
    "Max-Forwards: 8\r\n"
    "I: dblreq.0ha0isndaksdj99sdfafnl3lk233412\r\n"
    "Contact: sip:j.user@host.example.com\r\n"
    "CSeq: 8 REGISTER\r\n"
    "Via: SIP/2.0/UDP 192.0.2.125;branch=z9hG4bKkdjuw23492\r\n"
    "Content-Length: 0\r\n"
    "\r\n"
    "\r\n"
    "INVITE sip:joe@example.com SIP/2.0\r\n"
    "t: sip:joe@example.com\r\n"
    "Content-Length: 150\r\n"
    "\r\n";

template <std::size_t N>
std::string_view bytes(const char (&a)[N]) {
  return std::string_view(a, N - 1);
}

}  // namespace

class SipMessageRfc4475Test : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SipMessageRfc4475Test);
  CPPUNIT_TEST(wsinvParses);
  CPPUNIT_TEST(esc01Parses);
  CPPUNIT_TEST(lwsdispParses);
  CPPUNIT_TEST(intmethParses);
  CPPUNIT_TEST(dblreqIgnoresTrailingOctets);
  CPPUNIT_TEST_SUITE_END();

 public:
  void wsinvParses() {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(bytes(kWsinv)) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.method() == Method::kInvite);
    CPPUNIT_ASSERT_EQUAL(std::size_t{150}, msg.body().size());
    CPPUNIT_ASSERT_EQUAL(9u, msg.cseq()->number);
    CPPUNIT_ASSERT_EQUAL(68, msg.maxForwards());
    CPPUNIT_ASSERT_EQUAL(std::string("1918181833n"), s(msg.to()->tag));
    CPPUNIT_ASSERT_EQUAL(std::string("98asjd8"), s(msg.from()->tag));
    CPPUNIT_ASSERT_EQUAL(std::string("J Rosenberg \\\\\\\""), s(msg.from()->display));
    const std::vector<Via>* v = msg.vias();
    CPPUNIT_ASSERT(v != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, v->size());
    CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.2"), s((*v)[0].host));
    CPPUNIT_ASSERT_EQUAL(std::string("spindle.example.com"), s((*v)[1].host));
    CPPUNIT_ASSERT_EQUAL(std::string("z9hG4bK30239"), s((*v)[2].branch));
    CPPUNIT_ASSERT(msg.header(HeaderType::kSubject)->body.empty());
    CPPUNIT_ASSERT_EQUAL(std::string(";;,,;;,;"),
                         s(msg.header("UnknownHeaderWithUnusualValue")->body));
    std::vector<NameAddr> contacts;
    CPPUNIT_ASSERT(parseNameAddrList(msg.header(HeaderType::kContact)->body, contacts) ==
                   ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, contacts.size());
    std::vector<NameAddr> routes;
    CPPUNIT_ASSERT(parseNameAddrList(msg.header(HeaderType::kRoute)->body, routes) ==
                   ParseError::kOk);
    CPPUNIT_ASSERT(routes[0].uri.lr);
    CPPUNIT_ASSERT(msg.requestUri() != nullptr);
    CPPUNIT_ASSERT(hasUriParam(msg.requestUri()->params, "unknownparam"));
  }

  void esc01Parses() {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(bytes(kEsc01)) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("sips%3Auser%40example.com"), s(msg.requestUri()->user));
    CPPUNIT_ASSERT_EQUAL(std::string("%75se%72"), s(msg.to()->uri.user));
    CPPUNIT_ASSERT_EQUAL(std::string("I%20have%20spaces"), s(msg.from()->uri.user));
    CPPUNIT_ASSERT_EQUAL(std::string("application/sdp"), s(msg.header("content-type")->body));
    std::vector<NameAddr> contacts;
    CPPUNIT_ASSERT(parseNameAddrList(msg.header(HeaderType::kContact)->body, contacts) ==
                   ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("cal%6Cer"), s(contacts[0].uri.user));
  }

  void lwsdispParses() {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(bytes(kLwsdisp)) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("caller"), s(msg.from()->display));
    CPPUNIT_ASSERT_EQUAL(std::string("323"), s(msg.from()->tag));
    CPPUNIT_ASSERT(msg.body().empty());
  }

  void intmethParses() {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(bytes(kIntmeth)) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.method() == Method::kOther);
    CPPUNIT_ASSERT_EQUAL(std::string("!interesting-Method0123456789_*+`.%indeed'~"),
                         s(msg.methodText()));
    CPPUNIT_ASSERT(msg.requestUri() != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::string("example.com"), s(msg.requestUri()->host));
    CPPUNIT_ASSERT_EQUAL(std::string("_token~1'+`*%!-."), s(msg.from()->tag));
    CPPUNIT_ASSERT_EQUAL(std::string("token1~` token2'+_ token3*%!.-"), s(msg.from()->display));
    CPPUNIT_ASSERT(msg.to() != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::size_t{20}, msg.to()->display.size());  // holds the NUL
    CPPUNIT_ASSERT_EQUAL(255, msg.maxForwards());
    CPPUNIT_ASSERT_EQUAL(std::string("intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"),
                         s(msg.callId()));
    CPPUNIT_ASSERT(msg.header("extensionHeader-!.%*+_`'~") != nullptr);
  }

  void dblreqIgnoresTrailingOctets() {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(bytes(kDblreq)) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.method() == Method::kRegister);
    CPPUNIT_ASSERT(msg.body().empty());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, msg.headerCount(HeaderType::kTo));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SipMessageRfc4475Test);

}  // namespace sipline
