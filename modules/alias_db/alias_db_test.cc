// alias_db without a DB (flags, parameters, URI rewriting, inputs that cannot be looked up) and
// against a real PostgreSQL with the shipped dbaliases schema (forward, reverse and domainless
// lookups, the request-URI rewritten with extra branches, a server that is down).
#include "modules/alias_db/alias_db.h"

#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "core/sip/msg_context.h"
#include "modules/alias_db/alias_lookup.h"
#include "modules/db_postgres/pg_test_fixture.h"

namespace sipline::alias_db {
namespace {

struct BoundCounters {
  std::atomic<std::uint64_t> lookups{0}, not_found{0}, db_errors{0};
  void bind(Counters& c) {
    c.lookups.bindForTest(&lookups);
    c.not_found.bindForTest(&not_found);
    c.db_errors.bindForTest(&db_errors);
  }
};

struct Request {
  explicit Request(const std::string& ruri) {
    text = "INVITE " + ruri +
           " SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
           "From: <sip:bob@example.com>;tag=ft\r\n"
           "To: <" +
           ruri +
           ">\r\n"
           "Call-ID: abc@host\r\n"
           "CSeq: 1 INVITE\r\n"
           "Content-Length: 0\r\n\r\n";
    CPPUNIT_ASSERT(msg.parse(text) == ParseError::kOk);
    ctx = std::make_unique<MsgContext>(msg, rcv, kRequestRoute);
  }
  std::string text;
  SipMessage msg;
  ReceiveInfo rcv;
  std::unique_ptr<MsgContext> ctx;
};

}  // namespace

class AliasDbTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(AliasDbTest);
  CPPUNIT_TEST(flagsAreParsedAndUnknownOnesRefused);
  CPPUNIT_TEST(badParametersRefuseTheStart);
  CPPUNIT_TEST(tableNamesMustBeSqlNames);
  CPPUNIT_TEST(targetReplacesUserAndHostAndKeepsParameters);
  CPPUNIT_TEST(domainPrefixIsStrippedAndCaseFolded);
  CPPUNIT_TEST(urisWithoutUserOrHostAreNotLookedUp);
  CPPUNIT_TEST_SUITE_END();

 public:
  void flagsAreParsedAndUnknownOnesRefused() {
    Result<Flags> f = parseFlags("rd");
    CPPUNIT_ASSERT(f.isOk() && f.value().reverse && f.value().no_domain);
    f = parseFlags("");
    CPPUNIT_ASSERT(f.isOk() && !f.value().reverse && !f.value().no_domain);
    f = parseFlags("rx");
    CPPUNIT_ASSERT(!f.isOk());
    CPPUNIT_ASSERT(f.status().message().find("'x'") != std::string::npos);
  }

  void badParametersRefuseTheStart() {
    Config c;
    CPPUNIT_ASSERT(checkConfig(c).message().find("db_url is required") != std::string::npos);
    c.db_url = "mysql//x";
    CPPUNIT_ASSERT(checkConfig(c).message().find("db_url") != std::string::npos);
    c.db_url = "postgres://x@127.0.0.1/db";
    CPPUNIT_ASSERT(checkConfig(c).isOk());
    c.alias_domain_column = "alias domain";
    CPPUNIT_ASSERT(checkConfig(c).message().find("alias_domain_column") != std::string::npos);
  }

  void tableNamesMustBeSqlNames() {
    Service s;
    CPPUNIT_ASSERT(s.table("dbaliases").isOk());
    CPPUNIT_ASSERT_EQUAL(s.table("dbaliases").value(), s.table("dbaliases").value());
    CPPUNIT_ASSERT(!s.table("db;aliases").isOk());
    CPPUNIT_ASSERT(!s.table("").isOk());
  }

  void targetReplacesUserAndHostAndKeepsParameters() {
    Result<std::string> u =
        applyTarget("sip:4401@example.com:5070;user=phone", {"alice", "voip.example"});
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@voip.example;user=phone"), u.value());
    u = applyTarget("sips:4401@example.com", {"alice", ""});
    CPPUNIT_ASSERT_EQUAL(std::string("sips:alice@example.com"), u.value());
    CPPUNIT_ASSERT(!applyTarget("sip:4401@example.com", {"al ice", ""}).isOk());
  }

  void domainPrefixIsStrippedAndCaseFolded() {
    Service s;
    s.config().domain_prefix = "sip.";
    CPPUNIT_ASSERT_EQUAL(std::string("example.com"), s.lookupDomain("SIP.Example.com"));
    CPPUNIT_ASSERT_EQUAL(std::string("example.com"), s.lookupDomain("example.com"));
    CPPUNIT_ASSERT_EQUAL(std::string("sip."), s.lookupDomain("sip."));
  }

