// The `defines` group of the settings: script defines for environment-specific values.
#include <cppunit/extensions/HelperMacros.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/config/settings.h"

namespace sipline {

class SettingsDefinesTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SettingsDefinesTest);
  CPPUNIT_TEST(readsStringsIntegersAndBooleans);
  CPPUNIT_TEST(refusesFloatsListsAndGroups);
  CPPUNIT_TEST(refusesNamesTheScriptCannotWrite);
  CPPUNIT_TEST(mustBeAGroup);
  CPPUNIT_TEST(misspeltKeySuggestsDefines);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    char tmpl[] = "/tmp/sipline-defines-test-XXXXXX";
    CPPUNIT_ASSERT(mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    std::filesystem::create_directories(dir_ + "/modules");
    std::ofstream(dir_ + "/sipline.routes") << "route { exit; }\n";
  }
  void tearDown() override { std::filesystem::remove_all(dir_); }

  void readsStringsIntegersAndBooleans() {
    Result<Settings> r = load(
        "defines = {\n"
        "  GW_ADDR = \"10.0.0.5\";\n"
        "  MAX_FWD = 70;\n"
        "  BIG = 5000000000L;\n"
        "  DEBUG = true;\n"
        "  quiet = false;\n"
        "};\n");
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), messageOf(r));
    const std::vector<ScriptDefineSetting>& d = r.value().defines;
    CPPUNIT_ASSERT_EQUAL(std::size_t(5), d.size());
    CPPUNIT_ASSERT_EQUAL(std::string("GW_ADDR"), d[0].name);
    CPPUNIT_ASSERT_EQUAL(std::string("10.0.0.5"), std::get<std::string>(d[0].value));
    CPPUNIT_ASSERT_EQUAL(dir_ + "/sipline.cfg:5", d[0].where);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{70}, std::get<std::int64_t>(d[1].value));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{5000000000LL}, std::get<std::int64_t>(d[2].value));
    CPPUNIT_ASSERT_EQUAL(true, std::get<bool>(d[3].value));
    CPPUNIT_ASSERT_EQUAL(false, std::get<bool>(d[4].value));
    CPPUNIT_ASSERT_EQUAL(std::string("quiet"), d[4].name);
  }
  void refusesFloatsListsAndGroups() {
    CPPUNIT_ASSERT_EQUAL(dir_ +
                             "/sipline.cfg:5: define 'RATIO' must be a string, an integer "
                             "or a boolean, got a float (the script has no floats; quote it "
                             "to use it as text)",
                         messageOf(load("defines = {\n RATIO = 1.5;\n};\n")));
    CPPUNIT_ASSERT_EQUAL(dir_ +
                             "/sipline.cfg:5: define 'GWS' must be a string, an integer or a "
                             "boolean, got a list",
                         messageOf(load("defines = {\n GWS = (\"a\", \"b\");\n};\n")));
    CPPUNIT_ASSERT_EQUAL(dir_ +
                             "/sipline.cfg:5: define 'G' must be a string, an integer or a "
                             "boolean, got a group",
                         messageOf(load("defines = {\n G = { a = 1; };\n};\n")));
  }
  void refusesNamesTheScriptCannotWrite() {
    CPPUNIT_ASSERT_EQUAL(dir_ +
                             "/sipline.cfg:5: define 'gw-addr': a define's name is letters, "
                             "digits and '_' (as in the script)",
                         messageOf(load("defines = {\n gw-addr = \"x\";\n};\n")));
  }
  void mustBeAGroup() {
    CPPUNIT_ASSERT_EQUAL(dir_ +
                             "/sipline.cfg:4: 'defines' must be a group, e.g. defines = { "
                             "GW_ADDR = \"10.0.0.5\"; }, got a string",
                         messageOf(load("defines = \"GW\";\n")));
  }
  void misspeltKeySuggestsDefines() {
    CPPUNIT_ASSERT_EQUAL(dir_ +
                             "/sipline.cfg:4: unknown setting 'define' (did you mean "
                             "'defines'?)",
                         messageOf(load("define = { A = 1; };\n")));
  }

 private:
  Result<Settings> load(const std::string& tail) {
    std::ofstream(dir_ + "/sipline.cfg") << "socket = \"udp:127.0.0.1:5060\";\n"
                                            "mpath = \"modules\";\n"
                                            "routes = \"sipline.routes\";\n"
                                         << tail;
    return loadSettings(dir_ + "/sipline.cfg");
  }
  static std::string messageOf(const Result<Settings>& r) {
    return r.isOk() ? "<ok>" : r.status().message();
  }
  std::string dir_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(SettingsDefinesTest);

}  // namespace sipline
