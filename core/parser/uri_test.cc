// Tests of parseUri(), uriParam() and hasUriParam().
#include "core/parser/uri.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace sipline {
namespace {
std::string s(std::string_view v) { return std::string(v); }
}  // namespace

class UriParserTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(UriParserTest);
  CPPUNIT_TEST(parsesFullSipUri);
  CPPUNIT_TEST(parsesHostOnly);
  CPPUNIT_TEST(schemeIsCaseInsensitive);
  CPPUNIT_TEST(parsesSipsWithPassword);
  CPPUNIT_TEST(parsesIpv4AndIpv6Hosts);
  CPPUNIT_TEST(rejectsBadPorts);
  CPPUNIT_TEST(extractsKnownParams);
  CPPUNIT_TEST(keepsEscapesInUser);
  CPPUNIT_TEST(rejectsBadEscape);
  CPPUNIT_TEST(acceptsRfc4475UnusualUserinfo);
  CPPUNIT_TEST(acceptsSemicolonInUser);
  CPPUNIT_TEST(parsesTelUri);
  CPPUNIT_TEST(rejectsUnknownScheme);
  CPPUNIT_TEST(rejectsMalformed);
  CPPUNIT_TEST(findsParamsCaseInsensitively);
  CPPUNIT_TEST_SUITE_END();

 public:
  void parsesFullSipUri() {
    SipUri u;
    CPPUNIT_ASSERT(parseUri("sip:alice@example.com:5070;transport=tcp;lr?subject=hi&x=1", u) ==
                   ParseError::kOk);
    CPPUNIT_ASSERT(u.scheme == SipUri::Scheme::kSip);
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), s(u.user));
    CPPUNIT_ASSERT_EQUAL(std::string("example.com"), s(u.host));
    CPPUNIT_ASSERT_EQUAL(std::string("5070"), s(u.port_text));
    CPPUNIT_ASSERT_EQUAL(5070, static_cast<int>(u.port));
    CPPUNIT_ASSERT_EQUAL(std::string("transport=tcp;lr"), s(u.params));
    CPPUNIT_ASSERT_EQUAL(std::string("subject=hi&x=1"), s(u.headers));
    CPPUNIT_ASSERT_EQUAL(std::string("tcp"), s(u.transport));
    CPPUNIT_ASSERT(u.lr);
    CPPUNIT_ASSERT(!u.host_is_ipv4 && !u.host_is_ipv6);
  }

  void parsesHostOnly() {
    SipUri u;
    CPPUNIT_ASSERT(parseUri("sip:example.com", u) == ParseError::kOk);
    CPPUNIT_ASSERT(u.user.empty());
    CPPUNIT_ASSERT_EQUAL(std::string("example.com"), s(u.host));
    CPPUNIT_ASSERT_EQUAL(0, static_cast<int>(u.port));
    CPPUNIT_ASSERT(u.params.empty() && u.headers.empty() && !u.lr);
  }

  void schemeIsCaseInsensitive() {
    SipUri u;
    CPPUNIT_ASSERT(parseUri("SIP:bob@host", u) == ParseError::kOk);
    CPPUNIT_ASSERT(u.scheme == SipUri::Scheme::kSip);
    CPPUNIT_ASSERT(parseUri("SiPs:bob@host", u) == ParseError::kOk);
    CPPUNIT_ASSERT(u.scheme == SipUri::Scheme::kSips);
    CPPUNIT_ASSERT(parseUri("TEL:+123", u) == ParseError::kOk);
    CPPUNIT_ASSERT(u.scheme == SipUri::Scheme::kTel);
  }

  void parsesSipsWithPassword() {
    SipUri u;
    CPPUNIT_ASSERT(parseUri("sips:bob:secret@host.example", u) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("bob"), s(u.user));
    CPPUNIT_ASSERT_EQUAL(std::string("secret"), s(u.password));
  }

  void parsesIpv4AndIpv6Hosts() {
    SipUri u;
    CPPUNIT_ASSERT(parseUri("sip:192.0.2.1:5060", u) == ParseError::kOk);
    CPPUNIT_ASSERT(u.host_is_ipv4);
    CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.1"), s(u.host));
    CPPUNIT_ASSERT(parseUri("sip:user@[2001:db8::10]:5070;maddr=x", u) == ParseError::kOk);
    CPPUNIT_ASSERT(u.host_is_ipv6 && !u.host_is_ipv4);
    CPPUNIT_ASSERT_EQUAL(std::string("[2001:db8::10]"), s(u.host));
    CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::10"), s(u.hostNoBrackets()));
    CPPUNIT_ASSERT_EQUAL(5070, static_cast<int>(u.port));
    CPPUNIT_ASSERT_EQUAL(std::string("x"), s(u.maddr));
    CPPUNIT_ASSERT(parseUri("sip:[::ffff:192.0.2.1]", u) == ParseError::kOk);
    CPPUNIT_ASSERT(parseUri("sip:256.1.1.1", u) == ParseError::kOk);  // a (numeric) hostname
    CPPUNIT_ASSERT(!u.host_is_ipv4);
    CPPUNIT_ASSERT(parseUri("sip:[2001:db8::1", u) == ParseError::kBadUri);
    CPPUNIT_ASSERT(parseUri("sip:[]", u) == ParseError::kBadUri);
    CPPUNIT_ASSERT(parseUri("sip:[zz::1]", u) == ParseError::kBadUri);
  }

  void rejectsBadPorts() {
    SipUri u;
    CPPUNIT_ASSERT(parseUri("sip:h:65535", u) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(65535, static_cast<int>(u.port));
    CPPUNIT_ASSERT(parseUri("sip:h:0", u) == ParseError::kBadUri);
    CPPUNIT_ASSERT(parseUri("sip:h:65536", u) == ParseError::kBadUri);
    CPPUNIT_ASSERT(parseUri("sip:h:", u) == ParseError::kBadUri);
    CPPUNIT_ASSERT(parseUri("sip:h:99999999999999999999999999", u) == ParseError::kBadUri);
    CPPUNIT_ASSERT(parseUri("sip:h:50a", u) == ParseError::kBadUri);
  }

  void extractsKnownParams() {
    SipUri u;
    CPPUNIT_ASSERT(parseUri("sip:h;TRANSPORT=udp;maddr=239.1.1.1;ttl=5;user=phone;method=INVITE;"
                            "LR;x",
                            u) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("udp"), s(u.transport));
    CPPUNIT_ASSERT_EQUAL(std::string("239.1.1.1"), s(u.maddr));
    CPPUNIT_ASSERT_EQUAL(std::string("5"), s(u.ttl));
    CPPUNIT_ASSERT_EQUAL(std::string("phone"), s(u.user_param));
    CPPUNIT_ASSERT_EQUAL(std::string("INVITE"), s(u.method_param));
    CPPUNIT_ASSERT(u.lr);
  }

  void keepsEscapesInUser() {
    // RFC 4475 esc01
    SipUri u;
    CPPUNIT_ASSERT(parseUri("sip:sips%3Auser%40example.com@example.net", u) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("sips%3Auser%40example.com"), s(u.user));
    CPPUNIT_ASSERT_EQUAL(std::string("example.net"), s(u.host));
    CPPUNIT_ASSERT(parseUri("sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31", u) ==
                   ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("%6C%72;n%61me=v%61lue%25%34%31"), s(u.params));
  }

  void rejectsBadEscape() {
    SipUri u;
    CPPUNIT_ASSERT(parseUri("sip:a%4@h", u) == ParseError::kBadUri);
    CPPUNIT_ASSERT(parseUri("sip:a%zz@h", u) == ParseError::kBadUri);
    CPPUNIT_ASSERT(parseUri("sip:h;p=%", u) == ParseError::kBadUri);
  }

  void acceptsRfc4475UnusualUserinfo() {
    // RFC 4475 intmeth Request-URI
    SipUri u;
    CPPUNIT_ASSERT(parseUri("sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!"
                            "*pas$wo~d_too.(doesn't-it)@example.com",
                            u) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"),
                         s(u.user));
    CPPUNIT_ASSERT_EQUAL(std::string("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"), s(u.password));
    CPPUNIT_ASSERT_EQUAL(std::string("example.com"), s(u.host));
  }

  void acceptsSemicolonInUser() {
    // RFC 4475 semiuri
    SipUri u;
    CPPUNIT_ASSERT(parseUri("sip:user;par=u%40example.net@example.com", u) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("user;par=u%40example.net"), s(u.user));
    CPPUNIT_ASSERT(u.params.empty());
  }

  void parsesTelUri() {
    SipUri u;
    CPPUNIT_ASSERT(parseUri("tel:+1-201-555-0123;phone-context=example.com", u) == ParseError::kOk);
    CPPUNIT_ASSERT(u.scheme == SipUri::Scheme::kTel);
    CPPUNIT_ASSERT_EQUAL(std::string("+1-201-555-0123"), s(u.user));
    CPPUNIT_ASSERT(u.host.empty());
    CPPUNIT_ASSERT_EQUAL(std::string("example.com"), s(uriParam(u.params, "phone-context")));
    CPPUNIT_ASSERT(parseUri("tel:", u) == ParseError::kBadUri);
    CPPUNIT_ASSERT(parseUri("tel:12 34", u) == ParseError::kBadUri);
  }

  void rejectsUnknownScheme() {
    SipUri u;
    CPPUNIT_ASSERT(parseUri("http://example.com/", u) == ParseError::kBadUri);
    CPPUNIT_ASSERT(parseUri("nobodyKnowsThisScheme:totallyopaquecontent", u) ==
                   ParseError::kBadUri);
    CPPUNIT_ASSERT(parseUri("sipx:h", u) == ParseError::kBadUri);
  }

  void rejectsMalformed() {
    SipUri u;
    const char* bad[] = {"",         "sip",           "sip:",        "sip:@h",
                         "sip:u@",   "sip:u@h;",      "sip:u@h;;lr", "sip:u@h; lr",
                         "sip:u@h?", "sip:u@h:5060x", "<sip:u@h>",   "sip:u@h>",
                         "sip:u h",  "sip:u@h\r\n",   "sip:u@h;=v",  "sip:u@h?a=<b>"};
    for (const char* b : bad) {
      CPPUNIT_ASSERT_MESSAGE(b, parseUri(b, u) == ParseError::kBadUri);
    }
    const std::string with_nul("sip:u@h\0x", 9);
    CPPUNIT_ASSERT(parseUri(with_nul, u) == ParseError::kBadUri);
    const std::string huge(70000, 'a');
    CPPUNIT_ASSERT(parseUri("sip:" + huge, u) == ParseError::kOk);  // long, but well-formed
    CPPUNIT_ASSERT(parseUri("sip:" + huge + "@", u) == ParseError::kBadUri);
  }

  void findsParamsCaseInsensitively() {
    const std::string_view p = "transport=TCP;Lr;ttl=;x=1";
    CPPUNIT_ASSERT_EQUAL(std::string("TCP"), s(uriParam(p, "Transport")));
    CPPUNIT_ASSERT(uriParam(p, "lr").empty());
    CPPUNIT_ASSERT(hasUriParam(p, "LR"));
    CPPUNIT_ASSERT(hasUriParam(p, "ttl"));
    CPPUNIT_ASSERT(!hasUriParam(p, "maddr"));
    CPPUNIT_ASSERT(!hasUriParam(p, "x=1"));
    CPPUNIT_ASSERT_EQUAL(std::string("1"), s(uriParam(p, "x")));
    CPPUNIT_ASSERT(uriParam("", "x").empty());
    CPPUNIT_ASSERT(!hasUriParam("", ""));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(UriParserTest);

}  // namespace sipline
