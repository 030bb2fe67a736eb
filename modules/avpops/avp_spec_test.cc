#include "modules/avpops/avp_spec.h"

#include <cppunit/extensions/HelperMacros.h>

#include "modules/avpops/query_template.h"

namespace sipline::avpops {

class AvpSpecTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(AvpSpecTest);
  CPPUNIT_TEST(sourcesWithParts);
  CPPUNIT_TEST(badSourcesAreRefused);
  CPPUNIT_TEST(uriKeysByUserAndDomainOnlyWithUseDomain);
  CPPUNIT_TEST(partsAndUuidKeys);
  CPPUNIT_TEST(emptyValuesHaveNoKey);
  CPPUNIT_TEST(avpNamesAndLists);
  CPPUNIT_TEST(openSips1xNamePrefixesAreTheName);
  CPPUNIT_TEST(queryPvarsBecomeParameters);
  CPPUNIT_TEST(badQueriesAreRefused);
  CPPUNIT_TEST_SUITE_END();

 public:
  void sourcesWithParts() {
    SourceSpec s = parseSource("$ru").value();
    CPPUNIT_ASSERT_EQUAL(std::string("ru"), s.pvar);
    CPPUNIT_ASSERT(s.part == KeyPart::kUri);
    s = parseSource("$fu/username").value();
    CPPUNIT_ASSERT_EQUAL(std::string("fu"), s.pvar);
    CPPUNIT_ASSERT(s.part == KeyPart::kUsername);
    s = parseSource(" $avp(who)/domain ").value();
    CPPUNIT_ASSERT_EQUAL(std::string("avp(who)"), s.pvar);
    CPPUNIT_ASSERT(s.part == KeyPart::kDomain);
    s = parseSource("sip:alice@example.com").value();
    CPPUNIT_ASSERT(s.pvar.empty());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@example.com"), s.constant);
    // As in OpenSIPS: without a part only $ru/$fu/$tu/$ou are URIs; an AVP or a constant is a
    // uuid even when its value looks like a URI; /uri and /uuid (any case) say it explicitly.
    CPPUNIT_ASSERT(s.part == KeyPart::kUuid);
    CPPUNIT_ASSERT(parseSource("$avp(who)").value().part == KeyPart::kUuid);
    CPPUNIT_ASSERT(parseSource("$fu").value().part == KeyPart::kUri);
    CPPUNIT_ASSERT(parseSource("$avp(who)/URI").value().part == KeyPart::kUri);
    s = parseSource("$ru/uuid").value();
    CPPUNIT_ASSERT(s.part == KeyPart::kUuid && s.pvar == "ru");
    s = parseSource("a/b").value();
    CPPUNIT_ASSERT(s.part == KeyPart::kUuid && s.constant == "a/b");
  }

  void badSourcesAreRefused() {
    CPPUNIT_ASSERT(!parseSource("").isOk());
    CPPUNIT_ASSERT(!parseSource("$").isOk());
    CPPUNIT_ASSERT(!parseSource("$ru/user").isOk());
    CPPUNIT_ASSERT(!parseSource("/username").isOk());
  }

