#include "tools/siplinectl/db_target.h"

#include <cppunit/extensions/HelperMacros.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "tools/siplinectl/mi_target.h"

namespace sipline::ctl {
namespace {

// The settings' required keys; module groups start on line 4.
const char kBase[] =
    "socket = [\"udp:127.0.0.1:5060\"];\n"
    "mpath = \".\";\n"
    "routes = \"sipline.routes\";\n";

Settings settingsFrom(const std::string& modules) {
  const std::string path = std::string(SIPLINE_SOURCE_DIR) + "/cfg/ctl-test.cfg";
  Result<Settings> s = loadSettingsFromString(std::string(kBase) + modules, path);
  CPPUNIT_ASSERT_MESSAGE(s.isOk() ? "" : s.status().message(), s.isOk());
  return s.value();
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

class DbTargetTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DbTargetTest);
  CPPUNIT_TEST(takesTheFirstModulesDbUrlAndSaysWhere);
  CPPUNIT_TEST(warnsWhenModulesNameDifferentDatabases);
  CPPUNIT_TEST(noDbUrlIsNotFound);
  CPPUNIT_TEST(refusesNonStringDbUrl);
  CPPUNIT_TEST(optionBeatsEnvironmentBeatsSettings);
  CPPUNIT_TEST(readsTheSettingsFileGivenWithF);
  CPPUNIT_TEST(unreadableSettingsSayHowToBypassThem);
  CPPUNIT_TEST(filesTheSettingsNameNeedNotBeReadable);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    char tmpl[] = "/tmp/siplinectl-test.XXXXXX";
    CPPUNIT_ASSERT(mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
  }
  void tearDown() override { std::filesystem::remove_all(dir_); }

  void takesTheFirstModulesDbUrlAndSaysWhere() {
    Settings s = settingsFrom(
        "modules = {\n"
        "  sl = {};\n"
        "  usrloc = { db_mode = \"write-back\";\n"
        "             db_url = \"postgres://sipline@127.0.0.1/sipline\"; };\n"
        "  auth_db = { db_url = \"postgres://sipline@127.0.0.1/sipline\"; };\n"
        "};\n");
    Result<DbTarget> t = dbTargetFromSettings(s);
    CPPUNIT_ASSERT(t.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("postgres://sipline@127.0.0.1/sipline"), t.value().url);
    CPPUNIT_ASSERT_EQUAL(s.file + ":7 (usrloc db_url)", t.value().source);
    CPPUNIT_ASSERT(t.value().warnings.empty());
  }

  void warnsWhenModulesNameDifferentDatabases() {
    Settings s = settingsFrom(
        "modules = {\n"
        "  auth_db = { db_url = \"postgres://h/a\"; };\n"
        "  usrloc = { db_url = \"postgres://h/b\"; };\n"
        "};\n");
    Result<DbTarget> t = dbTargetFromSettings(s);
    CPPUNIT_ASSERT(t.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("postgres://h/a"), t.value().url);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, t.value().warnings.size());
    CPPUNIT_ASSERT(contains(t.value().warnings[0], ":6: usrloc db_url names another database"));
    CPPUNIT_ASSERT(contains(t.value().warnings[0], "using auth_db's"));
  }

  void noDbUrlIsNotFound() {
    Result<DbTarget> t = dbTargetFromSettings(settingsFrom("modules = { sl = {}; };\n"));
    CPPUNIT_ASSERT(!t.isOk());
    CPPUNIT_ASSERT(t.status().code() == Code::kNotFound);
    CPPUNIT_ASSERT(contains(t.status().message(), "no module group sets db_url"));
  }

  void refusesNonStringDbUrl() {
    Result<DbTarget> t =
        dbTargetFromSettings(settingsFrom("modules = { usrloc = { db_url = 5; }; };\n"));
    CPPUNIT_ASSERT(!t.isOk());
    CPPUNIT_ASSERT(contains(t.status().message(),
                            ":4: usrloc db_url must be a non-empty string, got an integer"));
    Result<DbTarget> empty =
        dbTargetFromSettings(settingsFrom("modules = { usrloc = { db_url = \"\"; }; };\n"));
    CPPUNIT_ASSERT(!empty.isOk() && contains(empty.status().message(), "got \"\""));
  }

