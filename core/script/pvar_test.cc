// Reading every pseudo-variable from a parsed message.
#include "core/script/pvar.h"

#include <cppunit/extensions/HelperMacros.h>
#include <unistd.h>

#include <ctime>
#include <set>
#include <string>

#include "core/script/pvar_test_util.h"
#include "core/transport/listener.h"

namespace sipline {

using pvartest::inviteText;
using pvartest::sipMessage;
using pvartest::TestMsg;

namespace {

const char kReplyHead[] =
    "SIP/2.0 486 Busy Here\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
    "From: <sip:bob@example.org>;tag=ft1\r\n"
    "To: <sip:alice@example.com>;tag=tt9\r\n"
    "Call-ID: abc@host\r\n"
    "CSeq: 7 INVITE\r\n";

std::string request(const std::string& ruri, const std::string& method = "OPTIONS",
                    const std::string& extra = "") {
  return sipMessage(method + " " + ruri + " SIP/2.0\r\n" +
                    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
                    "From: <sip:bob@example.org>;tag=ft1\r\n"
                    "To: <sip:alice@example.com>\r\n"
                    "Call-ID: abc@host\r\n"
                    "CSeq: 1 " +
                    method + "\r\n" + extra);
}

}  // namespace

class PvarReadTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(PvarReadTest);
  CPPUNIT_TEST(requestUriParts);
  CPPUNIT_TEST(requestUriDefaults);
  CPPUNIT_TEST(replyHasStatusAndNoRequestUri);
  CPPUNIT_TEST(requestHasNoStatus);
  CPPUNIT_TEST(sourceAndReceivingSocket);
  CPPUNIT_TEST(callIdAndCSeq);
  CPPUNIT_TEST(fromAndTo);
  CPPUNIT_TEST(userAgentAndContact);
  CPPUNIT_TEST(headersByNameAndIndex);
  CPPUNIT_TEST(headerCounts);
  CPPUNIT_TEST(messageBufferAndBody);
  CPPUNIT_TEST(flagsReturnCodeAndDestination);
  CPPUNIT_TEST(forcedSocketReadsItsText);
  CPPUNIT_TEST(digestCredentialsOfProxyAuthorization);
  CPPUNIT_TEST(registerPrefersAuthorization);
  CPPUNIT_TEST(credentialsWithEscapesAreDecoded);
  CPPUNIT_TEST(noCredentialsIsNull);
  CPPUNIT_TEST(timeAndProcess);
  CPPUNIT_TEST(everyPvarHasHelpAndAUniqueName);
  CPPUNIT_TEST_SUITE_END();

