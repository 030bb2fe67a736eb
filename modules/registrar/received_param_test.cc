// The registrar side of nathelper: save() keeps a Contact's received param (add_rcv_param()
// at a proxy in front) and, for fix_nated_register(), the source address whatever
// store_received says (RequestSource::force_received).
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "modules/registrar/register_request.h"
#include "modules/registrar/registrar_test_util.h"

namespace sipline::registrar {
namespace {

struct Parsed {
  bool ok = false;
  RegisterRequest req;
  SaveReply reply;
};

Parsed parse(const std::string& text, const RequestSource& source, ReceivedMode mode) {
  SipMessage msg;
  CPPUNIT_ASSERT(msg.parse(text) == ParseError::kOk);
  SaveLimits limits;
  limits.received_mode = mode;
  Parsed p;
  p.ok = parseRegister(msg, source, std::nullopt, limits, p.req, p.reply);
  return p;
}

RequestSource sourceAt(const std::string& ip, std::uint16_t port, Proto proto = Proto::kUdp) {
  RequestSource s;
  CPPUNIT_ASSERT(SockAddr::fromNumeric(ip, port, s.src));
  s.proto = proto;
  return s;
}

}  // namespace

class RegistrarReceivedTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(RegistrarReceivedTest);
  CPPUNIT_TEST(contactReceivedParamIsKept);
  CPPUNIT_TEST(contactReceivedParamMustBeASipUri);
  CPPUNIT_TEST(contactReceivedParamReachesLookup);
  CPPUNIT_TEST(forceReceivedIgnoresReceivedMode);
  CPPUNIT_TEST(withoutForceReceivedModeDecides);
  CPPUNIT_TEST_SUITE_END();

 public:
  void contactReceivedParamIsKept() {
    std::string text = testing::registerText(
        {"Contact: <sip:alice@192.168.1.20:5062>;received=\"sip:203.0.113.5:40001\", "
         "<sip:alice@192.168.1.20:5063>;received=\"sip:203.0.113.5:40002;transport=tcp\""});
    // From the edge proxy, with store_received off: the param still wins.
    Parsed p = parse(text, sourceAt("198.51.100.1", 5060), ReceivedMode::kOff);
    CPPUNIT_ASSERT(p.ok);
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), p.req.bindings.size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:203.0.113.5:40001"), p.req.bindings[0].received);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:203.0.113.5:40002;transport=tcp"),
                         p.req.bindings[1].received);
    // The binding is the Contact URI, without the param.
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@192.168.1.20:5062"), p.req.bindings[0].uri);
    // Escaped (add_rcv_param(1) style values unescaped once) and unquoted forms.
    Parsed e = parse(testing::registerText({"Contact: <sip:alice@192.168.1.20>;received=sip:"
                                            "203.0.113.5:40001%3Btransport%3Dtls"}),
                     sourceAt("198.51.100.1", 5060), ReceivedMode::kDiffIp);
    CPPUNIT_ASSERT(e.ok);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:203.0.113.5:40001;transport=tls"),
                         e.req.bindings[0].received);
  }

  void contactReceivedParamMustBeASipUri() {
    // Not a SIP URI, or an escaped CRLF: ignored, the usual source comparison decides.
    for (const char* param : {"received=\"http://evil\"", "received=\"tel:+123\"",
                              "received=\"sip:a%0D%0AX: y@h\"", "received", "received=\"\""}) {
      Parsed p =
          parse(testing::registerText({std::string("Contact: <sip:alice@192.168.1.20>;") + param}),
                sourceAt("203.0.113.5", 40001), ReceivedMode::kDiffIp);
      CPPUNIT_ASSERT_MESSAGE(param, p.ok);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(param, std::string("sip:203.0.113.5:40001"),
                                   p.req.bindings[0].received);
      Parsed off =
          parse(testing::registerText({std::string("Contact: <sip:alice@192.168.1.20>;") + param}),
                sourceAt("203.0.113.5", 40001), ReceivedMode::kOff);
      CPPUNIT_ASSERT_MESSAGE(param, off.req.bindings[0].received.empty());
    }
  }

  void contactReceivedParamReachesLookup() {
    testing::RegistrarHarness h;
    h.options.limits.received_mode = ReceivedMode::kOff;
    SaveReply r = h.save(testing::registerText(
        {"Contact: <sip:alice@192.168.1.20:5062>;received=\"sip:203.0.113.5:40001\""}));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    std::vector<usrloc::Contact> b = h.bindings();
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), b.size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:203.0.113.5:40001"), std::string(b[0].received));
    CPPUNIT_ASSERT_EQUAL(int(kLookupFound), h.lookup());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@192.168.1.20:5062"), std::string(h.ctx().ruri()));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:203.0.113.5:40001"), h.ctx().dst_uri);
  }

  void forceReceivedIgnoresReceivedMode() {
    std::string text =
        testing::registerText({"Contact: <sip:alice@192.168.1.20:5062>, <sip:alice@203.0.113.5>"});
    RequestSource src = sourceAt("203.0.113.5", 40001);
    src.force_received = true;
    for (ReceivedMode mode :
         {ReceivedMode::kOff, ReceivedMode::kDiffIp, ReceivedMode::kDiffIpPort}) {
      Parsed p = parse(text, src, mode);
      CPPUNIT_ASSERT(p.ok);
      CPPUNIT_ASSERT_EQUAL(std::size_t(2), p.req.bindings.size());
      // Every Contact, even the one naming the source IP.
      for (const RequestedBinding& b : p.req.bindings) {
        CPPUNIT_ASSERT_EQUAL(std::string("sip:203.0.113.5:40001"), b.received);
      }
    }
    RequestSource v6 = sourceAt("2001:db8::5", 5062, Proto::kTcp);
    v6.force_received = true;
    Parsed p = parse(testing::registerText({"Contact: <sip:alice@[fd00::1]:5062;transport=tcp>"}),
                     v6, ReceivedMode::kOff);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:[2001:db8::5]:5062;transport=tcp"),
                         p.req.bindings[0].received);
  }

  void withoutForceReceivedModeDecides() {
    std::string text = testing::registerText({"Contact: <sip:alice@192.168.1.20:5062>"});
    Parsed off = parse(text, sourceAt("203.0.113.5", 40001), ReceivedMode::kOff);
    CPPUNIT_ASSERT(off.req.bindings[0].received.empty());
    Parsed diff = parse(text, sourceAt("203.0.113.5", 40001), ReceivedMode::kDiffIp);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:203.0.113.5:40001"), diff.req.bindings[0].received);
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(RegistrarReceivedTest);

}  // namespace sipline::registrar