  void uriKeysByUserAndDomainOnlyWithUseDomain() {
    RowKey k = keyOf("sip:alice@Example.COM:5060;transport=udp", KeyPart::kUri, true).value();
    CPPUNIT_ASSERT(k.by_username && k.by_domain && !k.by_uuid);
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), k.username);
    CPPUNIT_ASSERT_EQUAL(std::string("example.com"), k.domain);
    k = keyOf("sip:alice@example.com", KeyPart::kUri, false).value();
    CPPUNIT_ASSERT(k.by_username && !k.by_domain);
  }

  void partsAndUuidKeys() {
    RowKey k = keyOf("sip:bob@example.com", KeyPart::kDomain, false).value();
    CPPUNIT_ASSERT(k.by_domain && !k.by_username);
    CPPUNIT_ASSERT_EQUAL(std::string("example.com"), k.domain);
    k = keyOf("bob", KeyPart::kUsername, true).value();
    CPPUNIT_ASSERT_EQUAL(std::string("bob"), k.username);
    k = keyOf("a1b2-c3", KeyPart::kUuid, true).value();
    CPPUNIT_ASSERT(k.by_uuid && !k.by_username && !k.by_domain);
    CPPUNIT_ASSERT_EQUAL(std::string("a1b2-c3"), k.uuid);
  }

  void emptyValuesHaveNoKey() {
    CPPUNIT_ASSERT(!keyOf("", KeyPart::kUuid, true).isOk());
    CPPUNIT_ASSERT(!keyOf("  ", KeyPart::kUsername, true).isOk());
    CPPUNIT_ASSERT(!keyOf("sip:example.com", KeyPart::kUri, true).isOk());
    CPPUNIT_ASSERT(!keyOf("u-1", KeyPart::kUri, true).isOk());
    RowKey k = keyOf("sip:alice@example.com", KeyPart::kUuid, true).value();
    CPPUNIT_ASSERT(k.by_uuid && !k.by_username && k.uuid == "sip:alice@example.com");
    CPPUNIT_ASSERT(!keyOf("sip:example.com", KeyPart::kUsername, true).isOk());
  }

  // The 1.6 book writes avp_db_load("$ru", "$avp(s:callfwd)"): the attribute is "callfwd".
  void openSips1xNamePrefixesAreTheName() {
    CPPUNIT_ASSERT_EQUAL(std::string("callfwd"), parseAvpName("$avp(s:callfwd)", false).value());
    CPPUNIT_ASSERT_EQUAL(std::string("17"), parseAvpName("$avp(i:17)", false).value());
    CPPUNIT_ASSERT_EQUAL(std::string("fwdbusy"), parseAvpName("s:fwdbusy", false).value());
    std::vector<std::string> list = parseAvpList("$avp(s:a);$avp(b)").value();
    CPPUNIT_ASSERT_EQUAL(std::string("a"), list[0]);
    CPPUNIT_ASSERT(!parseAvpName("$avp(s:)", false).isOk());
    CPPUNIT_ASSERT(!parseAvpName("$avp(x:y)", false).isOk());
  }
  void avpNamesAndLists() {
    CPPUNIT_ASSERT_EQUAL(std::string("callfwd"), parseAvpName("$avp(callfwd)", false).value());
    CPPUNIT_ASSERT_EQUAL(std::string("callfwd"), parseAvpName("callfwd", false).value());
    CPPUNIT_ASSERT_EQUAL(std::string("*"), parseAvpName("$avp(*)", true).value());
    CPPUNIT_ASSERT(!parseAvpName("$avp(*)", false).isOk());
    CPPUNIT_ASSERT(!parseAvpName("$var(x)", false).isOk());
    CPPUNIT_ASSERT(!parseAvpName("$avp(a b)", false).isOk());
    CPPUNIT_ASSERT(!parseAvpName(std::string(33, 'a'), false).isOk());
    std::vector<std::string> list = parseAvpList("$avp(a); $avp(b) ;c").value();
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, list.size());
    CPPUNIT_ASSERT_EQUAL(std::string("b"), list[1]);
    CPPUNIT_ASSERT(!parseAvpList(" ; ").isOk());
    CPPUNIT_ASSERT(!parseAvpList("$avp(a);$avp(*)").isOk());
  }

  void queryPvarsBecomeParameters() {
    QueryTemplate q = parseQueryTemplate(
                          "SELECT value FROM t WHERE username = '$rU' AND domain=$rd AND "
                          "x = $(avp(y)[1]) AND h = $hdr(X-A) AND c = 'US$$'")
                          .value();
    CPPUNIT_ASSERT_EQUAL(std::string("SELECT value FROM t WHERE username = $1 AND domain=$2 AND "
                                     "x = $3 AND h = $4 AND c = 'US$'"),
                         q.sql);
    CPPUNIT_ASSERT_EQUAL(std::size_t{4}, q.pvars.size());
    CPPUNIT_ASSERT_EQUAL(std::string("rU"), q.pvars[0]);
    CPPUNIT_ASSERT_EQUAL(std::string("(avp(y)[1])"), q.pvars[2]);
    CPPUNIT_ASSERT_EQUAL(std::string("hdr(X-A)"), q.pvars[3]);
    q = parseQueryTemplate("SELECT 1").value();
    CPPUNIT_ASSERT(q.pvars.empty());
    q = parseQueryTemplate("SELECT 'it''s', '$rU', 'a $$ b', \"col\" || $rU || '@x'").value();
    CPPUNIT_ASSERT_EQUAL(std::string("SELECT 'it''s', $1, 'a $ b', \"col\" || $2 || '@x'"), q.sql);
    q = parseQueryTemplate("SELECT $avp(a)[0], '$err.info'").value();
    CPPUNIT_ASSERT_EQUAL(std::string("SELECT $1, $2"), q.sql);
    CPPUNIT_ASSERT_EQUAL(std::string("err.info"), q.pvars[1]);
  }

  void badQueriesAreRefused() {
    CPPUNIT_ASSERT(!parseQueryTemplate("").isOk());
    CPPUNIT_ASSERT(!parseQueryTemplate("   ").isOk());
    CPPUNIT_ASSERT(!parseQueryTemplate("SELECT $1").isOk());
    CPPUNIT_ASSERT(!parseQueryTemplate("SELECT $ x").isOk());
    CPPUNIT_ASSERT(!parseQueryTemplate("SELECT $hdr(X").isOk());
    CPPUNIT_ASSERT(!parseQueryTemplate("SELECT $(avp(x)").isOk());
    CPPUNIT_ASSERT(!parseQueryTemplate("SELECT $avp(x)[1").isOk());
    // Inside a longer literal or an identifier a parameter would be text: refused at load.
    CPPUNIT_ASSERT(!parseQueryTemplate("SELECT 1 WHERE u = 'sip:$rU@x'").isOk());
    CPPUNIT_ASSERT(!parseQueryTemplate("SELECT 1 WHERE u = '$rU@x'").isOk());
    CPPUNIT_ASSERT(!parseQueryTemplate("SELECT 1 WHERE u = 'a''$rU'").isOk());
    CPPUNIT_ASSERT(!parseQueryTemplate("SELECT \"$var(c)\" FROM t").isOk());
    CPPUNIT_ASSERT(!parseQueryTemplate("SELECT 1 WHERE u = 'open").isOk());
    CPPUNIT_ASSERT(!parseQueryTemplate("SELECT $$1").isOk());
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(AvpSpecTest);

}  // namespace sipline::avpops
