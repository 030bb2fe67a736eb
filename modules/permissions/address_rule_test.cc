#include "modules/permissions/address_rule.h"

#include <arpa/inet.h>
#include <cppunit/extensions/HelperMacros.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <string>
#include <vector>

#include "modules/permissions/address_store.h"

namespace sipline::permissions {
namespace {

AddressRow row(std::int64_t id, std::int64_t grp, std::string ip, std::int64_t mask,
               std::int64_t port = 0, std::string proto = "any", std::string pattern = "",
               std::string info = "") {
  AddressRow r;
  r.id = id;
  r.grp = grp;
  r.ip = std::move(ip);
  r.mask = mask;
  r.port = port;
  r.proto = std::move(proto);
  r.pattern = std::move(pattern);
  r.context_info = std::move(info);
  return r;
}

AddressQuery query(std::uint32_t grp, const std::string& ip, std::uint16_t port = 5060,
                   std::uint8_t proto = kProtoUdp, std::string_view text = "") {
  AddressQuery q;
  q.grp = grp;
  CPPUNIT_ASSERT_MESSAGE(ip, parseIp(ip, q.ip));
  q.port = port;
  q.proto = proto;
  q.text = text;
  return q;
}

}  // namespace

class AddressRuleTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(AddressRuleTest);
  CPPUNIT_TEST(parsesIpv4Ipv6AndMappedAddresses);
  CPPUNIT_TEST(ipv4PrefixesMatchByMask);
  CPPUNIT_TEST(ipv6PrefixesMatchByMask);
  CPPUNIT_TEST(familiesNeverMix);
  CPPUNIT_TEST(mappedRowsTakeAnIpv4OrIpv6Mask);
  CPPUNIT_TEST(portZeroIsAnyOnEitherSide);
  CPPUNIT_TEST(protoMatchesRuleOrAny);
  CPPUNIT_TEST(patternMustMatchTheText);
  CPPUNIT_TEST(groupZeroAsksForAnyGroup);
  CPPUNIT_TEST(mostSpecificRuleWinsThenLowestId);
  CPPUNIT_TEST(badRowsAreRefusedWithReason);
  CPPUNIT_TEST(buildSkipsBadRowsAndKeepsGoodOnes);
  CPPUNIT_TEST(rowsRoundTripThroughThePackedBlob);
  CPPUNIT_TEST(damagedBlobIsRefused);
  CPPUNIT_TEST_SUITE_END();

 public:
  void parsesIpv4Ipv6AndMappedAddresses() {
    IpBytes ip;
    CPPUNIT_ASSERT(parseIp("10.1.2.3", ip));
    CPPUNIT_ASSERT_EQUAL(AF_INET, ip.family);
    CPPUNIT_ASSERT(parseIp("[2001:db8::1]", ip));
    CPPUNIT_ASSERT_EQUAL(AF_INET6, ip.family);
    CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::1"), ipText(ip));
    CPPUNIT_ASSERT(parseIp("::ffff:192.0.2.7", ip));
    CPPUNIT_ASSERT_EQUAL(AF_INET, ip.family);
    CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.7"), ipText(ip));
    CPPUNIT_ASSERT(!parseIp("gw.example.com", ip));
    CPPUNIT_ASSERT(!parseIp("10.1.2", ip));
    CPPUNIT_ASSERT(!parseIp("", ip));
    CPPUNIT_ASSERT(!parseIp("10.0.0.1/24", ip));
    sockaddr_in6 mapped{};
    mapped.sin6_family = AF_INET6;
    CPPUNIT_ASSERT_EQUAL(1, inet_pton(AF_INET6, "::ffff:10.9.8.7", &mapped.sin6_addr));
    CPPUNIT_ASSERT(ipOfSockaddr(reinterpret_cast<const sockaddr*>(&mapped), ip));
    CPPUNIT_ASSERT_EQUAL(std::string("10.9.8.7"), ipText(ip));
    sockaddr_in v4{};
    v4.sin_family = AF_INET;
    CPPUNIT_ASSERT_EQUAL(1, inet_pton(AF_INET, "192.0.2.1", &v4.sin_addr));
    CPPUNIT_ASSERT(ipOfSockaddr(reinterpret_cast<const sockaddr*>(&v4), ip));
    CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.1"), ipText(ip));
  }

