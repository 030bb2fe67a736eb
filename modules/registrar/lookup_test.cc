// lookup(), registered(), is_registered() against a fake usrloc: ordering by q and recency,
// branches, $du from received or Path (and the Path as Route), method and User-Agent
// filtering, socket and branch flags, and every return code.
#include "modules/registrar/lookup.h"

#include <cppunit/extensions/HelperMacros.h>

#include "modules/registrar/registrar_test_util.h"

namespace sipline::registrar {

using testing::contains;
using testing::inviteText;
using testing::RegistrarHarness;

namespace {

usrloc::Contact binding(const std::string& uri, int q = -1, std::int64_t last_modified = 0) {
  usrloc::Contact c;
  c.uri = uri;
  c.q = q;
  c.last_modified = last_modified;
  c.callid = "c-" + uri;
  c.cseq = 1;
  return c;
}

}  // namespace

class LookupTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(LookupTest);
  CPPUNIT_TEST(unknownAorIsNotFound);
  CPPUNIT_TEST(theOnlyBindingBecomesTheRequestUri);
  CPPUNIT_TEST(highestQFirstOthersAsBranchesByQ);
  CPPUNIT_TEST(equalQMostRecentFirst);
  CPPUNIT_TEST(noQRanksAsOne);
  CPPUNIT_TEST(receivedBecomesTheDestination);
  CPPUNIT_TEST(pathBecomesRouteAndItsFirstHopTheDestination);
  CPPUNIT_TEST(branchesCarryTheirOwnPathAndReceived);
  CPPUNIT_TEST(everyBranchKeepsItsOwnPath);
  CPPUNIT_TEST(methodFilteringWithoutMatchIsMinus2);
  CPPUNIT_TEST(methodFilteringKeepsTheBindingsThatAllowIt);
  CPPUNIT_TEST(noBranchesFlagAndParameter);
  CPPUNIT_TEST(toBranchesOnlyLeavesTheRequestUri);
  CPPUNIT_TEST(userAgentFiltering);
  CPPUNIT_TEST(socketAndBranchFlagsAreRestored);
  CPPUNIT_TEST(headersOfTheBindingUriAreDropped);
  CPPUNIT_TEST(aorArgumentReplacesTheRequestUri);
  CPPUNIT_TEST(requestUriWithoutUserIsNotFound);
  CPPUNIT_TEST(dbDownIsMinus3);
  CPPUNIT_TEST(expiredBindingsAreIgnored);
  CPPUNIT_TEST(branchesStopAtTheLimit);
  CPPUNIT_TEST(bindingThatCannotBeARequestUriIsSkipped);
  CPPUNIT_TEST(registeredChecksTheRequestUriOrTheArgument);
  CPPUNIT_TEST(isRegisteredUsesToForRegisterAndFromOtherwise);
  CPPUNIT_TEST_SUITE_END();

