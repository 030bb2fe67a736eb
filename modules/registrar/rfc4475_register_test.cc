// The REGISTER torture messages of RFC 4475, read as-is from test/corpora/rfc4475, through
// save() and then lookup(), with what RFC 4475 §3 says a registrar must do with each:
//  unksm2   (§3.3.4)   To is not a SIP/SIPS URI: 400.
//  cparam01 (§3.3.12)  ;unknownparam is a contact-param: the binding and the 200 have no such
//                      URI parameter.
//  cparam02 (§3.3.13)  ;unknownparam is a URI parameter: kept in the binding and the 200.
//  regescrt (§3.3.14)  the Contact URI's escaped Route header stays in the binding and the 200.
//  escnull  (§3.1.1.4) %00 in the user part: the AOR is not cut at the NUL; two bindings.
//  regbadct (§3.1.2.13) a bare Contact URI with a header part: 400 (the parser refuses it).
#include <cppunit/extensions/HelperMacros.h>

#include "core/sip/reply.h"
#include "modules/registrar/registrar_test_util.h"
#include "test/test_files.h"

namespace sipline::registrar {

using testing::contains;
using testing::RegistrarHarness;

namespace {

std::string corpus(const std::string& name) {
  std::string text =
      sipline::testing::readFile(sipline::testing::corpusPath("rfc4475/" + name + ".dat"));
  CPPUNIT_ASSERT_MESSAGE("cannot read " + name, !text.empty());
  return text;
}

// The 200's Contact values as the UA would read them.
std::vector<std::string> replyContacts(RegistrarHarness& h, const SaveReply& r) {
  std::string text = buildReply(h.msg(), h.ctx().rcv().src, r.code, r.reason, "", r.headers);
  SipMessage reply;
  CPPUNIT_ASSERT(reply.parse(text) == ParseError::kOk);
  std::vector<std::string> uris;
  if (const ContactList* list = reply.contacts(); list != nullptr) {
    for (const Contact& c : list->items) uris.emplace_back(c.addr.uri_text);
  }
  return uris;
}

}  // namespace

class Rfc4475RegisterTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(Rfc4475RegisterTest);
  CPPUNIT_TEST(unksm2IsRefusedWith400);
  CPPUNIT_TEST(cparam01KeepsTheContactParamOutOfTheUri);
  CPPUNIT_TEST(cparam02KeepsTheUriParam);
  CPPUNIT_TEST(regescrtKeepsTheEscapedHeader);
  CPPUNIT_TEST(cparam02AfterCparam01ShowsTheUriParam);
  CPPUNIT_TEST(escnullRegistersTwoBindingsUnderTheWholeAor);
  CPPUNIT_TEST(regbadctIsRefusedWith400);
  CPPUNIT_TEST_SUITE_END();

 public:
  void unksm2IsRefusedWith400() {
    RegistrarHarness h;
    SaveReply r = h.save(corpus("unksm2"));
    CPPUNIT_ASSERT_EQUAL(400, r.code);
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(kSaveBadRequest), r.rc);
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, h.ul.aorCount());
  }

  void cparam01KeepsTheContactParamOutOfTheUri() {
    RegistrarHarness h;
    SaveReply r = h.save(corpus("cparam01"));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    std::vector<usrloc::Contact> b = h.bindings("watson@example.com");
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, b.size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:+19725552222@gw1.example.net"), b[0].uri);
    std::vector<std::string> listed = replyContacts(h, r);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, listed.size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:+19725552222@gw1.example.net"), listed[0]);
    // A later fetch (a query) does not show it either.
    r = h.save(testing::registerText({}, "sip:watson@example.com", "fetch@x"));
    CPPUNIT_ASSERT(!contains(r.headers, "unknownparam"));
    CPPUNIT_ASSERT_EQUAL(1, h.lookup(testing::inviteText("sip:watson@example.com")));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:+19725552222@gw1.example.net"),
                         std::string(h.ctx().ruri()));
  }

  void cparam02KeepsTheUriParam() {
    RegistrarHarness h;
    SaveReply r = h.save(corpus("cparam02"));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    std::vector<std::string> listed = replyContacts(h, r);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, listed.size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:+19725552222@gw1.example.net;unknownparam"), listed[0]);
    r = h.save(testing::registerText({}, "sip:watson@example.com", "fetch@x"));
    CPPUNIT_ASSERT(contains(r.headers, "<sip:+19725552222@gw1.example.net;unknownparam>"));
    CPPUNIT_ASSERT_EQUAL(1, h.lookup(testing::inviteText("sip:watson@example.com")));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:+19725552222@gw1.example.net;unknownparam"),
                         std::string(h.ctx().ruri()));
  }

  void cparam02AfterCparam01ShowsTheUriParam() {
    // Both register watson; RFC 3261 §19.1.4 calls the two URIs equal (a parameter in one
    // only does not count), so it is one binding, and after cparam02 it must show the
    // parameter.
    RegistrarHarness h;
    CPPUNIT_ASSERT_EQUAL(200, h.save(corpus("cparam01")).code);
    SaveReply r = h.save(corpus("cparam02"));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    std::vector<std::string> listed = replyContacts(h, r);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, listed.size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:+19725552222@gw1.example.net;unknownparam"), listed[0]);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, h.bindings("watson@example.com").size());
  }

  void regescrtKeepsTheEscapedHeader() {
    RegistrarHarness h;
    SaveReply r = h.save(corpus("regescrt"));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    const std::string uri = "sip:user@example.com?Route=%3Csip:sip.example.com%3E";
    CPPUNIT_ASSERT_EQUAL(uri, h.bindings("user@example.com")[0].uri);
    std::vector<std::string> listed = replyContacts(h, r);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, listed.size());
    CPPUNIT_ASSERT_EQUAL(uri, listed[0]);
    // As a request-URI the header part cannot stay (RFC 3261 §19.1.1).
    CPPUNIT_ASSERT_EQUAL(1, h.lookup(testing::inviteText("sip:user@example.com")));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:user@example.com"), std::string(h.ctx().ruri()));
  }

  void escnullRegistersTwoBindingsUnderTheWholeAor() {
    RegistrarHarness h;
    SaveReply r = h.save(corpus("escnull"));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    CPPUNIT_ASSERT(h.ul.hasAor("null-%00-null@example.com"));
    CPPUNIT_ASSERT(!h.ul.hasAor("null-"));
    std::vector<usrloc::Contact> b = h.bindings("null-%00-null@example.com");
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, b.size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:%00@host5.example.com"), b[0].uri);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:%00%00@host5.example.com"), b[1].uri);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, replyContacts(h, r).size());
    // A request for the same user, escaped differently, finds them.
    CPPUNIT_ASSERT_EQUAL(1, h.lookup(testing::inviteText("sip:null-%00-%6eull@example.com")));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, h.ctx().branches.size());
    // A user cut at the NUL does not.
    CPPUNIT_ASSERT_EQUAL(-1, h.lookup(testing::inviteText("sip:null-@example.com")));
  }

  void regbadctIsRefusedWith400() {
    RegistrarHarness h;
    SaveReply r = h.save(corpus("regbadct"));
    CPPUNIT_ASSERT_EQUAL(400, r.code);
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, h.ul.aorCount());
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(Rfc4475RegisterTest);

}  // namespace sipline::registrar