  void ipv4PrefixesMatchByMask() {
    auto set = AddressSet::build({row(1, 1, "10.1.2.0", 24), row(2, 2, "192.0.2.9", 32),
                                  row(3, 3, "172.16.0.0", 12), row(4, 4, "0.0.0.0", 0)});
    CPPUNIT_ASSERT(set->find(query(1, "10.1.2.255")) != nullptr);
    CPPUNIT_ASSERT(set->find(query(1, "10.1.3.0")) == nullptr);
    CPPUNIT_ASSERT(set->find(query(2, "192.0.2.9")) != nullptr);
    CPPUNIT_ASSERT(set->find(query(2, "192.0.2.8")) == nullptr);
    CPPUNIT_ASSERT(set->find(query(3, "172.31.255.1")) != nullptr);
    CPPUNIT_ASSERT(set->find(query(3, "172.32.0.1")) == nullptr);
    CPPUNIT_ASSERT(set->find(query(4, "203.0.113.5")) != nullptr);  // /0: every IPv4 source
    // The host bits of the row do not matter: 10.1.2.77/24 is 10.1.2.0/24.
    auto host_bits = AddressSet::build({row(1, 1, "10.1.2.77", 24)});
    CPPUNIT_ASSERT(host_bits->find(query(1, "10.1.2.1")) != nullptr);
  }

  void ipv6PrefixesMatchByMask() {
    auto set = AddressSet::build({row(1, 1, "2001:db8:1::", 48), row(2, 2, "2001:db8::5", 128),
                                  row(3, 3, "2001:db8:ab00::", 47)});
    CPPUNIT_ASSERT(set->find(query(1, "2001:db8:1:ffff::1")) != nullptr);
    CPPUNIT_ASSERT(set->find(query(1, "2001:db8:2::1")) == nullptr);
    CPPUNIT_ASSERT(set->find(query(2, "2001:db8::5")) != nullptr);
    CPPUNIT_ASSERT(set->find(query(2, "2001:db8::6")) == nullptr);
    // /47 cuts inside a byte: ab00 and ab01 are in, ab02 is out.
    CPPUNIT_ASSERT(set->find(query(3, "2001:db8:ab01:ffff::1")) != nullptr);
    CPPUNIT_ASSERT(set->find(query(3, "2001:db8:ab02::1")) == nullptr);
  }

  void familiesNeverMix() {
    auto set = AddressSet::build({row(1, 1, "0.0.0.0", 0), row(2, 2, "::", 0)});
    CPPUNIT_ASSERT(set->find(query(1, "::1")) == nullptr);
    CPPUNIT_ASSERT(set->find(query(2, "127.0.0.1")) == nullptr);
    CPPUNIT_ASSERT(set->find(query(1, "::ffff:127.0.0.1")) != nullptr);  // mapped = IPv4
  }

