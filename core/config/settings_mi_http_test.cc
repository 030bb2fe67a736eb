// The HTTP keys of the `mi` group: mi.http with its basic-auth credentials.
#include <cppunit/extensions/HelperMacros.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/config/settings.h"

namespace sipline {

class SettingsMiHttpTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SettingsMiHttpTest);
  CPPUNIT_TEST(loopbackNeedsNoCredentials);
  CPPUNIT_TEST(readsBothCredentials);
  CPPUNIT_TEST(userWithoutPasswordIsRefused);
  CPPUNIT_TEST(passwordWithoutUserIsRefused);
  CPPUNIT_TEST(emptyCredentialsAreRefused);
  CPPUNIT_TEST(userWithColonIsRefused);
  CPPUNIT_TEST(nonLoopbackWithoutCredentialsIsRefused);
  CPPUNIT_TEST(nonLoopbackWithCredentialsIsAccepted);
  CPPUNIT_TEST(credentialsMustBeStrings);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    char tmpl[] = "/tmp/sipline-mi-http-settings-test-XXXXXX";
    CPPUNIT_ASSERT(mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    std::filesystem::create_directories(dir_ + "/modules");
    std::ofstream(dir_ + "/sipline.routes") << "route { exit; }\n";
  }
  void tearDown() override { std::filesystem::remove_all(dir_); }

  void loopbackNeedsNoCredentials() {
    for (const char* addr : {"127.0.0.1:8888", "127.1.2.3:8888", "[::1]:8888"}) {
      Result<Settings> r = load(std::string("mi = { http = \"") + addr + "\"; };\n");
      CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), messageOf(r));
      CPPUNIT_ASSERT(r.value().mi.http_user.empty() && r.value().mi.http_password.empty());
    }
  }

  void readsBothCredentials() {
    Result<Settings> r = load(
        "mi = { http = \"127.0.0.1:8888\"; http_user = \"ops\"; http_password = \"s3:cret\"; "
        "};\n");
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), messageOf(r));
    CPPUNIT_ASSERT_EQUAL(std::string("ops"), r.value().mi.http_user);
    CPPUNIT_ASSERT_EQUAL(std::string("s3:cret"), r.value().mi.http_password);
  }

  void userWithoutPasswordIsRefused() {
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":5: 'mi.http_user' is set but 'mi.http_password' is not; set "
                             "both or neither",
                         messageOf(load("mi = { http = \"127.0.0.1:8888\";\n"
                                        "  http_user = \"ops\"; };\n")));
  }

  void passwordWithoutUserIsRefused() {
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":4: 'mi.http_password' is set but 'mi.http_user' is not; set "
                             "both or neither",
                         messageOf(load("mi = { http_password = \"x\"; };\n")));
  }

  void emptyCredentialsAreRefused() {
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: 'mi.http_user' must not be empty",
                         messageOf(load("mi = { http_user = \"\"; http_password = \"x\"; };\n")));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: 'mi.http_password' must not be empty",
                         messageOf(load("mi = { http_user = \"a\"; http_password = \"\"; };\n")));
  }

  void userWithColonIsRefused() {
    CPPUNIT_ASSERT_EQUAL(
        cfg() + ":4: 'mi.http_user' must not contain ':' (HTTP basic auth splits on it)",
        messageOf(load("mi = { http_user = \"a:b\"; http_password = \"x\"; };\n")));
  }

  void nonLoopbackWithoutCredentialsIsRefused() {
    const std::string expected_tail =
        "' is not a loopback address and has no credentials: set mi.http_user and "
        "mi.http_password (HTTP basic auth), or listen on 127.0.0.1 or [::1]";
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: 'mi.http' '0.0.0.0:8888" + expected_tail,
                         messageOf(load("mi = { http = \"0.0.0.0:8888\"; };\n")));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: 'mi.http' '192.0.2.1:8888" + expected_tail,
                         messageOf(load("mi = { http = \"192.0.2.1:8888\"; };\n")));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: 'mi.http' '[::]:8888" + expected_tail,
                         messageOf(load("mi = { http = \"[::]:8888\"; };\n")));
  }

  void nonLoopbackWithCredentialsIsAccepted() {
    Result<Settings> r =
        load("mi = { http_user = \"ops\"; http_password = \"pw\"; http = \"0.0.0.0:8888\"; };\n");
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), messageOf(r));
    CPPUNIT_ASSERT_EQUAL(std::string("0.0.0.0:8888"), r.value().mi.http);
  }

  void credentialsMustBeStrings() {
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: 'mi.http_password' must be a string, got an integer",
                         messageOf(load("mi = { http_user = \"a\"; http_password = 1234; };\n")));
  }

 private:
  std::string cfg() const { return dir_ + "/sipline.cfg"; }
  Result<Settings> load(const std::string& tail) {
    std::ofstream(cfg()) << "socket = \"udp:127.0.0.1:5060\";\n"
                            "mpath = \"modules\";\n"
                            "routes = \"sipline.routes\";\n"
                         << tail;
    return loadSettings(cfg());
  }
  static std::string messageOf(const Result<Settings>& r) {
    return r.isOk() ? "<ok>" : r.status().message();
  }
  std::string dir_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(SettingsMiHttpTest);

}  // namespace sipline
