// The RFC 4475 messages whose answer is sanity's: read as-is from test/corpora.
#include <cppunit/extensions/HelperMacros.h>

#include <fstream>
#include <sstream>
#include <string>

#include "core/parser/sip_message.h"
#include "modules/sanity/sanity.h"
#include "test/test_files.h"

namespace sipline {
namespace {

std::string corpusFile(const std::string& name) {
  std::string text = testing::readFile(testing::corpusPath("rfc4475/" + name));
  CPPUNIT_ASSERT_MESSAGE("cannot read test/corpora/rfc4475/" + name, !text.empty());
  return text;
}

SanityFailure checkFile(const std::string& name) {
  std::string text = corpusFile(name);
  SipMessage msg;
  CPPUNIT_ASSERT_MESSAGE(name + " must parse", msg.parse(text) == ParseError::kOk);
  // The default checks of the module.
  std::uint32_t checks =
      parseSanityChecks("ruri_scheme,max_forwards,proxy_require,expires,content_length").value();
  return checkRequest(msg, checks, {});
}

}  // namespace

class SanityCorpusTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SanityCorpusTest);
  CPPUNIT_TEST(unknownSchemeIs416);
  CPPUNIT_TEST(novelSchemeIs416);
  CPPUNIT_TEST(unknownProxyRequireIs420ListingIt);
  CPPUNIT_TEST(zeroMaxForwardsOptionsIsLeftToTheScript);
  CPPUNIT_TEST(rfc2543InviteWithoutFromTagPasses);
  CPPUNIT_TEST_SUITE_END();

 public:
  void unknownSchemeIs416() { CPPUNIT_ASSERT_EQUAL(416, checkFile("unkscm.dat").code); }
  void novelSchemeIs416() { CPPUNIT_ASSERT_EQUAL(416, checkFile("novelsc.dat").code); }
  void unknownProxyRequireIs420ListingIt() {
    SanityFailure f = checkFile("bext01.dat");
    CPPUNIT_ASSERT_EQUAL(420, f.code);
    CPPUNIT_ASSERT_EQUAL(
        std::string("Unsupported: noProxiesSupportThis, norDoAnyProxiesSupportThis\r\n"),
        f.extra_headers);
  }
  // RFC 3261 §16.3 step 3: a proxy may answer an OPTIONS with Max-Forwards 0 itself; the
  // default script's mf_process_maxfwd_header() then answers 483 (RFC 4475 zeromf).
  void zeroMaxForwardsOptionsIsLeftToTheScript() {
    CPPUNIT_ASSERT_EQUAL(0, checkFile("zeromf.dat").code);
  }
  void rfc2543InviteWithoutFromTagPasses() {
    CPPUNIT_ASSERT_EQUAL(0, checkFile("inv2543.dat").code);
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(SanityCorpusTest);

}  // namespace sipline
