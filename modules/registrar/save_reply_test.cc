// save()'s reply path and load-time checks: the reply goes through the request's transaction
// when the script made one (t_newtran), so a retransmission is answered by tm with the same
// reply instead of being processed again; the expires parameters are checked against each
// other; the memory-only flag reaches the stored binding.
#include <cppunit/extensions/HelperMacros.h>

#include "core/sip/transaction_layer.h"
#include "modules/registrar/registrar_test_util.h"
#include "modules/registrar/save.h"

namespace sipline::registrar {
namespace {

using testing::contains;
using testing::registerText;
using testing::RegistrarHarness;

// Records what a module asked the transaction layer to send.
class RecordingLayer final : public TransactionLayer {
 public:
  bool absorbRequest(SipMessage&, const ReceiveInfo&) override { return false; }
  void requestDone(MsgContext&) override {}
  bool takeReply(MsgContext&) override { return false; }
  bool replyInTransaction(MsgContext& ctx, int code, std::string_view reason,
                          std::string_view extra_headers) override {
    ++calls;
    transaction = ctx.transaction;
    this->code = code;
    this->reason = std::string(reason);
    headers = std::string(extra_headers);
    return accept;
  }

  int calls = 0;
  void* transaction = nullptr;
  int code = 0;
  std::string reason;
  std::string headers;
  bool accept = true;
};

// Installs `layer` as the process's transaction layer for the scope (as tm's init does).
class LayerScope {
 public:
  explicit LayerScope(TransactionLayer* layer) : saved_(transactionLayer()) {
    setTransactionLayer(layer);
  }
  ~LayerScope() { setTransactionLayer(saved_); }
  LayerScope(const LayerScope&) = delete;
  LayerScope& operator=(const LayerScope&) = delete;

