// Tests of parseViaList().
#include "core/parser/via.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

namespace sipline {
namespace {
std::string s(std::string_view v) { return std::string(v); }
}  // namespace

class ViaParserTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ViaParserTest);
  CPPUNIT_TEST(parsesSimpleVia);
  CPPUNIT_TEST(parsesPortAndParams);
  CPPUNIT_TEST(parsesSeveralValuesInOneBody);
  CPPUNIT_TEST(acceptsLwsAndFolding);
  CPPUNIT_TEST(parsesIpv6HostAndReceived);
  CPPUNIT_TEST(rportWithAndWithoutValue);
  CPPUNIT_TEST(acceptsUnknownTransport);
  CPPUNIT_TEST(rejectsExtraSeparators);
  CPPUNIT_TEST(rejectsMalformed);
  CPPUNIT_TEST(appendsToExistingVector);
  CPPUNIT_TEST_SUITE_END();

 public:
  void parsesSimpleVia() {
    std::vector<Via> v;
    CPPUNIT_ASSERT(parseViaList("SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds", v) ==
                   ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, v.size());
    CPPUNIT_ASSERT_EQUAL(std::string("SIP"), s(v[0].protocol_name));
    CPPUNIT_ASSERT_EQUAL(std::string("2.0"), s(v[0].protocol_version));
    CPPUNIT_ASSERT_EQUAL(std::string("UDP"), s(v[0].transport));
    CPPUNIT_ASSERT_EQUAL(std::string("pc33.example.com"), s(v[0].host));
    CPPUNIT_ASSERT_EQUAL(0, static_cast<int>(v[0].port));
    CPPUNIT_ASSERT_EQUAL(std::string("z9hG4bK776asdhds"), s(v[0].branch));
    CPPUNIT_ASSERT_EQUAL(std::string("branch=z9hG4bK776asdhds"), s(v[0].params));
    CPPUNIT_ASSERT(!v[0].has_rport);
  }

  void parsesPortAndParams() {
    std::vector<Via> v;
    CPPUNIT_ASSERT(parseViaList("SIP/2.0/TCP 192.0.2.4:5070;received=192.0.2.9;Branch=z9hG4bKx;"
                                "maddr=239.255.255.1;ttl=16;foo=\"a;b,c\"",
                                v) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, v.size());
    CPPUNIT_ASSERT_EQUAL(5070, static_cast<int>(v[0].port));
    CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.9"), s(v[0].received));
    CPPUNIT_ASSERT_EQUAL(std::string("z9hG4bKx"), s(v[0].branch));
    CPPUNIT_ASSERT_EQUAL(std::string("239.255.255.1"), s(v[0].maddr));
    CPPUNIT_ASSERT_EQUAL(std::string("16"), s(v[0].ttl));
    CPPUNIT_ASSERT_EQUAL(
        std::string("SIP/2.0/TCP 192.0.2.4:5070;received=192.0.2.9;Branch=z9hG4bKx;"
                    "maddr=239.255.255.1;ttl=16;foo=\"a;b,c\""),
        s(v[0].text));
  }

  void parsesSeveralValuesInOneBody() {
    std::vector<Via> v;
    const std::string_view body =
        "SIP/2.0/UDP a.example.com;branch=z9hG4bK1 , SIP/2.0/TCP b.example.com:5061;branch=z9"
        "hG4bK2,SIP/2.0/TLS [::1];branch=z9hG4bK3";
    CPPUNIT_ASSERT(parseViaList(body, v) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, v.size());
    CPPUNIT_ASSERT_EQUAL(std::string("a.example.com"), s(v[0].host));
    CPPUNIT_ASSERT_EQUAL(std::string("SIP/2.0/UDP a.example.com;branch=z9hG4bK1"), s(v[0].text));
    CPPUNIT_ASSERT_EQUAL(std::string("b.example.com"), s(v[1].host));
    CPPUNIT_ASSERT_EQUAL(5061, static_cast<int>(v[1].port));
    CPPUNIT_ASSERT_EQUAL(std::string("TLS"), s(v[2].transport));
    CPPUNIT_ASSERT_EQUAL(std::string("z9hG4bK3"), s(v[2].branch));
    // Views point into the body (offsets usable for edits).
    CPPUNIT_ASSERT(v[1].text.data() == body.data() + body.find("SIP/2.0/TCP"));
  }

  void acceptsLwsAndFolding() {
    // RFC 4475 wsinv
    std::vector<Via> v;
    CPPUNIT_ASSERT(parseViaList("SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw", v) ==
                   ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("UDP"), s(v[0].transport));
    CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.2"), s(v[0].host));
    CPPUNIT_ASSERT_EQUAL(std::string("390skdjuw"), s(v[0].branch));
    v.clear();
    CPPUNIT_ASSERT(parseViaList("SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   "
                                "z9hG4bK9ikj8  ,\r\n SIP  /    2.0   / UDP  192.168.255.111   ; "
                                "branch=\r\n z9hG4bK30239",
                                v) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, v.size());
    CPPUNIT_ASSERT_EQUAL(std::string("spindle.example.com"), s(v[0].host));
    CPPUNIT_ASSERT_EQUAL(std::string("z9hG4bK9ikj8"), s(v[0].branch));
    CPPUNIT_ASSERT_EQUAL(std::string("192.168.255.111"), s(v[1].host));
    CPPUNIT_ASSERT_EQUAL(std::string("z9hG4bK30239"), s(v[1].branch));
    v.clear();
    CPPUNIT_ASSERT(parseViaList("SIP/2.0/UDP h : 5060 ; branch=z9hG4bK1", v) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(5060, static_cast<int>(v[0].port));
  }

  void parsesIpv6HostAndReceived() {
    // RFC 5118 style
    std::vector<Via> v;
    CPPUNIT_ASSERT(parseViaList("SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3;"
                                "received=2001:db8::9:255",
                                v) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("[2001:db8::9:1]"), s(v[0].host));
    CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::9:1"), s(v[0].hostNoBrackets()));
    CPPUNIT_ASSERT_EQUAL(6050, static_cast<int>(v[0].port));
    CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::9:255"), s(v[0].received));
    v.clear();
    CPPUNIT_ASSERT(parseViaList("SIP/2.0/UDP [2001:db8::1];received=[2001:db8::2]", v) ==
                   ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("[2001:db8::2]"), s(v[0].received));
    CPPUNIT_ASSERT(parseViaList("SIP/2.0/UDP [2001:db8::1", v) == ParseError::kBadVia);
  }

  void rportWithAndWithoutValue() {
    std::vector<Via> v;
    CPPUNIT_ASSERT(parseViaList("SIP/2.0/UDP h;rport;branch=z9hG4bK1", v) == ParseError::kOk);
    CPPUNIT_ASSERT(v[0].has_rport);
    CPPUNIT_ASSERT(v[0].rport_value.empty());
    v.clear();
    CPPUNIT_ASSERT(parseViaList("SIP/2.0/UDP h;branch=z9hG4bK1;received=1.2.3.4;rport=5062", v) ==
                   ParseError::kOk);
    CPPUNIT_ASSERT(v[0].has_rport);
    CPPUNIT_ASSERT_EQUAL(std::string("5062"), s(v[0].rport_value));
    CPPUNIT_ASSERT(parseViaList("SIP/2.0/UDP h;rport=abc", v) == ParseError::kBadVia);
    CPPUNIT_ASSERT(parseViaList("SIP/2.0/UDP h;rport=", v) == ParseError::kBadVia);
  }

  void acceptsUnknownTransport() {
    // RFC 4475 transports
    std::vector<Via> v;
    CPPUNIT_ASSERT(parseViaList("SIP/2.0/SCTP t3.example.com;branch=z9hG4bKsctp,"
                                "SIP/2.0/UNKNOWN t5.example.com;branch=z9hG4bKunk",
                                v) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("UNKNOWN"), s(v[1].transport));
  }

  void rejectsExtraSeparators() {
    // RFC 4475 badinv01
    std::vector<Via> v;
    CPPUNIT_ASSERT(parseViaList("SIP/2.0/UDP 192.0.2.15;;,;,,", v) == ParseError::kBadVia);
    CPPUNIT_ASSERT(parseViaList("SIP/2.0/UDP h,", v) == ParseError::kBadVia);
    CPPUNIT_ASSERT(parseViaList(",SIP/2.0/UDP h", v) == ParseError::kBadVia);
    CPPUNIT_ASSERT(parseViaList("SIP/2.0/UDP h;", v) == ParseError::kBadVia);
    CPPUNIT_ASSERT(parseViaList("SIP/2.0/UDP h;branch", v) == ParseError::kOk);
  }

  void rejectsMalformed() {
    std::vector<Via> v;
    const char* bad[] = {"",
                         "   ",
                         "SIP/2.0 h",
                         "SIP/2.0/UDP",
                         "SIP/2.0/UDP ",
                         "SIP/2.0/UDPh",
                         "SIP//UDP h",
                         "SIP/2.0/UDP h:0",
                         "SIP/2.0/UDP h:65536",
                         "SIP/2.0/UDP h:99999999999999999999999",
                         "SIP/2.0/UDP h:",
                         "SIP/2.0/UDP h junk",
                         "SIP/2.0/UDP h;branch=\"unterminated",
                         "SIP/2.0/UDP h;branch=",
                         "SIP/2.0/UDP <h>",
                         "SIP/2.0/UDP []"};
    for (const char* b : bad) {
      CPPUNIT_ASSERT_MESSAGE(b, parseViaList(b, v) == ParseError::kBadVia);
    }
    const std::string nul("SIP/2.0/UDP h\0;branch=1", 23);
    CPPUNIT_ASSERT(parseViaList(nul, v) == ParseError::kBadVia);
  }

  void appendsToExistingVector() {
    std::vector<Via> v;
    CPPUNIT_ASSERT(parseViaList("SIP/2.0/UDP a", v) == ParseError::kOk);
    CPPUNIT_ASSERT(parseViaList("SIP/2.0/UDP b, SIP/2.0/UDP c", v) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, v.size());
    CPPUNIT_ASSERT_EQUAL(std::string("c"), s(v[2].host));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ViaParserTest);

}  // namespace sipline
