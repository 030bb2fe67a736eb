#include "modules/rtpengine/ng.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace sipline::rtpengine {
namespace {

struct Msg {
  explicit Msg(std::string t) : text(std::move(t)) {
    CPPUNIT_ASSERT_MESSAGE(text, msg.parse(text) == ParseError::kOk);
  }
  std::string built() {
    std::string out;
    CPPUNIT_ASSERT(msg.build(out));
    return out;
  }
  std::string text;
  SipMessage msg;
};

const std::string kSdp =
    "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 0\r\n";

std::string invite(const std::string& to_tag, const std::string& body = kSdp,
                   const std::string& method = "INVITE") {
  std::string m = method +
                  " sip:bob@example.com SIP/2.0\r\n"
                  "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKtop\r\n"
                  "Via: SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKsecond\r\n"
                  "From: <sip:alice@example.com>;tag=ftag\r\n"
                  "To: <sip:bob@example.com>" +
                  (to_tag.empty() ? "" : ";tag=" + to_tag) +
                  "\r\n"
                  "Call-ID: call-1@x\r\n"
                  "CSeq: 1 " +
                  (method == "ACK" ? "ACK" : method) + "\r\n";
  if (!body.empty()) m += "Content-Type: application/sdp\r\n";
  m += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return m;
}

std::string reply(int code, const std::string& body = kSdp) {
  std::string m = "SIP/2.0 " + std::to_string(code) +
                  " X\r\n"
                  "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKproxy\r\n"
                  "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKtop\r\n"
                  "From: <sip:alice@example.com>;tag=ftag\r\n"
                  "To: <sip:bob@example.com>;tag=ttag\r\n"
                  "Call-ID: call-1@x\r\n"
                  "CSeq: 1 INVITE\r\n";
  if (!body.empty()) m += "Content-Type: application/sdp\r\n";
  m += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return m;
}

SockAddr src() {
  SockAddr a;
  SockAddr::fromNumeric("192.0.2.7", 5060, a);
  return a;
}

std::string enc(const Result<NgFlags>& f) { return f.value().dict.encode(); }

}  // namespace

class NgTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(NgTest);
  CPPUNIT_TEST(splitsFlagWords);
  CPPUNIT_TEST(splitsCodecAndListFlags);
  CPPUNIT_TEST(rejectsBadFlags);
  CPPUNIT_TEST(offerCarriesCallKeysSdpAndFlags);
  CPPUNIT_TEST(answerInReplyUsesSecondViaAndTags);
  CPPUNIT_TEST(lateOfferSwapsTags);
  CPPUNIT_TEST(deleteHasNoSdp);
  CPPUNIT_TEST(branchDeleteNamesTheBranch);
  CPPUNIT_TEST(recognisesUnknownCallErrors);
  CPPUNIT_TEST(missingSdpOrTagIsAnError);
  CPPUNIT_TEST(parsesReplies);
  CPPUNIT_TEST(replacesTheSdpAndContentLength);
  CPPUNIT_TEST(replacesTheSdpPartOfAMultipart);
  CPPUNIT_TEST_SUITE_END();

 public:
  void splitsFlagWords() {
    auto f = parseNgFlags(
        "trust-address replace-origin replace-session-connection ICE=remove RTP/AVP "
        "direction=internal direction=external address-family=IP6 symmetric");
    CPPUNIT_ASSERT_MESSAGE(f.status().message(), f.isOk());
    CPPUNIT_ASSERT_EQUAL(
        std::string("d5:flagsl13:trust-address9:symmetrice7:replacel6:origin18:session-"
                    "connectione3:ICE6:remove18:transport-protocol7:RTP/AVP9:directionl8:"
                    "internal8:externale14:address-family3:IP6e"),
        enc(f));
    CPPUNIT_ASSERT_EQUAL(std::string("de"), enc(parseNgFlags("  ")));
  }

  void splitsCodecAndListFlags() {
    auto f = parseNgFlags(
        "codec-strip-PCMA codec-strip-G722 transcode-opus codec-offer-PCMU rtcp-mux-demux "
        "SDES-off OSRTP-offer TOS=184 delete-delay=0 via-branch=2 internal label=x=y");
    CPPUNIT_ASSERT_MESSAGE(f.status().message(), f.isOk());
    const Bencode& d = f.value().dict;
    const Bencode* codec = d.get("codec");
    CPPUNIT_ASSERT(codec != nullptr && codec->isDict());
    CPPUNIT_ASSERT_EQUAL(std::string("d5:stripl4:PCMA4:G722e9:transcodel4:opuse5:offerl4:PCMUee"),
                         codec->encode());
    CPPUNIT_ASSERT_EQUAL(std::string("l5:demuxe"), d.get("rtcp-mux")->encode());
    CPPUNIT_ASSERT_EQUAL(std::string("l3:offe"), d.get("SDES")->encode());
    CPPUNIT_ASSERT_EQUAL(std::string("l5:offere"), d.get("OSRTP")->encode());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{184}, d.get("TOS")->intValue());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, d.get("delete-delay")->intValue());
    CPPUNIT_ASSERT_EQUAL(2, f.value().via_branch);
    CPPUNIT_ASSERT(d.get("via-branch") == nullptr);
    CPPUNIT_ASSERT_EQUAL(std::string("l8:internale"), d.get("direction")->encode());
    CPPUNIT_ASSERT_EQUAL(std::string("x=y"), std::string(d.getString("label")));
  }

  void rejectsBadFlags() {
    auto expect = [](const std::string& in, const char* fragment) {
      auto f = parseNgFlags(in);
      CPPUNIT_ASSERT_MESSAGE(in, !f.isOk());
      CPPUNIT_ASSERT_MESSAGE(f.status().message(),
                             f.status().message().find(fragment) != std::string::npos);
    };
    expect("=x", "'=x': missing key");
    expect("TOS=high", "'TOS=high': needs a non-negative integer");
    expect("via-branch=3", "via-branch is 1, 2 or auto");
    expect(std::string("a\x01", 2), "control character");
  }

  void offerCarriesCallKeysSdpAndFlags() {
    Msg m(invite(""));
    auto req = buildRequest(Op::kOffer, m.msg, src(), parseNgFlags("trust-address").value());
    CPPUNIT_ASSERT_MESSAGE(req.status().message(), req.isOk());
    const Bencode& d = req.value();
    CPPUNIT_ASSERT_EQUAL(std::string("offer"), std::string(d.getString("command")));
    CPPUNIT_ASSERT_EQUAL(std::string("call-1@x"), std::string(d.getString("call-id")));
    CPPUNIT_ASSERT_EQUAL(std::string("ftag"), std::string(d.getString("from-tag")));
    CPPUNIT_ASSERT(d.get("to-tag") == nullptr);
    CPPUNIT_ASSERT_EQUAL(std::string("z9hG4bKtop"), std::string(d.getString("via-branch")));
    CPPUNIT_ASSERT_EQUAL(kSdp, std::string(d.getString("sdp")));
    CPPUNIT_ASSERT_EQUAL(std::string("l3:IP49:192.0.2.7e"), d.get("received-from")->encode());
    CPPUNIT_ASSERT_EQUAL(std::string("l13:trust-addresse"), d.get("flags")->encode());
    // Explicit keys override what the message gives.
    auto over = buildRequest(Op::kOffer, m.msg, src(), parseNgFlags("call-id=other").value());
    CPPUNIT_ASSERT_EQUAL(std::string("other"), std::string(over.value().getString("call-id")));
    auto first = buildRequest(Op::kOffer, m.msg, src(), parseNgFlags("via-branch=2").value());
    CPPUNIT_ASSERT_EQUAL(std::string("z9hG4bKsecond"),
                         std::string(first.value().getString("via-branch")));
  }

  void answerInReplyUsesSecondViaAndTags() {
    Msg m(reply(200));
    auto req = buildRequest(Op::kAnswer, m.msg, src(), NgFlags{});
    CPPUNIT_ASSERT(req.isOk());
    const Bencode& d = req.value();
    CPPUNIT_ASSERT_EQUAL(std::string("answer"), std::string(d.getString("command")));
    CPPUNIT_ASSERT_EQUAL(std::string("ftag"), std::string(d.getString("from-tag")));
    CPPUNIT_ASSERT_EQUAL(std::string("ttag"), std::string(d.getString("to-tag")));
    CPPUNIT_ASSERT_EQUAL(std::string("z9hG4bKtop"), std::string(d.getString("via-branch")));
  }

  void lateOfferSwapsTags() {
    Msg ok(reply(200));
    auto offer = buildRequest(Op::kOffer, ok.msg, src(), NgFlags{});
    CPPUNIT_ASSERT_EQUAL(std::string("ttag"), std::string(offer.value().getString("from-tag")));
    CPPUNIT_ASSERT_EQUAL(std::string("ftag"), std::string(offer.value().getString("to-tag")));
    Msg ack(invite("ttag", kSdp, "ACK"));
    auto answer = buildRequest(Op::kAnswer, ack.msg, src(), NgFlags{});
    CPPUNIT_ASSERT_EQUAL(std::string("ttag"), std::string(answer.value().getString("from-tag")));
    CPPUNIT_ASSERT_EQUAL(std::string("ftag"), std::string(answer.value().getString("to-tag")));
  }

  void deleteHasNoSdp() {
    Msg bye(invite("ttag", "", "BYE"));
    auto req = buildRequest(Op::kDelete, bye.msg, src(), NgFlags{});
    CPPUNIT_ASSERT_MESSAGE(req.status().message(), req.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("d7:command6:delete7:call-id8:call-1@x8:from-tag4:ftage"),
                         req.value().encode());
  }

  // Review item 1: a stateless branch failure names its tags and the Via branch.
  void branchDeleteNamesTheBranch() {
    Msg busy(reply(486, ""));
    auto whole = buildRequest(Op::kDelete, busy.msg, src(), NgFlags{});
    CPPUNIT_ASSERT_EQUAL(std::string("d7:command6:delete7:call-id8:call-1@x8:from-tag4:ftage"),
                         whole.value().encode());
    auto branch = buildRequest(Op::kDelete, busy.msg, src(), NgFlags{}, DeleteScope::kBranch);
    CPPUNIT_ASSERT_MESSAGE(branch.status().message(), branch.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("ftag"), std::string(branch.value().getString("from-tag")));
    CPPUNIT_ASSERT_EQUAL(std::string("ttag"), std::string(branch.value().getString("to-tag")));
    CPPUNIT_ASSERT_EQUAL(std::string("z9hG4bKtop"),
                         std::string(branch.value().getString("via-branch")));
    CPPUNIT_ASSERT(branch.value().getString("sdp").empty());
  }

  // Review item 4: only "no such call/tag" allows the late-offer fallback.
  void recognisesUnknownCallErrors() {
    for (const char* why : {"Unknown call-id", "Unknown call-ID", "Unknown tag"}) {
      auto r =
          parseReply(Op::kAnswer, std::string("d6:result5:error12:error-reason") +
                                      std::to_string(std::string(why).size()) + ":" + why + "e");
      CPPUNIT_ASSERT_MESSAGE(why, isUnknownCallError(r.status()));
    }
    auto load = parseReply(Op::kAnswer, "d6:result5:error12:error-reason10:load limite");
    CPPUNIT_ASSERT(!isUnknownCallError(load.status()));
    CPPUNIT_ASSERT(!isUnknownCallError(Status::unavailable("media relay did not answer")));
    CPPUNIT_ASSERT(!isUnknownCallError(parseReply(Op::kAnswer, "garbage").status()));
  }

  void missingSdpOrTagIsAnError() {
    Msg bare(invite("", ""));
    auto r = buildRequest(Op::kOffer, bare.msg, src(), NgFlags{});
    CPPUNIT_ASSERT(!r.isOk());
    CPPUNIT_ASSERT(r.status().message().find("no SDP") != std::string::npos);
    std::string text = invite("");
    text.replace(text.find(";tag=ftag"), 9, "");
    Msg notag(text);
    CPPUNIT_ASSERT(!buildRequest(Op::kDelete, notag.msg, src(), NgFlags{}).isOk());
  }

  void parsesReplies() {
    auto ok = parseReply(Op::kOffer, "d3:sdp3:v=06:result2:oke");
    CPPUNIT_ASSERT(ok.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("v=0"), ok.value().sdp);
    CPPUNIT_ASSERT(parseReply(Op::kDelete, "d6:result2:oke").isOk());
    auto err = parseReply(Op::kDelete, "d6:result5:error12:error-reason15:Unknown call-ide");
    CPPUNIT_ASSERT(!err.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("error: Unknown call-id"), err.status().message());
    CPPUNIT_ASSERT(!parseReply(Op::kOffer, "d6:result2:oke").isOk());  // no SDP
    CPPUNIT_ASSERT(!parseReply(Op::kOffer, "d6:result4:ponge").isOk());
    CPPUNIT_ASSERT(!parseReply(Op::kOffer, "l6:resulte").isOk());
    auto bad = parseReply(Op::kOffer, "d6:result2:ok");
    CPPUNIT_ASSERT(!bad.isOk());
    CPPUNIT_ASSERT(bad.status().message().find("malformed reply") != std::string::npos);
  }

  void replacesTheSdpAndContentLength() {
    Msg m(invite(""));
    std::string fresh = "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 30000 RTP/AVP 0\r\n";
    CPPUNIT_ASSERT(replaceSdp(m.msg, fresh));
    std::string out = m.built();
    CPPUNIT_ASSERT(out.find("Content-Length: " + std::to_string(fresh.size()) + "\r\n") !=
                   std::string::npos);
    CPPUNIT_ASSERT_EQUAL(fresh, out.substr(out.find("\r\n\r\n") + 4));
    Msg none(invite("", ""));
    CPPUNIT_ASSERT(!replaceSdp(none.msg, fresh));
  }

  void replacesTheSdpPartOfAMultipart() {
    std::string body = "--b\r\nContent-Type: application/sdp\r\n\r\n" + kSdp +
                       "\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n";
    std::string text = invite("", body);
    text.replace(text.find("application/sdp"), 15, "multipart/mixed;boundary=b");
    Msg m(text);
    std::string_view sdp;
    std::size_t offset = 0;
    CPPUNIT_ASSERT(findMessageSdp(m.msg, sdp, offset));
    CPPUNIT_ASSERT(replaceSdp(m.msg, "v=0\r\n"));
    std::string out = m.built();
    CPPUNIT_ASSERT(out.find("application/sdp\r\n\r\nv=0\r\n\r\n--b\r\nContent-Type: text/plain") !=
                   std::string::npos);
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(NgTest);

}  // namespace sipline::rtpengine
