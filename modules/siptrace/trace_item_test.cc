#include "modules/siptrace/trace_item.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <string_view>

#include "core/trace/capture.h"
#include "modules/siptrace/siptrace_test_util.h"
#include "modules/siptrace/traced_set.h"

namespace sipline::siptrace {

class SiptraceItemTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SiptraceItemTest);
  CPPUNIT_TEST(itemRoundTripsThroughItsEncoding);
  CPPUNIT_TEST(damagedEntriesAreRefused);
  CPPUNIT_TEST(headerValueFindsLongAndCompactForms);
  CPPUNIT_TEST(uriUserHostOfTheUsualForms);
  CPPUNIT_TEST(tagParamOfFromHeaders);
  CPPUNIT_TEST(rowOfARequestAndOfAReply);
  CPPUNIT_TEST(timestampTextIsUtcWithMicroseconds);
  CPPUNIT_TEST(userMatchingByFromOrToAndDomain);
  CPPUNIT_TEST(parseTracedUserChecksItsInput);
  CPPUNIT_TEST_SUITE_END();

  static SockAddr addr(const char* ip, std::uint16_t port) {
    SockAddr a;
    CPPUNIT_ASSERT(SockAddr::fromNumeric(ip, port, a));
    return a;
  }

 public:
  void itemRoundTripsThroughItsEncoding() {
    Item item;
    item.record.time_us = 1700000000123456;
    item.record.proto = Proto::kTcp;
    item.record.outgoing = true;
    item.record.src = addr("127.0.0.1", 5060);
    item.record.dst = addr("::1", 5070);
    item.record.message = testing::invite("cid-1");
    item.call_id = "cid-1";
    item.trace_attrs = "alice@example.com";
    Result<Item> back = decodeItem(encodeItem(item));
    CPPUNIT_ASSERT(back.isOk());
    const Item& b = back.value();
    CPPUNIT_ASSERT_EQUAL(item.record.time_us, b.record.time_us);
    CPPUNIT_ASSERT(b.record.proto == Proto::kTcp && b.record.outgoing);
    CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1:5060"), b.record.src.toString());
    CPPUNIT_ASSERT_EQUAL(std::string("[::1]:5070"), b.record.dst.toString());
    CPPUNIT_ASSERT_EQUAL(item.record.message, b.record.message);
    CPPUNIT_ASSERT_EQUAL(item.call_id, b.call_id);
    CPPUNIT_ASSERT_EQUAL(item.trace_attrs, b.trace_attrs);
    // The writer's form, into an item that held a longer message before, decodes the same.
    Item reused;
    reused.record.message = std::string(4000, 'm');
    reused.call_id = std::string(100, 'c');
    reused.trace_attrs = "someone@else";
    const std::string entry = encodeItem(item);
    std::string_view message;
    CPPUNIT_ASSERT(decodeItemInPlace(entry, reused, message).isOk());
    CPPUNIT_ASSERT_EQUAL(item.record.message, std::string(message));
    CPPUNIT_ASSERT_EQUAL(item.call_id, reused.call_id);
    CPPUNIT_ASSERT_EQUAL(item.trace_attrs, reused.trace_attrs);
    CPPUNIT_ASSERT_EQUAL(item.record.time_us, reused.record.time_us);
    // A worker's header buffer that held a longer header: replaced, not appended to.
    std::string header(300, 'h');
    encodeHeaderInto(header, item.record.time_us, item.record.proto, item.record.outgoing,
                     item.record.src, item.record.dst, item.call_id, item.trace_attrs,
                     item.record.message.size());
    CPPUNIT_ASSERT_EQUAL(encodeItem(item), header + item.record.message);
    std::string cut = encodeItem(item);
    cut.pop_back();
    CPPUNIT_ASSERT(!decodeItemInPlace(cut, reused, message).isOk());
    CPPUNIT_ASSERT(!decodeItemInPlace(cut.substr(0, 7), reused, message).isOk());
  }

  void damagedEntriesAreRefused() {
    Item item;
    item.record.message = "OPTIONS sip:x SIP/2.0\r\n\r\n";
    item.call_id = "c";
    std::string e = encodeItem(item);
    CPPUNIT_ASSERT(!decodeItem(e.substr(0, 10)).isOk());
    CPPUNIT_ASSERT(!decodeItem(e.substr(0, e.size() - 1)).isOk());
    CPPUNIT_ASSERT(!decodeItem(e + "x").isOk());
    CPPUNIT_ASSERT(!decodeItem("").isOk());
  }

  void headerValueFindsLongAndCompactForms() {
    std::string r = testing::reply("abc@h", "200 OK");
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@example.com;tag=ft1"),
                         std::string(*trace::rawHeaderValue(r, "from", "f")));
    CPPUNIT_ASSERT_EQUAL(std::string("abc@h"),
                         std::string(*trace::rawHeaderValue(r, "call-id", "i")));
    CPPUNIT_ASSERT(!trace::rawHeaderValue(r, "contact", "m"));
    // Headers after the blank line (a body) are not headers.
    CPPUNIT_ASSERT(!trace::rawHeaderValue("INVITE x SIP/2.0\r\n\r\nFrom: a\r\n", "from", "f"));
    CPPUNIT_ASSERT_EQUAL(std::string("x"),
                         std::string(*trace::rawHeaderValue("A\nFROM  :  x \n\n", "from", "f")));
  }

  void uriUserHostOfTheUsualForms() {
    UriUserHost a = uriUserHost("\"Alice\" <sip:alice@example.com>;tag=1");
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), std::string(a.user));
    CPPUNIT_ASSERT_EQUAL(std::string("example.com"), std::string(a.host));
    UriUserHost b = uriUserHost("sip:bob@10.0.0.1:5060;tag=x");
    CPPUNIT_ASSERT_EQUAL(std::string("bob"), std::string(b.user));
    CPPUNIT_ASSERT_EQUAL(std::string("10.0.0.1"), std::string(b.host));
    UriUserHost c = uriUserHost("<sips:carol:secret@[2001:db8::1]:5061;transport=tls>");
    CPPUNIT_ASSERT_EQUAL(std::string("carol"), std::string(c.user));
    CPPUNIT_ASSERT_EQUAL(std::string("[2001:db8::1]"), std::string(c.host));
    UriUserHost d = uriUserHost("<sip:example.com>");
    CPPUNIT_ASSERT(d.user.empty());
    CPPUNIT_ASSERT_EQUAL(std::string("example.com"), std::string(d.host));
    UriUserHost e = uriUserHost("<tel:+4930123;phone-context=x>");
    CPPUNIT_ASSERT_EQUAL(std::string("+4930123"), std::string(e.user));
    CPPUNIT_ASSERT(uriUserHost("garbage").user.empty());
    CPPUNIT_ASSERT(uriUserHost("").user.empty());
    CPPUNIT_ASSERT(uriUserHost("<").user.empty());
  }

  void tagParamOfFromHeaders() {
    CPPUNIT_ASSERT_EQUAL(std::string("ft1"), std::string(tagParam("<sip:a@b;x=y>;tag=ft1")));
    CPPUNIT_ASSERT_EQUAL(std::string("t2"), std::string(tagParam("sip:a@b;foo;TAG = t2 ;x")));
    CPPUNIT_ASSERT(tagParam("<sip:a@b;tag=inside>").empty());
    CPPUNIT_ASSERT(tagParam("sip:a@b").empty());
  }

  void rowOfARequestAndOfAReply() {
    Item in;
    in.record.time_us = 1700000000123456;
    in.record.src = addr("127.0.0.1", 5070);
    in.record.dst = addr("127.0.0.1", 5060);
    in.record.message = testing::invite("cid-9");
    in.call_id = "cid-9";
    in.trace_attrs = "alice";
    TraceRow r = buildRow(in);
    CPPUNIT_ASSERT_EQUAL(std::string("INVITE"), std::string(r.method));
    CPPUNIT_ASSERT_EQUAL(std::string(""), std::string(r.status));
    CPPUNIT_ASSERT_EQUAL(std::string("in"), std::string(r.direction));
    CPPUNIT_ASSERT_EQUAL(std::string("udp"), std::string(r.from_proto));
    CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), r.from_ip);
    CPPUNIT_ASSERT_EQUAL(5070, r.from_port);
    CPPUNIT_ASSERT_EQUAL(5060, r.to_port);
    CPPUNIT_ASSERT_EQUAL(std::string("ft1"), std::string(r.fromtag));
    CPPUNIT_ASSERT_EQUAL(std::string("cid-9"), std::string(r.callid));
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), std::string(r.trace_attrs));
    Item out = in;
    out.record.outgoing = true;
    out.record.proto = Proto::kTls;
    out.record.message = testing::reply("cid-9", "180 Ringing");
    TraceRow s = buildRow(out);
    CPPUNIT_ASSERT_EQUAL(std::string("INVITE"), std::string(s.method));
    CPPUNIT_ASSERT_EQUAL(std::string("180 Ringing"), std::string(s.status));
    CPPUNIT_ASSERT_EQUAL(std::string("out"), std::string(s.direction));
    CPPUNIT_ASSERT_EQUAL(std::string("tls"), std::string(s.to_proto));
    CPPUNIT_ASSERT_EQUAL(std::string("ft1"), std::string(s.fromtag));  // compact f:
    Item junk;
    junk.record.message = "\x01\x02";
    TraceRow j = buildRow(junk);  // never crashes
    CPPUNIT_ASSERT(j.fromtag.empty());
  }

  void timestampTextIsUtcWithMicroseconds() {
    CPPUNIT_ASSERT_EQUAL(std::string("2023-11-14 22:13:20.000042+00"),
                         timestampText(1700000000000042));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-12-31 23:59:58.123456+00"),
                         timestampText(1798761598123456));
    // The same second again (its date and time are kept), the next second across a year's
    // end, then an earlier one: each gets its own.
    CPPUNIT_ASSERT_EQUAL(std::string("2026-12-31 23:59:58.999999+00"),
                         timestampText(1798761598999999));
    CPPUNIT_ASSERT_EQUAL(std::string("2026-12-31 23:59:59.000000+00"),
                         timestampText(1798761599000000));
    CPPUNIT_ASSERT_EQUAL(std::string("2027-01-01 00:00:00.000001+00"),
                         timestampText(1798761600000001));
    CPPUNIT_ASSERT_EQUAL(std::string("2023-11-14 22:13:20.500000+00"),
                         timestampText(1700000000500000));
  }

  void userMatchingByFromOrToAndDomain() {
    std::string m = testing::invite("c", "alice", "bob");
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), UserMatcher::matchList({{"alice", ""}}, m));
    CPPUNIT_ASSERT_EQUAL(std::string("bob@example.com"),
                         UserMatcher::matchList({{"bob", "example.com"}}, m));  // To: Example.COM
    CPPUNIT_ASSERT_EQUAL(std::string(""), UserMatcher::matchList({{"bob", "other.org"}}, m));
    CPPUNIT_ASSERT_EQUAL(std::string(""), UserMatcher::matchList({{"Alice", ""}}, m));
    CPPUNIT_ASSERT_EQUAL(std::string("bob"),
                         UserMatcher::matchList({{"bob", ""}}, testing::reply("c", "200 OK")));
    CPPUNIT_ASSERT_EQUAL(std::string(""), UserMatcher::matchList({}, m));
  }

  void parseTracedUserChecksItsInput() {
    Result<TracedUser> u = parseTracedUser("alice@Example.COM");
    CPPUNIT_ASSERT(u.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), u.value().user);
    CPPUNIT_ASSERT_EQUAL(std::string("example.com"), u.value().domain);
    CPPUNIT_ASSERT(parseTracedUser("bob").isOk());
    CPPUNIT_ASSERT(!parseTracedUser("").isOk());
    CPPUNIT_ASSERT(!parseTracedUser("@x").isOk());
    CPPUNIT_ASSERT(!parseTracedUser("a@").isOk());
    CPPUNIT_ASSERT(!parseTracedUser("a b").isOk());
    CPPUNIT_ASSERT(!parseTracedUser(std::string(64, 'a')).isOk());
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SiptraceItemTest);

}  // namespace sipline::siptrace
