// The tcp_* settings and the tls group of sipline.cfg: values, defaults and every load check.
#include <cppunit/extensions/HelperMacros.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "core/config/settings.h"
#include "core/config/settings_test_util.h"

namespace sipline {
namespace {

// The three required settings; whatever a test appends starts on line 4.
constexpr const char* kBase =
    "socket = \"udp:127.0.0.1:5060\";\n"
    "mpath = \"modules\";\n"
    "routes = \"sipline.routes\";\n";

// A server profile whose files exist (setUp writes them); a test appends its own members.
constexpr const char* kServer =
    "{ name = \"default\"; certificate = \"certs/server.pem\"; private_key = "
    "\"certs/server.key\"; ";

class SettingsTcpTlsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SettingsTcpTlsTest);
  CPPUNIT_TEST(loadsTcpSettings);
  CPPUNIT_TEST(tcpDefaults);
  CPPUNIT_TEST(tcpRangesAndTypes);
  CPPUNIT_TEST(loadsTlsProfiles);
  CPPUNIT_TEST(tlsDefaults);
  CPPUNIT_TEST(acceptsTcpAndTlsSockets);
  CPPUNIT_TEST(tlsSocketNeedsServerProfile);
  CPPUNIT_TEST(unknownTlsKeysSuggest);
  CPPUNIT_TEST(tlsTypesAreChecked);
  CPPUNIT_TEST(profileNeedsUniqueName);
  CPPUNIT_TEST(atMostOneDefaultPerSide);
  CPPUNIT_TEST(serverProfileNeedsCertificateAndKey);
  CPPUNIT_TEST(clientCertificateAndKeyGoTogether);
  CPPUNIT_TEST(filesMustExistAndBeReadable);
  CPPUNIT_TEST(minVersionIsTls12Or13);
  CPPUNIT_TEST(ciphersAreChecked);
  CPPUNIT_TEST(requirePeerCertificateIsServerOnlyAndImpliesVerify);
  CPPUNIT_TEST(serverVerificationNeedsCaList);
  CPPUNIT_TEST(matchEntriesAreChecked);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    tmp_ = std::make_unique<testing::SettingsDir>();
    dir_ = tmp_->path();
    for (const char* f : {"server.pem", "server.key", "ca.pem", "sip2.pem", "sip2.key"}) {
      write(std::string("certs/") + f, "x\n");
    }
  }

  void tearDown() override { tmp_.reset(); }

  void loadsTcpSettings() {
    Result<Settings> r = load(std::string(kBase) +
                              "tcp_max_connections = 1000; tcp_connection_lifetime = 600;\n"
                              "tcp_connect_timeout = 500; tcp_max_write_queue = 1024;\n"
                              "tcp_max_connections_per_ip = 0;\n");
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), messageOf(r));
    const TcpSettings& tcp = r.value().tcp;
    CPPUNIT_ASSERT_EQUAL(1000, tcp.max_connections);
    CPPUNIT_ASSERT_EQUAL(600, tcp.connection_lifetime);
    CPPUNIT_ASSERT_EQUAL(500, tcp.connect_timeout_ms);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1024}, tcp.max_write_queue_kb);
    CPPUNIT_ASSERT_EQUAL(0, tcp.max_connections_per_ip);
  }

  void tcpDefaults() {
    Result<Settings> r = load(kBase);
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), messageOf(r));
    const TcpSettings& tcp = r.value().tcp;
    CPPUNIT_ASSERT_EQUAL(4096, tcp.max_connections);
    CPPUNIT_ASSERT_EQUAL(120, tcp.connection_lifetime);
    CPPUNIT_ASSERT_EQUAL(3000, tcp.connect_timeout_ms);
    CPPUNIT_ASSERT_EQUAL(std::size_t{256}, tcp.max_write_queue_kb);
    CPPUNIT_ASSERT_EQUAL(1024, tcp.max_connections_per_ip);
  }

  void tcpRangesAndTypes() {
    const std::string base(kBase);
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: 'tcp_max_connections' must be in 16..1048576, got 15",
                         errorOf(base + "tcp_max_connections = 15;\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: 'tcp_connection_lifetime' must be in 1..86400, got 0",
                         errorOf(base + "tcp_connection_lifetime = 0;\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: 'tcp_connect_timeout' must be in 100..60000, got 60001",
                         errorOf(base + "tcp_connect_timeout = 60001;\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: 'tcp_max_write_queue' must be in 16..65536, got 8",
                         errorOf(base + "tcp_max_write_queue = 8;\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: 'tcp_max_connections_per_ip' must be in 0..1048576, got -1",
                         errorOf(base + "tcp_max_connections_per_ip = -1;\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: 'tcp_max_connections' must be an integer, got a string",
                         errorOf(base + "tcp_max_connections = \"10\";\n"));
    CPPUNIT_ASSERT_EQUAL(
        cfg() + ":4: unknown setting 'tcp_connect_timout' (did you mean 'tcp_connect_timeout'?)",
        errorOf(base + "tcp_connect_timout = 100;\n"));
  }

  void loadsTlsProfiles() {
    write("certs/client.pem", "x\n");
    write("certs/client.key", "x\n");
    Result<Settings> r = load(
        "socket = [ \"udp:127.0.0.1\", \"tls:127.0.0.1:5061\", \"tcp:[::1]\" ];\n"
        "mpath = \"modules\"; routes = \"sipline.routes\";\n"
        "tls = {\n"
        "  handshake_timeout = 2500;\n"
        "  server = ( { name = \"default\"; certificate = \"certs/server.pem\";\n"
        "               private_key = \"certs/server.key\"; ca_list = \"certs/ca.pem\";\n"
        "               verify_peer = true; ciphers = \"HIGH\"; min_version = \"tlsv1.3\"; },\n"
        "             { name = \"sip2\"; match = [ \"SIP2.test\", \"*.example.com\" ];\n"
        "               certificate = \"" +
        dir_ + "/certs/sip2.pem\"; private_key = \"certs/sip2.key\";\n" +
        "               require_peer_certificate = true; ca_list = \"certs/ca.pem\"; } );\n"
        "  client = ( { name = \"default\"; ca_list = \"\"; },\n"
        "             { name = \"gw\"; match = [ \"gw.example.com\", \"192.0.2.1\",\n"
        "                 \"192.0.2.2:5061\", \"[2001:DB8::1]:5061\" ];\n"
        "               certificate = \"certs/client.pem\"; private_key = "
        "\"certs/client.key\";\n"
        "               verify_peer = false; } );\n"
        "};\n");
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), messageOf(r));
    const Settings& s = r.value();
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, s.sockets.size());
    CPPUNIT_ASSERT_EQUAL(std::string("tls:127.0.0.1:5061"), s.sockets[1].text);
    CPPUNIT_ASSERT_EQUAL(std::string("tcp:[::1]:5060"), s.sockets[2].text);
    const TlsSettings& tls = s.tls;
    CPPUNIT_ASSERT_EQUAL(2500, tls.handshake_timeout_ms);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, tls.servers.size());
    const TlsProfile& d = tls.servers[0];
    CPPUNIT_ASSERT_EQUAL(std::string("default"), d.name);
    CPPUNIT_ASSERT(d.isDefault());
    CPPUNIT_ASSERT_EQUAL(5, d.line);
    CPPUNIT_ASSERT_EQUAL(dir_ + "/certs/server.pem", d.certificate);
    CPPUNIT_ASSERT_EQUAL(dir_ + "/certs/server.key", d.private_key);
    CPPUNIT_ASSERT_EQUAL(dir_ + "/certs/ca.pem", d.ca_list);
    CPPUNIT_ASSERT(d.verify_peer && !d.require_peer_certificate);
    CPPUNIT_ASSERT_EQUAL(std::string("HIGH"), d.ciphers);
    CPPUNIT_ASSERT_EQUAL(std::string("TLSv1.3"), d.min_version);
    const TlsProfile& sip2 = tls.servers[1];
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, sip2.match.size());
    CPPUNIT_ASSERT_EQUAL(std::string("sip2.test"), sip2.match[0]);
    CPPUNIT_ASSERT_EQUAL(std::string("*.example.com"), sip2.match[1]);
    CPPUNIT_ASSERT_EQUAL(dir_ + "/certs/sip2.pem", sip2.certificate);
    CPPUNIT_ASSERT(sip2.require_peer_certificate && sip2.verify_peer);
    CPPUNIT_ASSERT_EQUAL(std::string("TLSv1.2"), sip2.min_version);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, tls.clients.size());
    CPPUNIT_ASSERT(tls.clients[0].verify_peer);
    CPPUNIT_ASSERT(tls.clients[0].ca_list.empty() && tls.clients[0].certificate.empty());
    const TlsProfile& gw = tls.clients[1];
    CPPUNIT_ASSERT(!gw.verify_peer);
    CPPUNIT_ASSERT_EQUAL(std::size_t{4}, gw.match.size());
    CPPUNIT_ASSERT_EQUAL(std::string("gw.example.com"), gw.match[0]);
    CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.1"), gw.match[1]);
    CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.2:5061"), gw.match[2]);
    CPPUNIT_ASSERT_EQUAL(std::string("[2001:db8::1]:5061"), gw.match[3]);
    CPPUNIT_ASSERT_EQUAL(dir_ + "/certs/client.key", gw.private_key);
  }

  void tlsDefaults() {
    Result<Settings> r = load(std::string(kBase) + "tls = { server = " + kServer + "}; };\n");
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), messageOf(r));
    const TlsSettings& tls = r.value().tls;
    CPPUNIT_ASSERT_EQUAL(5000, tls.handshake_timeout_ms);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, tls.servers.size());  // a single group is a list of one
    CPPUNIT_ASSERT(!tls.servers[0].verify_peer && tls.servers[0].ca_list.empty());
    CPPUNIT_ASSERT(tls.servers[0].ciphers.empty());
    CPPUNIT_ASSERT_EQUAL(std::string("TLSv1.2"), tls.servers[0].min_version);
    CPPUNIT_ASSERT(tls.clients.empty());
    r = load(kBase);
    CPPUNIT_ASSERT(r.value().tls.servers.empty() && r.value().tls.clients.empty());
  }

  void acceptsTcpAndTlsSockets() {
    Result<Settings> r = load(
        "socket = [ \"tcp:127.0.0.1\", \"tcp:127.0.0.1:5070\", \"udp:127.0.0.1\" ];\n"
        "mpath = \"modules\"; routes = \"sipline.routes\";\n");
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), messageOf(r));
    CPPUNIT_ASSERT(r.value().sockets[0].proto == Proto::kTcp);
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":2: socket 'TCP:127.0.0.1:5060' duplicates the socket on line 1 "
                             "(both are tcp:127.0.0.1:5060)",
                         errorOf("socket = [ \"tcp:127.0.0.1\",\n \"TCP:127.0.0.1:5060\" ];\n"));
  }

  void tlsSocketNeedsServerProfile() {
    const std::string rest = "mpath = \"modules\";\nroutes = \"sipline.routes\";\n";
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":2: socket 'tls:127.0.0.1' is a tls socket, but tls.server has no "
                             "profile (a certificate and key to present)",
                         errorOf("socket = [ \"udp:127.0.0.1\",\n  \"tls:127.0.0.1\" ];\n" + rest +
                                 "tls = { client = ( { name = \"c\"; } ); };\n"));
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"),
                         messageOf(load("socket = \"tls:127.0.0.1\";\n" + rest +
                                        "tls = { server = ( " + kServer + "} ); };\n")));
  }

  void unknownTlsKeysSuggest() {
    const std::string base(kBase);
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: unknown setting 'tls.severs' (did you mean 'server'?)",
                         errorOf(base + "tls = { severs = (); };\n"));
    CPPUNIT_ASSERT_EQUAL(
        cfg() + ":5: unknown setting 'tls.server.certficate' (did you mean 'certificate'?)",
        errorOf(base + "tls = { server = ( { name = \"a\";\n certficate = \"x\"; } ); };\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":4: unknown setting 'tls.client.verify_per' (did you mean "
                             "'verify_peer'?)",
                         errorOf(base + "tls = { client = { verify_per = true; }; };\n"));
  }

  void tlsTypesAreChecked() {
    const std::string base(kBase);
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":4: 'tls' must be a group, e.g. tls = { server = ( { name = "
                             "\"default\"; certificate = \"server.pem\"; private_key = "
                             "\"server.key\"; } ); }, got a string",
                         errorOf(base + "tls = \"on\";\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":4: 'tls.server' must be a list of groups, e.g. tls.server = ( { "
                             "name = \"default\"; } ), got an integer",
                         errorOf(base + "tls = { server = 1; };\n"));
    CPPUNIT_ASSERT_EQUAL(
        cfg() + ":4: 'tls.client' entries must be groups ({ name = ...; }), got a string",
        errorOf(base + "tls = { client = ( \"x\" ); };\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: 'tls.handshake_timeout' must be in 100..60000, got 50",
                         errorOf(base + "tls = { handshake_timeout = 50; };\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: 'tls.client.verify_peer' must be a boolean, got a string",
                         errorOf(base + "tls = { client = { name = \"c\"; verify_peer = "
                                        "\"yes\"; }; };\n"));
    CPPUNIT_ASSERT_EQUAL(
        cfg() + ":4: 'tls.server.certificate' must be a string, got an integer",
        errorOf(base + "tls = { server = { name = \"s\"; certificate = 1; }; };\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: 'tls.client.name' must not be empty",
                         errorOf(base + "tls = { client = { name = \"\"; }; };\n"));
  }

  void profileNeedsUniqueName() {
    const std::string base(kBase);
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: 'tls.client' profile without 'name'",
                         errorOf(base + "tls = { client = ( { verify_peer = true; } ); };\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":5: tls.client profile 'a' is defined twice, first (line 4)",
                         errorOf(base + "tls = { client = ( { name = \"a\"; },\n"
                                        "  { name = \"a\"; match = \"x.test\"; } ); };\n"));
    // The same name on both sides is fine.
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"),
                         errorOf(base + "tls = { client = { name = \"default\"; };\n server = " +
                                 kServer + "}; };\n"));
  }

  void atMostOneDefaultPerSide() {
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":5: tls.server profiles 'default' (line 4) and 'other' both have no "
                             "'match': only one may be the default",
                         errorOf(std::string(kBase) + "tls = { server = ( " + kServer + "},\n" +
                                 "  { name = \"other\"; certificate = \"certs/sip2.pem\"; "
                                 "private_key = \"certs/sip2.key\"; } ); };\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":5: tls.client profiles 'a' (line 4) and 'b' both have no 'match': "
                             "only one may be the default",
                         errorOf(std::string(kBase) + "tls = { client = ( { name = \"a\"; },\n" +
                                 "  { name = \"b\"; } ); };\n"));
  }

  void serverProfileNeedsCertificateAndKey() {
    const std::string base(kBase);
    CPPUNIT_ASSERT_EQUAL(
        cfg() + ":4: tls.server profile 's': 'certificate' is required",
        errorOf(base + "tls = { server = { name = \"s\"; private_key = \"certs/server.key\"; "
                       "}; };\n"));
    CPPUNIT_ASSERT_EQUAL(
        cfg() + ":4: tls.server profile 's': 'private_key' is required",
        errorOf(base + "tls = { server = { name = \"s\"; certificate = \"certs/server.pem\"; "
                       "}; };\n"));
    CPPUNIT_ASSERT_EQUAL(
        cfg() + ":4: tls.server profile 's': 'tls.server.certificate' must not be empty",
        errorOf(base + "tls = { server = { name = \"s\"; certificate = \"\"; private_key = "
                       "\"certs/server.key\"; }; };\n"));
  }

  void clientCertificateAndKeyGoTogether() {
    CPPUNIT_ASSERT_EQUAL(
        cfg() +
            ":4: tls.client profile 'c': set 'certificate' and 'private_key' "
            "together, or neither",
        errorOf(std::string(kBase) + "tls = { client = { name = \"c\"; certificate = "
                                     "\"certs/server.pem\"; }; };\n"));
  }

  void filesMustExistAndBeReadable() {
    const std::string base(kBase);
    CPPUNIT_ASSERT_EQUAL(cfg() + ":5: tls.server profile 's': 'tls.server.private_key' '" + dir_ +
                             "/certs/none.key' cannot be read: No such file or directory",
                         errorOf(base + "tls = { server = { name = \"s\";\n private_key = "
                                        "\"certs/none.key\";\n certificate = "
                                        "\"certs/server.pem\"; }; };\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: tls.client profile 'c': 'tls.client.ca_list' '" + dir_ +
                             "/certs' is not a regular file",
                         errorOf(base + "tls = { client = { name = \"c\"; ca_list = \"certs\"; "
                                        "}; };\n"));
    if (geteuid() != 0) {  // root reads anything
      write("certs/secret.key", "x\n");
      CPPUNIT_ASSERT_EQUAL(0, chmod((dir_ + "/certs/secret.key").c_str(), 0));
      CPPUNIT_ASSERT_EQUAL(cfg() + ":4: tls.server profile 'default': 'tls.server.private_key' '" +
                               dir_ + "/certs/secret.key' cannot be read: Permission denied",
                           errorOf(base + "tls = { server = { name = \"default\"; certificate = "
                                          "\"certs/server.pem\"; private_key = "
                                          "\"certs/secret.key\"; }; };\n"));
    }
  }

  void minVersionIsTls12Or13() {
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":4: 'tls.client.min_version' must be \"TLSv1.2\" or \"TLSv1.3\" "
                             "(nothing older is accepted), got 'TLSv1.1'",
                         errorOf(std::string(kBase) + "tls = { client = { name = \"c\"; "
                                                      "min_version = \"TLSv1.1\"; }; };\n"));
  }

  void ciphersAreChecked() {
    const std::string base(kBase);
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: 'tls.client.ciphers' 'FOO:BAR': no cipher matches",
                         errorOf(base + "tls = { client = { name = \"c\"; ciphers = "
                                        "\"FOO:BAR\"; }; };\n"));
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"),
                         errorOf(base + "tls = { client = { name = \"c\"; ciphers = "
                                        "\"ECDHE-ECDSA-AES128-GCM-SHA256:!aNULL\"; }; };\n"));
  }

  void requirePeerCertificateIsServerOnlyAndImpliesVerify() {
    const std::string base(kBase);
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":4: 'tls.client.require_peer_certificate' is for server profiles (a "
                             "client profile verifies the server with verify_peer)",
                         errorOf(base + "tls = { client = { name = \"c\"; "
                                        "require_peer_certificate = true; }; };\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":5: tls.server profile 'default': 'require_peer_certificate' needs "
                             "'verify_peer' (leave verify_peer out or set it to true)",
                         errorOf(base + "tls = { server = " + kServer +
                                 "ca_list = \"certs/ca.pem\"; verify_peer = false;\n"
                                 "  require_peer_certificate = true; }; };\n"));
  }

  void serverVerificationNeedsCaList() {
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":4: tls.server profile 'default': verifying client certificates "
                             "needs 'ca_list' (the CAs that sign them)",
                         errorOf(std::string(kBase) + "tls = { server = " + kServer +
                                 "verify_peer = true; }; };\n"));
  }

  void matchEntriesAreChecked() {
    const std::string base(kBase);
    const std::string server =
        base + "tls = { server = ( " + kServer + "},\n { name = \"b\"; " +
        "certificate = \"certs/sip2.pem\"; private_key = " + "\"certs/sip2.key\";\n match = ";
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":6: 'tls.server.match' '192.0.2.1': SNI carries a host name only "
                             "(no address, no port)",
                         errorOf(server + "[ \"192.0.2.1\" ]; } ); };\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":6: 'tls.server.match' 'a.test:5061': SNI carries a host name only "
                             "(no address, no port)",
                         errorOf(server + "[ \"a.test:5061\" ]; } ); };\n"));
    CPPUNIT_ASSERT(errorOf(server + "[ \"a.*.test\" ]; } ); };\n")
                       .starts_with(cfg() + ":6: 'tls.server.match' 'a.*.test': "));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":6: 'tls.server.match' 'A.test' is listed twice",
                         errorOf(server + "[ \"a.test\", \"A.test\" ]; } ); };\n"));
    CPPUNIT_ASSERT_EQUAL(
        cfg() +
            ":6: 'tls.server.match' needs at least one entry (leave it out for the default "
            "profile)",
        errorOf(server + "[]; } ); };\n"));
    const std::string client = base +
                               "tls = { client = ( { name = \"a\"; match = \"gw.test\"; },\n" +
                               "  { name = \"b\"; match = ";
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":5: 'tls.client.match' 'gw2.test:5061': a host name matches without "
                             "a port (ports go with addresses)",
                         errorOf(client + "\"gw2.test:5061\"; } ); };\n"));
    CPPUNIT_ASSERT_EQUAL(
        cfg() + ":5: tls.client profile 'b': 'match' 'gw.test' is already in profile 'a' (line 4)",
        errorOf(client + "[ \"GW.test\" ]; } ); };\n"));
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"),
                         errorOf(client + "[ \"[::1]\", \"[::1]:5061\" ]; } ); };\n"));
  }

 private:
  void write(const std::string& rel, const std::string& text) { tmp_->write(rel, text); }
  std::string cfg() const { return tmp_->cfg(); }
  Result<Settings> load(const std::string& text) { return tmp_->load(text); }
  static std::string messageOf(const Result<Settings>& r) {
    return testing::SettingsDir::messageOf(r);
  }

  std::string errorOf(const std::string& text) { return messageOf(load(text)); }

  std::unique_ptr<testing::SettingsDir> tmp_;
  std::string dir_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(SettingsTcpTlsTest);

}  // namespace
}  // namespace sipline
