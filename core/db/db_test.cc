#include "core/db/db.h"

#include <cppunit/extensions/HelperMacros.h>

#include <cmath>
#include <limits>

namespace sipline::db {

class DbUrlTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DbUrlTest);
  CPPUNIT_TEST(parsesEveryPart);
  CPPUNIT_TEST(optionalPartsMayBeLeftOut);
  CPPUNIT_TEST(postgresqlSchemeIsNormalised);
  CPPUNIT_TEST(percentEscapesAreDecoded);
  CPPUNIT_TEST(ipv6NeedsBrackets);
  CPPUNIT_TEST(textHidesThePassword);
  CPPUNIT_TEST(badUrlsAreRefusedWithTheReason);
  CPPUNIT_TEST(errorsNeverShowThePassword);
  CPPUNIT_TEST_SUITE_END();

 public:
  void parsesEveryPart() {
    Result<DbUrl> u = parseDbUrl("postgres://alice:s3cret@10.0.0.7:6543/sipdb");
    CPPUNIT_ASSERT(u.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("postgres"), u.value().scheme);
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), u.value().user);
    CPPUNIT_ASSERT_EQUAL(std::string("s3cret"), u.value().password);
    CPPUNIT_ASSERT_EQUAL(std::string("10.0.0.7"), u.value().host);
    CPPUNIT_ASSERT_EQUAL(std::uint16_t{6543}, u.value().port);
    CPPUNIT_ASSERT_EQUAL(std::string("sipdb"), u.value().database);
  }
  void optionalPartsMayBeLeftOut() {
    Result<DbUrl> u = parseDbUrl("postgres://sipline@127.0.0.1/sipline");
    CPPUNIT_ASSERT(u.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("sipline"), u.value().user);
    CPPUNIT_ASSERT_EQUAL(std::string(), u.value().password);
    CPPUNIT_ASSERT_EQUAL(std::uint16_t{0}, u.value().port);
    Result<DbUrl> bare = parseDbUrl("postgres://db.example.net");
    CPPUNIT_ASSERT(bare.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("db.example.net"), bare.value().host);
    CPPUNIT_ASSERT_EQUAL(std::string(), bare.value().user);
    CPPUNIT_ASSERT_EQUAL(std::string(), bare.value().database);
    // libpq's defaults: the local socket and the user's own database.
    Result<DbUrl> local = parseDbUrl("postgres:///sipline");
    CPPUNIT_ASSERT(local.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string(), local.value().host);
    CPPUNIT_ASSERT_EQUAL(std::string("sipline"), local.value().database);
  }
  void postgresqlSchemeIsNormalised() {
    Result<DbUrl> u = parseDbUrl("PostgreSQL://u@h/d");
    CPPUNIT_ASSERT(u.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("postgres"), u.value().scheme);
  }
  void percentEscapesAreDecoded() {
    Result<DbUrl> u =
        parseDbUrl("postgres://us%40er:p%3Aw%2Fd%25@%2Fvar%2Frun%2Fpostgresql/my%20db");
    CPPUNIT_ASSERT(u.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("us@er"), u.value().user);
    CPPUNIT_ASSERT_EQUAL(std::string("p:w/d%"), u.value().password);
    CPPUNIT_ASSERT_EQUAL(std::string("/var/run/postgresql"), u.value().host);
    CPPUNIT_ASSERT_EQUAL(std::string("my db"), u.value().database);
    // An unescaped '@' in the password: the last '@' ends the user info.
    Result<DbUrl> at = parseDbUrl("postgres://u:p@ss@h/d");
    CPPUNIT_ASSERT(at.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("p@ss"), at.value().password);
    CPPUNIT_ASSERT_EQUAL(std::string("h"), at.value().host);
  }
  void ipv6NeedsBrackets() {
    Result<DbUrl> u = parseDbUrl("postgres://u@[::1]:5433/d");
    CPPUNIT_ASSERT(u.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("::1"), u.value().host);
    CPPUNIT_ASSERT_EQUAL(std::uint16_t{5433}, u.value().port);
    Result<DbUrl> noport = parseDbUrl("postgres://[2001:db8::5]/d");
    CPPUNIT_ASSERT(noport.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::5"), noport.value().host);
    CPPUNIT_ASSERT_EQUAL(std::uint16_t{0}, noport.value().port);
    Result<DbUrl> bare = parseDbUrl("postgres://u@::1:5432/d");
    CPPUNIT_ASSERT(!bare.isOk());
    CPPUNIT_ASSERT(bare.status().message().find("brackets") != std::string::npos);
  }
  void textHidesThePassword() {
    Result<DbUrl> u = parseDbUrl("postgres://sipline:topsecret@127.0.0.1:5432/sipline");
    CPPUNIT_ASSERT(u.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("postgres://sipline:***@127.0.0.1:5432/sipline"),
                         u.value().text);
    Result<DbUrl> nopass = parseDbUrl("postgresql://sipline@127.0.0.1/sipline");
    CPPUNIT_ASSERT(nopass.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("postgresql://sipline@127.0.0.1/sipline"),
                         nopass.value().text);
  }
  void badUrlsAreRefusedWithTheReason() {
    struct Case {
      const char* url;
      const char* reason;
    };
    const Case cases[] = {
        {"", "empty"},
        {"127.0.0.1/sipline", "no scheme"},
        {"://h/d", "no scheme"},
        {"post gres://h/d", "space"},
        {"1pg://h/d", "bad scheme"},
        {"postgres://h:99999/d", "bad port \"99999\""},
        {"postgres://h:0/d", "bad port"},
        {"postgres://h:5x/d", "bad port"},
        {"postgres://h:/d", "bad port"},
        {"postgres://h:-1/d", "bad port"},
        {"postgres://[::1/d", "unterminated"},
        {"postgres://[::1]x/d", "after ]"},
        {"postgres://[zz]/d", "bad IPv6"},
        {"postgres://u%zz@h/d", "%-escape in user"},
        {"postgres://u:p%4@h/d", "%-escape in password"},
        {"postgres://h%/d", "%-escape in host"},
        {"postgres://h/d%2", "%-escape in database"},
        {"postgres://h/d/x", "cannot contain '/'"},
        {"postgres://h/d?sslmode=require", "query parameters"},
        {"postgres://h/d\n", "control character"},
    };
    for (const Case& c : cases) {
      Result<DbUrl> u = parseDbUrl(c.url);
      CPPUNIT_ASSERT_MESSAGE(c.url, !u.isOk());
      CPPUNIT_ASSERT_EQUAL_MESSAGE(c.url, Code::kInvalidArgument, u.status().code());
      CPPUNIT_ASSERT_MESSAGE(std::string(c.url) + " -> " + u.status().message(),
                             u.status().message().find(c.reason) != std::string::npos);
    }
  }
  void errorsNeverShowThePassword() {
    Result<DbUrl> u = parseDbUrl("postgres://u:hunter2@h:99999/d");
    CPPUNIT_ASSERT(!u.isOk());
    CPPUNIT_ASSERT(u.status().message().find("hunter2") == std::string::npos);
    CPPUNIT_ASSERT(u.status().message().find("postgres://***@h:99999") != std::string::npos);
    Result<DbUrl> ws = parseDbUrl("postgres://u:hunter 2@h/d");
    CPPUNIT_ASSERT(!ws.isOk());
    CPPUNIT_ASSERT(ws.status().message().find("hunter") == std::string::npos);
    // Characters that end the userinfo early elsewhere ('?', '#', '/') must not expose it.
    for (const char* url : {"postgres://u:hunt?er2@h/d", "postgres://u:hunt#er2@h/d",
                            "postgres://u:hunt/er2@h:5432/d", "postgres://u:hunter2@h:x/d"}) {
      Result<DbUrl> r = parseDbUrl(url);
      CPPUNIT_ASSERT_MESSAGE(url, !r.isOk());
      CPPUNIT_ASSERT_MESSAGE(r.status().message(),
                             r.status().message().find("er2") == std::string::npos);
    }
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(DbUrlTest);

class RowsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(RowsTest);
  CPPUNIT_TEST(columnsAreFoundByName);
  CPPUNIT_TEST(typedGettersConvertOrRefuse);
  CPPUNIT_TEST(nullAndOutOfRangeCellsReadAsNull);
  CPPUNIT_TEST_SUITE_END();

  static Rows sample() {
    return Rows({"id", "name", "ratio", "active"},
                {{std::string("42"), std::string("alice"), std::string("0.5"), std::string("t")},
                 {std::string("-9223372036854775808"), std::nullopt, std::string("-Infinity"),
                  std::string("false")},
                 {std::string("9223372036854775808"), std::string(""), std::string("1e"),
                  std::string("yes")}});
  }

 public:
  void columnsAreFoundByName() {
    Rows rows = sample();
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, rows.size());
    CPPUNIT_ASSERT(!rows.empty());
    CPPUNIT_ASSERT_EQUAL(2, rows.column("ratio"));
    CPPUNIT_ASSERT_EQUAL(-1, rows.column("Ratio"));
    CPPUNIT_ASSERT_EQUAL(-1, rows.column("missing"));
    CPPUNIT_ASSERT(Rows().empty());
  }
  void typedGettersConvertOrRefuse() {
    Rows rows = sample();
    std::int64_t i = 0;
    CPPUNIT_ASSERT(rows.getInt(0, 0, i));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{42}, i);
    CPPUNIT_ASSERT(rows.getInt(1, 0, i));
    CPPUNIT_ASSERT_EQUAL(std::numeric_limits<std::int64_t>::min(), i);
    i = 7;
    CPPUNIT_ASSERT(!rows.getInt(2, 0, i));     // overflow
    CPPUNIT_ASSERT(!rows.getInt(0, 1, i));     // not a number
    CPPUNIT_ASSERT(!rows.getInt(0, 2, i));     // "0.5" is not an integer
    CPPUNIT_ASSERT_EQUAL(std::int64_t{7}, i);  // untouched on failure
    double d = 0;
    CPPUNIT_ASSERT(rows.getDouble(0, 2, d));
    CPPUNIT_ASSERT_EQUAL(0.5, d);
    CPPUNIT_ASSERT(rows.getDouble(1, 2, d));
    CPPUNIT_ASSERT(std::isinf(d) && d < 0);
    CPPUNIT_ASSERT(!rows.getDouble(2, 2, d));
    bool b = false;
    CPPUNIT_ASSERT(rows.getBool(0, 3, b));
    CPPUNIT_ASSERT(b);
    CPPUNIT_ASSERT(rows.getBool(1, 3, b));
    CPPUNIT_ASSERT(!b);
    CPPUNIT_ASSERT(!rows.getBool(2, 3, b));
    CPPUNIT_ASSERT_EQUAL(std::string_view("alice"), *rows.text(0, 1));
    CPPUNIT_ASSERT_EQUAL(std::string_view(""), *rows.text(2, 1));
  }
  void nullAndOutOfRangeCellsReadAsNull() {
    Rows rows = sample();
    CPPUNIT_ASSERT(rows.isNull(1, 1));
    CPPUNIT_ASSERT(!rows.isNull(2, 1));  // an empty string is not NULL
    CPPUNIT_ASSERT(!rows.text(1, 1).has_value());
    CPPUNIT_ASSERT(rows.isNull(3, 0));
    CPPUNIT_ASSERT(rows.isNull(0, 4));
    CPPUNIT_ASSERT(rows.isNull(0, -1));
    std::int64_t i = 0;
    CPPUNIT_ASSERT(!rows.getInt(1, 1, i));
    CPPUNIT_ASSERT(!rows.getInt(0, rows.column("missing"), i));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(RowsTest);

namespace {

// A driver for a made-up scheme: counts opens and hands out nothing usable.
class FakeDriver : public Driver {
 public:
  explicit FakeDriver(const char* scheme) : scheme_(scheme) {}
  const char* scheme() const override { return scheme_; }
  Result<std::unique_ptr<Connection>> open(const DbUrl& url, const Options&) override {
    ++opens;
    last_host = url.host;
    return Status::unsupported("fake driver " + std::string(scheme_));
  }
  int opens = 0;
  std::string last_host;

 private:
  const char* scheme_;
};

}  // namespace

class DriverRegistryTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DriverRegistryTest);
  CPPUNIT_TEST(openUrlUsesTheDriverOfTheScheme);
  CPPUNIT_TEST(aLaterDriverOfTheSameSchemeWins);
  CPPUNIT_TEST(unknownSchemeNamesTheModuleToLoad);
  CPPUNIT_TEST(badUrlFailsBeforeAnyDriver);
  CPPUNIT_TEST_SUITE_END();

 public:
  void openUrlUsesTheDriverOfTheScheme() {
    static FakeDriver driver("fakedb");
    registerDriver(&driver);
    registerDriver(nullptr);  // ignored
    CPPUNIT_ASSERT(findDriver("fakedb") == &driver);
    CPPUNIT_ASSERT(findDriver("FAKEDB") == &driver);
    Result<std::unique_ptr<Connection>> c = openUrl("fakedb://u@somehost/d", Options{});
    CPPUNIT_ASSERT(!c.isOk());
    CPPUNIT_ASSERT_EQUAL(Code::kUnsupported, c.status().code());
    CPPUNIT_ASSERT_EQUAL(1, driver.opens);
    CPPUNIT_ASSERT_EQUAL(std::string("somehost"), driver.last_host);
  }
  void aLaterDriverOfTheSameSchemeWins() {
    static FakeDriver first("twicedb");
    static FakeDriver second("twicedb");
    registerDriver(&first);
    registerDriver(&second);
    registerDriver(&second);
    CPPUNIT_ASSERT(findDriver("twicedb") == &second);
  }
  void unknownSchemeNamesTheModuleToLoad() {
    Result<std::unique_ptr<Connection>> c = openUrl("mysql://u:pw@h/d", Options{});
    CPPUNIT_ASSERT(!c.isOk());
    CPPUNIT_ASSERT_EQUAL(Code::kNotFound, c.status().code());
    CPPUNIT_ASSERT(c.status().message().find("load module db_mysql for mysql:// URLs") !=
                   std::string::npos);
    CPPUNIT_ASSERT(c.status().message().find("pw") == std::string::npos);
    CPPUNIT_ASSERT(findDriver("mysql") == nullptr);
    // The postgres driver is registered by the db_postgres module only; unless a test of this
    // process has registered it, the hint names that module.
    if (findDriver("postgres") == nullptr) {
      Result<std::unique_ptr<Connection>> pg = openUrl("postgresql://h/d", Options{});
      CPPUNIT_ASSERT_EQUAL(Code::kNotFound, pg.status().code());
      CPPUNIT_ASSERT(pg.status().message().find("load module db_postgres for postgres:// URLs") !=
                     std::string::npos);
    }
  }
  void badUrlFailsBeforeAnyDriver() {
    Result<std::unique_ptr<Connection>> c = openUrl("fakedb:/nothing", Options{});
    CPPUNIT_ASSERT_EQUAL(Code::kInvalidArgument, c.status().code());
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(DriverRegistryTest);

}  // namespace sipline::db
