#include <cppunit/extensions/HelperMacros.h>

#include "modules/auth_db/auth_db.h"
#include "modules/auth_db/auth_db_mi.h"
#include "modules/auth_db/auth_db_test_util.h"

namespace sipline::auth_db {

using testing::ServiceHarness;

class AuthDbServiceTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(AuthDbServiceTest);
  CPPUNIT_TEST(tableNamesAreCheckedAtBind);
  CPPUNIT_TEST(newTableAfterStartIsRefused);
  CPPUNIT_TEST(startRefusesAMissingVersionRow);
  CPPUNIT_TEST(startRefusesAMissingColumn);
  CPPUNIT_TEST(startChecksLoadCredentialsColumns);
  CPPUNIT_TEST(startRefusesBadParameters);
  CPPUNIT_TEST(startRefusesAnUnreachableDb);
  CPPUNIT_TEST(skipVersionCheckStillChecksColumns);
  CPPUNIT_TEST(everyDeclaredTableIsChecked);
  CPPUNIT_TEST(cacheIsPerTable);
  CPPUNIT_TEST(miFlushOneOrAll);
  CPPUNIT_TEST(miFlushRefusesABadAor);
  CPPUNIT_TEST(miFlushWithoutUseDomainTakesABareUser);
  CPPUNIT_TEST(childWithoutConnectionFailsClosed);
  CPPUNIT_TEST(flushDuringTheFetchKeepsTheOldRowOut);
  CPPUNIT_TEST(unknownSubscribersAreCachedBriefly);
  CPPUNIT_TEST(negativeCacheTtlZeroNeverCachesUnknowns);
  CPPUNIT_TEST(existsSharesTheNegativeCache);
  CPPUNIT_TEST_SUITE_END();

 public:
  void tableNamesAreCheckedAtBind() {
    ServiceHarness h;
    CPPUNIT_ASSERT(h.service.table("subscriber").isOk());
    CPPUNIT_ASSERT(!h.service.table("sub;drop table x").isOk());
    CPPUNIT_ASSERT(!h.service.table("").isOk());
    CPPUNIT_ASSERT_EQUAL(h.service.table("subscriber").value(),
                         h.service.table("subscriber").value());
  }

  void newTableAfterStartIsRefused() {
    ServiceHarness h;
    h.mustStart();
    Result<Table*> t = h.service.table("other");
    CPPUNIT_ASSERT(!t.isOk());
    CPPUNIT_ASSERT(t.status().message().find("restart") != std::string::npos);
  }

