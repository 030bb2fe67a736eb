#include "core/dns/srv_order.h"

#include <cppunit/extensions/HelperMacros.h>

#include <deque>
#include <random>
#include <string>
#include <vector>

namespace sipline::dns {
namespace {

// Returns the scripted draws in order and records the bounds it was asked for.
struct ScriptedRandom {
  std::deque<std::uint32_t> draws;
  std::vector<std::uint32_t> bounds;
  RandomUpTo fn() {
    return [this](std::uint32_t bound) {
      bounds.push_back(bound);
      std::uint32_t v = draws.empty() ? 0 : draws.front();
      if (!draws.empty()) draws.pop_front();
      return v > bound ? bound : v;
    };
  }
};

std::vector<std::string> targetsOf(const std::vector<SrvRecord>& records) {
  std::vector<std::string> out;
  for (const SrvRecord& r : records) out.push_back(r.target);
  return out;
}

NaptrRecord naptr(std::uint16_t order, std::uint16_t pref, std::string flags, std::string service,
                  std::string replacement) {
  return NaptrRecord{order, pref, std::move(flags), std::move(service), "", std::move(replacement)};
}

}  // namespace

class SrvOrderTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SrvOrderTest);
  CPPUNIT_TEST(lowerPriorityComesFirst);
  CPPUNIT_TEST(weightedPickFollowsTheDraw);
  CPPUNIT_TEST(zeroWeightRecordsLeadTheRunningSum);
  CPPUNIT_TEST(weightsShareFirstPlaceProportionally);
  CPPUNIT_TEST(lonelyDotTargetMeansNoService);
  CPPUNIT_TEST(dotTargetAmongOthersIsDropped);
  CPPUNIT_TEST(naptrKeepsOnlyUsableSipServices);
  CPPUNIT_TEST(naptrOrderThenPreference);
  CPPUNIT_TEST(naptrForSipsKeepsOnlyTls);
  CPPUNIT_TEST(naptrSkipsBadReplacementsAndDuplicates);
  CPPUNIT_TEST(srvNamesPerTransport);
  CPPUNIT_TEST(normalizesAndChecksNames);
  CPPUNIT_TEST_SUITE_END();

 public:
  void lowerPriorityComesFirst() {
    ScriptedRandom rnd;
    std::vector<SrvRecord> in = {{20, 0, 5060, "c"}, {10, 0, 5060, "a"}, {15, 0, 5060, "b"}};
    CPPUNIT_ASSERT((targetsOf(orderSrv(in, rnd.fn())) == std::vector<std::string>{"a", "b", "c"}));
  }

  void weightedPickFollowsTheDraw() {
    // Weights 10, 30, 60 in one priority: running sums 10, 40, 100.
    std::vector<SrvRecord> in = {{1, 10, 1, "a"}, {1, 30, 2, "b"}, {1, 60, 3, "c"}};
    ScriptedRandom high;
    high.draws = {41, 11, 0};  // 41 > 40 picks c; then sums a=10, b=40: 11 picks b; then a
    CPPUNIT_ASSERT((targetsOf(orderSrv(in, high.fn())) == std::vector<std::string>{"c", "b", "a"}));
    CPPUNIT_ASSERT((high.bounds == std::vector<std::uint32_t>{100, 40, 10}));
    ScriptedRandom low;
    low.draws = {10, 30, 0};  // 10 picks a (running sum 10 >= 10); then b=30 >= 30
    CPPUNIT_ASSERT((targetsOf(orderSrv(in, low.fn())) == std::vector<std::string>{"a", "b", "c"}));
  }

  void zeroWeightRecordsLeadTheRunningSum() {
    std::vector<SrvRecord> in = {{1, 50, 1, "heavy"}, {1, 0, 2, "zero"}};
    ScriptedRandom zero;
    zero.draws = {0, 0};  // a draw of 0 picks the weight-0 record, which sorts first
    CPPUNIT_ASSERT(
        (targetsOf(orderSrv(in, zero.fn())) == std::vector<std::string>{"zero", "heavy"}));
    ScriptedRandom one;
    one.draws = {1, 0};
    CPPUNIT_ASSERT(
        (targetsOf(orderSrv(in, one.fn())) == std::vector<std::string>{"heavy", "zero"}));
  }

  void weightsShareFirstPlaceProportionally() {
    std::mt19937 engine(12345);
    RandomUpTo rnd = [&](std::uint32_t bound) {
      return std::uniform_int_distribution<std::uint32_t>(0, bound)(engine);
    };
    std::vector<SrvRecord> in = {{1, 90, 1, "a"}, {1, 10, 2, "b"}, {2, 100, 3, "backup"}};
    int a_first = 0;
    for (int i = 0; i < 2000; ++i) {
      std::vector<SrvRecord> out = orderSrv(in, rnd);
      CPPUNIT_ASSERT_EQUAL(std::size_t{3}, out.size());
      CPPUNIT_ASSERT_EQUAL(std::string("backup"), out[2].target);
      a_first += out[0].target == "a" ? 1 : 0;
    }
    // 90% expected; 2000 draws put it within a few points.
    CPPUNIT_ASSERT_MESSAGE(std::to_string(a_first), a_first > 1700 && a_first < 1900);
  }

  void lonelyDotTargetMeansNoService() {
    ScriptedRandom rnd;
    CPPUNIT_ASSERT(orderSrv({{0, 0, 0, "."}}, rnd.fn()).empty());
  }

  void dotTargetAmongOthersIsDropped() {
    ScriptedRandom rnd;
    std::vector<SrvRecord> in = {{1, 0, 0, "."}, {2, 0, 5060, "real"}};
    CPPUNIT_ASSERT((targetsOf(orderSrv(in, rnd.fn())) == std::vector<std::string>{"real"}));
  }

  void naptrKeepsOnlyUsableSipServices() {
    std::vector<NaptrRecord> in = {
        naptr(10, 10, "s", "SIP+D2T", "_sip._tcp.example.com"),
        naptr(10, 20, "S", "sip+d2u", "_sip._udp.Example.com."),
        naptr(10, 30, "s", "SIP+D2S", "_sip._sctp.example.com"),
        naptr(10, 40, "u", "SIP+D2U", "!^.*$!sip:a@b!"),
        naptr(10, 50, "s", "E2U+sip", "_sip._udp.other.com"),
        naptr(10, 60, "s", "SIPS+D2T", "_sips._tcp.example.com"),
    };
    std::vector<NaptrChoice> udp_only = selectNaptr(in, TransportSet{}, false);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, udp_only.size());
    CPPUNIT_ASSERT(udp_only[0].proto == Proto::kUdp);
    CPPUNIT_ASSERT_EQUAL(std::string("_sip._udp.example.com"), udp_only[0].srv_name);
    std::vector<NaptrChoice> all = selectNaptr(in, TransportSet{true, true, true}, false);
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, all.size());
    CPPUNIT_ASSERT(all[0].proto == Proto::kTcp && all[1].proto == Proto::kUdp &&
                   all[2].proto == Proto::kTls);
  }

  void naptrOrderThenPreference() {
    std::vector<NaptrRecord> in = {
        naptr(20, 1, "s", "SIP+D2U", "third"),
        naptr(10, 50, "s", "SIP+D2U", "second"),
        naptr(10, 5, "s", "SIP+D2U", "first"),
    };
    std::vector<NaptrChoice> out = selectNaptr(in, TransportSet{}, false);
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, out.size());
    CPPUNIT_ASSERT_EQUAL(std::string("first"), out[0].srv_name);
    CPPUNIT_ASSERT_EQUAL(std::string("second"), out[1].srv_name);
    CPPUNIT_ASSERT_EQUAL(std::string("third"), out[2].srv_name);
  }

  void naptrForSipsKeepsOnlyTls() {
    std::vector<NaptrRecord> in = {
        naptr(10, 10, "s", "SIP+D2U", "_sip._udp.example.com"),
        naptr(10, 20, "s", "SIPS+D2T", "_sips._tcp.example.com"),
    };
    CPPUNIT_ASSERT(selectNaptr(in, TransportSet{}, true).empty());
    std::vector<NaptrChoice> tls = selectNaptr(in, TransportSet{true, true, true}, true);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, tls.size());
    CPPUNIT_ASSERT(tls[0].proto == Proto::kTls);
  }

  void naptrSkipsBadReplacementsAndDuplicates() {
    std::vector<NaptrRecord> in = {
        naptr(10, 10, "s", "SIP+D2U", ""),
        naptr(10, 11, "s", "SIP+D2U", "."),
        naptr(10, 12, "s", "SIP+D2U", "bad name!"),
        naptr(10, 13, "s", "SIP+D2U", "_sip._udp.example.com"),
        naptr(10, 14, "s", "SIP+D2U", "_SIP._UDP.example.com."),
    };
    std::vector<NaptrChoice> out = selectNaptr(in, TransportSet{}, false);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, out.size());
    CPPUNIT_ASSERT_EQUAL(std::string("_sip._udp.example.com"), out[0].srv_name);
    CPPUNIT_ASSERT(selectNaptr({}, TransportSet{}, false).empty());
  }

  void srvNamesPerTransport() {
    CPPUNIT_ASSERT_EQUAL(std::string("_sip._udp.a.b"), srvNameFor(Proto::kUdp, "a.b"));
    CPPUNIT_ASSERT_EQUAL(std::string("_sip._tcp.a.b"), srvNameFor(Proto::kTcp, "a.b"));
    CPPUNIT_ASSERT_EQUAL(std::string("_sips._tcp.a.b"), srvNameFor(Proto::kTls, "a.b"));
  }

  void normalizesAndChecksNames() {
    std::string why;
    CPPUNIT_ASSERT_EQUAL(std::string("sip.example.com"), normalizeName("SIP.Example.COM.", &why));
    CPPUNIT_ASSERT_EQUAL(std::string("_sip._udp.x"), normalizeName("_sip._udp.x", &why));
    CPPUNIT_ASSERT(normalizeName("", &why).empty());
    CPPUNIT_ASSERT_EQUAL(std::string("empty host name"), why);
    CPPUNIT_ASSERT(normalizeName(".", &why).empty());
    CPPUNIT_ASSERT(normalizeName("a..b", &why).empty());
    CPPUNIT_ASSERT_EQUAL(std::string("empty label in host name"), why);
    CPPUNIT_ASSERT(normalizeName(std::string(64, 'a') + ".com", &why).empty());
    CPPUNIT_ASSERT_EQUAL(std::string("host name label longer than 63 characters"), why);
    CPPUNIT_ASSERT(!normalizeName(std::string(63, 'a') + ".com", &why).empty());
    std::string long_name;
    for (int i = 0; i < 26; ++i) long_name += "abcdefghi.";
    CPPUNIT_ASSERT(normalizeName(long_name + "com", &why).empty());  // 263 characters
    CPPUNIT_ASSERT_EQUAL(std::string("host name longer than 253 characters"), why);
    CPPUNIT_ASSERT(normalizeName("exa mple.com", &why).empty());
    CPPUNIT_ASSERT(normalizeName("a@b", &why).empty());
    CPPUNIT_ASSERT(normalizeName(std::string("a\0b", 3), &why).empty());
    CPPUNIT_ASSERT_EQUAL(std::string("invalid character in host name"), why);
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(SrvOrderTest);

}  // namespace sipline::dns
