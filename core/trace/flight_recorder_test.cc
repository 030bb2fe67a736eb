// The flight recorder on a private segment: messages come back in time order per Call-ID,
// a full ring overwrites its oldest entries and stays readable, the window drops old ones,
// oversized messages are skipped, rings of several processes merge; the capture fan-out and
// the Call-ID scan; the MI answer.
#include "core/trace/flight_recorder.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "core/base/base64.h"
#include "core/trace/recorder_mi.h"

namespace sipline::trace {
namespace {

SockAddr addr(const char* ip, std::uint16_t port) {
  SockAddr a;
  CPPUNIT_ASSERT(SockAddr::fromNumeric(ip, port, a));
  return a;
}

std::string sip(const std::string& call_id, int n, std::size_t pad = 0) {
  return "OPTIONS sip:x@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK" +
         std::to_string(n) + "\r\nCall-ID: " + call_id + "\r\nCSeq: " + std::to_string(n) +
         " OPTIONS\r\nX-Pad: " + std::string(pad, 'p') + "\r\nContent-Length: 0\r\n\r\n";
}

class Collect : public CaptureSink {
 public:
  void onCaptured(const Captured& c) override {
    call_ids.emplace_back(c.call_id);
    outgoing.push_back(c.outgoing);
  }
  std::vector<std::string> call_ids;
  std::vector<bool> outgoing;
};

}  // namespace

class FlightRecorderTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(FlightRecorderTest);
  CPPUNIT_TEST(messagesComeBackByCallIdInTimeOrder);
  CPPUNIT_TEST(fullRingKeepsTheNewestIntact);
  CPPUNIT_TEST(windowDropsOldMessages);
  CPPUNIT_TEST(oversizedMessagesAreSkipped);
  CPPUNIT_TEST(ringsOfSeveralProcessesMerge);
  CPPUNIT_TEST(captureFansOutWithTheCallId);
  CPPUNIT_TEST(scanFindsCompactAndLongCallId);
  CPPUNIT_TEST(miAnswersAndChecksItsParams);
  CPPUNIT_TEST(miCarriesANonUtf8MessageByteExact);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override { seg_ = std::move(shm::Segment::create(8 << 20).value()); }
  void tearDown() override {
    removeCaptureSinksForTest();
    seg_.reset();
  }

  std::unique_ptr<FlightRecorder> make(std::size_t bytes = 1 << 20, int minutes = 10) {
    Result<std::unique_ptr<FlightRecorder>> r = FlightRecorder::create(*seg_, bytes, minutes);
    CPPUNIT_ASSERT(r.isOk());
    return std::move(r.value());
  }

  void put(FlightRecorder& r, const std::string& msg, std::int64_t t, bool out = false) {
    SockAddr a = addr("192.0.2.1", 5060), b = addr("198.51.100.2", 5062);
    Captured c;
    c.time_us = t;
    c.outgoing = out;
    c.src = out ? &b : &a;
    c.dst = out ? &a : &b;
    c.message = msg;
    c.call_id = scanCallId(msg);
    r.onCaptured(c);
  }