  void urisWithoutUserOrHostAreNotLookedUp() {
    Service s;
    Table* t = s.table("dbaliases").value();
    std::string out;
    CPPUNIT_ASSERT_EQUAL(int{kBadUri}, findUri(s, *t, {}, "not a uri", out));
    CPPUNIT_ASSERT_EQUAL(int{kBadUri}, findUri(s, *t, {}, "sip:example.com", out));
    CPPUNIT_ASSERT_EQUAL(int{kBadUri}, findUri(s, *t, {}, "tel:+4930123", out));
    Request r("sip:example.com");
    CPPUNIT_ASSERT_EQUAL(int{kBadUri}, lookupRuri(s, *t, {}, *r.ctx));
    // A user that unescapes to a NUL cannot be in a text column: not sent to the DB.
    CPPUNIT_ASSERT_EQUAL(int{kBadUri}, findUri(s, *t, {}, "sip:44%0001@example.com", out));
    Request nul("sip:44%0001@example.com");
    CPPUNIT_ASSERT_EQUAL(int{kBadUri}, lookupRuri(s, *t, {}, *nul.ctx));
    // Nor one beyond ASCII: PostgreSQL would refuse invalid UTF-8 with an error that counts as
    // a DB outage (-2, logged as one) for any caller who writes %FF.
    CPPUNIT_ASSERT_EQUAL(int{kBadUri}, findUri(s, *t, {}, "sip:%FF@example.com", out));
    Request high("sip:%C3%A9@example.com");
    CPPUNIT_ASSERT_EQUAL(int{kBadUri}, lookupRuri(s, *t, {}, *high.ctx));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(AliasDbTest);

class AliasDbPgTest : public pg::PgFixture {
  CPPUNIT_TEST_SUITE(AliasDbPgTest);
  CPPUNIT_TEST(forwardReverseAndDomainlessLookups);
  CPPUNIT_TEST(requestUriIsRewrittenAndFurtherMatchesBecomeBranches);
  CPPUNIT_TEST(serverDownReturnsDbErrorWithinTheTimeout);
  CPPUNIT_TEST(missingColumnRefusesTheStart);
  CPPUNIT_TEST_SUITE_END();

 public:
  // scripts/sql/dbaliases.sql under a name of this test's own, with a few rows.
  std::string makeAliasTable(db::Connection& c) {
    std::string t = table("dbaliases");
    createShippedTable(c, "dbaliases", t);
    mustExec(c, "INSERT INTO " + t +
                    " (alias_username, alias_domain, username, domain) VALUES "
                    "('4401', 'example.com', 'alice', 'example.com'), "
                    "('4402', 'example.com', 'alice', 'example.com'), "
                    "('4401', 'other.example', 'carol', 'other.example'), "
                    "('sales', 'example.com', 'bob', '')");
    return t;
  }

  Table* prepare(Service& s, const std::string& t) {
    s.config().db_url = server_->url();
    counters_.bind(s.counters());
    db::Options o = fastOptions();
    o.query_timeout_ms = o.connect_timeout_ms = 500;
    s.setConnectorForTest([this, o]() -> Result<std::unique_ptr<db::Connection>> {
      return std::unique_ptr<db::Connection>(
          std::make_unique<pg::PgConnection>(mustParse(server_->url()), o, &stats_));
    });
    return s.table(t).value();
  }

  void start(Service& s) {
    Status st = s.init();
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
    st = s.childInit();
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
  }

  void forwardReverseAndDomainlessLookups() {
    SL_NEED_PG();
    std::string t = makeAliasTable(open());
    Service s;
    Table* table = prepare(s, t);
    start(s);
    std::string out;
    CPPUNIT_ASSERT_EQUAL(int{kFound}, findUri(s, *table, {}, "sip:4401@Example.COM", out));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@example.com"), out);
    CPPUNIT_ASSERT_EQUAL(int{kFound}, findUri(s, *table, {}, "4401@other.example", out));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:carol@other.example"), out);
    CPPUNIT_ASSERT_EQUAL(int{kNotFound}, findUri(s, *table, {}, "sip:4401@nowhere.example", out));
    // A row with an empty domain keeps the input's host.
    CPPUNIT_ASSERT_EQUAL(int{kFound}, findUri(s, *table, {}, "sips:sales@example.com", out));
    CPPUNIT_ASSERT_EQUAL(std::string("sips:bob@example.com"), out);
    Flags reverse;
    reverse.reverse = true;
    CPPUNIT_ASSERT_EQUAL(int{kFound}, findUri(s, *table, reverse, "sip:alice@example.com", out));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:4401@example.com"), out);  // first by alias
    CPPUNIT_ASSERT_EQUAL(int{kNotFound}, findUri(s, *table, reverse, "sip:4401@example.com", out));
    Flags no_domain;
    no_domain.no_domain = true;
    CPPUNIT_ASSERT_EQUAL(int{kFound}, findUri(s, *table, no_domain, "sip:4401@x.example", out));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@example.com"), out);  // first by user
    // Users are case-sensitive.
    CPPUNIT_ASSERT_EQUAL(int{kNotFound}, findUri(s, *table, {}, "sip:Sales@example.com", out));
    // Users are compared unescaped, as the table stores them ("%34401" is "4401").
    CPPUNIT_ASSERT_EQUAL(int{kFound}, findUri(s, *table, {}, "sip:%34401@example.com", out));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@example.com"), out);
    // A row with an empty domain keeps the input's port too, as alias_db_lookup() does.
    CPPUNIT_ASSERT_EQUAL(int{kFound}, findUri(s, *table, {}, "sip:sales@example.com:5070", out));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:bob@example.com:5070"), out);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{10}, counters_.lookups.load());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{3}, counters_.not_found.load());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, counters_.db_errors.load());
  }

  void requestUriIsRewrittenAndFurtherMatchesBecomeBranches() {
    SL_NEED_PG();
    std::string t = makeAliasTable(open());
    Service s;
    s.config().append_branches = true;
    Table* table = prepare(s, t);
    start(s);
    Request r("sip:4401@example.com;user=phone");
    CPPUNIT_ASSERT_EQUAL(int{kFound}, lookupRuri(s, *table, {}, *r.ctx));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@example.com;user=phone"),
                         std::string(r.ctx->ruri()));
    CPPUNIT_ASSERT(r.ctx->branches.empty());
    Flags no_domain;
    no_domain.no_domain = true;
    Request both("sip:4401@example.com");
    CPPUNIT_ASSERT_EQUAL(int{kFound}, lookupRuri(s, *table, no_domain, *both.ctx));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@example.com"), std::string(both.ctx->ruri()));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, both.ctx->branches.size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:carol@other.example"), both.ctx->branches[0].uri);
    // A row that makes no valid URI is skipped (logged): not found, the request-URI unchanged.
    mustExec(open(), "INSERT INTO " + t +
                         " (alias_username, alias_domain, username, domain) VALUES "
                         "('4403', 'example.com', 'al ice', 'example.com')");
    Request bad("sip:4403@example.com");
    std::uint64_t not_found = counters_.not_found.load();
    CPPUNIT_ASSERT_EQUAL(int{kNotFound}, lookupRuri(s, *table, {}, *bad.ctx));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:4403@example.com"), std::string(bad.ctx->ruri()));
    // alias_db_find() neither hands the script a URI that does not parse.
    std::string out = "untouched";
    CPPUNIT_ASSERT_EQUAL(int{kNotFound}, findUri(s, *table, {}, "sip:4403@example.com", out));
    CPPUNIT_ASSERT_EQUAL(std::string("untouched"), out);
    CPPUNIT_ASSERT_EQUAL(not_found + 2, counters_.not_found.load());
    // An escaped request-URI user is found and rewritten.
    Request escaped("sip:%34401@example.com");
    CPPUNIT_ASSERT_EQUAL(int{kFound}, lookupRuri(s, *table, {}, *escaped.ctx));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:alice@example.com"), std::string(escaped.ctx->ruri()));
    Request unknown("sip:9999@example.com");
    CPPUNIT_ASSERT_EQUAL(int{kNotFound}, lookupRuri(s, *table, {}, *unknown.ctx));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:9999@example.com"), std::string(unknown.ctx->ruri()));
  }

  void serverDownReturnsDbErrorWithinTheTimeout() {
    SL_NEED_PG();
    std::string t = makeAliasTable(open());
    conn_.reset();
    Service s;
    Table* table = prepare(s, t);
    start(s);
    Request r("sip:4401@example.com");
    CPPUNIT_ASSERT_EQUAL(int{kFound}, lookupRuri(s, *table, {}, *r.ctx));
    down();
    Stopwatch w;
    for (int i = 0; i < 5; ++i) {
      Request again("sip:4401@example.com");
      CPPUNIT_ASSERT_EQUAL(int{kDbError}, lookupRuri(s, *table, {}, *again.ctx));
      CPPUNIT_ASSERT_EQUAL(std::string("sip:4401@example.com"), std::string(again.ctx->ruri()));
    }
    CPPUNIT_ASSERT(w.ms() < 3000);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{5}, counters_.db_errors.load());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, s.outageLogLinesForTest());  // once per outage
    up();
  }

  void missingColumnRefusesTheStart() {
    SL_NEED_PG();
    std::string t = makeAliasTable(open());
    Service s;
    s.config().alias_domain_column = "alias_realm";
    prepare(s, t);
    Status st = s.init();
    CPPUNIT_ASSERT(!st.isOk());
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.message().find("alias_realm") != std::string::npos);
  }

 private:
  BoundCounters counters_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(AliasDbPgTest);

}  // namespace sipline::alias_db
