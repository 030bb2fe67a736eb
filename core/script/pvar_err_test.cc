#include <cppunit/extensions/HelperMacros.h>

#include "core/script/format.h"
#include "core/script/pvar.h"
#include "core/sip/msg_context.h"

namespace sipline::script {
namespace {
const char kMsg[] =
    "OPTIONS sip:a@b SIP/2.0\r\n"
    "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
    "From: <sip:x@y>;tag=1\r\n"
    "To: <sip:a@b>\r\n"
    "Call-ID: c@h\r\n"
    "CSeq: 1 OPTIONS\r\n"
    "Content-Length: 0\r\n\r\n";
}  // namespace

class PvarErrTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(PvarErrTest);
  CPPUNIT_TEST(dottedNamesResolveOnlyInTheirFamily);
  CPPUNIT_TEST(valuesComeFromTheContextAndAreNullOutsideErrorRoute);
  CPPUNIT_TEST(formatsTakeTheDottedNameButLeaveOtherDotsAsText);
  CPPUNIT_TEST_SUITE_END();

 public:
  void dottedNamesResolveOnlyInTheirFamily() {
    CPPUNIT_ASSERT(resolvePvar("err.class").isOk());
    CPPUNIT_ASSERT(resolvePvar("err.rreason").isOk());
    Result<PvarRef> bad = resolvePvar("err.klass");
    CPPUNIT_ASSERT(!bad.isOk());
    CPPUNIT_ASSERT_MESSAGE(bad.status().message(),
                           bad.status().message().find("err.class") != std::string::npos);
    CPPUNIT_ASSERT(!resolvePvar("si.x").isOk());
  }

  void valuesComeFromTheContextAndAreNullOutsideErrorRoute() {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(kMsg) == ParseError::kOk);
    ReceiveInfo rcv;
    MsgContext ctx(msg, rcv, kErrorRoute);
    PvarRef info = resolvePvar("err.info").value();
    PvarRef rcode = resolvePvar("err.rcode").value();
    CPPUNIT_ASSERT(info.get(ctx).isNull());
    ctx.error.cls = 1;
    ctx.error.info = "Missing Call-ID";
    ctx.error.rcode = 400;
    CPPUNIT_ASSERT_EQUAL(std::string("Missing Call-ID"), info.get(ctx).toString());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{400}, rcode.get(ctx).i());
  }

  void formatsTakeTheDottedNameButLeaveOtherDotsAsText() {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(kMsg) == ParseError::kOk);
    ReceiveInfo rcv;
    MsgContext ctx(msg, rcv, kErrorRoute);
    ctx.error.cls = 1;
    ctx.error.rcode = 400;
    Result<FormatPtr> f = Format::compile("code $err.rcode for $rm.");
    CPPUNIT_ASSERT_MESSAGE(f.isOk() ? "" : f.status().message(), f.isOk());
    std::string out;
    CPPUNIT_ASSERT_EQUAL(std::string("code 400 for OPTIONS."),
                         std::string(f.value()->eval(ctx, out)));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PvarErrTest);

}  // namespace sipline::script
