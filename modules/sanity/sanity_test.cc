#include "modules/sanity/sanity.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "core/parser/sip_message.h"

namespace sipline {
namespace {

std::string request(const std::string& ruri, const std::string& extra,
                    const std::string& from_tag = ";tag=ft", const std::string& body = "") {
  return "INVITE " + ruri +
         " SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
         "Max-Forwards: 70\r\n"
         "From: <sip:a@example.com>" +
         from_tag +
         "\r\n"
         "To: <sip:b@example.com>\r\n"
         "Call-ID: c1\r\n"
         "CSeq: 1 INVITE\r\n" +
         extra + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

SanityFailure check(const std::string& text, std::uint32_t checks = kCheckAll,
                    std::vector<std::string> supported = {}) {
  SipMessage msg;  // the failure owns its strings, so msg may go
  CPPUNIT_ASSERT_MESSAGE(text, msg.parse(text) == ParseError::kOk);
  return checkRequest(msg, checks, supported);
}

}  // namespace

class SanityTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SanityTest);
  CPPUNIT_TEST(wellFormedRequestPasses);
  CPPUNIT_TEST(unknownUriSchemeIs416);
  CPPUNIT_TEST(maxForwardsZeroIs483);
  CPPUNIT_TEST(unsupportedProxyRequireIs420WithUnsupportedHeader);
  CPPUNIT_TEST(supportedProxyRequirePasses);
  CPPUNIT_TEST(missingFromTagIs400);
  CPPUNIT_TEST(overlargeExpiresIs400);
  CPPUNIT_TEST(onlyTheSelectedChecksRun);
  CPPUNIT_TEST(checkNamesAreParsedWithHints);
  CPPUNIT_TEST_SUITE_END();

 public:
  void wellFormedRequestPasses() {
    CPPUNIT_ASSERT_EQUAL(0, check(request("sip:b@example.com", "")).code);
    CPPUNIT_ASSERT_EQUAL(0, check(request("tel:+15555550100", "")).code);
  }
  void unknownUriSchemeIs416() {
    SanityFailure f = check(request("unknownscheme:unknownresource", ""));  // RFC 4475 unkscm
    CPPUNIT_ASSERT_EQUAL(416, f.code);
    CPPUNIT_ASSERT_EQUAL(std::uint32_t(kCheckRuriScheme), f.check);
  }
  void maxForwardsZeroIs483() {
    std::string text = request("sip:b@example.com", "");
    text.replace(text.find("Max-Forwards: 70"), 16, "Max-Forwards: 0");
    CPPUNIT_ASSERT_EQUAL(483, check(text).code);
  }
  void unsupportedProxyRequireIs420WithUnsupportedHeader() {
    SanityFailure f =
        check(request("sip:b@example.com",
                      "Proxy-Require: noodles, path\r\nProxy-Require: nothingtodo\r\n"),
              kCheckAll, {"path"});
    CPPUNIT_ASSERT_EQUAL(420, f.code);
    CPPUNIT_ASSERT_EQUAL(std::string("Unsupported: noodles, nothingtodo\r\n"), f.extra_headers);
  }
  void supportedProxyRequirePasses() {
    CPPUNIT_ASSERT_EQUAL(0, check(request("sip:b@example.com", "Proxy-Require: path\r\n"),
                                  kCheckAll, {"path", "outbound"})
                                .code);
  }
  void missingFromTagIs400() {
    SanityFailure f = check(request("sip:b@example.com", "", ""));
    CPPUNIT_ASSERT_EQUAL(400, f.code);
    CPPUNIT_ASSERT_EQUAL(std::string("Missing From Tag"), f.reason);
  }
  void overlargeExpiresIs400() {
    SanityFailure f = check(request("sip:b@example.com", "Expires: 4294967296\r\n"));
    CPPUNIT_ASSERT_EQUAL(400, f.code);
    CPPUNIT_ASSERT_EQUAL(std::string("Bad Expires"), f.reason);
  }
  void onlyTheSelectedChecksRun() {
    std::string text = request("unknownscheme:x", "", "");
    CPPUNIT_ASSERT_EQUAL(0, check(text, kCheckExpires | kCheckMaxForwards).code);
    CPPUNIT_ASSERT_EQUAL(400, check(text, kCheckFromTag).code);
  }
  void checkNamesAreParsedWithHints() {
    Result<std::uint32_t> ok = parseSanityChecks("ruri_scheme, from_tag|expires");
    CPPUNIT_ASSERT(ok.isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint32_t(kCheckRuriScheme | kCheckFromTag | kCheckExpires),
                         ok.value());
    Result<std::uint32_t> bad = parseSanityChecks("ruri_shceme");
    CPPUNIT_ASSERT(!bad.isOk());
    CPPUNIT_ASSERT(bad.status().message().find("did you mean 'ruri_scheme'") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(std::uint32_t(kCheckAll), parseSanityChecks("all").value());
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(SanityTest);

}  // namespace sipline
