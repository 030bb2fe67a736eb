#include "modules/tm/matching.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace sipline::tm {
namespace {

std::string request(const std::string& method, const std::string& via, const std::string& to_tag,
                    const std::string& cseq_method = "") {
  return method + " sip:bob@example.com SIP/2.0\r\n" + "Via: SIP/2.0/UDP " + via + "\r\n" +
         "From: <sip:alice@example.com>;tag=a1\r\n" + "To: <sip:bob@example.com>" +
         (to_tag.empty() ? "" : ";tag=" + to_tag) + "\r\nCall-ID: c1@h\r\n" + "CSeq: 7 " +
         (cseq_method.empty() ? method : cseq_method) + "\r\nContent-Length: 0\r\n\r\n";
}

ServerKey keyOf(const std::string& text) {
  SipMessage m;
  CPPUNIT_ASSERT(m.parse(text) == ParseError::kOk);
  ServerKey k;
  CPPUNIT_ASSERT(serverKey(m, k));
  return k;
}

}  // namespace

class MatchingTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(MatchingTest);
  CPPUNIT_TEST(rfc3261KeyIsBranchAndSentBy);
  CPPUNIT_TEST(ackAndCancelShareTheInviteKey);
  CPPUNIT_TEST(sentByHostIsCaseInsensitiveBranchIsNot);
  CPPUNIT_TEST(rfc2543AckMatchesWithoutToTag);
  CPPUNIT_TEST(rfc2543AckOfAReinviteMatchesIt);
  CPPUNIT_TEST(unknownMethodsAreToldApart);
  CPPUNIT_TEST(branchIdRoundTrips);
  CPPUNIT_TEST(foreignBranchesAreNotOurs);
  CPPUNIT_TEST_SUITE_END();

 public:
  void rfc3261KeyIsBranchAndSentBy() {
    ServerKey a = keyOf(request("INVITE", "h1:5060;branch=z9hG4bKabc", ""));
    ServerKey b = keyOf(request("INVITE", "h1:5062;branch=z9hG4bKabc", ""));
    ServerKey c = keyOf(request("INVITE", "h1;branch=z9hG4bKabc", ""));
    CPPUNIT_ASSERT(a.rfc3261);
    CPPUNIT_ASSERT(a.key != b.key);      // another sent-by: another client
    CPPUNIT_ASSERT_EQUAL(a.key, c.key);  // no port means 5060
  }

  void ackAndCancelShareTheInviteKey() {
    ServerKey inv = keyOf(request("INVITE", "h1;branch=z9hG4bKx", ""));
    ServerKey ack = keyOf(request("ACK", "h1;branch=z9hG4bKx", "t9"));
    ServerKey cancel = keyOf(request("CANCEL", "h1;branch=z9hG4bKx", ""));
    CPPUNIT_ASSERT_EQUAL(inv.key, ack.key);
    CPPUNIT_ASSERT_EQUAL(inv.key, cancel.key);
    CPPUNIT_ASSERT_EQUAL(inv.hash, cancel.hash);
  }

  void sentByHostIsCaseInsensitiveBranchIsNot() {
    CPPUNIT_ASSERT_EQUAL(keyOf(request("BYE", "Host.Example;branch=z9hG4bKq", "t")).key,
                         keyOf(request("BYE", "host.example;branch=z9hG4bKq", "t")).key);
    CPPUNIT_ASSERT(keyOf(request("BYE", "h;branch=z9hG4bKq", "t")).key !=
                   keyOf(request("BYE", "h;branch=z9hG4bKQ", "t")).key);
  }

  void rfc2543AckMatchesWithoutToTag() {
    ServerKey inv = keyOf(request("INVITE", "h1;branch=old1", ""));
    ServerKey ack = keyOf(request("ACK", "h1;branch=old1", "ourtag"));
    CPPUNIT_ASSERT(!inv.rfc3261);
    CPPUNIT_ASSERT_EQUAL(inv.key, ack.key);
    ServerKey bye = keyOf(request("BYE", "h1;branch=old1", "t2"));
    ServerKey bye_other = keyOf(request("BYE", "h1;branch=old1", "t3"));
    CPPUNIT_ASSERT(bye.key != bye_other.key);
  }

  void rfc2543AckOfAReinviteMatchesIt() {
    // The re-INVITE carries the dialog's To tag, and so does the reply and its ACK.
    ServerKey reinv = keyOf(request("INVITE", "h1;branch=old2", "dlg"));
    ServerKey ack = keyOf(request("ACK", "h1;branch=old2", "dlg"));
    ServerKey cancel = keyOf(request("CANCEL", "h1;branch=old2", "dlg"));
    CPPUNIT_ASSERT(!reinv.rfc3261);
    CPPUNIT_ASSERT_EQUAL(reinv.key, ack.key);
    CPPUNIT_ASSERT_EQUAL(reinv.key, cancel.key);
  }

  void unknownMethodsAreToldApart() {
    CPPUNIT_ASSERT(keyOf(request("FOO", "h;branch=z9hG4bKm", "t")).key !=
                   keyOf(request("BAR", "h;branch=z9hG4bKm", "t")).key);
  }

  void branchIdRoundTrips() {
    BranchId id{0xdeadbeef, 17, 0xabc, 11};
    std::string text = formatBranchId(id);
    CPPUNIT_ASSERT_EQUAL(std::string("z9hG4bK"), text.substr(0, 7));
    BranchId back;
    CPPUNIT_ASSERT(parseBranchId(text, back));
    CPPUNIT_ASSERT_EQUAL(id.nonce, back.nonce);
    CPPUNIT_ASSERT_EQUAL(id.bucket, back.bucket);
    CPPUNIT_ASSERT_EQUAL(id.label, back.label);
    CPPUNIT_ASSERT_EQUAL(id.index, back.index);
  }

  void foreignBranchesAreNotOurs() {
    BranchId out;
    for (const char* b :
         {"", "z9hG4bK", "z9hG4bKabc", "z9hG4bKT1.2.3", "z9hG4bKT1.2.3.x", "z9hG4bKT1.2.3.4.5",
          "z9hG4bKT123456789.1.1.1", "z9hG4bKT1.2.3.40", "z9hG4bKT..."}) {
      CPPUNIT_ASSERT_MESSAGE(b, !parseBranchId(b, out));
    }
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MatchingTest);

}  // namespace sipline::tm
