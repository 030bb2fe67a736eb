// Tests of the rtpproxy engine and service against a fake relay: the commands per stream, the
// rewritten SDP, flags, errors, teardown from tm and dialog, set selection and MI.
#include "modules/rtpproxy/rtpproxy.h"

#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "core/parser/sip_message.h"
#include "core/sip/msg_context.h"
#include "modules/rtpproxy/service.h"

namespace sipline::rtpproxy {
namespace {

// Records every command and the relay it was meant for; answers from a queue (default
// "<port> 198.51.100.7 4") as relay `reply_relay`, or as the relay asked for.
class FakeTransport : public Transport {
 public:
  Result<media::RelayClient::Reply> request(unsigned set, std::string_view,
                                            std::string_view payload, int relay,
                                            unsigned* failovers) override {
    sent.push_back(std::to_string(set) + ":" + std::string(payload));
    sent_relay.push_back(relay);
    if (failovers != nullptr) *failovers = next_failovers;
    if (down || (fail_after >= 0 && sent.size() > static_cast<std::size_t>(fail_after))) {
      return Status::unavailable("no relay of set answered");
    }
    media::RelayClient::Reply r;
    r.relay = relay >= 0 ? static_cast<std::size_t>(relay) : reply_relay;
    if (!replies.empty()) {
      r.body = replies.front();
      replies.pop_front();
    } else {
      r.body = std::to_string(next_port) + " 198.51.100.7 4\n";
      next_port += 2;
    }
    return r;
  }
  bool post(unsigned set, std::string_view payload, int relay) override {
    posted.push_back(std::to_string(set) + ":" + std::string(payload));
    posted_relay.push_back(relay);
    return !down;
  }
  std::string relayAddress(std::size_t) const override { return "192.0.2.200"; }
  int relayOf(std::string_view call_id) const override {
    auto it = sticky.find(std::string(call_id));
    return it == sticky.end() ? -1 : it->second;
  }
  void remember(std::string_view call_id, std::size_t relay) override {
    sticky[std::string(call_id)] = static_cast<int>(relay);
  }
  void forget(std::string_view call_id) override { sticky.erase(std::string(call_id)); }

