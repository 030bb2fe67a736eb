// The usrloc MI commands over a memory-mode service and a DB-only one (fake DB): their JSON,
// their errors, and that their edits follow the DB mode.
#include "modules/usrloc/ul_mi.h"

#include <cppunit/extensions/HelperMacros.h>

#include <memory>

#include "modules/usrloc/fake_db_test_util.h"

namespace sipline::usrloc {

class UlMiTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(UlMiTest);
  CPPUNIT_TEST(addShowAndDump);
  CPPUNIT_TEST(unknownTableAndAorAreNotFound);
  CPPUNIT_TEST(addRefusesBadValues);
  CPPUNIT_TEST(removeContactThenAor);
  CPPUNIT_TEST(flushWithoutDbModeWritesNothing);
  CPPUNIT_TEST(dbOnlyDumpReadsTheDb);
  CPPUNIT_TEST(showListsEveryAorOrOne);
  CPPUNIT_TEST(showOfUnknownAorOrTableIsNotFound);
  CPPUNIT_TEST(dbOnlyShowReadsTheDb);
  CPPUNIT_TEST(aorWithoutUseDomainIsTheUser);
  CPPUNIT_TEST(aorWithUseDomainNeedsTheDomain);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    seg_ = std::move(shm::Segment::create(8 << 20).value());
    svc_ = std::make_unique<Service>();
    svc_->config().hash_size = 256;
    svc_->setClockForTest([] { return std::int64_t(50000); });
  }
  void tearDown() override {
    svc_.reset();
    seg_.reset();
  }
  void start(const std::string& mode) {
    svc_->config().db_mode = mode;
    svc_->config().db_url = "postgres://fake/db";
    svc_->setConnectorForTest(
        [this]() { return Result<std::unique_ptr<db::Connection>>(testing::fakeConnection(db_)); });
    CPPUNIT_ASSERT(svc_->domain("location").isOk());
    CPPUNIT_ASSERT(svc_->init(*seg_).isOk());
    CPPUNIT_ASSERT(svc_->childInit(ProcessInfo{ProcessRole::kMi, 0, ""}).isOk());
  }
  static MiParams params(Json j) { return MiParams(std::move(j)); }

  void addShowAndDump() {
    start("memory");
    Result<Json> r = miAdd(*svc_, params({{"table", "location"},
                                          {"aor", "alice"},
                                          {"contact", "sip:alice@192.0.2.1"},
                                          {"expires", 120},
                                          {"q", "0.7"}}));
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.isOk());
    CPPUNIT_ASSERT(miAdd(*svc_, params({{"table", "location"},
                                        {"aor", "alice"},
                                        {"contact", "sip:alice@192.0.2.2"},
                                        {"expires", 60}}))
                       .isOk());
    Result<Json> show = miShowContact(*svc_, params({{"table", "location"}, {"aor", "alice"}}));
    CPPUNIT_ASSERT(show.isOk());
    const Json& cs = show.value()["contacts"];
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), cs.size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@192.0.2.1"), cs[0]["contact"].get<std::string>());
    CPPUNIT_ASSERT_EQUAL(120, cs[0]["expires"].get<int>());
    CPPUNIT_ASSERT_EQUAL(50120, cs[0]["expires_at"].get<int>());
    CPPUNIT_ASSERT_DOUBLES_EQUAL(0.7, cs[0]["q"].get<double>(), 1e-9);
    CPPUNIT_ASSERT(cs[1]["q"].is_null());
    Result<Json> dump = miDump(*svc_, params(Json::object()));
    CPPUNIT_ASSERT(dump.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("memory"), dump.value()["mode"].get<std::string>());
    const Json& t = dump.value()["tables"][0];
    CPPUNIT_ASSERT_EQUAL(std::string("location"), t["table"].get<std::string>());
    CPPUNIT_ASSERT_EQUAL(1, t["users"].get<int>());
    CPPUNIT_ASSERT_EQUAL(2, t["contacts"].get<int>());
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), t["aors"][0]["aor"].get<std::string>());
  }

  void unknownTableAndAorAreNotFound() {
    start("memory");
    Result<Json> r = miShowContact(*svc_, params({{"table", "nope"}, {"aor", "alice"}}));
    CPPUNIT_ASSERT(r.status().code() == Code::kNotFound);
    CPPUNIT_ASSERT(r.status().message().find("tables: location") != std::string::npos);
    CPPUNIT_ASSERT(
        miShowContact(*svc_, params({{"table", "location"}, {"aor", "bob"}})).status().code() ==
        Code::kNotFound);
    CPPUNIT_ASSERT(
        miRemoveAor(*svc_, params({{"table", "location"}, {"aor", "bob"}})).status().code() ==
        Code::kNotFound);
    CPPUNIT_ASSERT(miDump(*svc_, params({{"table", "x"}})).status().code() == Code::kNotFound);
  }

  void addRefusesBadValues() {
    start("memory");
    auto add = [&](Json extra) {
      Json p = {{"table", "location"}, {"aor", "alice"}, {"contact", "sip:a"}, {"expires", 60}};
      for (auto& [k, v] : extra.items()) p[k] = v;
      return miAdd(*svc_, params(p)).status();
    };
    CPPUNIT_ASSERT(add({{"q", "1.5"}}).code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT(add({{"q", "half"}}).code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT(add({{"expires", 0}}).code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT(add({{"contact", ""}}).code() == Code::kInvalidArgument);
    // What lookup() would skip (a 404 for an AOR that ul_show says has a contact).
    for (const char* bad : {"notauri", "<sip:alice@192.0.2.1>", "sip:", "http://example.com/"}) {
      Status st = add({{"contact", bad}});
      CPPUNIT_ASSERT_MESSAGE(bad, st.code() == Code::kInvalidArgument);
      CPPUNIT_ASSERT_MESSAGE(st.message(), st.message().find("is not a URI") != std::string::npos);
    }
    CPPUNIT_ASSERT(add({{"aor", "bob"}, {"contact", "tel:+15551234"}}).isOk());
    CPPUNIT_ASSERT(add({{"aor", ""}}).code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT(add({{"expires", 315360001LL}}).code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT(add({{"expires", -5}}).code() == Code::kInvalidArgument);
    for (const char* mask : {"flags", "cflags", "methods"}) {
      for (long long bad : {-1LL, 4294967296LL, 9223372036854775807LL}) {
        Status st = add({{mask, bad}});
        CPPUNIT_ASSERT_MESSAGE(mask, st.code() == Code::kInvalidArgument);
        CPPUNIT_ASSERT_MESSAGE(st.message(), st.message().find(mask) != std::string::npos);
      }
      CPPUNIT_ASSERT_MESSAGE(mask, add({{mask, 4294967295LL}}).isOk());
      CPPUNIT_ASSERT_MESSAGE(mask, add({{mask, 0}}).isOk());
    }
    CPPUNIT_ASSERT(add({{"q", "-0.1"}}).code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT(add({{"q", "nan"}}).code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT(add({{"q", "0.5x"}}).code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT(add(Json::object()).isOk());
    // Nothing refused was stored: the last good add is what the AOR holds.
    Result<Json> show = miShowContact(*svc_, params({{"table", "location"}, {"aor", "alice"}}));
    CPPUNIT_ASSERT(show.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), show.value()["contacts"].size());
    CPPUNIT_ASSERT_EQUAL(0xffffffffLL, show.value()["contacts"][0]["methods"].get<long long>());
  }

  void removeContactThenAor() {
    start("memory");
    for (const char* c : {"sip:a", "sip:b", "sip:c"}) {
      CPPUNIT_ASSERT(
          miAdd(*svc_,
                params({{"table", "location"}, {"aor", "alice"}, {"contact", c}, {"expires", 60}}))
              .isOk());
    }
    Json rm = {{"table", "location"}, {"aor", "alice"}, {"contact", "sip:b"}};
    CPPUNIT_ASSERT(miRemoveContact(*svc_, params(rm)).isOk());
    CPPUNIT_ASSERT(miRemoveContact(*svc_, params(rm)).status().code() == Code::kNotFound);
    Result<Json> r = miRemoveAor(*svc_, params({{"table", "location"}, {"aor", "alice"}}));
    CPPUNIT_ASSERT(r.isOk());
    CPPUNIT_ASSERT_EQUAL(2, r.value()["removed"].get<int>());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), svc_->findDomain("location")->table()->users());
  }

  void flushWithoutDbModeWritesNothing() {
    start("memory");
    Result<Json> r = miFlush(*svc_, params(Json::object()));
    CPPUNIT_ASSERT(r.isOk());
    CPPUNIT_ASSERT_EQUAL(0, r.value()["written"].get<int>());
    CPPUNIT_ASSERT_EQUAL(0, db_.statements);
  }

  void dbOnlyDumpReadsTheDb() {
    db_.put("location", "bob", "", "sip:b1", 60000);
    db_.put("location", "bob", "", "sip:b2", 60000);
    db_.put("location", "carol", "", "sip:c", 60000);
    db_.put("location", "dave", "", "sip:d", 100);  // expired
    start("db-only");
    Result<Json> dump = miDump(*svc_, params(Json::object()));
    CPPUNIT_ASSERT_MESSAGE(dump.status().message(), dump.isOk());
    const Json& t = dump.value()["tables"][0];
    CPPUNIT_ASSERT_EQUAL(2, t["users"].get<int>());
    CPPUNIT_ASSERT_EQUAL(3, t["contacts"].get<int>());
    CPPUNIT_ASSERT(miRemoveAor(*svc_, params({{"table", "location"}, {"aor", "bob"}})).isOk());
    CPPUNIT_ASSERT(db_.find("location", "bob", "", "sip:b1") == nullptr);
    db_.down = true;
    CPPUNIT_ASSERT(miDump(*svc_, params(Json::object())).status().code() == Code::kUnavailable);
  }

  void addContact(const std::string& aor, const std::string& uri) {
    Result<Json> r = miAdd(
        *svc_, params({{"table", "location"}, {"aor", aor}, {"contact", uri}, {"expires", 120}}));
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.isOk());
  }

  void showListsEveryAorOrOne() {
    start("memory");
    addContact("alice", "sip:alice@192.0.2.1");
    addContact("alice", "sip:alice@192.0.2.2");
    addContact("bob", "sip:bob@192.0.2.3");
    Result<Json> all = miShow(*svc_, params(Json::object()));
    CPPUNIT_ASSERT_MESSAGE(all.status().message(), all.isOk());
    const Json& aors = all.value()["aors"];
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), aors.size());
    std::size_t contacts = 0;
    for (const Json& a : aors) {
      CPPUNIT_ASSERT_EQUAL(std::string("location"), a["table"].get<std::string>());
      contacts += a["contacts"].size();
    }
    CPPUNIT_ASSERT_EQUAL(std::size_t(3), contacts);

    Result<Json> one = miShow(*svc_, params({{"aor", "alice"}}));
    CPPUNIT_ASSERT(one.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), one.value()["aors"].size());
    const Json& alice = one.value()["aors"][0];
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), alice["aor"].get<std::string>());
    // The same contact fields as ul_show_contact.
    Result<Json> old = miShowContact(*svc_, params({{"table", "location"}, {"aor", "alice"}}));
    CPPUNIT_ASSERT(old.isOk());
    CPPUNIT_ASSERT(old.value()["contacts"] == alice["contacts"]);

    Result<Json> in_table = miShow(*svc_, params({{"aor", "bob"}, {"table", "location"}}));
    CPPUNIT_ASSERT(in_table.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:bob@192.0.2.3"),
                         in_table.value()["aors"][0]["contacts"][0]["contact"].get<std::string>());
  }

  void showOfUnknownAorOrTableIsNotFound() {
    start("memory");
    Result<Json> r = miShow(*svc_, params({{"aor", "nobody"}}));
    CPPUNIT_ASSERT(r.status().code() == Code::kNotFound);
    CPPUNIT_ASSERT(r.status().message().find("nobody") != std::string::npos);
    CPPUNIT_ASSERT(miShow(*svc_, params({{"table", "nope"}})).status().code() == Code::kNotFound);
    Result<Json> empty = miShow(*svc_, params(Json::object()));
    CPPUNIT_ASSERT(empty.isOk());
    CPPUNIT_ASSERT(empty.value()["aors"].empty());
  }

  void dbOnlyShowReadsTheDb() {
    db_.put("location", "bob", "", "sip:b1", 60000);
    db_.put("location", "carol", "", "sip:c", 60000);
    start("db-only");
    Result<Json> all = miShow(*svc_, params(Json::object()));
    CPPUNIT_ASSERT_MESSAGE(all.status().message(), all.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), all.value()["aors"].size());
    Result<Json> carol = miShow(*svc_, params({{"aor", "carol"}}));
    CPPUNIT_ASSERT(carol.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:c"),
                         carol.value()["aors"][0]["contacts"][0]["contact"].get<std::string>());
  }

  // use_domain off: save() keys "alice", so the MI takes "alice@example.com" as "alice" (as
  // OpenSIPS's MI does); a binding added under the whole text would be one lookup never finds.
  void aorWithoutUseDomainIsTheUser() {
    start("memory");
    Result<Json> r = miAdd(*svc_, params({{"table", "location"},
                                          {"aor", "alice@example.com"},
                                          {"contact", "sip:alice@192.0.2.1"},
                                          {"expires", 60}}));
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), r.value()["aor"].get<std::string>());
    Result<Json> show = miShowContact(*svc_, params({{"table", "location"}, {"aor", "alice"}}));
    CPPUNIT_ASSERT_MESSAGE(show.status().message(), show.isOk());
    show = miShowContact(*svc_, params({{"table", "location"}, {"aor", "alice@example.com"}}));
    CPPUNIT_ASSERT_MESSAGE(show.status().message(), show.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), show.value()["aor"].get<std::string>());
    CPPUNIT_ASSERT(miShow(*svc_, params({{"aor", "alice@example.com"}})).isOk());
    Json rm = {
        {"table", "location"}, {"aor", "alice@example.com"}, {"contact", "sip:alice@192.0.2.1"}};
    CPPUNIT_ASSERT(miRemoveContact(*svc_, params(rm)).isOk());
    CPPUNIT_ASSERT(miAdd(*svc_, params({{"table", "location"},
                                        {"aor", "alice"},
                                        {"contact", "sip:alice@192.0.2.2"},
                                        {"expires", 60}}))
                       .isOk());
    CPPUNIT_ASSERT(
        miRemoveAor(*svc_, params({{"table", "location"}, {"aor", "alice@example.com"}})).isOk());
    CPPUNIT_ASSERT(miDump(*svc_, params(Json::object())).value()["tables"][0]["aors"].empty());
  }

  // use_domain on: the AOR is user@domain with the domain lower-cased, as save() keys it.
  void aorWithUseDomainNeedsTheDomain() {
    svc_->config().use_domain = true;
    start("memory");
    Json add = {{"table", "location"},
                {"aor", "bob@Example.COM"},
                {"contact", "sip:bob@192.0.2.1"},
                {"expires", 60}};
    Result<Json> r = miAdd(*svc_, params(add));
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("bob@example.com"), r.value()["aor"].get<std::string>());
    CPPUNIT_ASSERT(
        miShowContact(*svc_, params({{"table", "location"}, {"aor", "bob@example.com"}})).isOk());
    add["aor"] = "bob";
    Status st = miAdd(*svc_, params(add)).status();
    CPPUNIT_ASSERT(st.code() == Code::kInvalidArgument);
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.message().find("use_domain") != std::string::npos);
    CPPUNIT_ASSERT(
        miShowContact(*svc_, params({{"table", "location"}, {"aor", "bob"}})).status().code() ==
        Code::kInvalidArgument);
  }

 private:
  testing::FakeDb db_;
  std::unique_ptr<shm::Segment> seg_;
  std::unique_ptr<Service> svc_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(UlMiTest);

}  // namespace sipline::usrloc
