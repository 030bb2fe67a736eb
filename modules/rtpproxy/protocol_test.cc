// Tests of the rtpproxy command texts and reply parsing (error replies, malformed replies).
#include "modules/rtpproxy/protocol.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace sipline::rtpproxy {

class RtpproxyProtocolTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(RtpproxyProtocolTest);
  CPPUNIT_TEST(formatsOfferWithoutToTag);
  CPPUNIT_TEST(formatsLookupWithBothTagsAndModifiers);
  CPPUNIT_TEST(refusesFieldsThatBreakTheLine);
  CPPUNIT_TEST(formatsDeleteAndVersion);
  CPPUNIT_TEST(parsesStreamReplies);
  CPPUNIT_TEST(parsesErrorReplies);
  CPPUNIT_TEST(refusesMalformedReplies);
  CPPUNIT_TEST(parsesDeleteVersionAndCapabilityReplies);
  CPPUNIT_TEST_SUITE_END();

 public:
  void formatsOfferWithoutToTag() {
    StreamCommand c;
    c.call_id = "abc@host";
    c.address = "192.0.2.1";
    c.port = 4000;
    c.from_tag = "ft";
    c.media_index = 2;
    std::string out;
    CPPUNIT_ASSERT(formatStream(c, out));
    CPPUNIT_ASSERT_EQUAL(std::string("U abc@host 192.0.2.1 4000 ft;2"), out);
  }

  void formatsLookupWithBothTagsAndModifiers() {
    StreamCommand c;
    c.lookup = true;
    c.modifiers = "A6IE";
    c.call_id = "abc";
    c.address = "2001:db8::1";
    c.port = 5004;
    c.from_tag = "ft";
    c.to_tag = "tt";
    std::string out;
    CPPUNIT_ASSERT(formatStream(c, out));
    CPPUNIT_ASSERT_EQUAL(std::string("LA6IE abc 2001:db8::1 5004 ft;1 tt;1"), out);
  }

  void refusesFieldsThatBreakTheLine() {
    StreamCommand c;
    c.call_id = "a b";
    c.address = "192.0.2.1";
    c.from_tag = "ft";
    std::string out = "untouched";
    CPPUNIT_ASSERT(!formatStream(c, out));
    CPPUNIT_ASSERT_EQUAL(std::string("untouched"), out);
    c.call_id = "ab";
    c.from_tag = "";
    CPPUNIT_ASSERT(!formatStream(c, out));
    c.from_tag = "x\ny";
    CPPUNIT_ASSERT(!formatStream(c, out));
    c.from_tag = "ft";
    c.lookup = true;  // a lookup needs the to-tag
    CPPUNIT_ASSERT(!formatStream(c, out));
    CPPUNIT_ASSERT(!formatDelete("", "ft", "", out));
    CPPUNIT_ASSERT(!formatDelete("cid", "f t", "", out));
    CPPUNIT_ASSERT(!formatDelete("cid", "ft", "t\tt", out));
  }

  void formatsDeleteAndVersion() {
    std::string out;
    CPPUNIT_ASSERT(formatDelete("cid", "ft", "", out));
    CPPUNIT_ASSERT_EQUAL(std::string("D cid ft"), out);
    CPPUNIT_ASSERT(formatDelete("cid", "ft", "tt", out));
    CPPUNIT_ASSERT_EQUAL(std::string("D cid ft tt"), out);
    CPPUNIT_ASSERT_EQUAL(std::string("V"), formatVersion());
    CPPUNIT_ASSERT_EQUAL(std::string("VF 20050322"), formatCapability("20050322"));
  }

  void parsesStreamReplies() {
    StreamReply r;
    int code = 0;
    CPPUNIT_ASSERT(parseStreamReply("41000 127.0.0.1 4\n", r, code) == ReplyStatus::kOk);
    CPPUNIT_ASSERT_EQUAL(std::uint16_t(41000), r.port);
    CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), r.address);
    CPPUNIT_ASSERT_EQUAL(4, r.family);
    CPPUNIT_ASSERT(parseStreamReply("35000", r, code) == ReplyStatus::kOk);  // rtpproxy: port only
    CPPUNIT_ASSERT_EQUAL(std::uint16_t(35000), r.port);
    CPPUNIT_ASSERT(r.address.empty());
    CPPUNIT_ASSERT(parseStreamReply("35002 2001:db8::9 6", r, code) == ReplyStatus::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::9"), r.address);
    CPPUNIT_ASSERT_EQUAL(6, r.family);
    // rtpengine answers a lookup of an unknown call with port 0.
    CPPUNIT_ASSERT(parseStreamReply("0 0.0.0.0", r, code) == ReplyStatus::kNotFound);
  }

  void parsesErrorReplies() {
    StreamReply r;
    int code = 0;
    CPPUNIT_ASSERT(parseStreamReply("E8\n", r, code) == ReplyStatus::kError);
    CPPUNIT_ASSERT_EQUAL(8, code);
    CPPUNIT_ASSERT(parseStreamReply("E", r, code) == ReplyStatus::kError);
    CPPUNIT_ASSERT_EQUAL(-1, code);
    CPPUNIT_ASSERT(parseDeleteReply("E50", code) == ReplyStatus::kError);
    CPPUNIT_ASSERT_EQUAL(50, code);
    std::string v;
    CPPUNIT_ASSERT(parseVersionReply("E1", v, code) == ReplyStatus::kError);
    bool supported = true;
    CPPUNIT_ASSERT(parseCapabilityReply("E2", supported, code) == ReplyStatus::kError);
  }

  void refusesMalformedReplies() {
    StreamReply r;
    int code = 0;
    for (const char* bad :
         {"", "\n", "port", "70000 127.0.0.1", "-1", "41000 relay.example 4", "41000 127.0.0.1 5",
          "41000 127.0.0.1 4 extra", "Exx", "E1 E2", "123456789012345"}) {
      CPPUNIT_ASSERT_MESSAGE(bad, parseStreamReply(bad, r, code) == ReplyStatus::kMalformed);
    }
    CPPUNIT_ASSERT(parseDeleteReply("", code) == ReplyStatus::kMalformed);
    CPPUNIT_ASSERT(parseDeleteReply("ok", code) == ReplyStatus::kMalformed);
    std::string v;
    CPPUNIT_ASSERT(parseVersionReply("2004", v, code) == ReplyStatus::kMalformed);
    bool s = false;
    CPPUNIT_ASSERT(parseCapabilityReply("yes", s, code) == ReplyStatus::kMalformed);
    CPPUNIT_ASSERT_EQUAL(std::string("malformed reply"),
                         std::string(replyStatusText(ReplyStatus::kMalformed)));
  }

  void parsesDeleteVersionAndCapabilityReplies() {
    int code = 0;
    CPPUNIT_ASSERT(parseDeleteReply("0\n", code) == ReplyStatus::kOk);
    std::string v;
    CPPUNIT_ASSERT(parseVersionReply("20040107\n", v, code) == ReplyStatus::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string(kBaseVersion), v);
    bool s = false;
    CPPUNIT_ASSERT(parseCapabilityReply("1", s, code) == ReplyStatus::kOk);
    CPPUNIT_ASSERT(s);
    CPPUNIT_ASSERT(parseCapabilityReply("0\n", s, code) == ReplyStatus::kOk);
    CPPUNIT_ASSERT(!s);
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(RtpproxyProtocolTest);

}  // namespace sipline::rtpproxy