 public:
  void requestUriParts() {
    TestMsg m(inviteText());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@example.com:5070;transport=TCP;x=1"), m.str("ru"));
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), m.str("rU"));
    CPPUNIT_ASSERT_EQUAL(std::string("example.com"), m.str("rd"));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{5070}, m.num("rp"));
    CPPUNIT_ASSERT_EQUAL(std::string("tcp"), m.str("rP"));  // lower-cased
    CPPUNIT_ASSERT_EQUAL(std::string("INVITE"), m.str("rm"));
    CPPUNIT_ASSERT_EQUAL(std::string("SIP/2.0"), m.str("rv"));
  }
  void requestUriDefaults() {
    TestMsg sip(request("sip:example.com"));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{5060}, sip.num("rp"));
    CPPUNIT_ASSERT_EQUAL(std::string("udp"), sip.str("rP"));
    CPPUNIT_ASSERT(sip.isNull("rU"));  // no user part
    TestMsg sips(request("sips:bob@example.com"));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{5061}, sips.num("rp"));
    CPPUNIT_ASSERT_EQUAL(std::string("tls"), sips.str("rP"));
  }
  void replyHasStatusAndNoRequestUri() {
    TestMsg m(sipMessage(kReplyHead), kOnReplyRoute);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{486}, m.num("rs"));
    CPPUNIT_ASSERT_EQUAL(std::string("Busy Here"), m.str("rr"));
    CPPUNIT_ASSERT_EQUAL(std::string("INVITE"), m.str("rm"));  // from CSeq
    for (const char* pv : {"ru", "rU", "rd", "rp", "rP", "au", "ad", "ar"}) {
      CPPUNIT_ASSERT_MESSAGE(pv, m.isNull(pv));
    }
    CPPUNIT_ASSERT_EQUAL(std::string("tt9"), m.str("tt"));
  }
  void requestHasNoStatus() {
    TestMsg m(inviteText());
    CPPUNIT_ASSERT(m.isNull("rs"));
    CPPUNIT_ASSERT(m.isNull("rr"));
  }
  void sourceAndReceivingSocket() {
    TestMsg m(inviteText());
    CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.7"), m.str("si"));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{5099}, m.num("sp"));
    CPPUNIT_ASSERT_EQUAL(std::string("udp"), m.str("proto"));
    CPPUNIT_ASSERT(m.isNull("Ri"));  // no listener (a message from a file)
    CPPUNIT_ASSERT(m.isNull("Rp"));
    Listener l;
    l.ip = "192.0.2.1";
    l.port = 5080;
    m.rcv().listener = &l;
    CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.1"), m.str("Ri"));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{5080}, m.num("Rp"));
  }
  void callIdAndCSeq() {
    TestMsg m(inviteText());
    CPPUNIT_ASSERT_EQUAL(std::string("abc@host"), m.str("ci"));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{7}, m.num("cs"));
  }
  void fromAndTo() {
    TestMsg m(inviteText());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:bob@example.org"), m.str("fu"));
    CPPUNIT_ASSERT_EQUAL(std::string("bob"), m.str("fU"));
    CPPUNIT_ASSERT_EQUAL(std::string("example.org"), m.str("fd"));
    CPPUNIT_ASSERT_EQUAL(std::string("Bob B"), m.str("fn"));
    CPPUNIT_ASSERT_EQUAL(std::string("ft1"), m.str("ft"));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@example.com"), m.str("tu"));
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), m.str("tU"));
    CPPUNIT_ASSERT_EQUAL(std::string("example.com"), m.str("td"));
    CPPUNIT_ASSERT_EQUAL(std::string("Alice"), m.str("tn"));
    CPPUNIT_ASSERT(m.isNull("tt"));  // no To tag yet
    TestMsg plain(request("sip:a@b"));
    CPPUNIT_ASSERT(plain.isNull("fn"));
  }
  void userAgentAndContact() {
    TestMsg m(inviteText());
    CPPUNIT_ASSERT_EQUAL(std::string("tester/1.0"), m.str("ua"));
    CPPUNIT_ASSERT_EQUAL(std::string("<sip:bob@10.0.0.1:5062>;expires=60"), m.str("ct"));
    TestMsg plain(request("sip:a@b"));
    CPPUNIT_ASSERT(plain.isNull("ua"));
    CPPUNIT_ASSERT(plain.isNull("ct"));
  }
  void headersByNameAndIndex() {
    TestMsg m(inviteText());
    CPPUNIT_ASSERT_EQUAL(std::string("SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1"),
                         m.str("hdr(Via)"));
    CPPUNIT_ASSERT_EQUAL(std::string("SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK2"),
                         m.str("hdr(Via)[1]"));
    // The compact form "v:" is a Via too; -1 is the last one.
    CPPUNIT_ASSERT_EQUAL(std::string("SIP/2.0/UDP 10.0.0.3;branch=z9hG4bK3"), m.str("hdr(via)[2]"));
    CPPUNIT_ASSERT_EQUAL(m.str("hdr(Via)[2]"), m.str("hdr(Via)[-1]"));
    CPPUNIT_ASSERT_EQUAL(m.str("hdr(Via)[0]"), m.str("hdr(Via)[-3]"));
    CPPUNIT_ASSERT(m.isNull("hdr(Via)[3]"));
    CPPUNIT_ASSERT(m.isNull("hdr(Via)[-4]"));
    // Unknown header names match case-insensitively.
    CPPUNIT_ASSERT_EQUAL(std::string("one"), m.str("hdr(X-Custom)"));
    CPPUNIT_ASSERT_EQUAL(std::string("two"), m.str("hdr(X-CUSTOM)[1]"));
    CPPUNIT_ASSERT_EQUAL(std::string("two"), m.str("hdr(x-custom)[-1]"));
    CPPUNIT_ASSERT_EQUAL(std::string("one, two"), m.str("hdr(X-Custom)[*]"));
    CPPUNIT_ASSERT_EQUAL(std::string("70"), m.str("hdr(Max-Forwards)"));
    CPPUNIT_ASSERT(m.isNull("hdr(X-Missing)"));
    CPPUNIT_ASSERT(m.isNull("hdr(X-Missing)[*]"));
  }
  void headerCounts() {
    TestMsg m(inviteText());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{3}, m.num("hdrcnt(Via)"));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, m.num("hdrcnt(x-custom)"));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, m.num("hdrcnt(Call-ID)"));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, m.num("hdrcnt(Route)"));
  }
  void messageBufferAndBody() {
    std::string text = inviteText();
    TestMsg m(text);
    CPPUNIT_ASSERT_EQUAL(text, m.str("mb"));
    CPPUNIT_ASSERT_EQUAL(static_cast<std::int64_t>(text.size()), m.num("ml"));
    CPPUNIT_ASSERT_EQUAL(std::string("v=0\r\n"), m.str("rb"));
    TestMsg plain(request("sip:a@b"));
    CPPUNIT_ASSERT(plain.isNull("rb"));
  }
  void flagsReturnCodeAndDestination() {
    TestMsg m(inviteText());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, m.num("mf"));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, m.num("bf"));
    CPPUNIT_ASSERT(m.isNull("du"));
    m.ctx().flags = 5;
    m.ctx().bflags = 0x80000001u;
    m.ctx().last_rc = -2;
    m.ctx().dst_uri = "sip:10.0.0.9:5070";
    CPPUNIT_ASSERT_EQUAL(std::int64_t{5}, m.num("mf"));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0x80000001ll}, m.num("bf"));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{-2}, m.num("rc"));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:10.0.0.9:5070"), m.str("du"));
  }
  void forcedSocketReadsItsText() {
    TestMsg m(inviteText());
    CPPUNIT_ASSERT(m.isNull("fs"));
    Listener l;
    l.text = "udp:192.0.2.1:5080";
    m.ctx().send_socket = &l;
    CPPUNIT_ASSERT_EQUAL(std::string("udp:192.0.2.1:5080"), m.str("fs"));
  }
  void digestCredentialsOfProxyAuthorization() {
    TestMsg m(inviteText());
    CPPUNIT_ASSERT_EQUAL(std::string("bob"), m.str("au"));
    CPPUNIT_ASSERT_EQUAL(std::string("example.org"), m.str("ad"));
    CPPUNIT_ASSERT_EQUAL(std::string("example.org"), m.str("ar"));
  }
  void registerPrefersAuthorization() {
    std::string both =
        "Proxy-Authorization: Digest username=\"proxyuser\", realm=\"p\", nonce=\"n\", "
        "uri=\"sip:r\", response=\"x\"\r\n"
        "Authorization: Digest username=\"carol\", realm=\"r.example\", nonce=\"n\", "
        "uri=\"sip:r\", response=\"x\"\r\n";
    TestMsg reg(request("sip:r.example", "REGISTER", both));
    CPPUNIT_ASSERT_EQUAL(std::string("carol"), reg.str("au"));
    CPPUNIT_ASSERT(reg.isNull("ad"));  // no '@' in the username
    CPPUNIT_ASSERT_EQUAL(std::string("r.example"), reg.str("ar"));
    TestMsg inv(request("sip:r.example", "INVITE", both));
    CPPUNIT_ASSERT_EQUAL(std::string("proxyuser"), inv.str("au"));
    CPPUNIT_ASSERT_EQUAL(std::string("p"), inv.str("ar"));
    // Only the other header: it is used.
    TestMsg only(request("sip:r.example", "INVITE",
                         "Authorization: Digest username=\"dave@d.example\", realm=\"d\", "
                         "nonce=\"n\", uri=\"sip:r\", response=\"x\"\r\n"));
    CPPUNIT_ASSERT_EQUAL(std::string("dave"), only.str("au"));
    CPPUNIT_ASSERT_EQUAL(std::string("d.example"), only.str("ad"));
  }
  void credentialsWithEscapesAreDecoded() {
    TestMsg m(request("sip:r.example", "REGISTER",
                      "Authorization: Digest username=\"a\\\"b@x\", realm=\"r\\\\1\", "
                      "nonce=\"n\", uri=\"sip:r\", response=\"x\"\r\n"));
    CPPUNIT_ASSERT_EQUAL(std::string("a\"b"), m.str("au"));
    CPPUNIT_ASSERT_EQUAL(std::string("x"), m.str("ad"));
    CPPUNIT_ASSERT_EQUAL(std::string("r\\1"), m.str("ar"));
  }
  void noCredentialsIsNull() {
    TestMsg m(request("sip:a@b"));
    CPPUNIT_ASSERT(m.isNull("au"));
    CPPUNIT_ASSERT(m.isNull("ad"));
    CPPUNIT_ASSERT(m.isNull("ar"));
    // A malformed header is no credentials either.
    TestMsg bad(request("sip:a@b", "OPTIONS", "Proxy-Authorization: Digest username=\"x\r\n"));
    CPPUNIT_ASSERT(bad.isNull("au"));
  }
  void timeAndProcess() {
    TestMsg m(inviteText());
    std::time_t before = std::time(nullptr);
    std::int64_t ts = m.num("Ts");
    CPPUNIT_ASSERT(ts >= before && ts <= std::time(nullptr));
    std::tm tm_now{};
    localtime_r(&before, &tm_now);
    std::string year = std::to_string(1900 + tm_now.tm_year);
    CPPUNIT_ASSERT_EQUAL(year, m.str("time(%Y)"));
    CPPUNIT_ASSERT_EQUAL("y" + year, m.str("time(y%Y)"));
    std::string tf = m.str("Tf");
    CPPUNIT_ASSERT_MESSAGE(tf, tf.find(year) != std::string::npos && tf.size() >= 20);
    CPPUNIT_ASSERT_EQUAL(static_cast<std::int64_t>(getpid()), m.num("pp"));
  }
  void everyPvarHasHelpAndAUniqueName() {
    std::set<std::string> names;
    for (const script::PvarSpec& s : script::pvarSpecs()) {
      CPPUNIT_ASSERT_MESSAGE(s.name, s.help != nullptr && std::string(s.help).size() > 5);
      CPPUNIT_ASSERT_MESSAGE(s.name, names.insert(s.name).second);
      CPPUNIT_ASSERT(s.get != nullptr);
    }
    // The list, all present.
    for (const char* n :
         {"ru", "rU", "rd", "rp", "rP", "du", "fs",  "si",     "sp",   "Ri",  "Rp", "proto",
          "rm", "rs", "rr", "rv", "ci", "cs", "fu",  "fU",     "fd",   "fn",  "ft", "tu",
          "tU", "td", "tn", "tt", "ua", "ct", "hdr", "hdrcnt", "mb",   "ml",  "rb", "Ts",
          "Tf", "pp", "bf", "mf", "au", "ar", "ad",  "rc",     "time", "var", "avp"}) {
      CPPUNIT_ASSERT_MESSAGE(n, names.count(n) == 1);
    }
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(PvarReadTest);

}  // namespace sipline