  void optionBeatsEnvironmentBeatsSettings() {
    Invocation inv;
    inv.settings_file = dir_ + "/missing.cfg";  // never read while a URL is given
    inv.db_url = "postgres://opt/db";
    Result<DbTarget> t = resolveDbTarget(inv, "postgres://env/db");
    CPPUNIT_ASSERT(t.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("postgres://opt/db"), t.value().url);
    CPPUNIT_ASSERT_EQUAL(std::string("--db-url"), t.value().source);
    inv.db_url.clear();
    t = resolveDbTarget(inv, "postgres://env/db");
    CPPUNIT_ASSERT(t.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("postgres://env/db"), t.value().url);
    CPPUNIT_ASSERT_EQUAL(std::string("SIPLINE_DB_URL"), t.value().source);
    CPPUNIT_ASSERT(!resolveDbTarget(inv, "").isOk());  // empty = unset: reads the settings
  }

  void readsTheSettingsFileGivenWithF() {
    std::ofstream(dir_ + "/sipline.routes") << "route { exit; }\n";
    std::ofstream(dir_ + "/s.cfg")
        << kBase << "modules = { usrloc = { db_url = \"postgres://f/db\"; }; };\n";
    Invocation inv;
    inv.settings_file = dir_ + "/s.cfg";
    Result<DbTarget> t = resolveDbTarget(inv, nullptr);
    CPPUNIT_ASSERT_MESSAGE(t.isOk() ? "" : t.status().message(), t.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("postgres://f/db"), t.value().url);
    CPPUNIT_ASSERT_EQUAL(dir_ + "/s.cfg:4 (usrloc db_url)", t.value().source);
    std::ofstream(dir_ + "/s.cfg") << kBase << "modules = { sl = {}; };\n";
    t = resolveDbTarget(inv, nullptr);
    CPPUNIT_ASSERT(!t.isOk());
    CPPUNIT_ASSERT(contains(t.status().message(), "no module group sets db_url (give --db-url"));
  }

  void unreadableSettingsSayHowToBypassThem() {
    Invocation inv;
    inv.settings_file = dir_ + "/missing.cfg";
    Result<DbTarget> t = resolveDbTarget(inv, nullptr);
    CPPUNIT_ASSERT(!t.isOk());
    CPPUNIT_ASSERT(contains(t.status().message(), dir_ + "/missing.cfg: cannot be read"));
    CPPUNIT_ASSERT(contains(t.status().message(), "--db-url URL bypasses them"));
    std::ofstream(dir_ + "/bad.cfg") << "socket = [\n";
    inv.settings_file = dir_ + "/bad.cfg";
    t = resolveDbTarget(inv, nullptr);
    CPPUNIT_ASSERT(!t.isOk() && contains(t.status().message(), dir_ + "/bad.cfg:"));
  }

  // An operator of group sipline reads the settings, not the TLS key (root's, 0600, read by the
  // master before it drops privileges) nor perhaps the routes: siplinectl needs only db_url
  // and the mi group, so files the settings name are not opened (here: they do not exist).
  void filesTheSettingsNameNeedNotBeReadable() {
    std::ofstream(dir_ + "/s.cfg")
        << "socket = [\"udp:127.0.0.1:5060\", \"tls:127.0.0.1:5061\"];\nmpath = \".\";\n"
        << "routes = \"no-such.routes\";\n"
        << "tls = { server = ( { name = \"default\"; certificate = \"no-such.pem\";\n"
        << "                     private_key = \"no-such.key\"; } ); };\n"
        << "mi = { socket = \"mi.sock\"; };\n"
        << "modules = { usrloc = { db_url = \"postgres://f/db\"; }; };\n";
    Invocation inv;
    inv.settings_file = dir_ + "/s.cfg";
    Result<DbTarget> t = resolveDbTarget(inv, nullptr);
    CPPUNIT_ASSERT_MESSAGE(t.isOk() ? "" : t.status().message(), t.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("postgres://f/db"), t.value().url);
    Result<MiTarget> mi = resolveMiTarget(inv, nullptr, nullptr);
    CPPUNIT_ASSERT_MESSAGE(mi.isOk() ? "" : mi.status().message(), mi.isOk());
    CPPUNIT_ASSERT_EQUAL(dir_ + "/mi.sock", mi.value().connect);
    // The server's loader does open them.
    Result<Settings> server = loadSettings(dir_ + "/s.cfg");
    CPPUNIT_ASSERT(!server.isOk());
    CPPUNIT_ASSERT(contains(server.status().message(), "no-such.routes' cannot be read"));
    Result<Settings> tool = loadSettings(dir_ + "/s.cfg", SettingsFiles::kUnchecked);
    CPPUNIT_ASSERT_MESSAGE(tool.isOk() ? "" : tool.status().message(), tool.isOk());
    CPPUNIT_ASSERT_EQUAL(dir_ + "/no-such.key", tool.value().tls.servers.at(0).private_key);
  }

 private:
  std::string dir_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(DbTargetTest);

}  // namespace sipline::ctl