  void startRefusesAMissingVersionRow() {
    ServiceHarness h;
    h.db.versions.clear();
    Status st = h.start();
    CPPUNIT_ASSERT(!st.isOk());
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.message().find("subscriber") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.message().find("siplinectl") != std::string::npos);
    h.db.versions["subscriber"] = 2;
    ServiceHarness h2;
    h2.db.versions["subscriber"] = 2;
    st = h2.start();
    CPPUNIT_ASSERT_MESSAGE(st.message(),
                           st.message().find("version 1 expected") != std::string::npos);
  }

  void startRefusesAMissingColumn() {
    ServiceHarness h;
    h.db.columns.erase(std::find(h.db.columns.begin(), h.db.columns.end(), "ha1_sha512t256"));
    Status st = h.start();
    CPPUNIT_ASSERT(!st.isOk());
    CPPUNIT_ASSERT_MESSAGE(st.message(),
                           st.message().find("no column ha1_sha512t256") != std::string::npos);
    // With calculate_ha1 that column is not read, so it is not needed.
    ServiceHarness plain;
    plain.db.columns = h.db.columns;
    plain.service.config().calculate_ha1 = true;
    CPPUNIT_ASSERT(plain.start().isOk());
  }

  void startChecksLoadCredentialsColumns() {
    ServiceHarness h;
    h.service.config().load_credentials = "$avp(x)=no_such_column";
    Status st = h.start();
    CPPUNIT_ASSERT(!st.isOk());
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.message().find("no_such_column") != std::string::npos);
  }

  void startRefusesBadParameters() {
    ServiceHarness h;
    h.service.config().user_column = "user name";
    CPPUNIT_ASSERT(h.start().message().find("user_column") != std::string::npos);
    ServiceHarness h2;
    h2.service.config().load_credentials = "$avp(a b)=rpid";
    CPPUNIT_ASSERT(h2.start().message().find("load_credentials") != std::string::npos);
    ServiceHarness h3;
    h3.service.config().db_url = "";
    CPPUNIT_ASSERT(h3.start().message().find("db_url") != std::string::npos);
  }

  void startRefusesAnUnreachableDb() {
    ServiceHarness h;
    h.db.down = true;
    Status st = h.start();
    CPPUNIT_ASSERT(st.code() == Code::kUnavailable);
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.message().find("cannot reach") != std::string::npos);
  }

  void skipVersionCheckStillChecksColumns() {
    ServiceHarness h;
    h.service.config().skip_version_check = true;
    h.db.versions.clear();
    h.db.versions["subscriber"] = 7;
    CPPUNIT_ASSERT(h.start().isOk());
    ServiceHarness h2;
    h2.service.config().skip_version_check = true;
    h2.db.columns.erase(std::find(h2.db.columns.begin(), h2.db.columns.end(), "ha1"));
    CPPUNIT_ASSERT(!h2.start().isOk());
  }

  void everyDeclaredTableIsChecked() {
    ServiceHarness h;
    Status st = h.start({"subscriber", "pstn_users"});
    CPPUNIT_ASSERT(!st.isOk());
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.message().find("pstn_users") != std::string::npos);
  }

  void cacheIsPerTable() {
    ServiceHarness h;
    h.db.versions["other"] = 1;
    h.db.add("subscriber", "alice", "example.com", {{"ha1", "aa"}});
    h.db.add("other", "alice", "example.com", {{"ha1", "bb"}});
    h.mustStart({"subscriber", "other"});
    SubscriberRow a, b;
    CPPUNIT_ASSERT(h.service.lookup(h.table(), "alice", "example.com", a) == Lookup::kFound);
    CPPUNIT_ASSERT(h.service.lookup(h.table("other"), "alice", "example.com", b) == Lookup::kFound);
    CPPUNIT_ASSERT_EQUAL(std::string("aa"), a.ha1[0]);
    CPPUNIT_ASSERT_EQUAL(std::string("bb"), b.ha1[0]);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), h.entries.load());
    // One flush of alice@example.com removes her rows of every table.
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), h.service.flushCache("alice", "example.com"));
  }

  void miFlushOneOrAll() {
    ServiceHarness h;
    h.db.add("subscriber", "alice", "example.com");
    h.db.add("subscriber", "bob", "example.com");
    h.mustStart();
    SubscriberRow row;
    h.service.lookup(h.table(), "alice", "example.com", row);
    h.service.lookup(h.table(), "bob", "example.com", row);
    Json one = Json::object();
    one["aor"] = "sip:alice@example.com";
    Result<Json> r = miCacheFlush(h.service, MiParams(one));
    CPPUNIT_ASSERT(r.isOk());
    CPPUNIT_ASSERT_EQUAL(1, r.value()["flushed"].get<int>());
    CPPUNIT_ASSERT_EQUAL(1, r.value()["entries"].get<int>());
    r = miCacheFlush(h.service, MiParams());
    CPPUNIT_ASSERT_EQUAL(1, r.value()["flushed"].get<int>());
    CPPUNIT_ASSERT_EQUAL(0, r.value()["entries"].get<int>());
    CPPUNIT_ASSERT(r.value()["cache"].get<bool>());
  }

  void miFlushRefusesABadAor() {
    ServiceHarness h;
    h.mustStart();
    for (const char* bad : {"alice", "@example.com", "alice@", ""}) {
      Json p = Json::object();
      p["aor"] = bad;
      CPPUNIT_ASSERT_MESSAGE(bad, !miCacheFlush(h.service, MiParams(p)).isOk());
    }
  }

  void miFlushWithoutUseDomainTakesABareUser() {
    ServiceHarness h;
    h.service.config().use_domain = false;
    h.db.add("subscriber", "alice", "");
    h.mustStart();
    SubscriberRow row;
    h.service.lookup(h.table(), "alice", "whatever", row);
    Json p = Json::object();
    p["aor"] = "alice";
    Result<Json> r = miCacheFlush(h.service, MiParams(p));
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.isOk());
    CPPUNIT_ASSERT_EQUAL(1, r.value()["flushed"].get<int>());
  }

  void childWithoutConnectionFailsClosed() {
    ServiceHarness h;
    h.db.add("subscriber", "alice", "example.com");
    CPPUNIT_ASSERT(h.service.table("subscriber").isOk());
    CPPUNIT_ASSERT(h.service.init(h.segment->manager()).isOk());
    // No childInit: the master itself never queries.
    SubscriberRow row;
    CPPUNIT_ASSERT(h.service.lookup(h.table(), "alice", "example.com", row) == Lookup::kError);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), h.db_errors.load());
  }

  // `siplinectl subscriber passwd` changes the row and flushes while a worker's SELECT of the
  // old row is in flight: that old row must not be cached after the flush.
  void flushDuringTheFetchKeepsTheOldRowOut() {
    ServiceHarness h;
    h.db.add("subscriber", "alice", "example.com", {{"ha1", "old"}});
    h.mustStart();
    // The fake answers after the hook, so the hook only flushes; the DB change it follows is
    // made below (the SELECT's snapshot predates it either way).
    h.db.during_query = [&h] {
      h.db.during_query = nullptr;
      h.service.flushCache("alice", "example.com");
    };
    SubscriberRow row;
    CPPUNIT_ASSERT(h.service.lookup(h.table(), "alice", "example.com", row) == Lookup::kFound);
    CPPUNIT_ASSERT_EQUAL(std::string("old"), row.ha1[0]);  // read before the change
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), h.service.cache()->size());
    h.db.remove("subscriber", "alice");
    h.db.add("subscriber", "alice", "example.com", {{"ha1", "new"}});
    CPPUNIT_ASSERT(h.service.lookup(h.table(), "alice", "example.com", row) == Lookup::kFound);
    CPPUNIT_ASSERT_EQUAL(std::string("new"), row.ha1[0]);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), h.db_lookups.load());
    // Without a flush in between, the row is cached as usual.
    CPPUNIT_ASSERT(h.service.lookup(h.table(), "alice", "example.com", row) == Lookup::kFound);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), h.db_lookups.load());
    // A flush of everything voids a fetch in flight too.
    h.service.flushCache(std::nullopt, "");
    h.db.during_query = [&h] {
      h.db.during_query = nullptr;
      h.service.flushCache(std::nullopt, "");
    };
    CPPUNIT_ASSERT(h.service.lookup(h.table(), "alice", "example.com", row) == Lookup::kFound);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), h.service.cache()->size());
  }

  void unknownSubscribersAreCachedBriefly() {
    ServiceHarness h;
    h.mustStart();  // negative_cache_ttl 5 s by default
    SubscriberRow row;
    for (int i = 0; i < 3; ++i) {
      CPPUNIT_ASSERT(h.service.lookup(h.table(), "ghost", "example.com", row) == Lookup::kNotFound);
    }
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), h.db_lookups.load());  // a flood costs one SELECT
    h.db.add("subscriber", "ghost", "example.com", {{"ha1", "x"}});
    h.now_ms += 4999;
    CPPUNIT_ASSERT(h.service.lookup(h.table(), "ghost", "example.com", row) == Lookup::kNotFound);
    h.now_ms += 1;
    CPPUNIT_ASSERT(h.service.lookup(h.table(), "ghost", "example.com", row) == Lookup::kFound);
    // `siplinectl subscriber add` flushes: a new subscriber works at once.
    CPPUNIT_ASSERT(h.service.lookup(h.table(), "new", "example.com", row) == Lookup::kNotFound);
    h.db.add("subscriber", "new", "example.com", {{"ha1", "y"}});
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), h.service.flushCache("new", "example.com"));
    CPPUNIT_ASSERT(h.service.lookup(h.table(), "new", "example.com", row) == Lookup::kFound);
    // Capped by cache_ttl.
    ServiceHarness shortTtl;
    shortTtl.service.config().cache_ttl_s = 2;
    shortTtl.mustStart();
    CPPUNIT_ASSERT(shortTtl.service.lookup(shortTtl.table(), "g", "example.com", row) ==
                   Lookup::kNotFound);
    shortTtl.now_ms += 2000;
    shortTtl.db.add("subscriber", "g", "example.com", {{"ha1", "z"}});
    CPPUNIT_ASSERT(shortTtl.service.lookup(shortTtl.table(), "g", "example.com", row) ==
                   Lookup::kFound);
  }

  void negativeCacheTtlZeroNeverCachesUnknowns() {
    ServiceHarness h;
    h.service.config().negative_cache_ttl_s = 0;
    h.mustStart();
    SubscriberRow row;
    CPPUNIT_ASSERT(h.service.lookup(h.table(), "ghost", "example.com", row) == Lookup::kNotFound);
    CPPUNIT_ASSERT(h.service.exists(h.table(), "ghost", "example.com") == Lookup::kNotFound);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), h.service.cache()->size());
    h.db.add("subscriber", "ghost", "example.com", {{"ha1", "x"}});
    CPPUNIT_ASSERT(h.service.lookup(h.table(), "ghost", "example.com", row) == Lookup::kFound);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), h.db_lookups.load());
  }

  void existsSharesTheNegativeCache() {
    ServiceHarness h;
    h.db.add("subscriber", "alice", "example.com", {{"ha1", "a"}});
    h.mustStart();
    CPPUNIT_ASSERT(h.service.exists(h.table(), "ghost", "example.com") == Lookup::kNotFound);
    SubscriberRow row;
    CPPUNIT_ASSERT(h.service.lookup(h.table(), "ghost", "example.com", row) == Lookup::kNotFound);
    CPPUNIT_ASSERT(h.service.exists(h.table(), "ghost", "example.com") == Lookup::kNotFound);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), h.db_lookups.load());
    // A cached row says yes, a cached "no" no: never the other way round.
    CPPUNIT_ASSERT(h.service.lookup(h.table(), "alice", "example.com", row) == Lookup::kFound);
    CPPUNIT_ASSERT(h.service.exists(h.table(), "alice", "example.com") == Lookup::kFound);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), h.db_lookups.load());
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(AuthDbServiceTest);

}  // namespace sipline::auth_db
