#include "modules/rr/loose_route.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

namespace sipline {
namespace {

// Our sockets: 127.0.0.1:5060, 127.0.0.1:5070, [::1]:5062, alias proxy.example.com.
void makeUs(Listeners& us) {
  std::vector<SocketSpec> specs;
  for (const char* text : {"udp:127.0.0.1:5060", "udp:127.0.0.1:5070", "udp:[::1]:5062"}) {
    Result<SocketSpec> s = parseSocketSpec(text);
    CPPUNIT_ASSERT(s.isOk());
    specs.push_back(s.value());
  }
  Status st = us.addUnbound(specs);
  CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
  us.setAliases({"proxy.example.com"});
}

// A BYE with the given request-URI and header lines (each with CRLF).
std::string bye(const std::string& ruri, const std::string& headers, bool to_tag = true) {
  return "BYE " + ruri + " SIP/2.0\r\n" + "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n" +
         headers + "From: <sip:alice@example.com>;tag=a1\r\n" + "To: <sip:bob@example.com>" +
         (to_tag ? ";tag=b2" : "") + "\r\n" +
         "Call-ID: lr-test\r\n"
         "CSeq: 2 BYE\r\n"
         "Content-Length: 0\r\n\r\n";
}

struct Request {
  std::string text;
  SipMessage msg;
  ReceiveInfo rcv;
  MsgContext ctx;
  explicit Request(std::string t) : text(std::move(t)), ctx(msg, rcv, kRequestRoute) {
    CPPUNIT_ASSERT(msg.parse(text) == ParseError::kOk);
  }
  // The Route header lines of the message as it would be sent.
  std::vector<std::string> routesOut() {
    std::string wire;
    CPPUNIT_ASSERT(msg.build(wire));
    SipMessage out;
    CPPUNIT_ASSERT(out.parse(wire) == ParseError::kOk);
    std::vector<std::string> lines;
    for (const HeaderField& h : out.headers()) {
      if (h.type == HeaderType::kRoute) lines.emplace_back(h.body);
    }
    return lines;
  }
  std::string ruriOut() {
    std::string wire;
    CPPUNIT_ASSERT(msg.build(wire));
    return wire.substr(0, wire.find("\r\n"));
  }
};

using Lines = std::vector<std::string>;

}  // namespace

class LooseRouteTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(LooseRouteTest);
  CPPUNIT_TEST(withoutRouteIsFalseAndChangesNothing);
  CPPUNIT_TEST(oursIsRemovedAndNextLooseHopBecomesDu);
  CPPUNIT_TEST(oursSharingAHeaderLineWithTheNext);
  CPPUNIT_TEST(doubleRecordRouteEntriesAreBothRemoved);
  CPPUNIT_TEST(twoOfOursWithoutR2AreASpiralAndOnlyTheTopGoes);
  CPPUNIT_TEST(oursOnlyInDialogRoutesByRequestUri);
  CPPUNIT_TEST(oursOnlyOnInitialRequestIsPreloadedAndFalse);
  CPPUNIT_TEST(strictRouterBeforeUsPutOurUriInTheRequestUri);
  CPPUNIT_TEST(strictRouterBeforeUsWithOnlyTheTargetLeft);
  CPPUNIT_TEST(strictNextHopGetsTheRequestUri);
  CPPUNIT_TEST(foreignTopRouteStaysAndBecomesDu);
  CPPUNIT_TEST(foreignStrictTopRouteIsConverted);
  CPPUNIT_TEST(malformedRouteIsFalseAndChangesNothing);
  CPPUNIT_TEST(nonSipNextHopIsFalseAndChangesNothing);
  CPPUNIT_TEST(requestUriOfOursWithoutLrIsNotAStrictRouter);
  CPPUNIT_TEST(ipv6AndAliasAndPortlessRoutes);
  CPPUNIT_TEST(ourRouteParamsFollowWhatLooseRouteTakes);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override { makeUs(us_); }