 public:
  void unknownAorIsNotFound() {
    RegistrarHarness h;
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(kLookupNotFound), h.lookup());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@example.com"), std::string(h.ctx().ruri()));
  }

  void theOnlyBindingBecomesTheRequestUri() {
    RegistrarHarness h;
    h.store("alice@example.com", binding("sip:alice@192.0.2.7:5099;transport=udp"));
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(kLookupFound), h.lookup());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@192.0.2.7:5099;transport=udp"),
                         std::string(h.ctx().ruri()));
    CPPUNIT_ASSERT(h.ctx().branches.empty());
    CPPUNIT_ASSERT(h.ctx().dst_uri.empty());
    CPPUNIT_ASSERT(
        contains(h.built(), "INVITE sip:alice@192.0.2.7:5099;transport=udp SIP/2.0\r\n"));
  }

  void highestQFirstOthersAsBranchesByQ() {
    RegistrarHarness h;
    h.store("alice@example.com", binding("sip:a@10.0.0.1", 500));
    h.store("alice@example.com", binding("sip:a@10.0.0.2", 1000));
    h.store("alice@example.com", binding("sip:a@10.0.0.3", 800));
    CPPUNIT_ASSERT_EQUAL(1, h.lookup());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a@10.0.0.2"), std::string(h.ctx().ruri()));
    CPPUNIT_ASSERT_EQUAL(1000, h.ctx().ruri_q);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, h.ctx().branches.size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a@10.0.0.3"), h.ctx().branches[0].uri);
    CPPUNIT_ASSERT_EQUAL(800, h.ctx().branches[0].q);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a@10.0.0.1"), h.ctx().branches[1].uri);
  }

  void equalQMostRecentFirst() {
    RegistrarHarness h;
    h.store("alice@example.com", binding("sip:a@10.0.0.1", 500, 100));
    h.store("alice@example.com", binding("sip:a@10.0.0.2", 500, 300));
    h.store("alice@example.com", binding("sip:a@10.0.0.3", 500, 200));
    h.lookup();
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a@10.0.0.2"), std::string(h.ctx().ruri()));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a@10.0.0.3"), h.ctx().branches[0].uri);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a@10.0.0.1"), h.ctx().branches[1].uri);
  }

  void noQRanksAsOne() {
    RegistrarHarness h;
    h.store("alice@example.com", binding("sip:a@10.0.0.1", 900, 500));
    h.store("alice@example.com", binding("sip:a@10.0.0.2", -1, 100));
    h.lookup();
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a@10.0.0.2"), std::string(h.ctx().ruri()));
    CPPUNIT_ASSERT_EQUAL(-1, h.ctx().ruri_q);
  }

  void receivedBecomesTheDestination() {
    RegistrarHarness h;
    usrloc::Contact c = binding("sip:alice@10.0.0.5:5060");
    c.received = "sip:203.0.113.9:40000";
    h.store("alice@example.com", c);
    h.lookup();
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@10.0.0.5:5060"), std::string(h.ctx().ruri()));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:203.0.113.9:40000"), h.ctx().dst_uri);
  }

  void pathBecomesRouteAndItsFirstHopTheDestination() {
    RegistrarHarness h;
    usrloc::Contact c = binding("sip:alice@10.0.0.5");
    c.path = "<sip:edge.example.net;lr>,<sip:p2.example.net;lr>";
    c.received = "sip:203.0.113.9:40000";  // the Path wins: NAT is the edge proxy's business
    h.store("alice@example.com", c);
    h.lookup();
    CPPUNIT_ASSERT_EQUAL(std::string("sip:edge.example.net;lr"), h.ctx().dst_uri);
    // The relay (tm or forward) writes it as the Route of branch 0; the request is untouched.
    CPPUNIT_ASSERT_EQUAL(c.path, h.ctx().ruri_path);
    CPPUNIT_ASSERT(!contains(h.built(), "Route:"));
  }

  void branchesCarryTheirOwnPathAndReceived() {
    RegistrarHarness h;
    usrloc::Contact a = binding("sip:a@10.0.0.1", 900);
    a.received = "sip:203.0.113.1:1111";
    usrloc::Contact b = binding("sip:a@10.0.0.2", 500);
    b.path = "<sip:edge2.example.net;lr>";
    h.store("alice@example.com", a);
    h.store("alice@example.com", b);
    h.lookup();
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, h.ctx().branches.size());
    const Branch& br = h.ctx().branches[0];
    CPPUNIT_ASSERT_EQUAL(std::string("<sip:edge2.example.net;lr>"), br.path);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:edge2.example.net;lr"), br.dst_uri);
    CPPUNIT_ASSERT(!contains(h.built(), "Route:"));  // branch 0 has none
  }

  void everyBranchKeepsItsOwnPath() {
    RegistrarHarness h;
    usrloc::Contact a = binding("sip:a@10.0.0.1", 900);
    usrloc::Contact b = binding("sip:a@10.0.0.2", 500);
    a.path = b.path = "<sip:edge.example.net;lr>";
    h.store("alice@example.com", a);
    h.store("alice@example.com", b);
    h.lookup();
    CPPUNIT_ASSERT_EQUAL(a.path, h.ctx().ruri_path);
    CPPUNIT_ASSERT_EQUAL(b.path, h.ctx().branches[0].path);  // each branch its own Route
    CPPUNIT_ASSERT_EQUAL(std::string("sip:edge.example.net;lr"), h.ctx().branches[0].dst_uri);
  }

  void methodFilteringWithoutMatchIsMinus2() {
    RegistrarHarness h;
    usrloc::Contact c = binding("sip:alice@10.0.0.5");
    c.methods = methodBit(Method::kInvite) | methodBit(Method::kAck);
    h.store("alice@example.com", c);
    LookupOptions o;
    o.flags.method_filtering = true;
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(kLookupMethodNotAllowed),
                         h.lookup(inviteText("sip:alice@example.com", "MESSAGE"), o));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@example.com"), std::string(h.ctx().ruri()));
    CPPUNIT_ASSERT_EQUAL(1, h.lookup(inviteText("sip:alice@example.com", "MESSAGE")));  // no flag
    CPPUNIT_ASSERT_EQUAL(1, h.lookup(inviteText(), o));
  }

  void methodFilteringKeepsTheBindingsThatAllowIt() {
    RegistrarHarness h;
    usrloc::Contact a = binding("sip:a@10.0.0.1", 1000);
    a.methods = methodBit(Method::kInvite);
    usrloc::Contact b = binding("sip:a@10.0.0.2", 100);
    b.methods = methodBit(Method::kInvite) | methodBit(Method::kMessage);
    h.store("alice@example.com", a);
    h.store("alice@example.com", b);
    LookupOptions o;
    o.flags.method_filtering = true;
    CPPUNIT_ASSERT_EQUAL(1, h.lookup(inviteText("sip:alice@example.com", "MESSAGE"), o));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a@10.0.0.2"), std::string(h.ctx().ruri()));
    CPPUNIT_ASSERT(h.ctx().branches.empty());
  }

  void noBranchesFlagAndParameter() {
    RegistrarHarness h;
    h.store("alice@example.com", binding("sip:a@10.0.0.1", 900));
    h.store("alice@example.com", binding("sip:a@10.0.0.2", 500));
    LookupOptions o;
    o.flags.no_branches = true;
    h.lookup(inviteText(), o);
    CPPUNIT_ASSERT(h.ctx().branches.empty());
    LookupOptions p;
    p.append_branches = false;
    h.lookup(inviteText(), p);
    CPPUNIT_ASSERT(h.ctx().branches.empty());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a@10.0.0.1"), std::string(h.ctx().ruri()));
  }

  void toBranchesOnlyLeavesTheRequestUri() {
    RegistrarHarness h;
    h.store("alice@example.com", binding("sip:a@10.0.0.1", 900));
    h.store("alice@example.com", binding("sip:a@10.0.0.2", 500));
    LookupOptions o;
    o.flags.to_branches_only = true;
    CPPUNIT_ASSERT_EQUAL(1, h.lookup(inviteText(), o));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@example.com"), std::string(h.ctx().ruri()));
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, h.ctx().branches.size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a@10.0.0.1"), h.ctx().branches[0].uri);
  }

  void userAgentFiltering() {
    RegistrarHarness h;
    usrloc::Contact a = binding("sip:a@10.0.0.1", 900);
    a.user_agent = "Softphone 2.0";
    usrloc::Contact b = binding("sip:a@10.0.0.2", 500);
    b.user_agent = "Polycom VVX";
    h.store("alice@example.com", a);
    h.store("alice@example.com", b);
    Regex re;
    Regex::Options ro;
    ro.icase = true;
    CPPUNIT_ASSERT(re.compile("^polycom", ro).isOk());
    LookupOptions o;
    o.ua_filter = &re;
    CPPUNIT_ASSERT_EQUAL(1, h.lookup(inviteText(), o));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a@10.0.0.2"), std::string(h.ctx().ruri()));
    CPPUNIT_ASSERT(h.ctx().branches.empty());
    Regex none;
    CPPUNIT_ASSERT(none.compile("^Yealink").isOk());
    o.ua_filter = &none;
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(kLookupNotFound), h.lookup(inviteText(), o));
  }

  void socketAndBranchFlagsAreRestored() {
    Listeners sockets;
    Result<SocketSpec> s1 = parseSocketSpec("udp:127.0.0.1:5060");
    Result<SocketSpec> s2 = parseSocketSpec("udp:127.0.0.1:5070");
    CPPUNIT_ASSERT(s1.isOk() && s2.isOk());
    Status added = sockets.addUnbound({s1.value(), s2.value()});
    CPPUNIT_ASSERT_MESSAGE(added.message(), added.isOk());
    RegistrarHarness h;
    usrloc::Contact a = binding("sip:a@10.0.0.1", 900);
    a.socket = "udp:127.0.0.1:5070";
    a.cflags = 0x11;
    usrloc::Contact b = binding("sip:a@10.0.0.2", 500);
    b.socket = "udp:127.0.0.1:5060";
    b.cflags = 0x2;
    usrloc::Contact c = binding("sip:a@10.0.0.3", 100);
    c.socket = "udp:127.0.0.1:9999";  // not ours (any more)
    h.store("alice@example.com", a);
    h.store("alice@example.com", b);
    h.store("alice@example.com", c);
    h.lookup(inviteText(), LookupOptions(), std::nullopt, &sockets);
    CPPUNIT_ASSERT(h.ctx().send_socket != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::string("udp:127.0.0.1:5070"), h.ctx().send_socket->text);
    CPPUNIT_ASSERT_EQUAL(0x11u, h.ctx().bflags);
    CPPUNIT_ASSERT(h.ctx().branches[0].send_socket != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::string("udp:127.0.0.1:5060"), h.ctx().branches[0].send_socket->text);
    CPPUNIT_ASSERT_EQUAL(0x2u, h.ctx().branches[0].bflags);
    CPPUNIT_ASSERT(h.ctx().branches[1].send_socket == nullptr);
  }

  void headersOfTheBindingUriAreDropped() {
    RegistrarHarness h;
    h.store("alice@example.com", binding("sip:alice@example.com?Route=%3Csip:sip.example.com%3E"));
    CPPUNIT_ASSERT_EQUAL(1, h.lookup());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@example.com"), std::string(h.ctx().ruri()));
  }

  void aorArgumentReplacesTheRequestUri() {
    RegistrarHarness h;
    h.store("bob@example.com", binding("sip:bob@10.0.0.8"));
    CPPUNIT_ASSERT_EQUAL(
        1, h.lookup(inviteText(), LookupOptions(), std::string("sip:bob@example.com")));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:bob@10.0.0.8"), std::string(h.ctx().ruri()));
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(kLookupError),
                         h.lookup(inviteText(), LookupOptions(), std::string("<sip:bob@")));
  }

  void requestUriWithoutUserIsNotFound() {
    RegistrarHarness h;
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(kLookupNotFound),
                         h.lookup(inviteText("sip:example.com")));
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(kLookupNotFound), h.lookup(inviteText("tel:+15551234")));
  }

  void dbDownIsMinus3() {
    RegistrarHarness h;
    h.ul.db_down = true;
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(kLookupError), h.lookup());
  }

  void expiredBindingsAreIgnored() {
    RegistrarHarness h;
    usrloc::Contact c = binding("sip:alice@10.0.0.5");
    c.expires = h.ul.now - 1;
    h.ul.stored("alice@example.com").push_back(c);
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(kLookupNotFound), h.lookup());
  }

  void branchesStopAtTheLimit() {
    RegistrarHarness h;
    for (int i = 0; i < 20; ++i) {
      h.store("alice@example.com", binding("sip:a@10.0.1." + std::to_string(i + 1), 1000 - i));
    }
    CPPUNIT_ASSERT_EQUAL(1, h.lookup());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a@10.0.1.1"), std::string(h.ctx().ruri()));
    CPPUNIT_ASSERT_EQUAL(MsgContext::kMaxBranches - 1, h.ctx().branches.size());
  }

  void bindingThatCannotBeARequestUriIsSkipped() {
    RegistrarHarness h;
    h.store("alice@example.com", binding("mailto:alice@example.com", 1000));
    h.store("alice@example.com", binding("sip:alice@10.0.0.5", 500));
    h.store("alice@example.com", binding("im:alice@example.com", 100));
    CPPUNIT_ASSERT_EQUAL(1, h.lookup());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@10.0.0.5"), std::string(h.ctx().ruri()));
    CPPUNIT_ASSERT(h.ctx().branches.empty());
    RegistrarHarness g;
    g.store("alice@example.com", binding("mailto:alice@example.com"));
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(kLookupNotFound), g.lookup());
  }

  void registeredChecksTheRequestUriOrTheArgument() {
    RegistrarHarness h;
    h.store("alice@example.com", binding("sip:alice@10.0.0.5"));
    h.parse(inviteText());
    AorOptions o;
    CPPUNIT_ASSERT_EQUAL(1, registeredAor(h.ctx(), h.ul, h.domain, o, std::nullopt));
    CPPUNIT_ASSERT_EQUAL(-1, registeredAor(h.ctx(), h.ul, h.domain, o, "sip:bob@example.com"));
    CPPUNIT_ASSERT_EQUAL(1, registeredAor(h.ctx(), h.ul, h.domain, o, "<sip:alice@EXAMPLE.com>"));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@example.com"), std::string(h.ctx().ruri()));
    h.ul.db_down = true;
    CPPUNIT_ASSERT_EQUAL(-3, registeredAor(h.ctx(), h.ul, h.domain, o, std::nullopt));
  }

  void isRegisteredUsesToForRegisterAndFromOtherwise() {
    RegistrarHarness h;
    h.store("bob@example.org", binding("sip:bob@10.0.0.8"));
    AorOptions o;
    h.parse(inviteText());  // From: bob@example.org, To: alice
    CPPUNIT_ASSERT_EQUAL(1, isRegisteredAor(h.ctx(), h.ul, h.domain, o, std::nullopt));
    h.parse(testing::registerText({}, "<sip:bob@example.org>"));
    CPPUNIT_ASSERT_EQUAL(1, isRegisteredAor(h.ctx(), h.ul, h.domain, o, std::nullopt));
    h.parse(testing::registerText({}, "<sip:carol@example.org>"));
    CPPUNIT_ASSERT_EQUAL(-1, isRegisteredAor(h.ctx(), h.ul, h.domain, o, std::nullopt));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(LookupTest);

}  // namespace sipline::registrar
