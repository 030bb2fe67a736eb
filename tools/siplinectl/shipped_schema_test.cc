// The schema files of scripts/sql/ as shipped: they parse, siplinectl embeds exactly them, and
// they have the layout agreed for issues 6 and 7 (which usrloc, auth_db and siplinectl query). The
// agreed layout is written out here on purpose: a change of a file must be a deliberate change of
// this test.
#include <cppunit/extensions/HelperMacros.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "tools/siplinectl/embedded_schema.h"
#include "tools/siplinectl/schema_sql.h"

namespace sipline::ctl {
namespace {

struct Col {
  const char* name;
  const char* type;
  bool not_null;
};

const TableDef* find(const std::vector<TableDef>& tables, const std::string& name) {
  for (const TableDef& t : tables) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

void checkColumns(const TableDef& t, const std::vector<Col>& want) {
  CPPUNIT_ASSERT_EQUAL_MESSAGE(t.name, want.size(), t.columns.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    const std::string where = t.name + "." + want[i].name;
    CPPUNIT_ASSERT_EQUAL_MESSAGE(where, std::string(want[i].name), t.columns[i].name);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(where, std::string(want[i].type), t.columns[i].type);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(where, want[i].not_null, t.columns[i].not_null);
  }
}

bool hasIndex(const TableDef& t, const std::vector<std::string>& columns, bool unique,
              bool primary) {
  for (const IndexDef& i : t.indexes) {
    if (i.columns == columns && i.unique == unique && i.primary == primary) return true;
  }
  return false;
}

}  // namespace

class ShippedSchemaTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ShippedSchemaTest);
  CPPUNIT_TEST(embedsExactlyTheFilesOfScriptsSql);
  CPPUNIT_TEST(versionTableIsFirst);
  CPPUNIT_TEST(locationHasTheAgreedLayout);
  CPPUNIT_TEST(subscriberHasTheAgreedLayout);
  CPPUNIT_TEST(domainHasTheAgreedLayout);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    Result<std::vector<TableDef>> r = shippedSchema();
    CPPUNIT_ASSERT_MESSAGE(r.isOk() ? "" : r.status().message(), r.isOk());
    schema_ = std::move(r).value();
  }

  void embedsExactlyTheFilesOfScriptsSql() {
    std::map<std::string, std::string> on_disk;
    for (const auto& entry :
         std::filesystem::directory_iterator(std::string(SIPLINE_SOURCE_DIR) + "/scripts/sql")) {
      if (entry.path().extension() != ".sql") continue;
      std::ifstream in(entry.path());
      std::stringstream text;
      text << in.rdbuf();
      on_disk[entry.path().filename().string()] = text.str();
    }
    std::vector<SqlFile> embedded = embeddedSqlFiles();
    CPPUNIT_ASSERT_EQUAL(on_disk.size(), embedded.size());
    for (const SqlFile& f : embedded) {
      CPPUNIT_ASSERT_MESSAGE(f.name + " is not in scripts/sql", on_disk.count(f.name) == 1);
      CPPUNIT_ASSERT_MESSAGE(f.name + " differs from scripts/sql (rebuild)",
                             on_disk[f.name] == f.text);
    }
    CPPUNIT_ASSERT_EQUAL(on_disk.size(), schema_.size());
  }

  void versionTableIsFirst() {
    CPPUNIT_ASSERT_EQUAL(std::string("version"), schema_.front().name);
    CPPUNIT_ASSERT_EQUAL(1, schema_.front().version);
    checkColumns(schema_.front(), {{"table_name", "character varying(64)", true},
                                   {"table_version", "integer", true}});
    CPPUNIT_ASSERT(hasIndex(schema_.front(), {"table_name"}, true, true));
  }

  void locationHasTheAgreedLayout() {
    const TableDef* t = find(schema_, "location");
    CPPUNIT_ASSERT(t != nullptr);
    CPPUNIT_ASSERT_EQUAL(1, t->version);
    checkColumns(*t, {
                         {"contact_id", "bigint", true},
                         {"username", "character varying(64)", true},
                         {"domain", "character varying(64)", true},
                         {"contact", "character varying(512)", true},
                         {"received", "character varying(255)", false},
                         {"path", "character varying(512)", false},
                         {"expires", "bigint", true},
                         {"q", "real", false},
                         {"callid", "character varying(255)", true},
                         {"cseq", "integer", true},
                         {"last_modified", "bigint", true},
                         {"flags", "integer", true},
                         {"cflags", "integer", true},
                         {"user_agent", "character varying(255)", true},
                         {"socket", "character varying(128)", false},
                         {"methods", "integer", false},
                         {"sip_instance", "character varying(255)", false},
                         {"reg_id", "integer", true},
                     });
    CPPUNIT_ASSERT(hasIndex(*t, {"contact_id"}, true, true));
    CPPUNIT_ASSERT(hasIndex(*t, {"username", "domain", "contact"}, true, false));
    CPPUNIT_ASSERT(hasIndex(*t, {"expires"}, false, false));
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, t->indexes.size());
  }

  void subscriberHasTheAgreedLayout() {
    const TableDef* t = find(schema_, "subscriber");
    CPPUNIT_ASSERT(t != nullptr);
    CPPUNIT_ASSERT_EQUAL(1, t->version);
    checkColumns(*t, {
                         {"id", "integer", true},
                         {"username", "character varying(64)", true},
                         {"domain", "character varying(64)", true},
                         {"password", "character varying(64)", true},
                         {"ha1", "character varying(64)", true},
                         {"ha1_sha256", "character varying(64)", true},
                         {"ha1_sha512t256", "character varying(64)", true},
                         {"email_address", "character varying(128)", true},
                         {"created", "timestamp with time zone", true},
                     });
    CPPUNIT_ASSERT(hasIndex(*t, {"id"}, true, true));
    CPPUNIT_ASSERT(hasIndex(*t, {"username", "domain"}, true, false));
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, t->indexes.size());
  }

  void domainHasTheAgreedLayout() {
    const TableDef* t = find(schema_, "domain");
    CPPUNIT_ASSERT(t != nullptr);
    CPPUNIT_ASSERT_EQUAL(1, t->version);
    checkColumns(*t, {
                         {"id", "integer", true},
                         {"domain", "character varying(64)", true},
                         {"created", "timestamp with time zone", true},
                     });
    CPPUNIT_ASSERT(hasIndex(*t, {"id"}, true, true));
    CPPUNIT_ASSERT(hasIndex(*t, {"domain"}, true, false));
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, t->indexes.size());
    // db init: version first, then the others by name.
    CPPUNIT_ASSERT_EQUAL(std::string("version"), schema_[0].name);
    for (std::size_t i = 2; i < schema_.size(); ++i) {
      CPPUNIT_ASSERT(schema_[i - 1].name < schema_[i].name);
    }
  }

 private:
  std::vector<TableDef> schema_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(ShippedSchemaTest);

}  // namespace sipline::ctl
