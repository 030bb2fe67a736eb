#include "core/db/named_tables.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace sipline::db {
namespace {

struct Named {
  Named(std::string n, int v) : name_(std::move(n)), value(v) {}
  const std::string& name() const { return name_; }
  std::string name_;
  int value;
};

}  // namespace

class NamedTablesTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(NamedTablesTest);
  CPPUNIT_TEST(aNameIsRegisteredOnce);
  CPPUNIT_TEST(aNewNameAfterFreezeIsAnError);
  CPPUNIT_TEST(plainStringsAreTheirOwnNames);
  CPPUNIT_TEST_SUITE_END();

 public:
  void aNameIsRegisteredOnce() {
    NamedTables<Named> tables("usrloc");
    CPPUNIT_ASSERT(tables.empty());
    Result<Named*> a = tables.get("location", 1);
    Result<Named*> b = tables.get("aliases", 2);
    Result<Named*> again = tables.get("location", 3);
    CPPUNIT_ASSERT(a.isOk() && b.isOk() && again.isOk());
    CPPUNIT_ASSERT(a.value() == again.value());
    CPPUNIT_ASSERT_EQUAL(1, again.value()->value);  // the first registration's
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, tables.size());
    CPPUNIT_ASSERT(tables[1] == b.value());
    CPPUNIT_ASSERT(tables.find("aliases") == b.value());
    CPPUNIT_ASSERT(tables.find("nope") == nullptr);
    int seen = 0;
    for (const auto& t : tables) seen += t->value;
    CPPUNIT_ASSERT_EQUAL(3, seen);
  }

  void aNewNameAfterFreezeIsAnError() {
    NamedTables<Named> tables("auth_db");
    CPPUNIT_ASSERT(tables.get("subscriber", 0).isOk());
    tables.freeze();
    CPPUNIT_ASSERT(tables.frozen());
    CPPUNIT_ASSERT(tables.get("subscriber", 0).isOk());  // known names are still found
    Result<Named*> late = tables.get("users", 0);
    CPPUNIT_ASSERT(!late.isOk());
    CPPUNIT_ASSERT(late.status().code() == Code::kFailedPrecondition);
    CPPUNIT_ASSERT_EQUAL(std::string("auth_db: table 'users' was not used when the server "
                                     "started; a new table needs a restart"),
                         late.status().message());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, tables.size());
  }

  void plainStringsAreTheirOwnNames() {
    NamedTables<std::string> tables("avpops");
    CPPUNIT_ASSERT(tables.get("usr_preferences").isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("usr_preferences"), *tables.find("usr_preferences"));
    CPPUNIT_ASSERT(tables.get("usr_preferences").value() == tables[0]);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(NamedTablesTest);

}  // namespace sipline::db
