#include "modules/tm/serial.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace sipline::tm {
namespace {

const char kInvite[] =
    "INVITE sip:bob@b.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
    "From: <sip:a@a>;tag=1\r\nTo: <sip:bob@b.example>\r\nCall-ID: s1\r\nCSeq: 1 INVITE\r\n"
    "Content-Length: 0\r\n\r\n";

Branch branch(const std::string& uri, int q) {
  Branch b;
  b.uri = uri;
  b.q = q;
  return b;
}

}  // namespace

class SerialForkingTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SerialForkingTest);
  CPPUNIT_TEST(groupsComeHighestQFirstParallelWithin);
  CPPUNIT_TEST(equalQIsLeftForParallelForking);
  CPPUNIT_TEST(nothingLoadedMeansNoNext);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override { CPPUNIT_ASSERT(msg_.parse(kInvite) == ParseError::kOk); }

  void groupsComeHighestQFirstParallelWithin() {
    ReceiveInfo rcv;
    MsgContext ctx(msg_, rcv, kRequestRoute);
    ctx.ruri_q = 500;
    CPPUNIT_ASSERT(ctx.appendBranch(branch("sip:desk@10.0.0.1", 1000)).isOk());
    CPPUNIT_ASSERT(ctx.appendBranch(branch("sip:mobile@10.0.0.2", 100)).isOk());
    CPPUNIT_ASSERT(ctx.appendBranch(branch("sip:laptop@10.0.0.3", 1000)).isOk());
    CPPUNIT_ASSERT_EQUAL(4, loadContacts(ctx));
    CPPUNIT_ASSERT(ctx.branches.empty());

    CPPUNIT_ASSERT(nextContacts(ctx));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:desk@10.0.0.1"), std::string(ctx.ruri()));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, ctx.branches.size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:laptop@10.0.0.3"), ctx.branches[0].uri);

    CPPUNIT_ASSERT(nextContacts(ctx));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:bob@b.example"), std::string(ctx.ruri()));
    CPPUNIT_ASSERT(ctx.branches.empty());

    CPPUNIT_ASSERT(nextContacts(ctx));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:mobile@10.0.0.2"), std::string(ctx.ruri()));
    CPPUNIT_ASSERT(!nextContacts(ctx));
  }

  void equalQIsLeftForParallelForking() {
    ReceiveInfo rcv;
    MsgContext ctx(msg_, rcv, kRequestRoute);
    CPPUNIT_ASSERT(ctx.appendBranch(branch("sip:x@10.0.0.1", -1)).isOk());
    CPPUNIT_ASSERT(ctx.appendBranch(branch("sip:y@10.0.0.1", 1000)).isOk());
    CPPUNIT_ASSERT_EQUAL(0, loadContacts(ctx));
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, ctx.branches.size());
  }

  void nothingLoadedMeansNoNext() {
    ReceiveInfo rcv;
    MsgContext ctx(msg_, rcv, kRequestRoute);
    CPPUNIT_ASSERT(!nextContacts(ctx));
    ctx.avps.push(kContactsAvp, script::Value::owned("garbage"));
    CPPUNIT_ASSERT(!nextContacts(ctx));
    CPPUNIT_ASSERT_EQUAL(0, ctx.avps.count(kContactsAvp));
  }

 private:
  SipMessage msg_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(SerialForkingTest);

}  // namespace sipline::tm
