#include "modules/auth_db/auth_db_config.h"

#include <cppunit/extensions/HelperMacros.h>

#include "modules/auth_db/subscriber_sql.h"

namespace sipline::auth_db {

class AuthDbConfigTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(AuthDbConfigTest);
  CPPUNIT_TEST(loadCredentialsTakesBothForms);
  CPPUNIT_TEST(loadCredentialsRefusesBadItems);
  CPPUNIT_TEST(checkConfigNamesTheBadParameter);
  CPPUNIT_TEST(statementsFollowTheParameters);
  CPPUNIT_TEST_SUITE_END();

 public:
  void loadCredentialsTakesBothForms() {
    Result<std::vector<LoadedColumn>> r =
        parseLoadCredentials(" email_address ; $avp(caller_class)=class;;");
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), r.value().size());
    CPPUNIT_ASSERT_EQUAL(std::string("email_address"), r.value()[0].avp);
    CPPUNIT_ASSERT_EQUAL(std::string("email_address"), r.value()[0].column);
    CPPUNIT_ASSERT_EQUAL(std::string("caller_class"), r.value()[1].avp);
    CPPUNIT_ASSERT_EQUAL(std::string("class"), r.value()[1].column);
    CPPUNIT_ASSERT(parseLoadCredentials("").value().empty());
  }

  void loadCredentialsRefusesBadItems() {
    for (const char* bad : {"rpid;bad column", "$var(x)=rpid", "$avp()=rpid",
                            "$avp(x)=", "$avp(x y)=rpid", "rpid;x'--"}) {
      Result<std::vector<LoadedColumn>> r = parseLoadCredentials(bad);
      CPPUNIT_ASSERT_MESSAGE(bad, !r.isOk());
      CPPUNIT_ASSERT(r.status().message().find("load_credentials") != std::string::npos);
    }
  }

  void checkConfigNamesTheBadParameter() {
    Config c;
    c.db_url = "postgres://sipline@127.0.0.1/sipline";
    CPPUNIT_ASSERT(checkConfig(c).isOk());
    Config bad = c;
    bad.hash_column_sha256 = "ha1 sha";
    CPPUNIT_ASSERT(checkConfig(bad).message().find("hash_column_sha256") != std::string::npos);
    bad = c;
    bad.db_url.clear();
    CPPUNIT_ASSERT(checkConfig(bad).message().find("db_url is required") != std::string::npos);
    bad = c;
    bad.db_url = "mysql:nonsense";
    CPPUNIT_ASSERT(!checkConfig(bad).isOk());
    bad = c;
    bad.db_error_reply = 404;
    CPPUNIT_ASSERT(checkConfig(bad).message().find("db_error_reply") != std::string::npos);
    bad = c;
    bad.db_error_reply = 0;
    CPPUNIT_ASSERT(checkConfig(bad).isOk());
    bad = c;
    bad.load_credentials = "$avp(x)=no such";
    CPPUNIT_ASSERT(checkConfig(bad).message().find("load_credentials") != std::string::npos);
  }

  void statementsFollowTheParameters() {
    Config c;
    SubscriberSql hashes("subscriber", c, {{"cls", "class"}});
    CPPUNIT_ASSERT_EQUAL(std::string("SELECT ha1, ha1_sha256, ha1_sha512t256, class FROM "
                                     "subscriber WHERE username = $1 AND lower(domain) = "
                                     "lower($2) LIMIT 1"),
                         hashes.fetchSqlForTest());
    std::vector<std::string> want{"username",   "domain",         "ha1",
                                  "ha1_sha256", "ha1_sha512t256", "class"};
    CPPUNIT_ASSERT(hashes.spec().columns == want);
    CPPUNIT_ASSERT_EQUAL(1, hashes.spec().version);

    c.calculate_ha1 = true;
    c.use_domain = false;
    c.password_column = "secret";
    SubscriberSql plain("subs2", c, {});
    CPPUNIT_ASSERT_EQUAL(
        std::string("SELECT secret FROM subs2 WHERE username = $1 ORDER BY domain LIMIT 1"),
        plain.fetchSqlForTest());
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(AuthDbConfigTest);

}  // namespace sipline::auth_db
