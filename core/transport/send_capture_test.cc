// The route simulator's capture hook in sendTo(): nothing reaches the network while it is set.
#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

#include "core/transport/send.h"

namespace sipline {
namespace {

class Recorder : public SendCapture {
 public:
  void captured(const Listener& from, const SockAddr& to, std::string_view data) override {
    seen.push_back(from.text + " " + to.toString() + " " + std::string(data));
  }
  std::vector<std::string> seen;
};

}  // namespace

class SendCaptureTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SendCaptureTest);
  CPPUNIT_TEST(capturedSendsDoNotNeedASocket);
  CPPUNIT_TEST(tooLargeIsRefusedEvenWhenCaptured);
  CPPUNIT_TEST(withoutCaptureASocketlessListenerCannotSend);
  CPPUNIT_TEST_SUITE_END();

 public:
  void capturedSendsDoNotNeedASocket() {
    Listener from;  // fd -1: never bound, as in the simulator
    from.text = "udp:127.0.0.1:5060";
    SockAddr to;
    CPPUNIT_ASSERT(SockAddr::fromNumeric("192.0.2.20", 5070, to));
    Recorder r;
    setSendCapture(&r);
    SendResult res = sendTo(from, to, "INVITE x");
    setSendCapture(nullptr);
    CPPUNIT_ASSERT(res == SendResult::kOk);
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), r.seen.size());
    CPPUNIT_ASSERT_EQUAL(std::string("udp:127.0.0.1:5060 192.0.2.20:5070 INVITE x"), r.seen[0]);
  }

  void tooLargeIsRefusedEvenWhenCaptured() {
    Listener from;
    SockAddr to;
    CPPUNIT_ASSERT(SockAddr::fromNumeric("192.0.2.20", 5070, to));
    Recorder r;
    setSendCapture(&r);
    SendResult res = sendTo(from, to, std::string(70000, 'x'));
    setSendCapture(nullptr);
    CPPUNIT_ASSERT(res == SendResult::kTooLarge);
    CPPUNIT_ASSERT(r.seen.empty());
  }

  void withoutCaptureASocketlessListenerCannotSend() {
    Listener from;
    SockAddr to;
    CPPUNIT_ASSERT(SockAddr::fromNumeric("192.0.2.20", 5070, to));
    CPPUNIT_ASSERT(sendTo(from, to, "x") == SendResult::kNoSocket);
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(SendCaptureTest);

}  // namespace sipline
