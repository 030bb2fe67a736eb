#include "tools/siplinectl/cache_flush.h"

#include <cppunit/extensions/HelperMacros.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "tools/siplinectl/run_test_util.h"

namespace sipline::ctl {
namespace {

using testing::FakeMi;
using testing::FakeMiProxy;

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

class CacheFlushTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(CacheFlushTest);
  CPPUNIT_TEST(flushesEachAorOverTheGivenSocket);
  CPPUNIT_TEST(socketComesFromTheSettingsFile);
  CPPUNIT_TEST(noSocketKnownIsANote);
  CPPUNIT_TEST(serverNotRunningIsANote);
  CPPUNIT_TEST(serverWithoutAuthDbIsANote);
  CPPUNIT_TEST(refusalStopsAndSaysTheCacheExpires);
  CPPUNIT_TEST(nothingToFlushSendsNothing);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    char tmpl[] = "/tmp/siplinectl-flush-XXXXXX";
    CPPUNIT_ASSERT(::mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    inv_.settings_file = dir_ + "/none.cfg";
  }
  void tearDown() override { std::filesystem::remove_all(dir_); }

  void flushesEachAorOverTheGivenSocket() {
    inv_.mi_socket = "/run/x/mi.sock";
    FlushReport r = flushCredentialCache(inv_, connector(), {"a@x.org", "b@x.org"});
    CPPUNIT_ASSERT(r.done && r.note.empty());
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, r.flushed);
    CPPUNIT_ASSERT_EQUAL(std::string("/run/x/mi.sock"), r.socket);
    CPPUNIT_ASSERT((mi_.paths == std::vector<std::string>{"/run/x/mi.sock"}));  // one connection
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, mi_.calls.size());
    CPPUNIT_ASSERT_EQUAL(std::string("auth_db_cache_flush"), mi_.calls[0].first);
    CPPUNIT_ASSERT_EQUAL(std::string("b@x.org"), mi_.calls[1].second["aor"].get<std::string>());
    Json j = flushJson(r);
    CPPUNIT_ASSERT(j["done"].get<bool>() && j["note"].is_null());
  }

  void socketComesFromTheSettingsFile() {
    std::filesystem::create_directory(dir_ + "/modules");
    std::ofstream(dir_ + "/sipline.routes") << "route { exit; }\n";
    std::ofstream(dir_ + "/sipline.cfg")
        << "socket = [\"udp:127.0.0.1:5060\"];\nmpath = \"modules\";\n"
           "routes = \"sipline.routes\";\nmi = { socket = \"run/mi.sock\"; };\n";
    inv_.settings_file = dir_ + "/sipline.cfg";
    FlushReport r = flushCredentialCache(inv_, connector(), {"a@x.org"});
    CPPUNIT_ASSERT_MESSAGE(r.note, r.done);
    CPPUNIT_ASSERT_EQUAL(dir_ + "/run/mi.sock", r.socket);  // relative to the settings file
    // --mi-socket wins over the settings.
    inv_.mi_socket = "/other.sock";
    CPPUNIT_ASSERT_EQUAL(std::string("/other.sock"),
                         flushCredentialCache(inv_, connector(), {"a@x.org"}).socket);
    // Settings without mi.socket.
    std::ofstream(dir_ + "/nomi.cfg") << "socket = [\"udp:127.0.0.1:5060\"];\n"
                                         "mpath = \"modules\";\nroutes = \"sipline.routes\";\n";
    inv_.mi_socket.clear();
    inv_.settings_file = dir_ + "/nomi.cfg";
    r = flushCredentialCache(inv_, connector(), {"a@x.org"});
    CPPUNIT_ASSERT(!r.done);
    CPPUNIT_ASSERT_MESSAGE(r.note, contains(r.note, "nomi.cfg sets no mi.socket"));
  }

  void noSocketKnownIsANote() {
    FlushReport r = flushCredentialCache(inv_, connector(), {"a@x.org"});
    CPPUNIT_ASSERT(!r.done && r.socket.empty());
    CPPUNIT_ASSERT_MESSAGE(r.note, contains(r.note, "none.cfg: cannot be read"));
    CPPUNIT_ASSERT(contains(r.note, "--mi-socket PATH"));
    CPPUNIT_ASSERT(contains(r.note, "expire after auth_db's cache TTL"));
    CPPUNIT_ASSERT(mi_.paths.empty());
  }

  void serverNotRunningIsANote() {
    inv_.mi_socket = "/run/x/mi.sock";
    mi_.connect_status = Status::unavailable("MI socket /run/x/mi.sock: Connection refused");
    FlushReport r = flushCredentialCache(inv_, connector(), {"a@x.org"});
    CPPUNIT_ASSERT(!r.done);
    CPPUNIT_ASSERT_MESSAGE(r.note, contains(r.note, "no server answers on /run/x/mi.sock"));
    CPPUNIT_ASSERT(contains(r.note, "expire after auth_db's cache TTL"));
    mi_.connect_status = Status::ioError("MI socket /run/x/mi.sock: Permission denied");
    r = flushCredentialCache(inv_, connector(), {"a@x.org"});
    CPPUNIT_ASSERT_MESSAGE(r.note, contains(r.note, "Permission denied"));
    // No connector at all (a build without MI).
    r = flushCredentialCache(inv_, MiConnect(), {"a@x.org"});
    CPPUNIT_ASSERT(!r.done && contains(r.note, "cache TTL"));
  }

  void serverWithoutAuthDbIsANote() {
    inv_.mi_socket = "/run/x/mi.sock";
    mi_.call_status = Status::unsupported("method 'auth_db_cache_flush' not found");
    FlushReport r = flushCredentialCache(inv_, connector(), {"a@x.org"});
    CPPUNIT_ASSERT(!r.done);
    CPPUNIT_ASSERT_MESSAGE(r.note, contains(r.note, "(auth_db is not loaded)"));
  }

  void refusalStopsAndSaysTheCacheExpires() {
    inv_.mi_socket = "/run/x/mi.sock";
    mi_.call_status = Status::failedPrecondition("cache is busy");
    FlushReport r = flushCredentialCache(inv_, connector(), {"a@x.org", "b@x.org"});
    CPPUNIT_ASSERT(!r.done);
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, r.flushed);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, mi_.calls.size());
    CPPUNIT_ASSERT_MESSAGE(r.note, contains(r.note,
                                            "did not flush the cache for 2 subscribers "
                                            "(cache is busy)"));
    Json j = flushJson(r);
    CPPUNIT_ASSERT(!j["done"].get<bool>() && j["note"].is_string());
  }

  void nothingToFlushSendsNothing() {
    FlushReport r = flushCredentialCache(inv_, connector(), {});
    CPPUNIT_ASSERT(r.done && r.note.empty());
    CPPUNIT_ASSERT(mi_.paths.empty());
  }

 private:
  MiConnect connector() {
    return [this](const std::string& path) -> Result<std::unique_ptr<MiClient>> {
      mi_.paths.push_back(path);
      if (!mi_.connect_status.isOk()) return mi_.connect_status;
      return std::unique_ptr<MiClient>(new FakeMiProxy(mi_));
    };
  }

  std::string dir_;
  Invocation inv_;
  FakeMi mi_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(CacheFlushTest);

}  // namespace sipline::ctl
