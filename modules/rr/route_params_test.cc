#include "modules/rr/route_params.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

namespace sipline {
namespace {

std::string request(const std::string& ruri, const std::string& route, const std::string& from) {
  return "BYE " + ruri + " SIP/2.0\r\n" + "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n" +
         route + "From: " + from +
         "\r\n"
         "To: <sip:bob@example.com>;tag=b2\r\n"
         "Call-ID: rp-test\r\n"
         "CSeq: 2 BYE\r\n"
         "Content-Length: 0\r\n\r\n";
}

struct Parsed {
  std::string text;
  SipMessage msg;
  explicit Parsed(std::string t) : text(std::move(t)) {
    CPPUNIT_ASSERT(msg.parse(text) == ParseError::kOk);
  }
};

const char kAlice[] = "<sip:alice@example.com>;tag=a1";
const char kBob[] = "<sip:bob@example.com>;tag=b2";

}  // namespace

class RouteParamsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(RouteParamsTest);
  CPPUNIT_TEST(fromTagParamEscapesWhatAUriParamCannotHold);
  CPPUNIT_TEST(directionComparesFtagWithFromTag);
  CPPUNIT_TEST(escapedFtagComparesUnescaped);
  CPPUNIT_TEST(directionIsDownstreamWhenItCannotBeTold);
  CPPUNIT_TEST(directionAfterAStrictRouterUsesTheRequestUri);
  CPPUNIT_TEST(checkRouteParamMatchesOurParamsOnly);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    Result<SocketSpec> s = parseSocketSpec("udp:127.0.0.1:5060");
    CPPUNIT_ASSERT(s.isOk());
    CPPUNIT_ASSERT(us_.addUnbound({s.value()}).isOk());
  }

  void fromTagParamEscapesWhatAUriParamCannotHold() {
    Parsed plain(request("sip:b@10.0.0.9", "", kAlice));
    CPPUNIT_ASSERT_EQUAL(std::string(";ftag=a1"), fromTagParam(plain.msg));
    Parsed odd(request("sip:b@10.0.0.9", "", "<sip:alice@example.com>;tag=x%41`y.~!"));
    CPPUNIT_ASSERT_EQUAL(std::string(";ftag=x%2541%60y.~!"), fromTagParam(odd.msg));
    Parsed none(request("sip:b@10.0.0.9", "", "<sip:alice@example.com>"));
    CPPUNIT_ASSERT_EQUAL(std::string(""), fromTagParam(none.msg));
  }
  void directionComparesFtagWithFromTag() {
    const std::string route = "Route: <sip:127.0.0.1:5060;lr;ftag=a1>\r\n";
    Parsed caller(request("sip:b@10.0.0.9", route, kAlice));
    CPPUNIT_ASSERT(flowDirection(caller.msg, us_) == FlowDirection::kDownstream);
    Parsed callee(request("sip:a@10.0.0.1", route, kBob));
    CPPUNIT_ASSERT(flowDirection(callee.msg, us_) == FlowDirection::kUpstream);
  }
  void escapedFtagComparesUnescaped() {
    const std::string from = "<sip:alice@example.com>;tag=x%41`y";
    Parsed fromtag(request("sip:b@10.0.0.9", "", from));
    std::string route = "Route: <sip:127.0.0.1:5060;lr" + fromTagParam(fromtag.msg) + ">\r\n";
    Parsed same(request("sip:b@10.0.0.9", route, from));
    CPPUNIT_ASSERT(flowDirection(same.msg, us_) == FlowDirection::kDownstream);
    Parsed other(request("sip:b@10.0.0.9", route, "<sip:alice@example.com>;tag=xA`y"));
    CPPUNIT_ASSERT(flowDirection(other.msg, us_) == FlowDirection::kUpstream);
  }
  void directionIsDownstreamWhenItCannotBeTold() {
    Parsed no_ftag(request("sip:a@10.0.0.1", "Route: <sip:127.0.0.1:5060;lr>\r\n", kBob));
    CPPUNIT_ASSERT(flowDirection(no_ftag.msg, us_) == FlowDirection::kDownstream);
    Parsed foreign(request("sip:a@10.0.0.1", "Route: <sip:10.0.0.2;lr;ftag=a1>\r\n", kBob));
    CPPUNIT_ASSERT(flowDirection(foreign.msg, us_) == FlowDirection::kDownstream);
    Parsed no_route(request("sip:a@10.0.0.1", "", kBob));
    CPPUNIT_ASSERT(flowDirection(no_route.msg, us_) == FlowDirection::kDownstream);
  }
  void directionAfterAStrictRouterUsesTheRequestUri() {
    Parsed r(request("sip:127.0.0.1:5060;lr;ftag=a1", "Route: <sip:a@10.0.0.1>\r\n", kBob));
    CPPUNIT_ASSERT(flowDirection(r.msg, us_) == FlowDirection::kUpstream);
  }
  void checkRouteParamMatchesOurParamsOnly() {
    Regex nat;
    CPPUNIT_ASSERT(nat.compile("nat=yes").isOk());
    Regex anchored;
    CPPUNIT_ASSERT(anchored.compile("^;lr;ftag=").isOk());
    Parsed ours(
        request("sip:b@10.0.0.9", "Route: <sip:127.0.0.1:5060;lr;ftag=a1;nat=yes>\r\n", kAlice));
    CPPUNIT_ASSERT(checkRouteParam(ours.msg, us_, nat));
    CPPUNIT_ASSERT(checkRouteParam(ours.msg, us_, anchored));
    Parsed without(request("sip:b@10.0.0.9", "Route: <sip:127.0.0.1:5060;lr;ftag=a1>\r\n", kAlice));
    CPPUNIT_ASSERT(!checkRouteParam(without.msg, us_, nat));
    Parsed foreign(request("sip:b@10.0.0.9", "Route: <sip:10.0.0.2;lr;nat=yes>\r\n", kAlice));
    CPPUNIT_ASSERT(!checkRouteParam(foreign.msg, us_, nat));
  }

 private:
  Listeners us_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(RouteParamsTest);

}  // namespace sipline
