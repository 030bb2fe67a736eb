#include "tools/siplinectl/schema_sql.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace sipline::ctl {
namespace {

std::string errorOf(const Result<TableDef>& r) { return r.isOk() ? "" : r.status().message(); }

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

const char kGood[] =
    "-- header; with a semicolon in a comment\n"
    "CREATE TABLE things (\n"
    "  id bigserial PRIMARY KEY,\n"
    "  name VARCHAR ( 32 ) NOT NULL DEFAULT 'a;b''c',  -- quoted ; and ''\n"
    "  score double precision,\n"
    "  seen timestamptz NOT NULL DEFAULT now(),\n"
    "  kind int4 DEFAULT NULL CHECK (kind > 0),\n"
    "  tag char UNIQUE,\n"
    "  UNIQUE (name, kind)\n"
    ");\n"
    "\n"
    "CREATE INDEX things_seen_idx ON things (seen, id);\n"
    "INSERT INTO version (table_name, table_version) VALUES ('things', 3);\n";

}  // namespace

class SchemaSqlTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SchemaSqlTest);
  CPPUNIT_TEST(splitsAtTopLevelSemicolonsWithLines);
  CPPUNIT_TEST(refusesWhatItCannotSplitSafely);
  CPPUNIT_TEST(normalizesTypesAsFormatTypePrintsThem);
  CPPUNIT_TEST(parsesColumnsKeysIndexesAndVersion);
  CPPUNIT_TEST(refusesFilesThatBreakTheShape);
  CPPUNIT_TEST(refusesUnsupportedConstructsWithTheirLine);
  CPPUNIT_TEST(ordersVersionFirstThenByName);
  CPPUNIT_TEST(refusesSchemaWithoutVersionOrWithDuplicates);
  CPPUNIT_TEST_SUITE_END();

 public:
  void splitsAtTopLevelSemicolonsWithLines() {
    Result<std::vector<SqlStatement>> r = splitStatements("f.sql", kGood);
    CPPUNIT_ASSERT_MESSAGE(r.isOk() ? "" : r.status().message(), r.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, r.value().size());
    CPPUNIT_ASSERT_EQUAL(2, r.value()[0].line);
    CPPUNIT_ASSERT_EQUAL(12, r.value()[1].line);
    CPPUNIT_ASSERT_EQUAL(13, r.value()[2].line);
    CPPUNIT_ASSERT(contains(r.value()[0].text, "'a;b''c'"));
    CPPUNIT_ASSERT(!contains(r.value()[0].text, "quoted"));  // comment dropped
    CPPUNIT_ASSERT(r.value()[1].text.back() == ')');         // no ';'
    Result<std::vector<SqlStatement>> empty = splitStatements("f.sql", "-- only\n\n;;\n");
    CPPUNIT_ASSERT(empty.isOk() && empty.value().empty());
  }

  void refusesWhatItCannotSplitSafely() {
    auto err = [](const char* sql) {
      Result<std::vector<SqlStatement>> r = splitStatements("f.sql", sql);
      return r.isOk() ? std::string("ok") : r.status().message();
    };
    CPPUNIT_ASSERT_EQUAL(std::string("f.sql:2: unterminated string"),
                         err("SELECT 1;\nSELECT 'abc;\n\n"));
    CPPUNIT_ASSERT(contains(err("SELECT \"x;"), "f.sql:1: unterminated quoted name"));
    CPPUNIT_ASSERT(contains(err("SELECT 1;\n/* c */ SELECT 2;"), "f.sql:2: /* */ comments"));
    CPPUNIT_ASSERT(contains(err("CREATE FUNCTION f() AS $$ x; $$;"), "dollar-quoted"));
    CPPUNIT_ASSERT(contains(err("SELECT $tag$ x $tag$;"), "dollar-quoted"));
    CPPUNIT_ASSERT_EQUAL(std::string("ok"), err("SELECT $1;"));  // a parameter, not a quote
    CPPUNIT_ASSERT_EQUAL(std::string("f.sql:2: the last statement does not end with ';'"),
                         err("SELECT 1;\nSELECT 2\n"));
  }

  void normalizesTypesAsFormatTypePrintsThem() {
    CPPUNIT_ASSERT_EQUAL(std::string("character varying(64)"), normalizeType("varchar(64)"));
    CPPUNIT_ASSERT_EQUAL(std::string("character varying(64)"),
                         normalizeType("CHARACTER  VARYING ( 64 )"));
    CPPUNIT_ASSERT_EQUAL(std::string("integer"), normalizeType("serial"));
    CPPUNIT_ASSERT_EQUAL(std::string("integer"), normalizeType("INT"));
    CPPUNIT_ASSERT_EQUAL(std::string("bigint"), normalizeType("bigserial"));
    CPPUNIT_ASSERT_EQUAL(std::string("bigint"), normalizeType("int8"));
    CPPUNIT_ASSERT_EQUAL(std::string("real"), normalizeType("float4"));
    CPPUNIT_ASSERT_EQUAL(std::string("double precision"), normalizeType("float8"));
    CPPUNIT_ASSERT_EQUAL(std::string("boolean"), normalizeType("bool"));
    CPPUNIT_ASSERT_EQUAL(std::string("timestamp with time zone"), normalizeType("timestamptz"));
    CPPUNIT_ASSERT_EQUAL(std::string("timestamp without time zone"), normalizeType("timestamp"));
    CPPUNIT_ASSERT_EQUAL(std::string("character(1)"), normalizeType("char"));
    CPPUNIT_ASSERT_EQUAL(std::string("numeric(10,2)"), normalizeType("decimal(10, 2)"));
    CPPUNIT_ASSERT_EQUAL(std::string("text"), normalizeType("TEXT"));
  }

  void parsesColumnsKeysIndexesAndVersion() {
    Result<TableDef> r = parseSchemaFile({"things.sql", kGood});
    CPPUNIT_ASSERT_MESSAGE(errorOf(r), r.isOk());
    const TableDef& t = r.value();
    CPPUNIT_ASSERT_EQUAL(std::string("things"), t.name);
    CPPUNIT_ASSERT_EQUAL(3, t.version);
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, t.statements.size());
    CPPUNIT_ASSERT_EQUAL(std::size_t{6}, t.columns.size());
    const char* names[] = {"id", "name", "score", "seen", "kind", "tag"};
    const char* types[] = {"bigint",           "character varying(32)",
                           "double precision", "timestamp with time zone",
                           "integer",          "character(1)"};
    const bool not_null[] = {true, true, false, true, false, false};
    for (std::size_t i = 0; i < 6; ++i) {
      CPPUNIT_ASSERT_EQUAL(std::string(names[i]), t.columns[i].name);
      CPPUNIT_ASSERT_EQUAL(std::string(types[i]), t.columns[i].type);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(names[i], not_null[i], t.columns[i].not_null);
    }
    // id PRIMARY KEY, tag UNIQUE, UNIQUE (name, kind), the CREATE INDEX.
    CPPUNIT_ASSERT_EQUAL(std::size_t{4}, t.indexes.size());
    CPPUNIT_ASSERT(t.indexes[0].primary && t.indexes[0].unique);
    CPPUNIT_ASSERT(t.indexes[0].columns == std::vector<std::string>{"id"});
    CPPUNIT_ASSERT(!t.indexes[1].primary && t.indexes[1].unique);
    CPPUNIT_ASSERT(t.indexes[1].columns == std::vector<std::string>{"tag"});
    CPPUNIT_ASSERT((t.indexes[2].columns == std::vector<std::string>{"name", "kind"}));
    CPPUNIT_ASSERT(!t.indexes[3].unique);
    CPPUNIT_ASSERT((t.indexes[3].columns == std::vector<std::string>{"seen", "id"}));
    CPPUNIT_ASSERT(t.findColumn("score") != nullptr && t.findColumn("nope") == nullptr);
  }

  void refusesFilesThatBreakTheShape() {
    const std::string version_row =
        "INSERT INTO version (table_name, table_version) VALUES ('t', 1);\n";
    const std::string table = "CREATE TABLE t (a integer);\n";
    auto err = [](const std::string& name, const std::string& sql) {
      return errorOf(parseSchemaFile({name, sql}));
    };
    CPPUNIT_ASSERT_EQUAL(std::string(""), err("t.sql", table + version_row));
    CPPUNIT_ASSERT_EQUAL(std::string("t.sql: no CREATE TABLE"), err("t.sql", version_row));
    CPPUNIT_ASSERT(contains(err("u.sql", table + version_row), "so the file must be t.sql"));
    CPPUNIT_ASSERT(contains(err("t.sql", table), "no INSERT INTO version"));
    CPPUNIT_ASSERT(contains(err("t.sql", table + table + version_row),
                            "t.sql:2: a second CREATE TABLE (the first is on line 1)"));
    CPPUNIT_ASSERT(contains(err("t.sql", table + version_row + version_row),
                            "t.sql:3: a second INSERT INTO version"));
    CPPUNIT_ASSERT(contains(
        err("t.sql", table + "INSERT INTO version (table_name, table_version) VALUES ('x', 1);"),
        "t.sql:2: the version row names 'x', not 't'"));
    CPPUNIT_ASSERT(contains(
        err("t.sql", table + "INSERT INTO version (table_name, table_version) VALUES ('t', 0);"),
        "positive integer"));
    CPPUNIT_ASSERT(contains(err("t.sql", table + "INSERT INTO version (table_name) VALUES ('t');"),
                            "exactly"));
    CPPUNIT_ASSERT(contains(err("t.sql", table + "CREATE INDEX i ON other (a);\n" + version_row),
                            "an index on table 'other'"));
    CPPUNIT_ASSERT(contains(err("t.sql", table + "CREATE INDEX i ON t (b);\n" + version_row),
                            "index column 'b' is not a column of t"));
    CPPUNIT_ASSERT(contains(err("t.sql", "CREATE TABLE t (a integer, UNIQUE (b));\n" + version_row),
                            "t.sql:1: key column 'b' is not a column"));
    CPPUNIT_ASSERT(contains(err("t.sql", "CREATE TABLE t (a integer,);\n" + version_row),
                            "t.sql:1: empty item"));
    CPPUNIT_ASSERT(
        contains(err("t.sql", "CREATE TABLE t (a);\n" + version_row), "column 'a' has no type"));
    // Statements it does not interpret are kept for db init.
    Result<TableDef> extra =
        parseSchemaFile({"t.sql", table + "COMMENT ON TABLE t IS 'x';\n" + version_row});
    CPPUNIT_ASSERT(extra.isOk() && extra.value().statements.size() == 3);
  }

  void refusesUnsupportedConstructsWithTheirLine() {
    const std::string v = "INSERT INTO version (table_name, table_version) VALUES ('t', 1);\n";
    auto err = [](const std::string& sql) { return errorOf(parseSchemaFile({"t.sql", sql})); };
    CPPUNIT_ASSERT(contains(err("\n\nCREATE TABLE t (a integer REFERENCES u (id));\n" + v),
                            "t.sql:3: column 'a': 'references' is not supported"));
    CPPUNIT_ASSERT(contains(err("CREATE TABLE t (a integer, FOREIGN KEY (a) REFERENCES u);\n" + v),
                            "table constraint 'foreign' is not supported"));
    CPPUNIT_ASSERT(contains(err("CREATE TABLE s.t (a integer);\n" + v), "schema-qualified"));
    CPPUNIT_ASSERT(contains(
        err("CREATE TABLE t (a integer);\nCREATE INDEX i ON t (lower(a));\n" + v), "t.sql:2:"));
    CPPUNIT_ASSERT(
        contains(err("CREATE TABLE t (a integer);\nCREATE INDEX i ON t (a) WHERE a > 0;\n" + v),
                 "partial and expression indexes are not supported"));
    CPPUNIT_ASSERT(
        contains(err("CREATE TABLE t (a integer NOT);\n" + v), "expected NULL after NOT"));
    CPPUNIT_ASSERT(contains(err("CREATE TABLE t (a integer\n" + v), "unterminated string") ||
                   contains(err("CREATE TABLE t (a integer\n" + v), "not closed"));
  }

  void ordersVersionFirstThenByName() {
    Result<std::vector<TableDef>> r = parseSchema({
        {"zeta.sql",
         "CREATE TABLE zeta (a int);\n"
         "INSERT INTO version (table_name, table_version) VALUES ('zeta', 1);"},
        {"version.sql",
         "CREATE TABLE version (table_name varchar(64) PRIMARY KEY,"
         " table_version integer NOT NULL);\n"
         "INSERT INTO version (table_name, table_version) VALUES ('version', 1);"},
        {"alpha.sql",
         "CREATE TABLE alpha (a int);\n"
         "INSERT INTO version (table_name, table_version) VALUES ('alpha', 2);"},
    });
    CPPUNIT_ASSERT_MESSAGE(r.isOk() ? "" : r.status().message(), r.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("version"), r.value()[0].name);
    CPPUNIT_ASSERT_EQUAL(std::string("alpha"), r.value()[1].name);
    CPPUNIT_ASSERT_EQUAL(std::string("zeta"), r.value()[2].name);
  }

  void refusesSchemaWithoutVersionOrWithDuplicates() {
    const SqlFile alpha{"alpha.sql",
                        "CREATE TABLE alpha (a int);\n"
                        "INSERT INTO version (table_name, table_version) VALUES ('alpha', 1);"};
    Result<std::vector<TableDef>> none = parseSchema({alpha});
    CPPUNIT_ASSERT(!none.isOk() && contains(none.status().message(), "no version.sql"));
    Result<std::vector<TableDef>> twice = parseSchema({alpha, alpha});
    CPPUNIT_ASSERT(!twice.isOk() && contains(twice.status().message(), "'alpha' is in two files"));
    Result<std::vector<TableDef>> bad_version =
        parseSchema({{"version.sql",
                      "CREATE TABLE version (name text);\n"
                      "INSERT INTO version (table_name, table_version) VALUES ('version', 1);"}});
    CPPUNIT_ASSERT(!bad_version.isOk() &&
                   contains(bad_version.status().message(), "table_name and table_version"));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(SchemaSqlTest);

}  // namespace sipline::ctl
