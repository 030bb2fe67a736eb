// Tests of parseNameAddr() and parseNameAddrList().
#include "core/parser/name_addr.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

namespace sipline {
namespace {
std::string s(std::string_view v) { return std::string(v); }
}  // namespace

class NameAddrParserTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(NameAddrParserTest);
  CPPUNIT_TEST(parsesQuotedDisplayName);
  CPPUNIT_TEST(quotedDisplayMayHoldAngleCommaAndEscapes);
  CPPUNIT_TEST(parsesTokenDisplayWithoutLws);
  CPPUNIT_TEST(bareAddrSpecParamsAreHeaderParams);
  CPPUNIT_TEST(bareAddrSpecWithLwsAroundParams);
  CPPUNIT_TEST(uriParamsInsideAngleStayUriParams);
  CPPUNIT_TEST(acceptsOtherSchemes);
  CPPUNIT_TEST(rejectsMalformed);
  CPPUNIT_TEST(parsesContactList);
  CPPUNIT_TEST(listRejectsEmptyAndUnbalanced);
  CPPUNIT_TEST_SUITE_END();

 public:
  void parsesQuotedDisplayName() {
    NameAddr na;
    CPPUNIT_ASSERT(parseNameAddr(" \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774 ",
                                 na) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("Alice"), s(na.display));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@atlanta.example.com"), s(na.uri_text));
    CPPUNIT_ASSERT(na.uri_ok);
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), s(na.uri.user));
    CPPUNIT_ASSERT_EQUAL(std::string("tag=1928301774"), s(na.params));
    CPPUNIT_ASSERT_EQUAL(std::string("1928301774"), s(na.tag));
    CPPUNIT_ASSERT_EQUAL(std::string("\"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774"),
                         s(na.text));
  }

  void quotedDisplayMayHoldAngleCommaAndEscapes() {
    NameAddr na;
    CPPUNIT_ASSERT(parseNameAddr("\"Bell, <Alexander> \\\"AG\\\"\" <sip:a@b.example>;tag=x", na) ==
                   ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("Bell, <Alexander> \\\"AG\\\""), s(na.display));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a@b.example"), s(na.uri_text));
    // RFC 4475 wsinv From: escaped backslash then escaped quote.
    CPPUNIT_ASSERT(
        parseNameAddr("\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n"
                      "  tag = 98asjd8",
                      na) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("J Rosenberg \\\\\\\""), s(na.display));
    CPPUNIT_ASSERT_EQUAL(std::string("98asjd8"), s(na.tag));
    CPPUNIT_ASSERT_EQUAL(std::string("tag = 98asjd8"), s(na.params));
  }

  void parsesTokenDisplayWithoutLws() {
    // RFC 4475 lwsdisp
    NameAddr na;
    CPPUNIT_ASSERT(parseNameAddr("caller<sip:caller@example.com>;tag=323", na) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("caller"), s(na.display));
    CPPUNIT_ASSERT_EQUAL(std::string("323"), s(na.tag));
    CPPUNIT_ASSERT(parseNameAddr("Mr  Watson <sip:w@example.com>", na) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("Mr  Watson"), s(na.display));
    CPPUNIT_ASSERT(na.tag.empty() && na.params.empty());
    CPPUNIT_ASSERT(parseNameAddr("<sip:w@example.com>", na) == ParseError::kOk);
    CPPUNIT_ASSERT(na.display.empty());
  }

  void bareAddrSpecParamsAreHeaderParams() {
    NameAddr na;
    CPPUNIT_ASSERT(parseNameAddr("sip:caller@example.net;tag=134161461246;lr", na) ==
                   ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:caller@example.net"), s(na.uri_text));
    CPPUNIT_ASSERT(na.uri.params.empty());
    CPPUNIT_ASSERT(!na.uri.lr);
    CPPUNIT_ASSERT_EQUAL(std::string("134161461246"), s(na.tag));
    CPPUNIT_ASSERT_EQUAL(std::string("tag=134161461246;lr"), s(na.params));
  }

  void bareAddrSpecWithLwsAroundParams() {
    // RFC 4475 wsinv To
    NameAddr na;
    CPPUNIT_ASSERT(parseNameAddr("\r\n sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n",
                                 na) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:vivekg@chair-dnrc.example.com"), s(na.uri_text));
    CPPUNIT_ASSERT_EQUAL(std::string("1918181833n"), s(na.tag));
  }

  void uriParamsInsideAngleStayUriParams() {
    NameAddr na;
    CPPUNIT_ASSERT(parseNameAddr("<sip:p1.example.com;lr;unknownwith=value>", na) ==
                   ParseError::kOk);
    CPPUNIT_ASSERT(na.uri.lr);
    CPPUNIT_ASSERT_EQUAL(std::string("lr;unknownwith=value"), s(na.uri.params));
    CPPUNIT_ASSERT(na.params.empty());
    // RFC 4475 cparam01 / wsinv Contact: header params with LWS and a q value.
    CPPUNIT_ASSERT(parseNameAddr("\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam ="
                                 "\r\n      newvalue ;\r\n  secondparam ; q = 0.33",
                                 na) == ParseError::kOk);
    CPPUNIT_ASSERT(na.uri.params.empty());
    CPPUNIT_ASSERT_EQUAL(std::string("newparam =\r\n      newvalue ;\r\n  secondparam ; q = 0.33"),
                         s(na.params));
  }

  void acceptsOtherSchemes() {
    // RFC 4475 unksm2
    NameAddr na;
    CPPUNIT_ASSERT(parseNameAddr("isbn:2983792873", na) == ParseError::kOk);
    CPPUNIT_ASSERT(!na.uri_ok);
    CPPUNIT_ASSERT_EQUAL(std::string("isbn:2983792873"), s(na.uri_text));
    CPPUNIT_ASSERT(parseNameAddr("<http://www.example.com>;tag=3234233", na) == ParseError::kOk);
    CPPUNIT_ASSERT(!na.uri_ok);
    CPPUNIT_ASSERT_EQUAL(std::string("3234233"), s(na.tag));
    CPPUNIT_ASSERT(parseNameAddr("<sip:bad host>", na) == ParseError::kBadUri);
  }

  void rejectsMalformed() {
    NameAddr na;
    // RFC 4475 quotbal, baddn, regbadct, badaspec, badinv01
    CPPUNIT_ASSERT(parseNameAddr("\"Mr. J. User <sip:j.user@example.com>", na) != ParseError::kOk);
    CPPUNIT_ASSERT(parseNameAddr("Bell, Alexander <sip:a.g.bell@example.com>;tag=43", na) !=
                   ParseError::kOk);
    CPPUNIT_ASSERT(parseNameAddr("sip:user@example.com?Route=%3Csip:sip.example.com%3E", na) !=
                   ParseError::kOk);
    CPPUNIT_ASSERT(parseNameAddr("\"Watson, Thomas\" < sip:t.watson@example.org >", na) !=
                   ParseError::kOk);
    CPPUNIT_ASSERT(parseNameAddr("\"Joe\" <sip:joe@example.org>;;;;", na) != ParseError::kOk);
    const char* bad[] = {"",
                         "  ",
                         "\"",
                         "\"x\\",
                         "<",
                         "<sip:a@b",
                         "\"d\" sip:a@b",
                         "<sip:a@b> x",
                         "<sip:a@b>;",
                         "<sip:a@b>;tag=",
                         "<sip:a@b>;tag=\"open",
                         "<>",
                         ";tag=1",
                         "sip:a@b,sip:c@d"};
    for (const char* b : bad) {
      CPPUNIT_ASSERT_MESSAGE(b, parseNameAddr(b, na) != ParseError::kOk);
    }
  }

  void parsesContactList() {
    std::vector<NameAddr> v;
    CPPUNIT_ASSERT(
        parseNameAddrList("\"A, B\" <sip:a@h1>;q=0.5, <sip:b@h2;lr>;expires=60 ,sip:c@h3;"
                          "x=\"1,2\"",
                          v) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, v.size());
    CPPUNIT_ASSERT_EQUAL(std::string("A, B"), s(v[0].display));
    CPPUNIT_ASSERT_EQUAL(std::string("q=0.5"), s(v[0].params));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:b@h2;lr"), s(v[1].uri_text));
    CPPUNIT_ASSERT_EQUAL(std::string("expires=60"), s(v[1].params));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:c@h3"), s(v[2].uri_text));
    CPPUNIT_ASSERT_EQUAL(std::string("x=\"1,2\""), s(v[2].params));
  }

  void listRejectsEmptyAndUnbalanced() {
    std::vector<NameAddr> v;
    CPPUNIT_ASSERT(parseNameAddrList("", v) != ParseError::kOk);
    CPPUNIT_ASSERT(parseNameAddrList("<sip:a@b>,", v) != ParseError::kOk);
    CPPUNIT_ASSERT(parseNameAddrList("<sip:a@b>,,<sip:c@d>", v) != ParseError::kOk);
    CPPUNIT_ASSERT(parseNameAddrList("<sip:a@b", v) != ParseError::kOk);
    CPPUNIT_ASSERT(parseNameAddrList("\"x <sip:a@b>", v) != ParseError::kOk);
    CPPUNIT_ASSERT(parseNameAddrList("\"x\\", v) != ParseError::kOk);
    CPPUNIT_ASSERT(parseNameAddrList("<<<<<<<<<>", v) != ParseError::kOk);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(NameAddrParserTest);

}  // namespace sipline
