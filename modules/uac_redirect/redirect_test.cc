#include "modules/uac_redirect/redirect.h"

#include <cppunit/extensions/HelperMacros.h>

namespace sipline::uac_redirect {
namespace {

std::string reply(int code, const std::string& contacts) {
  return "SIP/2.0 " + std::to_string(code) +
         " X\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=1\r\n"
         "To: <sip:b@x>;tag=2\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n" +
         contacts + "Content-Length: 0\r\n\r\n";
}

std::vector<std::string> uris(const std::vector<Target>& ts) {
  std::vector<std::string> out;
  for (const Target& t : ts) out.push_back(t.uri);
  return out;
}

using Uris = std::vector<std::string>;

}  // namespace

class RedirectTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(RedirectTest);
  CPPUNIT_TEST(contactsOfEvery3xxByQ);
  CPPUNIT_TEST(limitsInAllAndPerReply);
  CPPUNIT_TEST(acceptBeatsDenyAndDefaultDecides);
  CPPUNIT_TEST(unusableRepliesAndContactsAreSkipped);
  CPPUNIT_TEST(expiredContactsAreSkipped);
  CPPUNIT_TEST(malformedContactSkipsOnlyItself);
  CPPUNIT_TEST(limitSyntax);
  CPPUNIT_TEST_SUITE_END();

 public:
  void contactsOfEvery3xxByQ() {
    std::string r1 = reply(302, "Contact: <sip:a@h1>;q=0.2, <sip:b@h1>\r\n");
    std::string r2 = reply(301, "Contact: <sip:c@h2>;q=0.5\r\nContact: sip:b@h1\r\n");
    std::string r3 = reply(486, "Contact: <sip:busy@h3>\r\n");
    GatherStats st;
    std::vector<Target> t = gather({{302, r1}, {486, r3}, {301, r2}}, Filters{}, Limits{}, &st);
    // b has no q (1.0) and comes once; 486 is no redirect.
    CPPUNIT_ASSERT(uris(t) == (Uris{"sip:b@h1", "sip:c@h2", "sip:a@h1"}));
    CPPUNIT_ASSERT(!t[0].has_q);
    CPPUNIT_ASSERT_EQUAL(500, t[1].q);
    CPPUNIT_ASSERT_EQUAL(2, st.replies);
  }

  void limitsInAllAndPerReply() {
    std::string r1 = reply(302, "Contact: <sip:a@h>;q=0.2, <sip:b@h>;q=0.9, <sip:c@h>;q=0.5\r\n");
    std::string r2 = reply(302, "Contact: <sip:d@h>;q=0.7, <sip:e@h>;q=0.1\r\n");
    CPPUNIT_ASSERT(uris(gather({{302, r1}, {302, r2}}, Filters{}, Limits{2, 0})) ==
                   (Uris{"sip:b@h", "sip:d@h"}));
    CPPUNIT_ASSERT(uris(gather({{302, r1}, {302, r2}}, Filters{}, Limits{0, 1})) ==
                   (Uris{"sip:b@h", "sip:d@h"}));
    CPPUNIT_ASSERT(uris(gather({{302, r1}, {302, r2}}, Filters{}, Limits{3, 2})) ==
                   (Uris{"sip:b@h", "sip:d@h", "sip:c@h"}));
  }

  void acceptBeatsDenyAndDefaultDecides() {
    std::string r = reply(302, "Contact: <sip:gw1@pstn>, <sip:gw2@pstn>, <sip:x@other>\r\n");
    Filters f;
    f.deny.push_back(compileFilter("@pstn").value());
    f.accept.push_back(compileFilter("^sip:GW2@").value());  // case-insensitive
    GatherStats st;
    CPPUNIT_ASSERT(uris(gather({{302, r}}, f, Limits{}, &st)) ==
                   (Uris{"sip:gw2@pstn", "sip:x@other"}));
    CPPUNIT_ASSERT_EQUAL(1, st.filtered);
    f.default_accept = false;
    CPPUNIT_ASSERT(uris(gather({{302, r}}, f, Limits{})) == (Uris{"sip:gw2@pstn"}));
  }

