#include "modules/avpops/avp_db.h"

#include <cppunit/extensions/HelperMacros.h>

#include <atomic>

namespace sipline::avpops {
namespace {

// Answers every statement with what the test put in `rows` / `count`, or `error`; records
// what was sent.
struct FakeDb {
  std::optional<Status> error;
  db::Rows rows;
  std::int64_t count = 0;
  std::vector<std::string> sql;
  std::vector<std::vector<db::Param>> params;
};

class FakeConnection final : public db::Connection {
 public:
  explicit FakeConnection(FakeDb& db) : db_(db) {}
  Result<db::Rows> query(std::string_view sql, std::initializer_list<db::Param> p) override {
    return query(sql, std::vector<db::Param>(p));
  }
  Result<db::Rows> query(std::string_view sql, const std::vector<db::Param>& p) override {
    note(sql, p);
    if (db_.error.has_value()) return *db_.error;
    return db_.rows;
  }
  Result<std::int64_t> exec(std::string_view sql, std::initializer_list<db::Param> p) override {
    return exec(sql, std::vector<db::Param>(p));
  }
  Result<std::int64_t> exec(std::string_view sql, const std::vector<db::Param>& p) override {
    note(sql, p);
    if (db_.error.has_value()) return *db_.error;
    return db_.count;
  }
  Status begin() override { return Status::ok(); }
  Status commit() override { return Status::ok(); }
  Status rollback() override { return Status::ok(); }
  bool connected() const override { return true; }
  Status ensureConnected() override { return Status::ok(); }
  const db::DbUrl& url() const override { return url_; }