  void withoutRouteIsFalseAndChangesNothing() {
    Request r(bye("sip:bob@10.0.0.9", ""));
    CPPUNIT_ASSERT(looseRoute(r.ctx, us_).result == LooseRouteResult::kNoRoute);
    CPPUNIT_ASSERT(r.msg.edits().empty());
    CPPUNIT_ASSERT(r.ctx.dst_uri.empty());
  }
  void oursIsRemovedAndNextLooseHopBecomesDu() {
    Request r(bye("sip:bob@10.0.0.9",
                  "Route: <sip:127.0.0.1:5060;lr;ftag=a1>\r\n"
                  "Route: <sip:10.0.0.2:5060;lr>\r\n"));
    CPPUNIT_ASSERT(looseRoute(r.ctx, us_).result == LooseRouteResult::kRouted);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:10.0.0.2:5060;lr"), r.ctx.dst_uri);
    CPPUNIT_ASSERT(r.routesOut() == Lines{"<sip:10.0.0.2:5060;lr>"});
    CPPUNIT_ASSERT_EQUAL(std::string("BYE sip:bob@10.0.0.9 SIP/2.0"), r.ruriOut());
  }
  void oursSharingAHeaderLineWithTheNext() {
    Request r(bye("sip:bob@10.0.0.9",
                  "Route: <sip:127.0.0.1:5060;lr>, \"x\" <sip:10.0.0.2;lr>\r\n"
                  "Route: <sip:10.0.0.3;lr>\r\n"));
    CPPUNIT_ASSERT(looseRoute(r.ctx, us_).result == LooseRouteResult::kRouted);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:10.0.0.2;lr"), r.ctx.dst_uri);
    CPPUNIT_ASSERT(r.routesOut() == (Lines{"\"x\" <sip:10.0.0.2;lr>", "<sip:10.0.0.3;lr>"}));
    CPPUNIT_ASSERT(looseRoute(r.ctx, us_).result == LooseRouteResult::kRouted);
    CPPUNIT_ASSERT(r.routesOut() == (Lines{"\"x\" <sip:10.0.0.2;lr>", "<sip:10.0.0.3;lr>"}));
  }
  void doubleRecordRouteEntriesAreBothRemoved() {
    Request r(bye("sip:bob@10.0.0.9",
                  "Route: <sip:127.0.0.1:5070;lr;r2=on;ftag=a1>,"
                  " <sip:127.0.0.1:5060;lr;r2=on;ftag=a1>, <sip:10.0.0.2;lr>\r\n"));
    CPPUNIT_ASSERT(looseRoute(r.ctx, us_).result == LooseRouteResult::kRouted);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:10.0.0.2;lr"), r.ctx.dst_uri);
    CPPUNIT_ASSERT(r.routesOut() == Lines{"<sip:10.0.0.2;lr>"});
  }
  void twoOfOursWithoutR2AreASpiralAndOnlyTheTopGoes() {
    Request r(bye("sip:bob@10.0.0.9",
                  "Route: <sip:127.0.0.1:5070;lr>\r\n"
                  "Route: <sip:127.0.0.1:5060;lr>\r\n"));
    CPPUNIT_ASSERT(looseRoute(r.ctx, us_).result == LooseRouteResult::kRouted);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:127.0.0.1:5060;lr"), r.ctx.dst_uri);
    CPPUNIT_ASSERT(r.routesOut() == Lines{"<sip:127.0.0.1:5060;lr>"});
  }
  void oursOnlyInDialogRoutesByRequestUri() {
    Request r(bye("sip:bob@10.0.0.9:5062", "Route: <sip:127.0.0.1:5060;lr;ftag=a1>\r\n"));
    CPPUNIT_ASSERT(looseRoute(r.ctx, us_).result == LooseRouteResult::kRouted);
    CPPUNIT_ASSERT(r.ctx.dst_uri.empty());
    CPPUNIT_ASSERT(r.routesOut().empty());
    CPPUNIT_ASSERT_EQUAL(std::string("BYE sip:bob@10.0.0.9:5062 SIP/2.0"), r.ruriOut());
  }
  void oursOnlyOnInitialRequestIsPreloadedAndFalse() {
    Request r(bye("sip:bob@10.0.0.9", "Route: <sip:127.0.0.1:5060;lr>\r\n", false));
    CPPUNIT_ASSERT(looseRoute(r.ctx, us_).result == LooseRouteResult::kLocalOnly);
    CPPUNIT_ASSERT(r.routesOut().empty());
    CPPUNIT_ASSERT(r.ctx.dst_uri.empty());
  }
  void strictRouterBeforeUsPutOurUriInTheRequestUri() {
    // RFC 3261 §16.4: the request-URI is our Record-Route value; the remote target is last.
    Request r(bye("sip:127.0.0.1:5060;lr;ftag=a1",
                  "Route: <sip:10.0.0.2;lr>\r\n"
                  "Route: <sip:bob@10.0.0.9:5062>\r\n"));
    CPPUNIT_ASSERT(looseRoute(r.ctx, us_).result == LooseRouteResult::kRouted);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:bob@10.0.0.9:5062"), std::string(r.ctx.ruri()));
    CPPUNIT_ASSERT_EQUAL(std::string("BYE sip:bob@10.0.0.9:5062 SIP/2.0"), r.ruriOut());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:10.0.0.2;lr"), r.ctx.dst_uri);
    CPPUNIT_ASSERT(r.routesOut() == Lines{"<sip:10.0.0.2;lr>"});
  }
  void strictRouterBeforeUsWithOnlyTheTargetLeft() {
    // Our double Record-Route: the strict router took the first half into the request-URI.
    Request r(bye("sip:127.0.0.1:5070;lr;r2=on",
                  "Route: <sip:127.0.0.1:5060;lr;r2=on>, <sip:bob@10.0.0.9>\r\n"));
    CPPUNIT_ASSERT(looseRoute(r.ctx, us_).result == LooseRouteResult::kRouted);
    CPPUNIT_ASSERT_EQUAL(std::string("BYE sip:bob@10.0.0.9 SIP/2.0"), r.ruriOut());
    CPPUNIT_ASSERT(r.routesOut().empty());
    CPPUNIT_ASSERT(r.ctx.dst_uri.empty());
    // The half in the request-URI and the one on top make the pair: a further double entry
    // of ours is a spiral's, and stays.
    Request s(bye("sip:127.0.0.1:5070;lr;r2=on",
                  "Route: <sip:127.0.0.1:5060;lr;r2=on>, <sip:127.0.0.1:5070;lr;r2=on>,"
                  " <sip:bob@10.0.0.9>\r\n"));
    CPPUNIT_ASSERT(looseRoute(s.ctx, us_).result == LooseRouteResult::kRouted);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:127.0.0.1:5070;lr;r2=on"), s.ctx.dst_uri);
    CPPUNIT_ASSERT(s.routesOut() == Lines{"<sip:127.0.0.1:5070;lr;r2=on>"});
  }
  void strictNextHopGetsTheRequestUri() {
    // RFC 3261 §16.6 step 6.
    Request r(bye("sip:bob@10.0.0.9",
                  "Route: <sip:127.0.0.1:5060;lr>, <sip:10.0.0.3>\r\n"
                  "Route: <sip:10.0.0.4;lr>\r\n"));
    CPPUNIT_ASSERT(looseRoute(r.ctx, us_).result == LooseRouteResult::kRouted);
    CPPUNIT_ASSERT_EQUAL(std::string("BYE sip:10.0.0.3 SIP/2.0"), r.ruriOut());
    CPPUNIT_ASSERT(r.ctx.dst_uri.empty());
    CPPUNIT_ASSERT(r.routesOut() == (Lines{"<sip:10.0.0.4;lr>", "<sip:bob@10.0.0.9>"}));
    // A second call on the same message changes nothing more.
    CPPUNIT_ASSERT(looseRoute(r.ctx, us_).result == LooseRouteResult::kRouted);
    CPPUNIT_ASSERT_EQUAL(std::string("BYE sip:10.0.0.3 SIP/2.0"), r.ruriOut());
    CPPUNIT_ASSERT(r.routesOut() == (Lines{"<sip:10.0.0.4;lr>", "<sip:bob@10.0.0.9>"}));
  }
  void foreignTopRouteStaysAndBecomesDu() {
    Request r(bye("sip:bob@10.0.0.9", "Route: <sip:10.0.0.2;lr>\r\n", false));
    CPPUNIT_ASSERT(looseRoute(r.ctx, us_).result == LooseRouteResult::kRouted);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:10.0.0.2;lr"), r.ctx.dst_uri);
    CPPUNIT_ASSERT(r.msg.edits().empty());
  }
  void foreignStrictTopRouteIsConverted() {
    Request r(bye("sip:bob@10.0.0.9", "Route: <sip:10.0.0.3>\r\n"));
    CPPUNIT_ASSERT(looseRoute(r.ctx, us_).result == LooseRouteResult::kRouted);
    CPPUNIT_ASSERT_EQUAL(std::string("BYE sip:10.0.0.3 SIP/2.0"), r.ruriOut());
    CPPUNIT_ASSERT(r.routesOut() == Lines{"<sip:bob@10.0.0.9>"});
  }
  void malformedRouteIsFalseAndChangesNothing() {
    Request r(bye("sip:bob@10.0.0.9",
                  "Route: <sip:127.0.0.1:5060;lr>\r\n"
                  "Route: <sip:10.0.0.2;lr\r\n"));
    LooseRouteOutcome out = looseRoute(r.ctx, us_);
    CPPUNIT_ASSERT(out.result == LooseRouteResult::kMalformed);
    CPPUNIT_ASSERT(std::string(out.problem).find("Route") != std::string::npos);
    CPPUNIT_ASSERT(r.msg.edits().empty());
    CPPUNIT_ASSERT(r.ctx.dst_uri.empty());
  }
  void nonSipNextHopIsFalseAndChangesNothing() {
    Request r(bye("sip:bob@10.0.0.9", "Route: <sip:127.0.0.1:5060;lr>, <http://10.0.0.2/>\r\n"));
    CPPUNIT_ASSERT(looseRoute(r.ctx, us_).result == LooseRouteResult::kMalformed);
    CPPUNIT_ASSERT(r.msg.edits().empty());
    Request s(bye("sip:127.0.0.1:5060;lr", "Route: <tel:+15551234;x=y>\r\n"));
    CPPUNIT_ASSERT(looseRoute(s.ctx, us_).result == LooseRouteResult::kRouted);
    CPPUNIT_ASSERT_EQUAL(std::string("BYE tel:+15551234;x=y SIP/2.0"), s.ruriOut());
  }
  void requestUriOfOursWithoutLrIsNotAStrictRouter() {
    // A REGISTER-like request to us with a preloaded Route to us: not §16.4.
    Request r(bye("sip:127.0.0.1:5060", "Route: <sip:127.0.0.1:5060;lr>\r\n", false));
    CPPUNIT_ASSERT(looseRoute(r.ctx, us_).result == LooseRouteResult::kLocalOnly);
    CPPUNIT_ASSERT_EQUAL(std::string("BYE sip:127.0.0.1:5060 SIP/2.0"), r.ruriOut());
    CPPUNIT_ASSERT(r.routesOut().empty());
  }
  void ipv6AndAliasAndPortlessRoutes() {
    Request v6(bye("sip:bob@10.0.0.9", "Route: <sip:[::1]:5062;lr>, <sip:[2001:db8::2];lr>\r\n"));
    CPPUNIT_ASSERT(looseRoute(v6.ctx, us_).result == LooseRouteResult::kRouted);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:[2001:db8::2];lr"), v6.ctx.dst_uri);
    // Alias (any port) and a port-less URI meaning 5060.
    Request alias(
        bye("sip:bob@10.0.0.9", "Route: <sip:proxy.example.com;lr>, <sip:10.0.0.2;lr>\r\n"));
    CPPUNIT_ASSERT(looseRoute(alias.ctx, us_).result == LooseRouteResult::kRouted);
    CPPUNIT_ASSERT(alias.routesOut() == Lines{"<sip:10.0.0.2;lr>"});
    Request portless(bye("sip:bob@10.0.0.9", "Route: <sip:127.0.0.1;lr>, <sip:10.0.0.2;lr>\r\n"));
    CPPUNIT_ASSERT(looseRoute(portless.ctx, us_).result == LooseRouteResult::kRouted);
    CPPUNIT_ASSERT(portless.routesOut() == Lines{"<sip:10.0.0.2;lr>"});
    // Our address at a port we do not listen on is someone else.
    Request other(bye("sip:bob@10.0.0.9", "Route: <sip:127.0.0.1:5999;lr>\r\n"));
    CPPUNIT_ASSERT(looseRoute(other.ctx, us_).result == LooseRouteResult::kRouted);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:127.0.0.1:5999;lr"), other.ctx.dst_uri);
    CPPUNIT_ASSERT(other.msg.edits().empty());
  }
  void ourRouteParamsFollowWhatLooseRouteTakes() {
    std::string_view params;
    Request top(bye("sip:bob@10.0.0.9", "Route: <sip:127.0.0.1:5060;lr;ftag=a1;nat=yes>\r\n"));
    CPPUNIT_ASSERT(ourRouteParams(top.msg, us_, params));
    CPPUNIT_ASSERT_EQUAL(std::string("lr;ftag=a1;nat=yes"), std::string(params));
    Request strict(bye("sip:127.0.0.1:5060;lr;ftag=zz", "Route: <sip:bob@10.0.0.9>\r\n"));
    CPPUNIT_ASSERT(ourRouteParams(strict.msg, us_, params));
    CPPUNIT_ASSERT_EQUAL(std::string("lr;ftag=zz"), std::string(params));
    Request foreign(bye("sip:bob@10.0.0.9", "Route: <sip:10.0.0.2;lr;ftag=a1>\r\n"));
    CPPUNIT_ASSERT(!ourRouteParams(foreign.msg, us_, params));
    Request none(bye("sip:bob@10.0.0.9", ""));
    CPPUNIT_ASSERT(!ourRouteParams(none.msg, us_, params));
    Request bad(bye("sip:bob@10.0.0.9", "Route: <sip:127.0.0.1:5060;lr\r\n"));
    CPPUNIT_ASSERT(!ourRouteParams(bad.msg, us_, params));
  }

 private:
  Listeners us_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(LooseRouteTest);

}  // namespace sipline