  std::vector<std::string> sent, posted;
  std::vector<int> sent_relay, posted_relay;
  std::map<std::string, int> sticky;
  std::size_t reply_relay = 0;
  int fail_after = -1;  // >= 0: requests after this many fail (no relay answered)
  std::deque<std::string> replies;
  int next_port = 30000;
  unsigned next_failovers = 0;
  bool down = false;
};

struct Slots {
  std::atomic<std::uint64_t> v[5] = {};
};

void bind(Counters& c, Slots& s) {
  c.offers.bindForTest(&s.v[0]);
  c.answers.bindForTest(&s.v[1]);
  c.deletes.bindForTest(&s.v[2]);
  c.errors.bindForTest(&s.v[3]);
  c.failovers.bindForTest(&s.v[4]);
}

struct Msg {
  explicit Msg(std::string t) : text(std::move(t)) {
    CPPUNIT_ASSERT_MESSAGE(text, msg.parse(text) == ParseError::kOk);
  }
  std::string body() {
    std::string out;
    CPPUNIT_ASSERT(msg.build(out));
    return out.substr(out.find("\r\n\r\n") + 4);
  }
  std::string text;
  SipMessage msg;
};

const char kOffer[] =
    "v=0\r\n"
    "o=- 1 1 IN IP4 192.168.1.20\r\n"
    "s=-\r\n"
    "c=IN IP4 192.168.1.20\r\n"
    "t=0 0\r\n"
    "m=audio 4000 RTP/AVP 0\r\n"
    "a=rtcp:4001\r\n"
    "a=candidate:1 1 UDP 2130706431 192.168.1.20 4000 typ host\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "m=video 4002 RTP/AVP 97\r\n";

std::string invite(const std::string& body, const std::string& to_tag = "",
                   const std::string& first_line = "INVITE sip:bob@example.com SIP/2.0") {
  std::string m =
      first_line +
      "\r\n"
      "Via: SIP/2.0/UDP 192.168.1.20;branch=z9hG4bK1\r\n"
      "From: <sip:alice@example.com>;tag=ft1\r\n"
      "To: <sip:bob@example.com>" +
      (to_tag.empty() ? "" : ";tag=" + to_tag) +
      "\r\n"
      "Call-ID: call-1\r\n"
      "CSeq: 1 " +
      (first_line.rfind("SIP/2.0", 0) == 0 ? std::string("INVITE")
                                           : first_line.substr(0, first_line.find(' '))) +
      "\r\n";
  if (!body.empty()) m += "Content-Type: application/sdp\r\n";
  m += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return m;
}

SockAddr source() {
  SockAddr a;
  CPPUNIT_ASSERT(SockAddr::fromNumeric("203.0.113.9", 5060, a));
  return a;
}

Flags flags(const char* text) {
  Result<Flags> f = parseFlags(text);
  CPPUNIT_ASSERT(f.isOk());
  return f.value();
}

// tm and dialog as far as the service uses them.
class FakeTm : public tm::Api {
 public:
  std::uint16_t registerCallback(tm::LocalCallback) override { return 1; }
  Status send(const tm::LocalRequest&, std::uint16_t, std::uint64_t) override {
    return Status::ok();
  }
  std::uint8_t registerWatcher(tm::TsxWatcher*, bool) override { return 3; }
  Status watch(MsgContext&, std::uint8_t id) override {
    watched = id;
    return Status::ok();
  }
  std::uint8_t watched = 0;
};

class FakeDialog : public dialog::Api {
 public:
  Status registerWatcher(const std::string& name, dialog::DialogWatcher*) override {
    registered = name;
    return Status::ok();
  }
  Status watch(MsgContext&, const std::string&, std::string d) override {
    data = std::move(d);
    return Status::ok();
  }
  std::string registered, data;
};

}  // namespace

class RtpproxyEngineTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(RtpproxyEngineTest);
  CPPUNIT_TEST(parsesFlags);
  CPPUNIT_TEST(offerSendsOneUpdatePerStreamAndRewrites);
  CPPUNIT_TEST(answerLooksUpWithBothTags);
  CPPUNIT_TEST(flagsBecomeModifiersAndRewriteOptions);
  CPPUNIT_TEST(ipArgumentAndMissingReplyAddress);
  CPPUNIT_TEST(relayDownOrErrorLeavesTheBodyAlone);
  CPPUNIT_TEST(refusesMessagesItCannotHandle);
  CPPUNIT_TEST(unforceSendsDelete);
  CPPUNIT_TEST(callRefRoundTrip);
  CPPUNIT_TEST(serviceTearsDownFailedCallsAndEndedDialogs);
  CPPUNIT_TEST(branchRouteOfferIsTornDownWhenTheTransactionFails);
  CPPUNIT_TEST(serviceUsesTheChosenSetAndListsRelays);
  CPPUNIT_TEST(dialogDeletesUnansweredCallsWithoutTm);
  CPPUNIT_TEST(lateOfferInReplyAndAnswerInAckSwapTags);
  CPPUNIT_TEST(releasesEarlierPortsWhenALaterStreamFails);
  CPPUNIT_TEST(callStaysOnTheRelayOfItsOffer);
  CPPUNIT_TEST(bodyThatCannotBeReplacedFails);
  CPPUNIT_TEST(tooLargeCommandDisablesNoRelay);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override { bind(counters_, slots_); }

  void parsesFlags() {
    Flags f = flags("a6froc");
    CPPUNIT_ASSERT(f.asymmetric && f.ipv6 && f.force && f.trust_address && f.rewrite_origin &&
                   f.remove_ice);
    CPPUNIT_ASSERT_EQUAL(std::string("ie"), flags("ie").direction);
    CPPUNIT_ASSERT(!parseFlags("x").isOk());
    CPPUNIT_ASSERT(!parseFlags("iei").isOk());
    CPPUNIT_ASSERT(parseFlags("").isOk());
  }

