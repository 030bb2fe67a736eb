// save(): RFC 3261 §10.3 steps 6-8 against a fake usrloc: add, refresh, remove, "*",
// query, expires sources, the Call-ID/CSeq rule and the 200's Contact list.
#include "modules/registrar/save.h"

#include <cppunit/extensions/HelperMacros.h>

#include "core/sip/reply.h"
#include "modules/registrar/registrar_test_util.h"

namespace sipline::registrar {

using testing::contains;
using testing::registerText;
using testing::RegistrarHarness;

class SaveTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SaveTest);
  CPPUNIT_TEST(newBindingIsStoredAndListedWithItsExpires);
  CPPUNIT_TEST(replyIsAValid200WithEveryBinding);
  CPPUNIT_TEST(queryListsBindingsAndChangesNothing);
  CPPUNIT_TEST(queryOfAnUnknownAorCreatesNothing);
  CPPUNIT_TEST(refreshOfTheSameUriUpdatesIt);
  CPPUNIT_TEST(refreshWithAnEquivalentUriKeepsOneBinding);
  CPPUNIT_TEST(secondContactAddsABinding);
  CPPUNIT_TEST(expiresZeroRemovesThatBinding);
  CPPUNIT_TEST(removingTheLastBindingDropsTheAor);
  CPPUNIT_TEST(removingAnUnknownBindingIsFine);
  CPPUNIT_TEST(starWithExpiresZeroRemovesAll);
  CPPUNIT_TEST(starNeedsExpiresZero);
  CPPUNIT_TEST(starWithOtherContactsIsRefused);
  CPPUNIT_TEST(contactExpiresParamWinsOverTheHeader);
  CPPUNIT_TEST(defaultExpiresWhenNoneIsGiven);
  CPPUNIT_TEST(malformedExpiresCountsAsAbsent);
  CPPUNIT_TEST(lowerCSeqOfTheSameCallIdIsRefused);
  CPPUNIT_TEST(sameCSeqOfTheSameCallIdIsARetransmission);
  CPPUNIT_TEST(anotherCallIdReplacesTheBinding);
  CPPUNIT_TEST(staleStarRemovesNothing);
  CPPUNIT_TEST(qIsStoredAndListed);
  CPPUNIT_TEST(defaultQAppliesWithoutQ);
  CPPUNIT_TEST(repeatedContactInOneRequestIsStoredOnce);
  CPPUNIT_TEST(notARegisterIsNotAnswered);
  CPPUNIT_TEST(expiredBindingsAreNotListed);
  CPPUNIT_TEST_SUITE_END();

 public:
  void newBindingIsStoredAndListedWithItsExpires() {
    RegistrarHarness h;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>", "Expires: 300"}));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(kSaveOk), r.rc);
    CPPUNIT_ASSERT(contains(r.headers, "Contact: <sip:alice@192.0.2.7:5099>;expires=300\r\n"));
    CPPUNIT_ASSERT(contains(r.headers, "Date: "));
    std::vector<usrloc::Contact> b = h.bindings();
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, b.size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@192.0.2.7:5099"), b[0].uri);
    CPPUNIT_ASSERT_EQUAL(h.ul.now + 300, b[0].expires);
    CPPUNIT_ASSERT_EQUAL(std::string("reg-1@192.0.2.7"), b[0].callid);
    CPPUNIT_ASSERT_EQUAL(1, b[0].cseq);
    CPPUNIT_ASSERT_EQUAL(h.ul.now, b[0].last_modified);
    CPPUNIT_ASSERT(b[0].received.empty());  // registered from its own address
  }

  void replyIsAValid200WithEveryBinding() {
    RegistrarHarness h;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>;q=0.7",
                                       "Contact: <sip:alice@192.0.2.7:5100>", "Expires: 600"}));
    std::string text = buildReply(h.msg(), h.ctx().rcv().src, r.code, r.reason, "", r.headers);
    SipMessage reply;
    CPPUNIT_ASSERT(reply.parse(text) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(200, reply.statusCode());
    const ContactList* contacts = reply.contacts();
    CPPUNIT_ASSERT(contacts != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, contacts->items.size());
    CPPUNIT_ASSERT_EQUAL(600u, contacts->items[0].expires.value);
    CPPUNIT_ASSERT_EQUAL(std::uint16_t{700}, contacts->items[0].q);
    std::time_t date = 0;
    CPPUNIT_ASSERT(reply.date(date) == FieldState::kOk);
    CPPUNIT_ASSERT_EQUAL(static_cast<std::time_t>(h.ul.now), date);
  }

  void queryListsBindingsAndChangesNothing() {
    RegistrarHarness h;
    h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>", "Expires: 300"}));
    h.ul.now += 100;
    int calls = h.ul.with_record_calls;
    SaveReply r = h.save(registerText({}, "<sip:alice@example.com>", "query@x", 1));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    CPPUNIT_ASSERT(contains(r.headers, "Contact: <sip:alice@192.0.2.7:5099>;expires=200\r\n"));
    CPPUNIT_ASSERT_EQUAL(calls, h.ul.with_record_calls);  // read only
    CPPUNIT_ASSERT_EQUAL(std::string("reg-1@192.0.2.7"), h.bindings()[0].callid);
  }

  void queryOfAnUnknownAorCreatesNothing() {
    RegistrarHarness h;
    SaveReply r = h.save(registerText({}));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    CPPUNIT_ASSERT(!contains(r.headers, "Contact:"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, h.ul.aorCount());
  }

  void refreshOfTheSameUriUpdatesIt() {
    RegistrarHarness h;
    h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>", "Expires: 300"}));
    h.ul.now += 50;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>", "Expires: 900"},
                                      "<sip:alice@example.com>", "reg-1@192.0.2.7", 2));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    std::vector<usrloc::Contact> b = h.bindings();
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, b.size());
    CPPUNIT_ASSERT_EQUAL(h.ul.now + 900, b[0].expires);
    CPPUNIT_ASSERT_EQUAL(2, b[0].cseq);
    CPPUNIT_ASSERT_EQUAL(h.ul.now, b[0].last_modified);
    CPPUNIT_ASSERT(contains(r.headers, ";expires=900\r\n"));
  }

  void refreshWithAnEquivalentUriKeepsOneBinding() {
    RegistrarHarness h;
    h.save(registerText({"Contact: <sip:alice@HOST.example.com>"}));
    // RFC 3261 §19.1.4: host case-insensitive, %61 == 'a'.
    h.save(registerText({"Contact: <sip:%61lice@host.EXAMPLE.com>", "Expires: 120"},
                        "<sip:alice@example.com>", "reg-1@192.0.2.7", 2));
    std::vector<usrloc::Contact> b = h.bindings();
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, b.size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:%61lice@host.EXAMPLE.com"), b[0].uri);  // the latest text
    CPPUNIT_ASSERT_EQUAL(h.ul.now + 120, b[0].expires);
  }

  void secondContactAddsABinding() {
    RegistrarHarness h;
    h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>"}));
    SaveReply r = h.save(registerText({"Contact: <sip:alice@198.51.100.9>"},
                                      "<sip:alice@example.com>", "other-phone@y", 1));
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, h.bindings().size());
    CPPUNIT_ASSERT(contains(r.headers, "<sip:alice@192.0.2.7:5099>"));
    CPPUNIT_ASSERT(contains(r.headers, "<sip:alice@198.51.100.9>"));
  }

  void expiresZeroRemovesThatBinding() {
    RegistrarHarness h;
    h.save(registerText(
        {"Contact: <sip:alice@192.0.2.7:5099>", "Contact: <sip:alice@192.0.2.7:6000>"}));
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:6000>;expires=0"},
                                      "<sip:alice@example.com>", "reg-1@192.0.2.7", 2));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    std::vector<usrloc::Contact> b = h.bindings();
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, b.size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@192.0.2.7:5099"), b[0].uri);
    CPPUNIT_ASSERT(!contains(r.headers, ":6000"));
  }

  void removingTheLastBindingDropsTheAor() {
    RegistrarHarness h;
    h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>"}));
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>", "Expires: 0"},
                                      "<sip:alice@example.com>", "reg-1@192.0.2.7", 2));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    CPPUNIT_ASSERT(!contains(r.headers, "Contact:"));
    CPPUNIT_ASSERT(!h.ul.hasAor("alice@example.com"));
  }

  void removingAnUnknownBindingIsFine() {
    RegistrarHarness h;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>", "Expires: 0"}));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    CPPUNIT_ASSERT(!h.ul.hasAor("alice@example.com"));
  }

  void starWithExpiresZeroRemovesAll() {
    RegistrarHarness h;
    h.save(registerText(
        {"Contact: <sip:alice@192.0.2.7:5099>", "Contact: <sip:alice@192.0.2.7:6000>"}));
    h.save(registerText({"Contact: <sip:alice@198.51.100.9>"}, "<sip:alice@example.com>", "b@y"));
    SaveReply r =
        h.save(registerText({"Contact: *", "Expires: 0"}, "<sip:alice@example.com>", "unreg@z", 1));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    CPPUNIT_ASSERT(!contains(r.headers, "Contact:"));
    CPPUNIT_ASSERT(!h.ul.hasAor("alice@example.com"));
  }

  void starNeedsExpiresZero() {
    RegistrarHarness h;
    h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>"}));
    SaveReply r =
        h.save(registerText({"Contact: *", "Expires: 10"}, "<sip:alice@example.com>", "u@z"));
    CPPUNIT_ASSERT_EQUAL(400, r.code);
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(kSaveBadRequest), r.rc);
    r = h.save(registerText({"Contact: *"}, "<sip:alice@example.com>", "u@z"));
    CPPUNIT_ASSERT_EQUAL(400, r.code);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, h.bindings().size());
  }

  void starWithOtherContactsIsRefused() {
    RegistrarHarness h;
    SaveReply r =
        h.save(registerText({"Contact: *", "Contact: <sip:alice@192.0.2.7>", "Expires: 0"}));
    CPPUNIT_ASSERT_EQUAL(400, r.code);
    r = h.save(registerText({"Contact: <sip:alice@192.0.2.7>, *", "Expires: 0"}));
    CPPUNIT_ASSERT_EQUAL(400, r.code);
  }

  void contactExpiresParamWinsOverTheHeader() {
    RegistrarHarness h;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>;expires=120",
                                       "Contact: <sip:alice@192.0.2.7:5100>", "Expires: 700"}));
    CPPUNIT_ASSERT(contains(r.headers, "<sip:alice@192.0.2.7:5099>;expires=120\r\n"));
    CPPUNIT_ASSERT(contains(r.headers, "<sip:alice@192.0.2.7:5100>;expires=700\r\n"));
  }

  void defaultExpiresWhenNoneIsGiven() {
    RegistrarHarness h;
    h.options.limits.default_expires = 1800;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>"}));
    CPPUNIT_ASSERT(contains(r.headers, ";expires=1800\r\n"));
  }

  void malformedExpiresCountsAsAbsent() {
    // RFC 3261 §20.19: malformed values are treated as the default (RFC 4475 scalar02 size).
    RegistrarHarness h;
    h.options.limits.default_expires = 1800;
    SaveReply r =
        h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>;expires=soon", "Expires: 120"}));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    CPPUNIT_ASSERT(contains(r.headers, ";expires=1800\r\n"));
    r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5100>", "Expires: 99999999999999"},
                            "<sip:alice@example.com>", "c2@x"));
    CPPUNIT_ASSERT(contains(r.headers, "<sip:alice@192.0.2.7:5100>;expires=1800\r\n"));
  }

  void lowerCSeqOfTheSameCallIdIsRefused() {
    RegistrarHarness h;
    h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>", "Expires: 300"},
                        "<sip:alice@example.com>", "c@x", 5));
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>", "Expires: 0"},
                                      "<sip:alice@example.com>", "c@x", 4));
    CPPUNIT_ASSERT_EQUAL(400, r.code);
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(kSaveStale), r.rc);
    std::vector<usrloc::Contact> b = h.bindings();
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, b.size());
    CPPUNIT_ASSERT_EQUAL(5, b[0].cseq);
  }

  void sameCSeqOfTheSameCallIdIsARetransmission() {
    RegistrarHarness h;
    h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>", "Expires: 300"},
                        "<sip:alice@example.com>", "c@x", 5));
    h.ul.now += 10;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>", "Expires: 300"},
                                      "<sip:alice@example.com>", "c@x", 5));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    CPPUNIT_ASSERT(contains(r.headers, ";expires=290\r\n"));  // not refreshed again
  }

  void anotherCallIdReplacesTheBinding() {
    RegistrarHarness h;
    h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>"}, "<sip:alice@example.com>",
                        "before-reboot@x", 900));
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>", "Expires: 60"},
                                      "<sip:alice@example.com>", "after-reboot@x", 1));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    std::vector<usrloc::Contact> b = h.bindings();
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, b.size());
    CPPUNIT_ASSERT_EQUAL(std::string("after-reboot@x"), b[0].callid);
    CPPUNIT_ASSERT_EQUAL(1, b[0].cseq);
  }

  void staleStarRemovesNothing() {
    RegistrarHarness h;
    h.save(
        registerText({"Contact: <sip:alice@192.0.2.7:5099>"}, "<sip:alice@example.com>", "c@x", 5));
    h.save(
        registerText({"Contact: <sip:alice@192.0.2.7:6000>"}, "<sip:alice@example.com>", "d@x", 1));
    SaveReply r =
        h.save(registerText({"Contact: *", "Expires: 0"}, "<sip:alice@example.com>", "c@x", 5));
    CPPUNIT_ASSERT_EQUAL(400, r.code);
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(kSaveStale), r.rc);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, h.bindings().size());
    r = h.save(registerText({"Contact: *", "Expires: 0"}, "<sip:alice@example.com>", "c@x", 6));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    CPPUNIT_ASSERT(!h.ul.hasAor("alice@example.com"));
  }

  void qIsStoredAndListed() {
    RegistrarHarness h;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>;q=0.25"}));
    CPPUNIT_ASSERT_EQUAL(250, h.bindings()[0].q);
    CPPUNIT_ASSERT(contains(r.headers, ";expires=3600;q=0.25\r\n"));
  }

  void defaultQAppliesWithoutQ() {
    RegistrarHarness h;
    h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>"}));
    CPPUNIT_ASSERT_EQUAL(-1, h.bindings()[0].q);
    RegistrarHarness g;
    g.options.limits.default_q = 100;
    SaveReply r = g.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>"}));
    CPPUNIT_ASSERT_EQUAL(100, g.bindings()[0].q);
    CPPUNIT_ASSERT(contains(r.headers, ";q=0.1\r\n"));
  }

  void repeatedContactInOneRequestIsStoredOnce() {
    RegistrarHarness h;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>;expires=100",
                                       "Contact: <sip:alice@192.0.2.7:5099>;expires=200"}));
    std::vector<usrloc::Contact> b = h.bindings();
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, b.size());
    CPPUNIT_ASSERT_EQUAL(h.ul.now + 200, b[0].expires);  // the last one
  }

  void notARegisterIsNotAnswered() {
    RegistrarHarness h;
    SaveReply r = h.save(testing::inviteText());
    CPPUNIT_ASSERT_EQUAL(0, r.code);
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(kSaveInternal), r.rc);
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, h.ul.aorCount());
    CPPUNIT_ASSERT(sendSaveReply(h.ctx(), r));  // nothing to send
    CPPUNIT_ASSERT(!h.ctx().replied);
  }

  void expiredBindingsAreNotListed() {
    RegistrarHarness h;
    h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>;expires=60",
                         "Contact: <sip:alice@192.0.2.7:6000>;expires=600"}));
    h.ul.now += 61;
    SaveReply r = h.save(registerText({}, "<sip:alice@example.com>", "q@x"));
    CPPUNIT_ASSERT(!contains(r.headers, "<sip:alice@192.0.2.7:5099>"));
    CPPUNIT_ASSERT(contains(r.headers, "<sip:alice@192.0.2.7:6000>;expires=539\r\n"));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(SaveTest);

}  // namespace sipline::registrar
