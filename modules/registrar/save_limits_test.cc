// save(): the limits (min/max expires with 423, max_contacts with 503 or force-registration)
// and every refusal: bad To/Contact, Require, the AOR argument, shared memory full, the DB
// down in DB-only mode.
#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>

#include "modules/registrar/registrar_test_util.h"
#include "modules/registrar/save.h"

namespace sipline::registrar {

using testing::contains;
using testing::registerText;
using testing::RegistrarHarness;

class SaveLimitsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SaveLimitsTest);
  CPPUNIT_TEST(tooBriefGets423WithMinExpires);
  CPPUNIT_TEST(tooManyContactsInOneRegisterIs400);
  CPPUNIT_TEST(tooBriefInAParamGets423Too);
  CPPUNIT_TEST(expiresZeroIsNeverTooBrief);
  CPPUNIT_TEST(adjustModeRaisesToTheMinimum);
  CPPUNIT_TEST(briefOverAnHourIsRaisedNotRefused);
  CPPUNIT_TEST(minZeroMeansNoMinimum);
  CPPUNIT_TEST(maxExpiresCapsTheInterval);
  CPPUNIT_TEST(maxContactsRefusesANewBinding);
  CPPUNIT_TEST(maxContactsRefusalCarriesRetryAfter);
  CPPUNIT_TEST(maxContactsStillAllowsRefreshes);
  CPPUNIT_TEST(removalsInTheSameRequestMakeRoom);
  CPPUNIT_TEST(forceRegistrationReplacesTheOldest);
  CPPUNIT_TEST(forceCannotFitMoreNewContactsThanTheLimit);
  CPPUNIT_TEST(maxContactsZeroIsUnlimited);
  CPPUNIT_TEST(sharedMemoryFullGives500);
  CPPUNIT_TEST(fieldTooLongForTheStoreIs400);
  CPPUNIT_TEST(aRefusedContactUndoesTheRemovalsAndAdditionsBeforeIt);
  CPPUNIT_TEST(sharedMemoryFullMidRequestRestoresRefreshedBindings);
  CPPUNIT_TEST(dbDownGives503);
  CPPUNIT_TEST(toThatIsNotSipIs400);
  CPPUNIT_TEST(toWithoutUserIs400);
  CPPUNIT_TEST(malformedContactIs400);
  CPPUNIT_TEST(contactTooLongIs400);
  CPPUNIT_TEST(unknownRequiredExtensionIs420);
  CPPUNIT_TEST(requirePathIsAccepted);
  CPPUNIT_TEST(aorArgumentReplacesTheTo);
  CPPUNIT_TEST(badAorArgumentIs400);
  CPPUNIT_TEST(withoutUseDomainTheAorIsTheUser);
  CPPUNIT_TEST_SUITE_END();

 public:
  void tooManyContactsInOneRegisterIs400() {
    RegistrarHarness h;
    std::string many = "Contact: ";
    for (std::size_t i = 0; i <= kMaxContactsPerRegister; ++i) {
      many += (i ? ", " : "") + std::string("<sip:a@10.0.") + std::to_string(i / 250) + "." +
              std::to_string(i % 250 + 1) + ">";
    }
    SaveReply r = h.save(registerText({many}));
    CPPUNIT_ASSERT_EQUAL(400, r.code);
    CPPUNIT_ASSERT(h.bindings().empty());
    std::string fine = "Contact: <sip:a@10.0.0.1>, <sip:a@10.0.0.2>";
    CPPUNIT_ASSERT_EQUAL(200, h.save(registerText({fine})).code);
  }

  void tooBriefGets423WithMinExpires() {
    RegistrarHarness h;
    h.options.limits.min_expires = 60;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>", "Expires: 30"}));
    CPPUNIT_ASSERT_EQUAL(423, r.code);
    CPPUNIT_ASSERT_EQUAL(std::string("Interval Too Brief"), r.reason);
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(kSaveTooBrief), r.rc);
    CPPUNIT_ASSERT(contains(r.headers, "Min-Expires: 60\r\n"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, h.ul.aorCount());
  }

  void tooBriefInAParamGets423Too() {
    RegistrarHarness h;
    h.options.limits.min_expires = 120;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>;expires=3000",
                                       "Contact: <sip:alice@192.0.2.7:5100>;expires=100"}));
    CPPUNIT_ASSERT_EQUAL(423, r.code);
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, h.ul.aorCount());  // none of the two
  }

  void expiresZeroIsNeverTooBrief() {
    RegistrarHarness h;
    h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>"}));
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>", "Expires: 0"},
                                      "<sip:alice@example.com>", "reg-1@192.0.2.7", 2));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    CPPUNIT_ASSERT(!h.ul.hasAor("alice@example.com"));
  }

  void adjustModeRaisesToTheMinimum() {
    RegistrarHarness h;
    h.options.limits.min_expires = 60;
    h.options.limits.reject_too_brief = false;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>", "Expires: 30"}));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    CPPUNIT_ASSERT(contains(r.headers, ";expires=60\r\n"));
  }

  void briefOverAnHourIsRaisedNotRefused() {
    // RFC 3261 §10.3 step 7 allows 423 only below one hour.
    RegistrarHarness h;
    h.options.limits.min_expires = 7200;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>", "Expires: 4000"}));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    CPPUNIT_ASSERT(contains(r.headers, ";expires=7200\r\n"));
  }

  void minZeroMeansNoMinimum() {
    RegistrarHarness h;
    h.options.limits.min_expires = 0;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>", "Expires: 1"}));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    CPPUNIT_ASSERT(contains(r.headers, ";expires=1\r\n"));
  }

  void maxExpiresCapsTheInterval() {
    RegistrarHarness h;
    h.options.limits.max_expires = 600;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>", "Expires: 3600"}));
    CPPUNIT_ASSERT(contains(r.headers, ";expires=600\r\n"));
    CPPUNIT_ASSERT_EQUAL(h.ul.now + 600, h.bindings()[0].expires);
  }

  void registerTwo(RegistrarHarness& h) {
    h.save(registerText({"Contact: <sip:alice@192.0.2.7:1001>"}, "<sip:alice@example.com>", "a@x"));
    h.ul.now += 10;
    h.save(registerText({"Contact: <sip:alice@192.0.2.7:1002>"}, "<sip:alice@example.com>", "b@x"));
    h.ul.now += 10;
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, h.bindings().size());
  }

  void maxContactsRefusesANewBinding() {
    RegistrarHarness h;
    h.options.limits.max_contacts = 2;
    registerTwo(h);
    SaveReply r = h.save(
        registerText({"Contact: <sip:alice@192.0.2.7:1003>"}, "<sip:alice@example.com>", "c@x"));
    CPPUNIT_ASSERT_EQUAL(503, r.code);
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(kSaveTooMany), r.rc);
    CPPUNIT_ASSERT(!contains(r.headers, "Retry-After"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, h.bindings().size());
  }

  void maxContactsRefusalCarriesRetryAfter() {
    RegistrarHarness h;
    h.options.limits.max_contacts = 1;
    h.options.retry_after = 30;
    h.save(registerText({"Contact: <sip:alice@192.0.2.7:1001>"}));
    SaveReply r = h.save(
        registerText({"Contact: <sip:alice@192.0.2.7:1003>"}, "<sip:alice@example.com>", "c@x"));
    CPPUNIT_ASSERT_EQUAL(503, r.code);
    CPPUNIT_ASSERT(contains(r.headers, "Retry-After: 30\r\n"));
  }

  void maxContactsStillAllowsRefreshes() {
    RegistrarHarness h;
    h.options.limits.max_contacts = 2;
    registerTwo(h);
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:1001>", "Expires: 100"},
                                      "<sip:alice@example.com>", "a@x", 2));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
  }

  void removalsInTheSameRequestMakeRoom() {
    RegistrarHarness h;
    h.options.limits.max_contacts = 2;
    registerTwo(h);
    SaveReply r = h.save(registerText(
        {"Contact: <sip:alice@192.0.2.7:1001>;expires=0", "Contact: <sip:alice@192.0.2.7:1003>"},
        "<sip:alice@example.com>", "a@x", 2));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    CPPUNIT_ASSERT(!contains(r.headers, ":1001>"));
    CPPUNIT_ASSERT(contains(r.headers, ":1002>"));
    CPPUNIT_ASSERT(contains(r.headers, ":1003>"));
  }

  void forceRegistrationReplacesTheOldest() {
    RegistrarHarness h;
    h.options.limits.max_contacts = 2;
    h.options.limits.force = true;
    registerTwo(h);
    // 1001 is the least recently refreshed even though stored first: refresh it.
    h.save(
        registerText({"Contact: <sip:alice@192.0.2.7:1001>"}, "<sip:alice@example.com>", "a@x", 2));
    h.ul.now += 10;
    SaveReply r = h.save(
        registerText({"Contact: <sip:alice@192.0.2.7:1003>"}, "<sip:alice@example.com>", "c@x"));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    CPPUNIT_ASSERT(contains(r.headers, ":1001>"));
    CPPUNIT_ASSERT(!contains(r.headers, ":1002>"));
    CPPUNIT_ASSERT(contains(r.headers, ":1003>"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, h.bindings().size());
  }

  void forceCannotFitMoreNewContactsThanTheLimit() {
    RegistrarHarness h;
    h.options.limits.max_contacts = 1;
    h.options.limits.force = true;
    SaveReply r = h.save(registerText(
        {"Contact: <sip:alice@192.0.2.7:1001>", "Contact: <sip:alice@192.0.2.7:1002>"}));
    CPPUNIT_ASSERT_EQUAL(503, r.code);
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, h.ul.aorCount());
  }

  void maxContactsZeroIsUnlimited() {
    RegistrarHarness h;
    h.options.limits.max_contacts = 0;
    for (int i = 0; i < 20; ++i) {
      SaveReply r =
          h.save(registerText({"Contact: <sip:alice@192.0.2.7:" + std::to_string(2000 + i) + ">"},
                              "<sip:alice@example.com>", "p" + std::to_string(i) + "@x"));
      CPPUNIT_ASSERT_EQUAL(200, r.code);
    }
    CPPUNIT_ASSERT_EQUAL(std::size_t{20}, h.bindings().size());
  }

  void sharedMemoryFullGives500() {
    RegistrarHarness h;
    h.ul.insert_error = Code::kNoMemory;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>"}));
    CPPUNIT_ASSERT_EQUAL(500, r.code);
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(kSaveInternal), r.rc);
    CPPUNIT_ASSERT(contains(r.error, "shared memory full"));
  }

  void fieldTooLongForTheStoreIs400() {
    RegistrarHarness h;
    h.ul.insert_error = Code::kInvalidArgument;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>"}));
    CPPUNIT_ASSERT_EQUAL(400, r.code);
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(kSaveBadRequest), r.rc);
  }

  // RFC 3261 §10.3 step 7: all the binding changes of a REGISTER, or none.
  void aRefusedContactUndoesTheRemovalsAndAdditionsBeforeIt() {
    RegistrarHarness h;
    CPPUNIT_ASSERT_EQUAL(200, h.save(registerText({"Contact: <sip:old@192.0.2.7:1000>"})).code);
    const std::vector<usrloc::Contact> before = h.bindings();
    h.ul.insert_error = Code::kInvalidArgument;
    h.ul.failing_uri = "sip:bad@192.0.2.7:1002";  // "new" goes in, "bad" is refused
    SaveReply r = h.save(
        registerText({"Contact: <sip:old@192.0.2.7:1000>;expires=0",
                      "Contact: <sip:new@192.0.2.7:1001>", "Contact: <sip:bad@192.0.2.7:1002>"},
                     "<sip:alice@example.com>", "reg-2@192.0.2.7", 1));
    CPPUNIT_ASSERT_EQUAL(400, r.code);
    std::vector<usrloc::Contact> after = h.bindings();
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, after.size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:old@192.0.2.7:1000"), after[0].uri);
    CPPUNIT_ASSERT_EQUAL(before[0].expires, after[0].expires);
    CPPUNIT_ASSERT_EQUAL(before[0].callid, after[0].callid);
  }

  void sharedMemoryFullMidRequestRestoresRefreshedBindings() {
    RegistrarHarness h;
    CPPUNIT_ASSERT_EQUAL(
        200,
        h.save(registerText({"Contact: <sip:a@192.0.2.7:1000>", "Contact: <sip:b@192.0.2.7:1001>"}))
            .code);
    const std::vector<usrloc::Contact> before = h.bindings();
    h.ul.now += 100;
    h.ul.insert_error = Code::kNoMemory;
    h.ul.failing_uri = "sip:d@192.0.2.7:1003";  // c goes in, d does not fit
    SaveReply r =
        h.save(registerText({"Contact: <sip:a@192.0.2.7:1000>;expires=60",
                             "Contact: <sip:c@192.0.2.7:1002>", "Contact: <sip:d@192.0.2.7:1003>"},
                            "<sip:alice@example.com>", "reg-1@192.0.2.7", 2));
    CPPUNIT_ASSERT_EQUAL(500, r.code);
    std::vector<usrloc::Contact> after = h.bindings();
    CPPUNIT_ASSERT_EQUAL(before.size(), after.size());
    for (const usrloc::Contact& b : before) {
      auto it = std::find_if(after.begin(), after.end(),
                             [&](const usrloc::Contact& a) { return a.uri == b.uri; });
      CPPUNIT_ASSERT(it != after.end());
      CPPUNIT_ASSERT_EQUAL(b.expires, it->expires);  // a's refresh undone
      CPPUNIT_ASSERT_EQUAL(b.cseq, it->cseq);
    }
    h.ul.insert_error = Code::kOk;  // the same request once memory is back
    r = h.save(registerText({"Contact: <sip:a@192.0.2.7:1000>;expires=60",
                             "Contact: <sip:c@192.0.2.7:1002>", "Contact: <sip:d@192.0.2.7:1003>"},
                            "<sip:alice@example.com>", "reg-1@192.0.2.7", 2));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    CPPUNIT_ASSERT_EQUAL(std::size_t{4}, h.bindings().size());
  }

  void dbDownGives503() {
    RegistrarHarness h;
    h.ul.db_down = true;
    h.options.retry_after = 15;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>"}));
    CPPUNIT_ASSERT_EQUAL(503, r.code);
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(kSaveInternal), r.rc);
    CPPUNIT_ASSERT(contains(r.headers, "Retry-After: 15\r\n"));
    r = h.save(registerText({}));  // a query reads the DB too
    CPPUNIT_ASSERT_EQUAL(503, r.code);
  }

  void toThatIsNotSipIs400() {
    RegistrarHarness h;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>"}, "<tel:+15551234>"));
    CPPUNIT_ASSERT_EQUAL(400, r.code);
    CPPUNIT_ASSERT_EQUAL(static_cast<int>(kSaveBadRequest), r.rc);
  }

  void toWithoutUserIs400() {
    RegistrarHarness h;
    SaveReply r =
        h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>"}, "<sip:example.com>"));
    CPPUNIT_ASSERT_EQUAL(400, r.code);
  }

  void malformedContactIs400() {
    RegistrarHarness h;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099"}));
    CPPUNIT_ASSERT_EQUAL(400, r.code);
    r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>;q=2"}));
    CPPUNIT_ASSERT_EQUAL(400, r.code);
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, h.ul.aorCount());
  }

  void contactTooLongIs400() {
    RegistrarHarness h;
    h.options.limits.max_contact_len = 40;
    SaveReply r =
        h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099;" + std::string(40, 'x') + ">"}));
    CPPUNIT_ASSERT_EQUAL(400, r.code);
  }

  void unknownRequiredExtensionIs420() {
    RegistrarHarness h;
    SaveReply r =
        h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>", "Require: gruu, path, foo"}));
    CPPUNIT_ASSERT_EQUAL(420, r.code);
    CPPUNIT_ASSERT(contains(r.headers, "Unsupported: gruu, foo\r\n"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, h.ul.aorCount());
  }

  void requirePathIsAccepted() {
    RegistrarHarness h;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>", "Require: path"}));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
  }

  void aorArgumentReplacesTheTo() {
    RegistrarHarness h;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>"}),
                         std::string("\"Bob\" <sip:bob@Example.COM>;tag=1"));
    CPPUNIT_ASSERT_EQUAL(200, r.code);
    CPPUNIT_ASSERT(h.ul.hasAor("bob@example.com"));
    CPPUNIT_ASSERT(!h.ul.hasAor("alice@example.com"));
  }

  void badAorArgumentIs400() {
    RegistrarHarness h;
    SaveReply r = h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>"}), std::string("bob"));
    CPPUNIT_ASSERT_EQUAL(400, r.code);
  }

  void withoutUseDomainTheAorIsTheUser() {
    RegistrarHarness h;
    h.ul.use_domain = false;
    h.options.limits.aor.use_domain = false;
    h.save(registerText({"Contact: <sip:alice@192.0.2.7:5099>"}));
    CPPUNIT_ASSERT(h.ul.hasAor("alice"));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(SaveLimitsTest);

}  // namespace sipline::registrar
