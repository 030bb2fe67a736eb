#include "core/config/socket_spec.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace sipline {
namespace {

std::string errorOf(const char* text) {
  Result<SocketSpec> r = parseSocketSpec(text);
  return r.isOk() ? "<ok " + r.value().text + ">" : r.status().message();
}

class SocketSpecTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SocketSpecTest);
  CPPUNIT_TEST(parsesUdpIpv4WithPort);
  CPPUNIT_TEST(defaultsPortPerProtocol);
  CPPUNIT_TEST(protocolIsCaseInsensitive);
  CPPUNIT_TEST(parsesBracketedIpv6);
  CPPUNIT_TEST(canonicalisesIpv6);
  CPPUNIT_TEST(acceptsAnyAddresses);
  CPPUNIT_TEST(trimsSurroundingBlanks);
  CPPUNIT_TEST(parsesAdvertisedAddress);
  CPPUNIT_TEST(advertisedPortDefaultsToSocketPort);
  CPPUNIT_TEST(advertisedIpv6);
  CPPUNIT_TEST(rejectsBadAdvertised);
  CPPUNIT_TEST(rejectsGarbageAfterAddress);
  CPPUNIT_TEST(rejectsPortZero);
  CPPUNIT_TEST(rejectsPortAboveRange);
  CPPUNIT_TEST(rejectsNonNumericPort);
  CPPUNIT_TEST(rejectsEmptyPort);
  CPPUNIT_TEST(rejectsMissingAddress);
  CPPUNIT_TEST(rejectsShortIpv4);
  CPPUNIT_TEST(rejectsIpv4InBrackets);
  CPPUNIT_TEST(rejectsUnbracketedIpv6);
  CPPUNIT_TEST(rejectsUnclosedBracket);
  CPPUNIT_TEST(rejectsUnknownProtocol);
  CPPUNIT_TEST(rejectsMissingProtocol);
  CPPUNIT_TEST(rejectsHostNamesAndWildcard);
  CPPUNIT_TEST(rejectsEmpty);
  CPPUNIT_TEST(protoNames);
  CPPUNIT_TEST(hostPortAcceptsNames);
  CPPUNIT_TEST(hostPortRequiresPortWhenAsked);
  CPPUNIT_TEST_SUITE_END();

 public:
  void parsesUdpIpv4WithPort() {
    Result<SocketSpec> r = parseSocketSpec("udp:127.0.0.1:5062");
    CPPUNIT_ASSERT(r.isOk());
    const SocketSpec& s = r.value();
    CPPUNIT_ASSERT(s.proto == Proto::kUdp);
    CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), s.address);
    CPPUNIT_ASSERT_EQUAL(5062, static_cast<int>(s.port));
    CPPUNIT_ASSERT(!s.ipv6);
    CPPUNIT_ASSERT(s.advertised.empty());
    CPPUNIT_ASSERT_EQUAL(std::string("udp:127.0.0.1:5062"), s.text);
  }

  void defaultsPortPerProtocol() {
    CPPUNIT_ASSERT_EQUAL(std::string("<ok udp:10.0.0.1:5060>"), errorOf("udp:10.0.0.1"));
    CPPUNIT_ASSERT_EQUAL(std::string("<ok tcp:10.0.0.1:5060>"), errorOf("tcp:10.0.0.1"));
    CPPUNIT_ASSERT_EQUAL(std::string("<ok tls:10.0.0.1:5061>"), errorOf("tls:10.0.0.1"));
  }

  void protocolIsCaseInsensitive() {
    Result<SocketSpec> r = parseSocketSpec("TLS:10.0.0.1:5071");
    CPPUNIT_ASSERT(r.isOk());
    CPPUNIT_ASSERT(r.value().proto == Proto::kTls);
    CPPUNIT_ASSERT_EQUAL(std::string("tls:10.0.0.1:5071"), r.value().text);
    CPPUNIT_ASSERT_EQUAL(std::string("<ok udp:10.0.0.1:5060>"), errorOf("Udp:10.0.0.1"));
  }

  void parsesBracketedIpv6() {
    Result<SocketSpec> r = parseSocketSpec("udp:[::1]:5062");
    CPPUNIT_ASSERT(r.isOk());
    CPPUNIT_ASSERT(r.value().ipv6);
    CPPUNIT_ASSERT_EQUAL(std::string("::1"), r.value().address);
    CPPUNIT_ASSERT_EQUAL(5062, static_cast<int>(r.value().port));
    CPPUNIT_ASSERT_EQUAL(std::string("udp:[::1]:5062"), r.value().text);
    CPPUNIT_ASSERT_EQUAL(std::string("<ok udp:[2001:db8::5]:5060>"), errorOf("udp:[2001:db8::5]"));
  }

  void canonicalisesIpv6() {
    CPPUNIT_ASSERT_EQUAL(std::string("<ok udp:[2001:db8::1]:5060>"),
                         errorOf("udp:[2001:0DB8:0:0:0:0:0:1]:5060"));
  }

  void acceptsAnyAddresses() {
    CPPUNIT_ASSERT_EQUAL(std::string("<ok udp:0.0.0.0:5060>"), errorOf("udp:0.0.0.0:5060"));
    CPPUNIT_ASSERT_EQUAL(std::string("<ok udp:[::]:5060>"), errorOf("udp:[::]"));
  }

  void trimsSurroundingBlanks() {
    CPPUNIT_ASSERT_EQUAL(std::string("<ok udp:127.0.0.1:5060>"), errorOf("  udp:127.0.0.1 \t"));
  }

  void parsesAdvertisedAddress() {
    Result<SocketSpec> r = parseSocketSpec("udp:10.0.0.1:5060 as sip.Example.com:5080");
    CPPUNIT_ASSERT(r.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("udp:10.0.0.1:5060"), r.value().text);
    CPPUNIT_ASSERT_EQUAL(std::string("sip.example.com:5080"), r.value().advertised);
    CPPUNIT_ASSERT_EQUAL(std::string("sip.example.com"), r.value().advertised_host);
    CPPUNIT_ASSERT_EQUAL(5080, static_cast<int>(r.value().advertised_port));
  }

  void advertisedPortDefaultsToSocketPort() {
    Result<SocketSpec> r = parseSocketSpec("udp:10.0.0.1:5070   AS  198.51.100.7");
    CPPUNIT_ASSERT(r.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("198.51.100.7:5070"), r.value().advertised);
  }

  void advertisedIpv6() {
    Result<SocketSpec> r = parseSocketSpec("udp:[::1] as [2001:db8::7]:5090");
    CPPUNIT_ASSERT(r.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("[2001:db8::7]:5090"), r.value().advertised);
    CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::7"), r.value().advertised_host);
  }

  void rejectsBadAdvertised() {
    CPPUNIT_ASSERT_EQUAL(std::string("socket 'udp:10.0.0.1 as': missing address after 'as'"),
                         errorOf("udp:10.0.0.1 as"));
    CPPUNIT_ASSERT_EQUAL(std::string("socket 'udp:10.0.0.1 as bad_host:5060': advertised address "
                                     "'bad_host:5060': 'bad_host' is not a valid host name"),
                         errorOf("udp:10.0.0.1 as bad_host:5060"));
    CPPUNIT_ASSERT_EQUAL(
        std::string("socket 'udp:10.0.0.1 as 1.2.3.4:0': advertised address '1.2.3.4:0': port "
                    "'0' is out of range 1..65535"),
        errorOf("udp:10.0.0.1 as 1.2.3.4:0"));
  }

  void rejectsGarbageAfterAddress() {
    CPPUNIT_ASSERT_EQUAL(std::string("socket 'udp:10.0.0.1 via 1.2.3.4': unexpected 'via "
                                     "1.2.3.4' after the address (expected 'as HOST[:PORT]')"),
                         errorOf("udp:10.0.0.1 via 1.2.3.4"));
  }

  void rejectsPortZero() {
    CPPUNIT_ASSERT_EQUAL(std::string("socket 'udp:127.0.0.1:0': port '0' is out of range 1..65535"),
                         errorOf("udp:127.0.0.1:0"));
  }

  void rejectsPortAboveRange() {
    CPPUNIT_ASSERT_EQUAL(
        std::string("socket 'udp:127.0.0.1:65536': port '65536' is out of range 1..65535"),
        errorOf("udp:127.0.0.1:65536"));
    CPPUNIT_ASSERT_EQUAL(
        std::string("socket 'udp:[::1]:99999999999': port '99999999999' is out of range 1..65535"),
        errorOf("udp:[::1]:99999999999"));
  }

  void rejectsNonNumericPort() {
    CPPUNIT_ASSERT_EQUAL(std::string("socket 'udp:127.0.0.1:x': port 'x' is not a number"),
                         errorOf("udp:127.0.0.1:x"));
    CPPUNIT_ASSERT_EQUAL(std::string("socket 'udp:127.0.0.1:-5': port '-5' is not a number"),
                         errorOf("udp:127.0.0.1:-5"));
  }

  void rejectsEmptyPort() {
    CPPUNIT_ASSERT_EQUAL(std::string("socket 'udp:127.0.0.1:': missing port after ':'"),
                         errorOf("udp:127.0.0.1:"));
  }

  void rejectsMissingAddress() {
    CPPUNIT_ASSERT_EQUAL(std::string("socket 'udp:': missing address after 'udp:'"),
                         errorOf("udp:"));
    CPPUNIT_ASSERT_EQUAL(
        std::string("socket 'udp': missing address (expected PROTO:ADDRESS[:PORT])"),
        errorOf("udp"));
    CPPUNIT_ASSERT_EQUAL(std::string("socket 'udp::5060': missing address before ':'"),
                         errorOf("udp::5060"));
  }

  void rejectsShortIpv4() {
    CPPUNIT_ASSERT_EQUAL(std::string("socket 'udp:1.2.3': '1.2.3' is not a valid IPv4 address"),
                         errorOf("udp:1.2.3"));
    CPPUNIT_ASSERT_EQUAL(
        std::string("socket 'udp:1.2.3.256:5060': '1.2.3.256' is not a valid IPv4 address"),
        errorOf("udp:1.2.3.256:5060"));
  }

  void rejectsIpv4InBrackets() {
    CPPUNIT_ASSERT_EQUAL(std::string("socket 'udp:[127.0.0.1]:5060': brackets are only for IPv6 "
                                     "addresses, '127.0.0.1' is IPv4"),
                         errorOf("udp:[127.0.0.1]:5060"));
    CPPUNIT_ASSERT_EQUAL(std::string("socket 'udp:[foo]': 'foo' is not a valid IPv6 address"),
                         errorOf("udp:[foo]"));
  }

  void rejectsUnbracketedIpv6() {
    CPPUNIT_ASSERT_EQUAL(std::string("socket 'udp:::1': IPv6 address '::1' must be written in "
                                     "brackets, e.g. [::1]:5060"),
                         errorOf("udp:::1"));
  }

  void rejectsUnclosedBracket() {
    CPPUNIT_ASSERT_EQUAL(std::string("socket 'udp:[::1:5060': missing ']' after the IPv6 address"),
                         errorOf("udp:[::1:5060"));
    CPPUNIT_ASSERT_EQUAL(std::string("socket 'udp:[::1]5060': unexpected '5060' after ']'"),
                         errorOf("udp:[::1]5060"));
  }

  void rejectsUnknownProtocol() {
    CPPUNIT_ASSERT_EQUAL(
        std::string("socket 'sctp:127.0.0.1': unknown protocol 'sctp' (expected udp, tcp or tls)"),
        errorOf("sctp:127.0.0.1"));
    CPPUNIT_ASSERT_EQUAL(
        std::string("socket 'ws:127.0.0.1:80': unknown protocol 'ws' (expected udp, tcp or tls)"),
        errorOf("ws:127.0.0.1:80"));
  }

  void rejectsMissingProtocol() {
    CPPUNIT_ASSERT_EQUAL(std::string("socket '127.0.0.1:5060': missing protocol (expected udp:, "
                                     "tcp: or tls: before the address)"),
                         errorOf("127.0.0.1:5060"));
    CPPUNIT_ASSERT_EQUAL(std::string("socket '[::1]:5060': missing protocol (expected udp:, tcp: "
                                     "or tls: before the address)"),
                         errorOf("[::1]:5060"));
    CPPUNIT_ASSERT_EQUAL(std::string("socket '127.0.0.1': expected PROTO:ADDRESS[:PORT], e.g. "
                                     "udp:127.0.0.1:5060"),
                         errorOf("127.0.0.1"));
  }

  void rejectsHostNamesAndWildcard() {
    CPPUNIT_ASSERT_EQUAL(std::string("socket 'udp:localhost:5060': 'localhost' is not a numeric "
                                     "IP address (host names are not resolved here)"),
                         errorOf("udp:localhost:5060"));
    CPPUNIT_ASSERT_EQUAL(
        std::string("socket 'udp:*:5060': wildcard '*' is not supported; use 0.0.0.0 or [::]"),
        errorOf("udp:*:5060"));
  }

  void rejectsEmpty() {
    CPPUNIT_ASSERT_EQUAL(std::string("socket '': empty socket (expected PROTO:ADDRESS[:PORT])"),
                         errorOf("   "));
  }

  void protoNames() {
    CPPUNIT_ASSERT_EQUAL(std::string("udp"), std::string(protoName(Proto::kUdp)));
    CPPUNIT_ASSERT_EQUAL(std::string("tcp"), std::string(protoName(Proto::kTcp)));
    CPPUNIT_ASSERT_EQUAL(std::string("tls"), std::string(protoName(Proto::kTls)));
  }

  void hostPortAcceptsNames() {
    Result<HostPort> r =
        parseHostPort("SIP.example.com.", HostRule::kNameOrAddress, PortRule::kOptional);
    CPPUNIT_ASSERT(r.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("sip.example.com."), r.value().toString());
    CPPUNIT_ASSERT(!r.value().numeric);
    CPPUNIT_ASSERT(
        !parseHostPort("-bad.example.com", HostRule::kNameOrAddress, PortRule::kOptional).isOk());
    CPPUNIT_ASSERT(!parseHostPort("a..b", HostRule::kNameOrAddress, PortRule::kOptional).isOk());
  }

  void hostPortRequiresPortWhenAsked() {
    Result<HostPort> r = parseHostPort("127.0.0.1", HostRule::kNumericOnly, PortRule::kRequired);
    CPPUNIT_ASSERT(!r.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("missing port (expected ADDRESS:PORT)"), r.status().message());
    Result<HostPort> ok = parseHostPort("[::1]:8888", HostRule::kNumericOnly, PortRule::kRequired);
    CPPUNIT_ASSERT(ok.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("[::1]:8888"), ok.value().toString());
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(SocketSpecTest);

}  // namespace
}  // namespace sipline