 private:
  void note(std::string_view sql, const std::vector<db::Param>& p) {
    db_.sql.emplace_back(sql);
    db_.params.push_back(p);
  }
  FakeDb& db_;
  db::DbUrl url_;
};

using Cells = std::vector<std::vector<std::optional<std::string>>>;

std::string text(const db::Param& p) {
  return std::holds_alternative<std::string>(p) ? std::get<std::string>(p) : "<not text>";
}

}  // namespace

class AvpDbTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(AvpDbTest);
  CPPUNIT_TEST(loadOfOneAttributeByUserAndDomain);
  CPPUNIT_TEST(loadOfEveryAttributeSkipsBadRows);
  CPPUNIT_TEST(typeBitZeroMarksAnIntegerValueAsInOpenSips);
  CPPUNIT_TEST(failuresAreErrorsAndCounted);
  CPPUNIT_TEST(storeInsertsOneRowPerValue);
  CPPUNIT_TEST(deleteByUuid);
  CPPUNIT_TEST(queryPutsTheFirstRowOnTop);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    db_ = FakeDb{};
    service_ = std::make_unique<Service>();
    service_->config().db_url = "postgres://fake/sipline";
    Counters& c = service_->counters();
    StatCounter* counters[] = {&c.db_queries, &c.db_errors, &c.loaded_values, &c.bad_rows};
    for (int i = 0; i < 4; ++i) {
      slots_[i].store(0);
      counters[i]->bindForTest(&slots_[i]);
    }
    service_->setConnectorForTest([this]() -> Result<std::unique_ptr<db::Connection>> {
      return std::unique_ptr<db::Connection>(std::make_unique<FakeConnection>(db_));
    });
    service_->useQueries();
    CPPUNIT_ASSERT(service_->init().isOk());
    CPPUNIT_ASSERT(service_->childInit().isOk());
  }

  void loadOfOneAttributeByUserAndDomain() {
    db_.rows = db::Rows({"attribute", "type", "value"},
                        Cells{{"callfwd", "0", "sip:a@x"}, {"callfwd", "1", "7"}});
    RowKey key = keyOf("sip:alice@example.com", KeyPart::kUri, true).value();
    script::AvpStore avps;
    CPPUNIT_ASSERT_EQUAL(
        2, service_->load("usr_preferences", key, std::string("callfwd"), "fwd", avps));
    CPPUNIT_ASSERT_EQUAL(std::string("SELECT attribute, type, value FROM usr_preferences WHERE "
                                     "username = $1 AND domain = $2 AND attribute = $3 ORDER BY id "
                                     "LIMIT 64"),
                         db_.sql.back());
    CPPUNIT_ASSERT_EQUAL(std::string("example.com"), text(db_.params.back()[1]));
    CPPUNIT_ASSERT(avps.get("fwd", 0)->isInt());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{7}, avps.get("fwd", 0)->i());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a@x"), std::string(avps.get("fwd", 1)->str()));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{2}, slots_[2].load());
  }

  // OpenSIPS's avpops writes type 1 for an integer value and 2 for an integer AVP *name*
  // (string value): rows it provisioned must load with the same value types.
  void typeBitZeroMarksAnIntegerValueAsInOpenSips() {
    db_.rows =
        db::Rows({"attribute", "type", "value"},
                 Cells{{"a", "1", "7"}, {"b", "2", "0049"}, {"c", "3", "8"}, {"d", "0", "9"}});
    RowKey key = keyOf("sip:alice@example.com", KeyPart::kUri, false).value();
    script::AvpStore avps;
    CPPUNIT_ASSERT_EQUAL(4, service_->load("usr_preferences", key, std::nullopt, "*", avps));
    CPPUNIT_ASSERT(avps.get("a")->isInt() && avps.get("a")->i() == 7);
    CPPUNIT_ASSERT(avps.get("b")->isStr());
    CPPUNIT_ASSERT_EQUAL(std::string("0049"), std::string(avps.get("b")->str()));
    CPPUNIT_ASSERT(avps.get("c")->isInt() && avps.get("c")->i() == 8);
    CPPUNIT_ASSERT(avps.get("d")->isStr());
  }
  void loadOfEveryAttributeSkipsBadRows() {
    db_.rows = db::Rows({"attribute", "type", "value"}, Cells{{"fwdbusy", "0", "sip:b@x"},
                                                              {"max", "1", "many"},
                                                              {"bad name", "0", "v"},
                                                              {std::nullopt, "0", "v"},
                                                              {"lang", "0", "de"}});
    RowKey key = keyOf("sip:alice@example.com", KeyPart::kUri, false).value();
    script::AvpStore avps;
    CPPUNIT_ASSERT_EQUAL(2, service_->load("prefs", key, std::nullopt, "*", avps));
    CPPUNIT_ASSERT_EQUAL(std::string("SELECT attribute, type, value FROM prefs WHERE "
                                     "username = $1 ORDER BY id LIMIT 64"),
                         db_.sql.back());
    CPPUNIT_ASSERT_EQUAL(std::string("de"), std::string(avps.get("lang")->str()));
    CPPUNIT_ASSERT(avps.get("max") == nullptr);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{3}, slots_[3].load());
  }

  void failuresAreErrorsAndCounted() {
    db_.error = Status::unavailable("connection refused");
    RowKey key = keyOf("u-1", KeyPart::kUuid, true).value();
    script::AvpStore avps;
    CPPUNIT_ASSERT_EQUAL(kError, service_->load("usr_preferences", key, std::nullopt, "*", avps));
    CPPUNIT_ASSERT_EQUAL(kError, service_->remove("usr_preferences", key, std::nullopt));
    CPPUNIT_ASSERT_EQUAL(kError, service_->query("SELECT 1", {}, {"a"}, avps));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{3}, slots_[1].load());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{3}, slots_[0].load());
    CPPUNIT_ASSERT(service_->inOutage());
    db_.error.reset();
    db_.rows = db::Rows({"attribute", "type", "value"}, Cells{});
    CPPUNIT_ASSERT_EQUAL(0, service_->load("usr_preferences", key, std::nullopt, "*", avps));
    CPPUNIT_ASSERT(avps.empty());
    CPPUNIT_ASSERT(!service_->inOutage());
    // A statement the server refuses (SQLSTATE 22001, value too long) is an error, counted,
    // but no outage.
    db_.error = Status::invalidArgument("value too long for type character varying(128)");
    CPPUNIT_ASSERT_EQUAL(kError,
                         service_->store("usr_preferences", key, "vm", {script::Value::view("x")}));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{4}, slots_[1].load());
    CPPUNIT_ASSERT(!service_->inOutage());
  }

  void storeInsertsOneRowPerValue() {
    db_.count = 2;
    RowKey key = keyOf("sip:bob@example.com", KeyPart::kUri, true).value();
    CPPUNIT_ASSERT_EQUAL(
        2, service_->store("usr_preferences", key, "vm",
                           {script::Value::view("sip:vm@m"), script::Value::integer(5)}));
    CPPUNIT_ASSERT_EQUAL(std::string("INSERT INTO usr_preferences (uuid, username, domain, "
                                     "attribute, type, value) VALUES ($1, $2, $3, $4, $5, $6), "
                                     "($7, $8, $9, $10, $11, $12)"),
                         db_.sql.back());
    const std::vector<db::Param>& p = db_.params.back();
    CPPUNIT_ASSERT_EQUAL(std::size_t{12}, p.size());
    CPPUNIT_ASSERT_EQUAL(std::string("0"), text(p[4]));
    CPPUNIT_ASSERT_EQUAL(std::string("1"), text(p[10]));  // OpenSIPS: bit 0 = integer value
    CPPUNIT_ASSERT_EQUAL(std::string("5"), text(p[11]));
    CPPUNIT_ASSERT_EQUAL(0, service_->store("usr_preferences", key, "vm", {}));
  }

  void deleteByUuid() {
    db_.count = 3;
    RowKey key = keyOf("u-77", KeyPart::kUuid, true).value();
    CPPUNIT_ASSERT_EQUAL(3, service_->remove("usr_preferences", key, std::string("lang")));
    CPPUNIT_ASSERT_EQUAL(
        std::string("DELETE FROM usr_preferences WHERE uuid = $1 AND attribute = $2"),
        db_.sql.back());
    CPPUNIT_ASSERT_EQUAL(std::string("u-77"), text(db_.params.back()[0]));
  }

  void queryPutsTheFirstRowOnTop() {
    db_.rows = db::Rows({"a", "b", "c"}, Cells{{"1", "x", "extra"}, {"2", std::nullopt, "e"}});
    script::AvpStore avps;
    CPPUNIT_ASSERT_EQUAL(2, service_->query("SELECT a, b, c FROM t WHERE k = $1",
                                            {std::string("k")}, {"a", "b"}, avps));
    CPPUNIT_ASSERT_EQUAL(std::string("1"), std::string(avps.get("a", 0)->str()));
    CPPUNIT_ASSERT_EQUAL(std::string("2"), std::string(avps.get("a", 1)->str()));
    CPPUNIT_ASSERT_EQUAL(1, avps.count("b"));
    CPPUNIT_ASSERT_EQUAL(0, avps.count("c"));
    db_.count = 4;
    CPPUNIT_ASSERT_EQUAL(4, service_->query("UPDATE t SET a = 1", {}, {}, avps));
  }

 private:
  FakeDb db_;
  std::unique_ptr<Service> service_;
  std::atomic<std::uint64_t> slots_[4];
};
CPPUNIT_TEST_SUITE_REGISTRATION(AvpDbTest);

}  // namespace sipline::avpops