  void messagesComeBackByCallIdInTimeOrder() {
    auto r = make();
    const std::int64_t t0 = 1'800'000'000'000'000;
    for (int i = 0; i < 10; ++i) put(*r, sip(i % 2 ? "odd" : "even", i), t0 + i, i % 3 == 0);
    RecorderQuery q;
    q.call_id = "odd";
    std::vector<RecordedMessage> got = r->read(q, t0 + 100);
    CPPUNIT_ASSERT_EQUAL(std::size_t{5}, got.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      CPPUNIT_ASSERT_EQUAL(sip("odd", static_cast<int>(2 * i + 1)), got[i].message);
      CPPUNIT_ASSERT_EQUAL(std::string("odd"), got[i].call_id);
      CPPUNIT_ASSERT_EQUAL(t0 + static_cast<std::int64_t>(2 * i + 1), got[i].time_us);
    }
    CPPUNIT_ASSERT(got[1].outgoing);  // message 3
    CPPUNIT_ASSERT_EQUAL(std::string("198.51.100.2:5062"), got[1].src.toString());
    CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.1:5060"), got[0].src.toString());
    CPPUNIT_ASSERT_EQUAL(std::size_t{10}, r->read(RecorderQuery{}, t0 + 100).size());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{10}, r->recorded());
  }

  void fullRingKeepsTheNewestIntact() {
    auto r = make(8 * 64 * 1024);  // 64 KB per ring; everything goes to ring 0
    const std::int64_t t0 = 1'800'000'000'000'000;
    constexpr int kN = 3000;  // ~ 450 KB of messages of varied sizes through one ring
    for (int i = 0; i < kN; ++i) put(*r, sip("c" + std::to_string(i), i, (i * 37) % 200), t0 + i);
    std::vector<RecordedMessage> got = r->read(RecorderQuery{}, t0 + kN);
    CPPUNIT_ASSERT(got.size() > 100 && got.size() < static_cast<std::size_t>(kN));
    // The newest are there, consecutive and intact.
    int first = kN - static_cast<int>(got.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      int n = first + static_cast<int>(i);
      CPPUNIT_ASSERT_EQUAL(sip("c" + std::to_string(n), n, (n * 37) % 200), got[i].message);
    }
  }

  void windowDropsOldMessages() {
    auto r = make(1 << 20, 1);  // one minute
    const std::int64_t t0 = 1'800'000'000'000'000;
    put(*r, sip("old", 1), t0);
    put(*r, sip("new", 2), t0 + 50'000'000);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, r->read(RecorderQuery{}, t0 + 55'000'000).size());
    std::vector<RecordedMessage> got = r->read(RecorderQuery{}, t0 + 70'000'000);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, got.size());
    CPPUNIT_ASSERT_EQUAL(std::string("new"), got[0].call_id);
    // since_us narrows further.
    RecorderQuery q;
    q.since_us = t0 + 60'000'000;
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, r->read(q, t0 + 70'000'000).size());
    // A new message evicts what is past the window from the ring itself.
    put(*r, sip("newer", 3), t0 + 65'000'000);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, r->read(RecorderQuery{}, t0 + 65'000'000).size());
  }

  void oversizedMessagesAreSkipped() {
    auto r = make(8 * 64 * 1024);
    put(*r, sip("big", 1, 20000), 1);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, r->skipped());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, r->recorded());
    put(*r, sip("fits", 2, 10000), 2);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, r->recorded());
  }

  void ringsOfSeveralProcessesMerge() {
    auto r = make();
    const std::int64_t t0 = 1'800'000'000'000'000;
    for (int i = 0; i < 20; ++i) {
      r->setProcessIndex(i % 5);
      put(*r, sip("call", i), t0 + i);
    }
    std::vector<RecordedMessage> got = r->read(RecorderQuery{}, t0 + 100);
    CPPUNIT_ASSERT_EQUAL(std::size_t{20}, got.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      CPPUNIT_ASSERT_EQUAL(t0 + static_cast<std::int64_t>(i), got[i].time_us);
    }
    RecorderQuery q;
    q.max_messages = 3;
    got = r->read(q, t0 + 100);
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, got.size());
    CPPUNIT_ASSERT_EQUAL(t0 + 17, got[0].time_us);  // the newest three
  }

  void captureFansOutWithTheCallId() {
    CPPUNIT_ASSERT(!capturing());
    Collect a, b;
    CPPUNIT_ASSERT(addCaptureSink(&a));
    CPPUNIT_ASSERT(addCaptureSink(&b));
    CPPUNIT_ASSERT(capturing());
    SockAddr x = addr("127.0.0.1", 5060), y = addr("::1", 5070);
    captureMessage(Proto::kTcp, true, x, y, sip("abc@host", 1));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, a.call_ids.size());
    CPPUNIT_ASSERT_EQUAL(std::string("abc@host"), b.call_ids[0]);
    CPPUNIT_ASSERT(a.outgoing[0]);
    Collect more[kMaxSinks];
    int added = 0;
    for (Collect& c : more) added += addCaptureSink(&c) ? 1 : 0;
    CPPUNIT_ASSERT_EQUAL(kMaxSinks - 2, added);  // the rest is refused
  }

  void scanFindsCompactAndLongCallId() {
    CPPUNIT_ASSERT_EQUAL(std::string("a1"),
                         std::string(scanCallId("INVITE x SIP/2.0\r\ncall-id :  a1  \r\n\r\n")));
    CPPUNIT_ASSERT_EQUAL(std::string("b2"),
                         std::string(scanCallId("SIP/2.0 200 OK\r\nVia: x\r\ni:b2\r\n\r\n")));
    CPPUNIT_ASSERT_EQUAL(std::string("c3"),
                         std::string(scanCallId("SIP/2.0 200 OK\nVia: x\nCall-ID: c3\n\n")));
    // Not in the body, not a header that only starts like it.
    CPPUNIT_ASSERT(scanCallId("INVITE x SIP/2.0\r\nCall-Info: <x>\r\nIdx: 1\r\n\r\n"
                              "Call-ID: body\r\n")
                       .empty());
    CPPUNIT_ASSERT(scanCallId("").empty());
    CPPUNIT_ASSERT(scanCallId("garbage without lines").empty());
  }

  void miAnswersAndChecksItsParams() {
    CPPUNIT_ASSERT(!flightRecorderMi(MiParams(), nullptr, 0).isOk());
    auto r = make();
    const std::int64_t t0 = 1'800'000'000'000'000;
    put(*r, sip("one", 1), t0);
    put(*r, sip("two", 2), t0 + 1'000'000);
    Json p = Json::object();
    p["call_id"] = "two";
    Result<Json> got = flightRecorderMi(MiParams(p), r.get(), t0 + 2'000'000);
    CPPUNIT_ASSERT(got.isOk());
    const Json& msgs = got.value()["messages"];
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, msgs.size());
    CPPUNIT_ASSERT_EQUAL(std::string("udp"), msgs[0]["proto"].get<std::string>());
    CPPUNIT_ASSERT_EQUAL(std::string("in"), msgs[0]["direction"].get<std::string>());
    CPPUNIT_ASSERT_EQUAL(sip("two", 2), msgs[0]["message"].get<std::string>());
    Json s = Json::object();
    s["seconds"] = 1;
    got = flightRecorderMi(MiParams(s), r.get(), t0 + 1'500'000);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, got.value()["messages"].size());
    Json huge = Json::object();
    huge["seconds"] = std::int64_t{9'000'000'000'000'000};  // capped at the window: no overflow
    got = flightRecorderMi(MiParams(huge), r.get(), t0 + 2'000'000);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, got.value()["messages"].size());
    Json bad = Json::object();
    bad["max"] = 0;
    CPPUNIT_ASSERT(!flightRecorderMi(MiParams(bad), r.get(), t0).isOk());
    Json empty = Json::object();
    empty["call_id"] = "";  // not "every call": that is the param left out
    got = flightRecorderMi(MiParams(empty), r.get(), t0 + 2'000'000);
    CPPUNIT_ASSERT(got.status().code() == Code::kInvalidArgument);
  }

  // A gateway's INVITE with a binary ISUP body: "message" is only what JSON can show, the
  // bytes travel in "message_b64"; a UTF-8 message has no message_b64.
  void miCarriesANonUtf8MessageByteExact() {
    auto r = make();
    const std::int64_t t0 = 1'800'000'000'000'000;
    std::string isup = sip("isup", 1) + std::string("\x01\x00\x49\xff\xc3\x28\x80", 7);
    put(*r, isup, t0);
    put(*r, sip("plain", 2), t0 + 1);
    Result<Json> got = flightRecorderMi(MiParams(), r.get(), t0 + 1'000'000);
    CPPUNIT_ASSERT(got.isOk());
    // Through the wire form the MI socket sends (invalid UTF-8 replaced, never an exception).
    Json back = Json::parse(got.value().dump(-1, ' ', false, Json::error_handler_t::replace));
    const Json& msgs = back["messages"];
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, msgs.size());
    std::string bytes;
    CPPUNIT_ASSERT(base64Decode(msgs[0]["message_b64"].get<std::string>(), bytes));
    CPPUNIT_ASSERT(bytes == isup);
    CPPUNIT_ASSERT(!msgs[1].contains("message_b64"));
    CPPUNIT_ASSERT_EQUAL(sip("plain", 2), msgs[1]["message"].get<std::string>());
  }

 private:
  std::unique_ptr<shm::Segment> seg_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(FlightRecorderTest);

}  // namespace sipline::trace