 private:
  TransactionLayer* saved_;
};

}  // namespace

class SaveReplyTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SaveReplyTest);
  CPPUNIT_TEST(okGoesThroughTheTransaction);
  CPPUNIT_TEST(refusalGoesThroughTheTransactionWithItsHeaders);
  CPPUNIT_TEST(withoutATransactionTheLayerIsNotUsed);
  CPPUNIT_TEST(aReplyTheTransactionCouldNotSendIsReported);
  CPPUNIT_TEST(expiresLimitsThatAgreePass);
  CPPUNIT_TEST(defaultBelowMinExpiresIsRefused);
  CPPUNIT_TEST(defaultAboveMaxExpiresIsRefused);
  CPPUNIT_TEST(minAboveMaxIsRefused);
  CPPUNIT_TEST(memoryOnlyMarksTheBinding);
  CPPUNIT_TEST(refreshDecidesMemoryOnlyAndKeepsOtherFlags);
  CPPUNIT_TEST_SUITE_END();

 public:
  void okGoesThroughTheTransaction() {
    RecordingLayer layer;
    LayerScope scope(&layer);
    RegistrarHarness h;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>", "Expires: 300"}));
    int tsx = 0;
    h.ctx().transaction = &tsx;  // t_newtran() ran
    CPPUNIT_ASSERT(sendSaveReply(h.ctx(), r));
    CPPUNIT_ASSERT_EQUAL(1, layer.calls);
    CPPUNIT_ASSERT(layer.transaction == &tsx);
    CPPUNIT_ASSERT_EQUAL(200, layer.code);
    CPPUNIT_ASSERT_EQUAL(std::string("OK"), layer.reason);
    CPPUNIT_ASSERT_EQUAL(r.headers, layer.headers);
    CPPUNIT_ASSERT(contains(layer.headers, "Contact: <sip:alice@192.0.2.7:5099>;expires=300\r\n"));
    CPPUNIT_ASSERT(h.ctx().replied);
  }

  void refusalGoesThroughTheTransactionWithItsHeaders() {
    RecordingLayer layer;
    LayerScope scope(&layer);
    RegistrarHarness h;
    h.options.limits.min_expires = 60;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>", "Expires: 5"}));
    CPPUNIT_ASSERT_EQUAL(423, r.code);
    int tsx = 0;
    h.ctx().transaction = &tsx;
    CPPUNIT_ASSERT(sendSaveReply(h.ctx(), r));
    CPPUNIT_ASSERT_EQUAL(423, layer.code);
    CPPUNIT_ASSERT_EQUAL(std::string("Interval Too Brief"), layer.reason);
    CPPUNIT_ASSERT(contains(layer.headers, "Min-Expires: 60\r\n"));
  }

  void withoutATransactionTheLayerIsNotUsed() {
    RecordingLayer layer;
    LayerScope scope(&layer);
    RegistrarHarness h;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>"}));
    sendSaveReply(h.ctx(), r);  // stateless: no socket in this test, so it may fail to send
    CPPUNIT_ASSERT_EQUAL(0, layer.calls);
    // Nothing to send (not a REGISTER) never reaches the layer either.
    SaveReply none = h.save(testing::inviteText());
    int tsx = 0;
    h.ctx().transaction = &tsx;
    CPPUNIT_ASSERT(sendSaveReply(h.ctx(), none));
    CPPUNIT_ASSERT_EQUAL(0, layer.calls);
    CPPUNIT_ASSERT(!h.ctx().replied);
  }

  void aReplyTheTransactionCouldNotSendIsReported() {
    RecordingLayer layer;
    layer.accept = false;
    LayerScope scope(&layer);
    RegistrarHarness h;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>"}));
    int tsx = 0;
    h.ctx().transaction = &tsx;
    CPPUNIT_ASSERT(!sendSaveReply(h.ctx(), r));
    CPPUNIT_ASSERT_EQUAL(1, layer.calls);
    CPPUNIT_ASSERT(!h.ctx().replied);
  }

  void expiresLimitsThatAgreePass() {
    CPPUNIT_ASSERT(checkExpiresLimits(3600, 60, 7200).isOk());
    CPPUNIT_ASSERT(checkExpiresLimits(60, 60, 60).isOk());  // the bounds themselves
    CPPUNIT_ASSERT(checkExpiresLimits(30, 0, 0).isOk());    // 0: no minimum, no maximum
    CPPUNIT_ASSERT(checkExpiresLimits(99999, 60, 0).isOk());
  }

  void defaultBelowMinExpiresIsRefused() {
    Status st = checkExpiresLimits(30, 60, 0);
    CPPUNIT_ASSERT(st.code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT_MESSAGE(st.message(), contains(st.message(), "default_expires (30)"));
    CPPUNIT_ASSERT_MESSAGE(st.message(), contains(st.message(), "min_expires (60)"));
  }

  void defaultAboveMaxExpiresIsRefused() {
    Status st = checkExpiresLimits(7200, 60, 3600);
    CPPUNIT_ASSERT(st.code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT_MESSAGE(st.message(), contains(st.message(), "default_expires (7200)"));
    CPPUNIT_ASSERT_MESSAGE(st.message(), contains(st.message(), "max_expires (3600)"));
  }

  void minAboveMaxIsRefused() {
    Status st = checkExpiresLimits(100, 200, 100);
    CPPUNIT_ASSERT(st.code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT_MESSAGE(st.message(), contains(st.message(), "min_expires (200)"));
    CPPUNIT_ASSERT_MESSAGE(st.message(), contains(st.message(), "max_expires (100)"));
  }

  void memoryOnlyMarksTheBinding() {
    RegistrarHarness h;
    h.options.memory_only = true;
    CPPUNIT_ASSERT_EQUAL(200, h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>"})).code);
    CPPUNIT_ASSERT_EQUAL(usrloc::kContactMemoryOnly, h.bindings()[0].flags);
    RegistrarHarness plain;
    plain.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>"}));
    CPPUNIT_ASSERT_EQUAL(0u, plain.bindings()[0].flags);
  }

  void refreshDecidesMemoryOnlyAndKeepsOtherFlags() {
    RegistrarHarness h;
    usrloc::Contact stored;
    stored.uri = "sip:alice@192.0.2.7:5099";
    stored.callid = "reg-1@192.0.2.7";
    stored.cseq = 1;
    stored.flags = 0x4 | usrloc::kContactMemoryOnly;
    h.store("alice@example.com", stored);
    // A refresh without the flag makes it persistent again; bit 0x4 is not save()'s.
    h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>"}, "<sip:alice@example.com>",
                        "reg-1@192.0.2.7", 2));
    CPPUNIT_ASSERT_EQUAL(0x4u, h.bindings()[0].flags);
    h.options.memory_only = true;
    h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>"}, "<sip:alice@example.com>",
                        "reg-1@192.0.2.7", 3));
    CPPUNIT_ASSERT_EQUAL(0x4u | usrloc::kContactMemoryOnly, h.bindings()[0].flags);
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(SaveReplyTest);

}  // namespace sipline::registrar