  void offerSendsOneUpdatePerStreamAndRewrites() {
    FakeTransport t;
    Engine e(t, counters_);
    Msg m(invite(kOffer));
    CPPUNIT_ASSERT(e.manage(m.msg, source(), {}, "", true, 0) == Outcome::kOk);
    // Stream 2 has port 0: no command, numbering keeps the m= index.
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), t.sent.size());
    CPPUNIT_ASSERT_EQUAL(std::string("0:U call-1 203.0.113.9 4000 ft1;1"), t.sent[0]);
    CPPUNIT_ASSERT_EQUAL(std::string("0:U call-1 203.0.113.9 4002 ft1;3"), t.sent[1]);
    std::string body = m.body();
    CPPUNIT_ASSERT(body.find("c=IN IP4 198.51.100.7\r\n") != std::string::npos);
    CPPUNIT_ASSERT(body.find("m=audio 30000 RTP/AVP 0\r\na=rtcp:30001\r\n") != std::string::npos);
    CPPUNIT_ASSERT(body.find("m=video 0 RTP/AVP 96\r\n") != std::string::npos);
    CPPUNIT_ASSERT(body.find("m=video 30002 RTP/AVP 97\r\n") != std::string::npos);
    CPPUNIT_ASSERT(body.find("a=nortpproxy:yes\r\n") != std::string::npos);
    CPPUNIT_ASSERT(body.find("a=candidate") != std::string::npos);  // kept without c
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), slots_.v[0].load());

    // The rewritten SDP (a=nortpproxy:yes) is not proxied again without f.
    Msg again(invite(body));
    CPPUNIT_ASSERT(e.manage(again.msg, source(), {}, "", true, 0) == Outcome::kAlreadyProxied);
    CPPUNIT_ASSERT(e.manage(again.msg, source(), flags("f"), "", true, 0) == Outcome::kOk);
  }

  void answerLooksUpWithBothTags() {
    FakeTransport t;
    Engine e(t, counters_);
    const std::string answer =
        "v=0\r\no=- 2 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
        "m=audio 6000 RTP/AVP 0\r\n";
    Msg m(invite(answer, "tt9", "SIP/2.0 200 OK"));
    CPPUNIT_ASSERT(e.manage(m.msg, source(), flags("r"), "", false, 0) == Outcome::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("0:L call-1 10.1.1.1 6000 ft1;1 tt9;1"), t.sent.at(0));
    CPPUNIT_ASSERT(m.body().find("c=IN IP4 198.51.100.7\r\nt=0 0\r\na=nortpproxy:yes\r\n"
                                 "m=audio 30000 ") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), slots_.v[1].load());
    // An answer needs the To tag.
    Msg no_tag(invite(answer, "", "SIP/2.0 200 OK"));
    CPPUNIT_ASSERT(e.manage(no_tag.msg, source(), {}, "", false, 0) == Outcome::kBadMessage);
  }

  void flagsBecomeModifiersAndRewriteOptions() {
    FakeTransport t;
    t.replies = {"40000 2001:db8::7 6\n", "40002 2001:db8::7 6\n"};
    Engine e(t, counters_);
    Msg m(invite(kOffer));
    CPPUNIT_ASSERT(e.manage(m.msg, source(), flags("aeioc"), "", true, 0) == Outcome::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("0:UAEI call-1 203.0.113.9 4000 ft1;1"), t.sent[0]);
    std::string body = m.body();
    CPPUNIT_ASSERT(body.find("o=- 1 1 IN IP6 2001:db8::7\r\n") != std::string::npos);
    CPPUNIT_ASSERT(body.find("c=IN IP6 2001:db8::7\r\n") != std::string::npos);
    CPPUNIT_ASSERT(body.find("a=candidate") == std::string::npos);
    // An IPv6 address for the relay adds modifier 6 by itself.
    FakeTransport t6;
    Engine e6(t6, counters_);
    SockAddr v6;
    CPPUNIT_ASSERT(SockAddr::fromNumeric("2001:db8::99", 5060, v6));
    Msg m6(invite(kOffer));
    CPPUNIT_ASSERT(e6.manage(m6.msg, v6, {}, "", true, 0) == Outcome::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("0:U6 call-1 2001:db8::99 4000 ft1;1"), t6.sent[0]);
  }

  void ipArgumentAndMissingReplyAddress() {
    FakeTransport t;
    t.replies = {"30000\n", "30002 0.0.0.0 4\n"};
    Engine e(t, counters_);
    Msg m(invite(kOffer));
    CPPUNIT_ASSERT(e.manage(m.msg, source(), {}, "", true, 0) == Outcome::kOk);
    // No address in the reply (or 0.0.0.0): the relay's own address from rtpproxy_sock.
    CPPUNIT_ASSERT(m.body().find("c=IN IP4 192.0.2.200\r\n") != std::string::npos);
    CPPUNIT_ASSERT(m.body().find("198.51.100.7") == std::string::npos);
    Msg m2(invite(kOffer));
    CPPUNIT_ASSERT(e.manage(m2.msg, source(), {}, "203.0.113.50", true, 0) == Outcome::kOk);
    CPPUNIT_ASSERT(m2.body().find("c=IN IP4 203.0.113.50\r\n") != std::string::npos);
    Msg m3(invite(kOffer));
    CPPUNIT_ASSERT(e.manage(m3.msg, source(), {}, "not-an-ip", true, 0) == Outcome::kBadMessage);
  }

  void relayDownOrErrorLeavesTheBodyAlone() {
    FakeTransport t;
    t.down = true;
    t.next_failovers = 2;
    Engine e(t, counters_);
    Msg m(invite(kOffer));
    CPPUNIT_ASSERT(e.manage(m.msg, source(), {}, "", true, 0) == Outcome::kRelayFailed);
    CPPUNIT_ASSERT_EQUAL(std::string(kOffer), m.body());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), slots_.v[3].load());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), slots_.v[4].load());
    for (const char* reply : {"E7\n", "garbage", "0 0.0.0.0\n"}) {
      FakeTransport bad;
      bad.replies = {"30000 198.51.100.7 4\n", reply};  // the second stream fails
      Engine eb(bad, counters_);
      Msg mb(invite(kOffer));
      CPPUNIT_ASSERT_MESSAGE(
          reply, eb.manage(mb.msg, source(), {}, "", true, 0) == Outcome::kRelayRefused);
      CPPUNIT_ASSERT_EQUAL(std::string(kOffer), mb.body());
    }
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(4), slots_.v[3].load());
  }

  void refusesMessagesItCannotHandle() {
    FakeTransport t;
    Engine e(t, counters_);
    Msg none(invite(""));
    CPPUNIT_ASSERT(e.manage(none.msg, source(), {}, "", true, 0) == Outcome::kNoSdp);
    Msg bad(invite("v=0\r\nm=audio x RTP/AVP 0\r\n"));
    CPPUNIT_ASSERT(e.manage(bad.msg, source(), {}, "", true, 0) == Outcome::kBadSdp);
    Msg rejected(
        invite("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
               "m=audio 0 RTP/AVP 0\r\n"));
    CPPUNIT_ASSERT(e.manage(rejected.msg, source(), {}, "", true, 0) == Outcome::kNoStream);
    CPPUNIT_ASSERT(t.sent.empty());
  }

  void lateOfferInReplyAndAnswerInAckSwapTags() {
    FakeTransport t;
    Engine e(t, counters_);
    // The INVITE had no SDP: the callee offers in the 200, the caller answers in the ACK. The
    // relay wants the offerer's tag (the To tag here) first, both times.
    Msg offer(invite(kOffer, "tt9", "SIP/2.0 200 OK"));
    CPPUNIT_ASSERT(e.manage(offer.msg, source(), {}, "", true, 0) == Outcome::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("0:U call-1 203.0.113.9 4000 tt9;1 ft1;1"), t.sent.at(0));
    const std::string answer =
        "v=0\r\no=- 2 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
        "m=audio 6000 RTP/AVP 0\r\nm=video 0 RTP/AVP 96\r\nm=video 6002 RTP/AVP 97\r\n";
    Msg ack(invite(answer, "tt9", "ACK sip:bob@example.com SIP/2.0"));
    CPPUNIT_ASSERT(e.manage(ack.msg, source(), flags("r"), "", false, 0) == Outcome::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("0:L call-1 10.1.1.1 6000 tt9;1 ft1;1"), t.sent.at(2));
    CPPUNIT_ASSERT_EQUAL(std::string("0:L call-1 10.1.1.1 6002 tt9;3 ft1;3"), t.sent.at(3));
    // An offer in a reply without To tag has no offerer's tag.
    Msg no_tag(invite(kOffer, "", "SIP/2.0 200 OK"));
    CPPUNIT_ASSERT(e.manage(no_tag.msg, source(), {}, "", true, 0) == Outcome::kBadMessage);
    // A normal answer in a reply keeps the header order (the INVITE's offerer first).
    Msg reply(invite(answer, "tt9", "SIP/2.0 200 OK"));
    CPPUNIT_ASSERT(e.manage(reply.msg, source(), flags("r"), "", false, 0) == Outcome::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("0:L call-1 10.1.1.1 6000 ft1;1 tt9;1"), t.sent.at(4));
  }

  void releasesEarlierPortsWhenALaterStreamFails() {
    for (const char* reply : {"E7\n", "0 0.0.0.0\n", ""}) {
      FakeTransport t;
      t.reply_relay = 1;
      if (*reply != '\0') {
        t.replies = {"30000 198.51.100.7 4\n", reply};
      } else {
        t.fail_after = 1;  // the second stream reaches no relay
      }
      Engine e(t, counters_);
      Msg m(invite(kOffer));
      CPPUNIT_ASSERT(e.manage(m.msg, source(), {}, "", true, 0) != Outcome::kOk);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(reply, std::size_t(1), t.posted.size());
      CPPUNIT_ASSERT_EQUAL(std::string("0:D call-1 ft1"), t.posted[0]);
      CPPUNIT_ASSERT_EQUAL(1, t.posted_relay[0]);  // where the first stream's port is
      CPPUNIT_ASSERT(t.sticky.empty());            // a failed offer is not remembered
      CPPUNIT_ASSERT_EQUAL(std::string(kOffer), m.body());
    }
    // The first stream failing took no port; a re-offer (To tag) must not end the call.
    FakeTransport first;
    first.replies = {"E7\n"};
    Engine e1(first, counters_);
    Msg m1(invite(kOffer));
    CPPUNIT_ASSERT(e1.manage(m1.msg, source(), {}, "", true, 0) == Outcome::kRelayRefused);
    CPPUNIT_ASSERT(first.posted.empty());
    FakeTransport re;
    re.replies = {"30000 198.51.100.7 4\n", "E7\n"};
    Engine e2(re, counters_);
    Msg m2(invite(kOffer, "tt9"));
    CPPUNIT_ASSERT(e2.manage(m2.msg, source(), {}, "", true, 0) == Outcome::kRelayRefused);
    CPPUNIT_ASSERT(re.posted.empty());
  }

  // A command too large for one datagram (a huge Call-ID over TCP) fails without disabling
  // the call's relay or any other.
  void tooLargeCommandDisablesNoRelay() {
    media::RelaySets sets;
    CPPUNIT_ASSERT(sets.configure("udp:127.0.0.1:9 udp:127.0.0.1:11").isOk());
    sets.initPrivateForTest();
    RelayTransport t(sets, media::RelayClientOptions{30, 0});
    t.remember("call-1", 0);
    const std::string big(70000, 'x');
    for (int relay : {0, -1}) {
      unsigned failovers = 99;
      auto r = t.request(0, "call-1", big, relay, &failovers);
      CPPUNIT_ASSERT(!r.isOk());
      CPPUNIT_ASSERT_MESSAGE(r.status().message(), media::isCommandError(r.status()));
      CPPUNIT_ASSERT_EQUAL(std::size_t{0}, sets.downCount());
    }
  }

  void callStaysOnTheRelayOfItsOffer() {
    FakeTransport t;
    t.reply_relay = 2;  // the set's choice at offer time
    Engine e(t, counters_);
    Msg m(invite(kOffer));
    CPPUNIT_ASSERT(e.manage(m.msg, source(), {}, "", true, 0) == Outcome::kOk);
    // The first stream went where the set chose; the next one follows it; the call is kept.
    CPPUNIT_ASSERT_EQUAL(-1, t.sent_relay.at(0));
    CPPUNIT_ASSERT_EQUAL(2, t.sent_relay.at(1));
    CPPUNIT_ASSERT_EQUAL(2, t.relayOf("call-1"));
    // The set would now choose another relay (recovered): answer, unforce and teardown still
    // reach relay 2.
    t.reply_relay = 0;
    const std::string answer =
        "v=0\r\no=- 2 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
        "m=audio 6000 RTP/AVP 0\r\n";
    Msg ok(invite(answer, "tt9", "SIP/2.0 200 OK"));
    CPPUNIT_ASSERT(e.manage(ok.msg, source(), {}, "", false, 0) == Outcome::kOk);
    CPPUNIT_ASSERT_EQUAL(2, t.sent_relay.at(2));
    Msg bye(invite("", "tt9", "BYE sip:bob@example.com SIP/2.0"));
    t.replies = {"0\n"};
    CPPUNIT_ASSERT(e.unforce(bye.msg, 0));
    CPPUNIT_ASSERT_EQUAL(2, t.sent_relay.at(3));
    e.teardown(CallRef{0, "call-1", "ft1", "", true});
    CPPUNIT_ASSERT_EQUAL(2, t.posted_relay.at(0));
    CPPUNIT_ASSERT_EQUAL(-1, t.relayOf("call-1"));  // forgotten with the teardown
    // Unknown call: the transport is asked for every relay of the set (-1).
    e.teardown(CallRef{0, "call-1", "ft1", "", true});
    CPPUNIT_ASSERT_EQUAL(-1, t.posted_relay.at(1));
  }

  void bodyThatCannotBeReplacedFails() {
    FakeTransport t;
    Engine e(t, counters_);
    std::string text = invite(kOffer);
    // Two Content-Type headers: replaceBody() refuses to pick one.
    text.insert(text.find("Content-Length"), "Content-Type: application/sdp\r\n");
    Msg m(text);
    const std::uint64_t errors = slots_.v[3].load();
    CPPUNIT_ASSERT(e.manage(m.msg, source(), {}, "", true, 0) == Outcome::kBadMessage);
    CPPUNIT_ASSERT_EQUAL(errors + 1, slots_.v[3].load());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), slots_.v[0].load());  // not counted as an offer
    CPPUNIT_ASSERT_EQUAL(std::string(kOffer), m.body());
    // The ports it took are released, and the call is not remembered.
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), t.posted.size());
    CPPUNIT_ASSERT_EQUAL(std::string("0:D call-1 ft1"), t.posted[0]);
    CPPUNIT_ASSERT(t.sticky.empty());
  }

  void unforceSendsDelete() {
    FakeTransport t;
    t.replies = {"0\n"};
    Engine e(t, counters_);
    Msg m(invite("", "tt9", "BYE sip:bob@example.com SIP/2.0"));
    CPPUNIT_ASSERT(e.unforce(m.msg, 2));
    CPPUNIT_ASSERT_EQUAL(std::string("2:D call-1 ft1 tt9"), t.sent.at(0));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), slots_.v[2].load());
    t.down = true;
    CPPUNIT_ASSERT(!e.unforce(m.msg, 2));
    e.teardown(CallRef{1, "c", "f", "", false});
    CPPUNIT_ASSERT_EQUAL(std::string("1:D c f"), t.posted.at(0));
  }

  void callRefRoundTrip() {
    CallRef r{3, "abc@h", "ft", "tt"};
    CallRef back;
    CPPUNIT_ASSERT(unpackCallRef(packCallRef(r), back));
    CPPUNIT_ASSERT_EQUAL(3u, back.set);
    CPPUNIT_ASSERT_EQUAL(std::string("abc@h"), back.call_id);
    CPPUNIT_ASSERT_EQUAL(std::string("ft"), back.from_tag);
    CPPUNIT_ASSERT_EQUAL(std::string("tt"), back.to_tag);
    CPPUNIT_ASSERT(!unpackCallRef("", back));
    CPPUNIT_ASSERT(!unpackCallRef("x\nc\nf\n", back));
    CPPUNIT_ASSERT(!unpackCallRef("1\n\nf\n", back));
  }

  // rtpproxy_offer() in a branch_route (per-branch offers of a fork): tm is asked to follow
  // the transaction from there, so the session ends when every branch failed (the final
  // >= 300 sent upstream), not when it is left to the relay's own timeout. No dialog is
  // created from the branch's context.
  void branchRouteOfferIsTornDownWhenTheTransactionFails() {
    Service svc;
    svc.config().sock = "udp:127.0.0.1:22222";
    FakeTransport t;
    FakeTm tm;
    FakeDialog dlg;
    CPPUNIT_ASSERT(svc.initForTest(&t, &tm, &dlg).isOk());
    Msg m(invite(kOffer));
    ReceiveInfo rcv;
    rcv.src = source();
    MsgContext bctx(m.msg, rcv, kBranchRoute);
    CPPUNIT_ASSERT_EQUAL(1, svc.manage(bctx, {}, "", true));
    CPPUNIT_ASSERT_EQUAL(std::uint8_t(3), tm.watched);
    CPPUNIT_ASSERT(dlg.data.empty());
    std::optional<std::string> kept = svc.attach(bctx);
    CPPUNIT_ASSERT(kept.has_value());
    tm::TsxEvent ev;
    ev.data = *kept;
    ev.code = 486;
    ev.first_final = true;
    svc.onReply(ev);
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), t.posted.size());
    CPPUNIT_ASSERT_EQUAL(std::string("0:D call-1 ft1"), t.posted[0]);
  }

  void serviceTearsDownFailedCallsAndEndedDialogs() {
    Service svc;
    svc.config().sock = "udp:127.0.0.1:22222";
    FakeTransport t;
    FakeTm tm;
    FakeDialog dlg;
    CPPUNIT_ASSERT(svc.initForTest(&t, &tm, &dlg).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("rtpproxy"), dlg.registered);
    Msg m(invite(kOffer));
    ReceiveInfo rcv;
    rcv.src = source();
    MsgContext ctx(m.msg, rcv, kRequestRoute);
    CPPUNIT_ASSERT_EQUAL(1, svc.manage(ctx, {}, "", true));
    CPPUNIT_ASSERT_EQUAL(std::uint8_t(3), tm.watched);
    CPPUNIT_ASSERT_EQUAL(std::string("0\ncall-1\nft1\n\nt"), dlg.data);  // t: tm follows
    std::optional<std::string> kept = svc.attach(ctx);
    CPPUNIT_ASSERT(kept.has_value());
    tm::TsxEvent ev;
    ev.data = *kept;
    ev.code = 180;
    svc.onReply(ev);  // provisional: nothing
    ev.code = 200;
    ev.first_final = true;
    svc.onReply(ev);  // answered: the dialog ends it later
    CPPUNIT_ASSERT(t.posted.empty());
    ev.code = 486;
    svc.onReply(ev);
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), t.posted.size());
    CPPUNIT_ASSERT_EQUAL(std::string("0:D call-1 ft1"), t.posted[0]);
    dialog::DialogEnd end;
    end.data = dlg.data;
    end.ended_by = dialog::EndedBy::kCaller;
    svc.onEnd(end);
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), t.posted.size());
    end.data = "garbage";
    svc.onEnd(end);
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), t.posted.size());
    // The server stops: the calls may go on, their media stay.
    end.data = dlg.data;
    end.ended_by = dialog::EndedBy::kShutdown;
    svc.onEnd(end);
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), t.posted.size());
    // Never answered: the tm watcher deleted it (once) already.
    end.ended_by = dialog::EndedBy::kNone;
    svc.onEnd(end);
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), t.posted.size());
  }

  void dialogDeletesUnansweredCallsWithoutTm() {
    Service svc;
    svc.config().sock = "udp:127.0.0.1:22222";
    FakeTransport t;
    FakeDialog dlg;
    CPPUNIT_ASSERT(svc.initForTest(&t, nullptr, &dlg).isOk());
    Msg m(invite(kOffer));
    ReceiveInfo rcv;
    rcv.src = source();
    MsgContext ctx(m.msg, rcv, kRequestRoute);
    CPPUNIT_ASSERT_EQUAL(1, svc.manage(ctx, {}, "", true));
    CPPUNIT_ASSERT_EQUAL(std::string("0\ncall-1\nft1\n"), dlg.data);  // no tm
    dialog::DialogEnd end;
    end.data = dlg.data;
    end.ended_by = dialog::EndedBy::kNone;
    svc.onEnd(end);
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), t.posted.size());
    CPPUNIT_ASSERT_EQUAL(std::string("0:D call-1 ft1"), t.posted[0]);
    end.ended_by = dialog::EndedBy::kShutdown;
    svc.onEnd(end);
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), t.posted.size());
  }

  void serviceUsesTheChosenSetAndListsRelays() {
    Service svc;
    svc.config().sock = "1 == udp:127.0.0.1:22222; 2 == udp:127.0.0.1:22223=3";
    FakeTransport t;
    CPPUNIT_ASSERT(svc.initForTest(&t, nullptr, nullptr).isOk());
    Msg m(invite(kOffer));
    ReceiveInfo rcv;
    rcv.src = source();
    MsgContext ctx(m.msg, rcv, kRequestRoute);
    CPPUNIT_ASSERT_EQUAL(1u, svc.setFor(ctx));  // the first configured set
    CPPUNIT_ASSERT(!svc.useSet(ctx, 7));
    CPPUNIT_ASSERT(svc.useSet(ctx, 2));
    t.reply_relay = 1;  // udp:127.0.0.1:22223, set 2's relay
    CPPUNIT_ASSERT_EQUAL(1, svc.manage(ctx, {}, "", true));
    CPPUNIT_ASSERT(t.sent.at(0).rfind("2:U ", 0) == 0);
    // The call's answer needs no rtpproxy_use_set(): it follows the relay of the offer (the
    // first set's relay would not know the call).
    Msg answer(invite(kOffer, "tt1", "SIP/2.0 200 OK"));
    MsgContext actx(answer.msg, rcv, kOnReplyRoute);
    CPPUNIT_ASSERT_EQUAL(2u, svc.setFor(actx));
    CPPUNIT_ASSERT_EQUAL(1, svc.manage(actx, {}, "", false));
    CPPUNIT_ASSERT(t.sent.back().rfind("2:L ", 0) == 0);
    // Another call's message: the default again.
    std::string text = invite(kOffer);
    text.replace(text.find("call-1"), 6, "call-2");
    Msg other(text);
    MsgContext octx(other.msg, rcv, kRequestRoute);
    CPPUNIT_ASSERT_EQUAL(1u, svc.setFor(octx));

    Result<Json> shown = svc.miShow();
    CPPUNIT_ASSERT(shown.isOk());
    const Json& relays = shown.value()["relays"];
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), relays.size());
    CPPUNIT_ASSERT_EQUAL(std::string("up"), relays[1]["state"].get<std::string>());
    CPPUNIT_ASSERT_EQUAL(3, relays[1]["weight"].get<int>());
    CPPUNIT_ASSERT(svc.miEnable("udp:127.0.0.1:22223", false).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("disabled"),
                         svc.miShow().value()["relays"][1]["state"].get<std::string>());
    CPPUNIT_ASSERT(!svc.miEnable("udp:127.0.0.1:1", false).isOk());
  }

 private:
  Slots slots_;
  Counters counters_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(RtpproxyEngineTest);

}  // namespace sipline::rtpproxy