  void unusableRepliesAndContactsAreSkipped() {
    std::string bad = reply(302, "Contact: <sip:a@h>;q=7\r\n");
    std::string none = reply(302, "");
    std::string tel = reply(302, "Contact: <tel:+4930123>, <mailto:x@y>, <sip:ok@h>\r\n");
    GatherStats st;
    std::vector<Target> t =
        gather({{302, bad}, {302, none}, {302, tel}, {302, "garbage"}}, Filters{}, Limits{}, &st);
    CPPUNIT_ASSERT(uris(t) == (Uris{"sip:ok@h"}));
    CPPUNIT_ASSERT_EQUAL(3, st.unparsable);
    CPPUNIT_ASSERT_EQUAL(2, st.filtered);
  }

  void expiredContactsAreSkipped() {
    std::string r = reply(302,
                          "Contact: <sip:gone@h>;expires=0, <sip:later@h>;expires=60;q=0.5\r\n"
                          "Contact: <sip:plain@h>, <sip:bad@h>;expires=x\r\n");
    GatherStats st;
    std::vector<Target> t = gather({{302, r}}, Filters{}, Limits{}, &st);
    // A malformed expires is not "0": that Contact stays.
    CPPUNIT_ASSERT(uris(t) == (Uris{"sip:plain@h", "sip:bad@h", "sip:later@h"}));
    CPPUNIT_ASSERT_EQUAL(1, st.filtered);
    // Expires: 0 stands for the Contacts without an expires parameter.
    r = reply(302,
              "Expires: 0\r\nContact: <sip:gone@h>, <sip:kept@h>;expires=30, "
              "<sip:odd@h>;expires=x\r\n");
    st = GatherStats{};
    t = gather({{302, r}}, Filters{}, Limits{}, &st);
    // A malformed parameter is a parameter: the header does not stand in for it.
    CPPUNIT_ASSERT(uris(t) == (Uris{"sip:kept@h", "sip:odd@h"}));
    CPPUNIT_ASSERT_EQUAL(1, st.filtered);
  }

  void malformedContactSkipsOnlyItself() {
    // One Contact with a q of four decimals (RFC 3261 allows three) or a bad URI costs only
    // that Contact, not the good ones of the same reply.
    std::string r = reply(302,
                          "Contact: <sip:a@h>;q=0.5, <sip:b@h>;q=0.1234\r\n"
                          "Contact: <sip:c@h>;q=0.9, <sip:@>\r\nContact: <sip:d@h>;q=0.1\r\n");
    GatherStats st;
    std::vector<Target> t = gather({{302, r}}, Filters{}, Limits{}, &st);
    CPPUNIT_ASSERT(uris(t) == (Uris{"sip:c@h", "sip:a@h", "sip:d@h"}));
    CPPUNIT_ASSERT_EQUAL(1, st.unparsable);  // the reply, once
    CPPUNIT_ASSERT_EQUAL(1, st.replies);
  }

  void limitSyntax() {
    CPPUNIT_ASSERT_EQUAL(3u, parseLimits("3").value().total);
    Limits l = parseLimits("4:2").value();
    CPPUNIT_ASSERT(l.total == 4 && l.per_reply == 2);
    CPPUNIT_ASSERT_EQUAL(0u, parseLimits("0").value().total);
    for (const char* bad : {"", "-1", "x", "3:", ":2", "1:2:3", "1001"}) {
      CPPUNIT_ASSERT_MESSAGE(bad, !parseLimits(bad).isOk());
    }
    CPPUNIT_ASSERT(!compileFilter("(").isOk());
    CPPUNIT_ASSERT(!compileFilter("").isOk());
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(RedirectTest);

}  // namespace sipline::uac_redirect