  // ::ffff:a.b.c.d rows are IPv4 rules: /120 is the IPv4 /24, /24 stays /24, /64 is refused.
  void mappedRowsTakeAnIpv4OrIpv6Mask() {
    bool mapped = false;
    IpBytes ip;
    CPPUNIT_ASSERT(parseIp("::ffff:192.0.2.1", ip, &mapped) && mapped);
    CPPUNIT_ASSERT(parseIp("192.0.2.1", ip, &mapped) && !mapped);
    CPPUNIT_ASSERT(parseIp("2001:db8::1", ip, &mapped) && !mapped);
    auto set =
        AddressSet::build({row(1, 1, "::ffff:192.0.2.0", 120), row(2, 2, "::ffff:198.51.100.0", 24),
                           row(3, 3, "::ffff:203.0.113.9", 128)});
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, set->size());
    CPPUNIT_ASSERT(set->find(query(1, "192.0.2.200")) != nullptr);
    CPPUNIT_ASSERT(set->find(query(1, "::ffff:192.0.2.7")) != nullptr);
    CPPUNIT_ASSERT(set->find(query(1, "192.0.3.1")) == nullptr);
    CPPUNIT_ASSERT(set->find(query(2, "198.51.100.99")) != nullptr);
    CPPUNIT_ASSERT(set->find(query(3, "203.0.113.9")) != nullptr);
    CPPUNIT_ASSERT(set->find(query(3, "203.0.113.8")) == nullptr);
    CPPUNIT_ASSERT_EQUAL(24, set->find(query(1, "192.0.2.1"))->mask);
    Result<AddressRule> bad = makeRule(row(4, 1, "::ffff:10.0.0.0", 64));
    CPPUNIT_ASSERT(!bad.isOk());
    CPPUNIT_ASSERT(bad.status().message().find("96..128") != std::string::npos);
  }

  void portZeroIsAnyOnEitherSide() {
    auto set = AddressSet::build({row(1, 1, "10.0.0.1", 32, 5070), row(2, 2, "10.0.0.2", 32, 0)});
    CPPUNIT_ASSERT(set->find(query(1, "10.0.0.1", 5070)) != nullptr);
    CPPUNIT_ASSERT(set->find(query(1, "10.0.0.1", 5060)) == nullptr);
    CPPUNIT_ASSERT(set->find(query(1, "10.0.0.1", 0)) != nullptr);  // asked: any port
    CPPUNIT_ASSERT(set->find(query(2, "10.0.0.2", 40000)) != nullptr);
  }

  void protoMatchesRuleOrAny() {
    auto set =
        AddressSet::build({row(1, 1, "10.0.0.1", 32, 0, "TCP"), row(2, 2, "10.0.0.2", 32, 0, "any"),
                           row(3, 3, "10.0.0.3", 32, 0, "wss")});
    CPPUNIT_ASSERT(set->find(query(1, "10.0.0.1", 5060, kProtoTcp)) != nullptr);
    CPPUNIT_ASSERT(set->find(query(1, "10.0.0.1", 5060, kProtoUdp)) == nullptr);
    CPPUNIT_ASSERT(set->find(query(1, "10.0.0.1", 5060, kProtoAny)) != nullptr);
    for (std::uint8_t p : {kProtoUdp, kProtoTcp, kProtoTls, kProtoWs, kProtoWss}) {
      CPPUNIT_ASSERT(set->find(query(2, "10.0.0.2", 5060, p)) != nullptr);
    }
    CPPUNIT_ASSERT(set->find(query(3, "10.0.0.3", 5060, kProtoTls)) == nullptr);
    CPPUNIT_ASSERT(set->find(query(3, "10.0.0.3", 5060, kProtoWss)) != nullptr);
    std::uint8_t bits = 0;
    CPPUNIT_ASSERT(parseProto("ANY", bits) && bits == kProtoAny);
    CPPUNIT_ASSERT(!parseProto("sctp", bits));
    CPPUNIT_ASSERT_EQUAL(std::string("tls"), std::string(protoName(kProtoTls)));
  }

  void patternMustMatchTheText() {
    auto set =
        AddressSet::build({row(1, 1, "10.0.0.1", 32, 0, "any", "^sip:\\+?49[0-9]+@", "de-gw")});
    const AddressRule* r =
        set->find(query(1, "10.0.0.1", 5060, kProtoUdp, "sip:+4930123@gw.example"));
    CPPUNIT_ASSERT(r != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::string("de-gw"), r->context_info);
    CPPUNIT_ASSERT(set->find(query(1, "10.0.0.1", 5060, kProtoUdp, "sip:+3312@gw")) == nullptr);
    CPPUNIT_ASSERT(set->find(query(1, "10.0.0.1", 5060, kProtoUdp, "")) == nullptr);
  }

  void groupZeroAsksForAnyGroup() {
    auto set = AddressSet::build({row(1, 7, "10.0.0.1", 32)});
    const AddressRule* r = set->find(query(0, "10.0.0.1"));
    CPPUNIT_ASSERT(r != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::uint32_t{7}, r->grp);
    CPPUNIT_ASSERT(set->find(query(8, "10.0.0.1")) == nullptr);
  }

  void mostSpecificRuleWinsThenLowestId() {
    auto set = AddressSet::build({row(5, 1, "10.0.0.0", 8, 0, "any", "", "wide"),
                                  row(9, 2, "10.1.0.0", 16, 0, "any", "", "narrow-late"),
                                  row(6, 3, "10.1.0.0", 16, 0, "any", "", "narrow-early")});
    const AddressRule* r = set->find(query(0, "10.1.2.3"));
    CPPUNIT_ASSERT(r != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::string("narrow-early"), r->context_info);
    CPPUNIT_ASSERT_EQUAL(std::string("wide"), set->find(query(1, "10.1.2.3"))->context_info);
  }

  void badRowsAreRefusedWithReason() {
    auto reason = [](const AddressRow& r) { return makeRule(r).status().message(); };
    CPPUNIT_ASSERT(reason(row(1, -1, "10.0.0.1", 32)).find("grp") != std::string::npos);
    CPPUNIT_ASSERT(reason(row(1, 1, "gw.example", 32)).find("ip") != std::string::npos);
    CPPUNIT_ASSERT(reason(row(1, 1, "10.0.0.1", 33)).find("mask 33") != std::string::npos);
    CPPUNIT_ASSERT(reason(row(1, 1, "10.0.0.1", -1)).find("mask") != std::string::npos);
    CPPUNIT_ASSERT(makeRule(row(1, 1, "::1", 128)).isOk());
    CPPUNIT_ASSERT(reason(row(1, 1, "::1", 129)).find("mask 129") != std::string::npos);
    CPPUNIT_ASSERT(reason(row(1, 1, "10.0.0.1", 32, 70000)).find("port") != std::string::npos);
    CPPUNIT_ASSERT(reason(row(1, 1, "10.0.0.1", 32, 0, "sctp")).find("proto") != std::string::npos);
    CPPUNIT_ASSERT(reason(row(1, 1, "10.0.0.1", 32, 0, "any", "([a-z")).find("pattern") !=
                   std::string::npos);
  }

  void buildSkipsBadRowsAndKeepsGoodOnes() {
    std::uint64_t skipped = 0;
    auto set = AddressSet::build(
        {row(1, 1, "10.0.0.1", 32), row(2, 1, "not-an-ip", 32),
         row(3, 1, "10.0.0.3", 32, 0, "any", "(unclosed"), row(4, 1, "10.0.0.4", 32)},
        &skipped);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{2}, skipped);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, set->size());
    CPPUNIT_ASSERT(set->find(query(1, "10.0.0.4")) != nullptr);
    CPPUNIT_ASSERT(set->find(query(1, "10.0.0.3")) == nullptr);
  }

  void rowsRoundTripThroughThePackedBlob() {
    std::vector<AddressRow> rows{row(1, 1, "10.0.0.1", 32, 5060, "udp", "^sip:a:b@", "x:y"),
                                 row(22, 3, "2001:db8::", 32, 0, "any", "", "")};
    std::vector<AddressRow> back;
    CPPUNIT_ASSERT(unpackRows(packRows(rows), back));
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, back.size());
    CPPUNIT_ASSERT_EQUAL(std::string("^sip:a:b@"), back[0].pattern);
    CPPUNIT_ASSERT_EQUAL(std::string("x:y"), back[0].context_info);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{5060}, back[0].port);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{22}, back[1].id);
    CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::"), back[1].ip);
    CPPUNIT_ASSERT(unpackRows("", back) && back.empty());
  }

  void damagedBlobIsRefused() {
    std::vector<AddressRow> back;
    std::string blob = packRows({row(1, 1, "10.0.0.1", 32)});
    CPPUNIT_ASSERT(!unpackRows(blob.substr(0, blob.size() - 1), back));
    CPPUNIT_ASSERT(!unpackRows("99:abc", back));
    CPPUNIT_ASSERT(!unpackRows("1:x", back));  // the id is not a number
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(AddressRuleTest);

}  // namespace sipline::permissions
