// The dns_* settings of the RFC 3263 resolver.
#include <cppunit/extensions/HelperMacros.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/config/settings.h"

namespace sipline {

class SettingsDnsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SettingsDnsTest);
  CPPUNIT_TEST(defaultsUseTheSystemResolver);
  CPPUNIT_TEST(readsEveryDnsSetting);
  CPPUNIT_TEST(serversAreNumericWithPort53ByDefault);
  CPPUNIT_TEST(refusesBadServers);
  CPPUNIT_TEST(refusesValuesOutOfRangeOrOfTheWrongType);
  CPPUNIT_TEST(minimumTtlAboveMaximumIsRefused);
  CPPUNIT_TEST(cacheMayTakeAtMostHalfOfShm);
  CPPUNIT_TEST(defaultCacheShrinksWithASmallSegment);
  CPPUNIT_TEST(misspeltKeySuggestsTheDnsName);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    char tmpl[] = "/tmp/sipline-dns-settings-test-XXXXXX";
    CPPUNIT_ASSERT(mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    std::filesystem::create_directories(dir_ + "/modules");
    std::ofstream(dir_ + "/sipline.routes") << "route { exit; }\n";
  }
  void tearDown() override { std::filesystem::remove_all(dir_); }

  void defaultsUseTheSystemResolver() {
    Result<Settings> r = load("");
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), messageOf(r));
    const DnsSettings& d = r.value().dns;
    CPPUNIT_ASSERT(d.servers.empty());
    CPPUNIT_ASSERT_EQUAL(1000, d.timeout_ms);
    CPPUNIT_ASSERT_EQUAL(1, d.retries);
    CPPUNIT_ASSERT(d.try_naptr);
    CPPUNIT_ASSERT(!d.try_ipv6);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1024}, d.cache_kb);
    CPPUNIT_ASSERT_EQUAL(5, d.cache_min_ttl);
    CPPUNIT_ASSERT_EQUAL(3600, d.cache_max_ttl);
    CPPUNIT_ASSERT_EQUAL(30, d.cache_negative_ttl);
    CPPUNIT_ASSERT_EQUAL(30, d.blacklist_time);
    CPPUNIT_ASSERT_EQUAL(256, d.blacklist_size);
  }

  void readsEveryDnsSetting() {
    Result<Settings> r = load(
        "dns_servers = \"127.0.0.1:5353\";\n"
        "dns_timeout = 250;\n"
        "dns_retries = 0;\n"
        "dns_try_naptr = false;\n"
        "dns_try_ipv6 = true;\n"
        "dns_cache_mem = 2048;\n"
        "dns_cache_min_ttl = 0;\n"
        "dns_cache_max_ttl = 60;\n"
        "dns_cache_negative_ttl = 0;\n"
        "dns_blacklist_time = 0;\n"
        "dns_blacklist_size = 16;\n");
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), messageOf(r));
    const DnsSettings& d = r.value().dns;
    CPPUNIT_ASSERT((d.servers == std::vector<std::string>{"127.0.0.1:5353"}));
    CPPUNIT_ASSERT_EQUAL(250, d.timeout_ms);
    CPPUNIT_ASSERT_EQUAL(0, d.retries);
    CPPUNIT_ASSERT(!d.try_naptr);
    CPPUNIT_ASSERT(d.try_ipv6);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2048}, d.cache_kb);
    CPPUNIT_ASSERT_EQUAL(0, d.cache_min_ttl);
    CPPUNIT_ASSERT_EQUAL(60, d.cache_max_ttl);
    CPPUNIT_ASSERT_EQUAL(0, d.cache_negative_ttl);
    CPPUNIT_ASSERT_EQUAL(0, d.blacklist_time);
    CPPUNIT_ASSERT_EQUAL(16, d.blacklist_size);
  }

  void serversAreNumericWithPort53ByDefault() {
    Result<Settings> r = load("dns_servers = [\"192.0.2.53\", \"[::1]:5353\", \"10.0.0.1:53\"];\n");
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), messageOf(r));
    CPPUNIT_ASSERT((r.value().dns.servers ==
                    std::vector<std::string>{"192.0.2.53:53", "[::1]:5353", "10.0.0.1:53"}));
  }

  void refusesBadServers() {
    CPPUNIT_ASSERT_EQUAL(dir_ +
                             "/sipline.cfg:4: dns_servers 'ns.example.com': 'ns.example.com' is "
                             "not a numeric IP address (host names are not resolved here)",
                         messageOf(load("dns_servers = [\"ns.example.com\"];\n")));
    CPPUNIT_ASSERT(messageOf(load("dns_servers = [\"127.0.0.1:0\"];\n")).find("sipline.cfg:4:") !=
                   std::string::npos);
    CPPUNIT_ASSERT_EQUAL(dir_ +
                             "/sipline.cfg:4: 'dns_servers' needs at least one server (leave it "
                             "out to use /etc/resolv.conf)",
                         messageOf(load("dns_servers = [];\n")));
    CPPUNIT_ASSERT_EQUAL(dir_ +
                             "/sipline.cfg:5: 'dns_servers' entries must be strings, got an "
                             "integer",
                         messageOf(load("dns_servers = (\n 53 );\n")));
  }

  void refusesValuesOutOfRangeOrOfTheWrongType() {
    CPPUNIT_ASSERT_EQUAL(dir_ + "/sipline.cfg:4: 'dns_timeout' must be in 10..60000, got 5",
                         messageOf(load("dns_timeout = 5;\n")));
    CPPUNIT_ASSERT_EQUAL(dir_ + "/sipline.cfg:4: 'dns_retries' must be in 0..5, got 9",
                         messageOf(load("dns_retries = 9;\n")));
    CPPUNIT_ASSERT_EQUAL(dir_ + "/sipline.cfg:4: 'dns_try_naptr' must be a boolean, got an integer",
                         messageOf(load("dns_try_naptr = 1;\n")));
    CPPUNIT_ASSERT_EQUAL(dir_ + "/sipline.cfg:4: 'dns_timeout' must be an integer, got a string",
                         messageOf(load("dns_timeout = \"1s\";\n")));
    CPPUNIT_ASSERT_EQUAL(dir_ + "/sipline.cfg:4: 'dns_blacklist_size' must be in 16..65536, got 1",
                         messageOf(load("dns_blacklist_size = 1;\n")));
  }

  void minimumTtlAboveMaximumIsRefused() {
    CPPUNIT_ASSERT_EQUAL(dir_ +
                             "/sipline.cfg:5: 'dns_cache_min_ttl' (600) is above "
                             "'dns_cache_max_ttl' (300)",
                         messageOf(load("dns_cache_max_ttl = 300;\ndns_cache_min_ttl = 600;\n")));
    CPPUNIT_ASSERT_EQUAL(dir_ +
                             "/sipline.cfg:4: 'dns_cache_min_ttl' (7200) is above "
                             "'dns_cache_max_ttl' (3600)",
                         messageOf(load("dns_cache_min_ttl = 7200;\n")));
  }

  void cacheMayTakeAtMostHalfOfShm() {
    CPPUNIT_ASSERT_EQUAL(dir_ +
                             "/sipline.cfg:5: 'dns_cache_mem' (4096 KB) may use at most half of "
                             "shm_size (4 MB)",
                         messageOf(load("shm_size = 4;\ndns_cache_mem = 4096;\n")));
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"),
                         messageOf(load("shm_size = 4;\ndns_cache_mem = 2048;\n")));
  }

  void defaultCacheShrinksWithASmallSegment() {
    Result<Settings> r = load("shm_size = 2;\n");
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), messageOf(r));
    CPPUNIT_ASSERT_EQUAL(std::size_t{128}, r.value().dns.cache_kb);
  }

  void misspeltKeySuggestsTheDnsName() {
    CPPUNIT_ASSERT_EQUAL(dir_ +
                             "/sipline.cfg:4: unknown setting 'dns_server' (did you mean "
                             "'dns_servers'?)",
                         messageOf(load("dns_server = \"127.0.0.1\";\n")));
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
CPPUNIT_TEST_SUITE_REGISTRATION(SettingsDnsTest);

}  // namespace sipline
