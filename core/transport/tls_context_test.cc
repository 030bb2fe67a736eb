#include "core/transport/tls_context.h"

#include <cppunit/extensions/HelperMacros.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "test/test_files.h"

namespace sipline {
namespace {

std::string cert(const std::string& name) {
  return std::string(SIPLINE_SOURCE_DIR) + "/test/certs/" + name;
}

TlsProfile serverProfile(const std::string& name, const std::string& pem = "server") {
  TlsProfile p;
  p.name = name;
  p.certificate = cert(pem + ".pem");
  p.private_key = cert(pem + ".key");
  p.ca_list = cert("ca.pem");
  return p;
}

TlsProfile clientProfile(const std::string& name, const std::string& ca = "ca.pem") {
  TlsProfile p;
  p.name = name;
  p.ca_list = cert(ca);
  p.verify_peer = true;
  return p;
}

SockAddr addr(const char* ip, std::uint16_t port) {
  SockAddr a;
  CPPUNIT_ASSERT(SockAddr::fromNumeric(ip, port, a));
  return a;
}

std::string commonName(X509* x) {
  if (x == nullptr) return "<none>";
  char buf[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf, sizeof(buf));
  return buf;
}

// The outcome of one handshake between a client SSL and a server SSL over an in-memory BIO
// pair, driven without blocking for a bounded number of rounds.
struct Outcome {
  bool client_ok = false;
  bool server_ok = false;
  std::string server_cn;                 // the certificate the client got
  std::string client_subject;            // peerSubject() on the server
  std::string server_subject;            // peerSubject() on the client
  bool resumed = false;                  // the client resumed the session it was given
  std::shared_ptr<SSL_SESSION> session;  // the client's session afterwards
};

// Steps one side; true once it has failed for good.
bool step(SSL* ssl, bool& done) {
  if (done) return false;
  const int r = SSL_do_handshake(ssl);
  if (r == 1) {
    done = true;
    return false;
  }
  const int e = SSL_get_error(ssl, r);
  return e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE;
}

Outcome handshake(SSL_CTX* client_ctx, SSL_CTX* server_ctx, const TlsContexts& contexts,
                  const std::string& host, const SockAddr& dst, SSL_SESSION* resume = nullptr) {
  Outcome out;
  SSL* client = SSL_new(client_ctx);
  SSL* server = SSL_new(server_ctx);
  CPPUNIT_ASSERT(client != nullptr && server != nullptr);
  BIO* client_bio = nullptr;
  BIO* server_bio = nullptr;
  CPPUNIT_ASSERT_EQUAL(1, BIO_new_bio_pair(&client_bio, 0, &server_bio, 0));
  SSL_set_bio(client, client_bio, client_bio);
  SSL_set_bio(server, server_bio, server_bio);
  SSL_set_connect_state(client);
  SSL_set_accept_state(server);
  if (resume != nullptr) CPPUNIT_ASSERT_EQUAL(1, SSL_set_session(client, resume));
  std::string why;
  CPPUNIT_ASSERT_MESSAGE(why, contexts.prepareClient(client, host, dst, &why));
  bool client_done = false, server_done = false, client_failed = false, server_failed = false;
  for (int round = 0; round < 50; ++round) {
    client_failed = client_failed || step(client, client_done);
    server_failed = server_failed || step(server, server_done);
    if ((client_done || client_failed) && (server_done || server_failed)) break;
  }
  if (client_done && server_done) {
    // TLS 1.3 tickets come after the handshake: the client reads them (nothing else is there).
    char byte;
    CPPUNIT_ASSERT(SSL_read(client, &byte, 1) <= 0);
    out.session.reset(SSL_get1_session(client), SSL_SESSION_free);
    // A clean close: SSL_free would otherwise mark the session not resumable.
    SSL_set_shutdown(client, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  }
  out.resumed = SSL_session_reused(client) == 1;
  ERR_clear_error();
  out.client_ok = client_done && !client_failed;
  out.server_ok = server_done && !server_failed;
  out.server_cn = commonName(SSL_get0_peer_certificate(client));
  out.server_subject = TlsContexts::peerSubject(client);
  out.client_subject = TlsContexts::peerSubject(server);
  SSL_free(client);
  SSL_free(server);
  return out;
}

std::string errorOf(const TlsSettings& settings) {
  TlsContexts contexts;
  Status st = contexts.load(settings);
  if (st.isOk()) return "<ok>";
  CPPUNIT_ASSERT(contexts.empty());
  return st.message();
}

}  // namespace

class TlsContextTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(TlsContextTest);
  CPPUNIT_TEST(loadsProfilesFromTestCerts);
  CPPUNIT_TEST(everyContextReleasesBuffersAndRefusesRenegotiation);
  CPPUNIT_TEST(builtInClientWhenNoProfile);
  CPPUNIT_TEST(sniNamesSelectServerProfiles);
  CPPUNIT_TEST(clientProfileByHostThenIpPortThenIp);
  CPPUNIT_TEST(missingCertificateNamesProfileAndFile);
  CPPUNIT_TEST(mismatchedKeyIsRefused);
  CPPUNIT_TEST(unknownCiphersAreRefused);
  CPPUNIT_TEST(caListWithoutCertificateIsRefused);
  CPPUNIT_TEST(otherLoadErrors);
  CPPUNIT_TEST(encryptedKeyIsRefusedWithoutPrompt);
  CPPUNIT_TEST(handshakeVerifiesServerName);
  CPPUNIT_TEST(handshakeVerifiesServerAddress);
  CPPUNIT_TEST(wrongNameOrUntrustedServerFails);
  CPPUNIT_TEST(sniPresentsSecondCertificate);
  CPPUNIT_TEST(requiredClientCertificateFromCaAccepted);
  CPPUNIT_TEST(rogueClientCertificateRefused);
  CPPUNIT_TEST(clientWithoutCertificateRefusedWhenRequired);
  CPPUNIT_TEST(expiredClientCertificateRefused);
  CPPUNIT_TEST(optionalClientCertificateMayBeAbsent);
  CPPUNIT_TEST(sniProfileBringsItsOwnVerification);
  CPPUNIT_TEST(sessionsResumeOnlyWithTheirProfile);
  CPPUNIT_TEST(sniProfileBringsItsOwnMinimumVersion);
  CPPUNIT_TEST(tls11ClientRefused);
  CPPUNIT_TEST(tls13MinimumRefusesTls12Client);
  CPPUNIT_TEST(opensslErrorsDrainsTheQueue);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    char tmpl[] = "/tmp/sipline-tls-test-XXXXXX";
    CPPUNIT_ASSERT(mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
  }
  void tearDown() override { std::filesystem::remove_all(dir_); }

  void loadsProfilesFromTestCerts() {
    TlsContexts c;
    CPPUNIT_ASSERT(c.empty());
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), load(c, standard()));
    CPPUNIT_ASSERT(!c.empty());
    CPPUNIT_ASSERT(c.serverContext() != nullptr);
    CPPUNIT_ASSERT_EQUAL(7000, c.handshakeTimeoutMs());
    // A second load replaces the first.
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), load(c, TlsSettings{}));
    CPPUNIT_ASSERT(c.serverContext() == nullptr);
    CPPUNIT_ASSERT_EQUAL(5000, c.handshakeTimeoutMs());
  }

  void everyContextReleasesBuffersAndRefusesRenegotiation() {
    TlsContexts c;
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), load(c, standard()));
    const long modes = SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                       SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;
    const SockAddr dst = addr("127.0.0.1", 5061);
    for (SSL_CTX* ctx : {c.serverContext(), c.clientContext("", dst),
                         c.clientContext("gw.test", dst), c.clientContext("x", SockAddr{})}) {
      CPPUNIT_ASSERT((SSL_CTX_get_mode(ctx) & modes) == modes);
      CPPUNIT_ASSERT((SSL_CTX_get_options(ctx) & SSL_OP_NO_RENEGOTIATION) != 0);
      CPPUNIT_ASSERT((SSL_CTX_get_options(ctx) & SSL_OP_NO_TICKET) == 0);
      CPPUNIT_ASSERT(SSL_CTX_get_min_proto_version(ctx) >= TLS1_2_VERSION);
    }
    CPPUNIT_ASSERT_EQUAL(long{SSL_SESS_CACHE_OFF},
                         SSL_CTX_get_session_cache_mode(c.serverContext()));
    CPPUNIT_ASSERT_EQUAL(SSL_VERIFY_NONE, SSL_CTX_get_verify_mode(c.serverContext()));
    CPPUNIT_ASSERT_EQUAL(SSL_VERIFY_PEER, SSL_CTX_get_verify_mode(c.clientContext("", dst)));
  }

  void builtInClientWhenNoProfile() {
    TlsContexts c;
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), load(c, TlsSettings{}));
    CPPUNIT_ASSERT(c.serverContext() == nullptr);
    SSL_CTX* ctx = c.clientContext("example.com", addr("192.0.2.1", 5061));
    CPPUNIT_ASSERT(ctx != nullptr);
    CPPUNIT_ASSERT_EQUAL(SSL_VERIFY_PEER, SSL_CTX_get_verify_mode(ctx));
    CPPUNIT_ASSERT_EQUAL(TLS1_2_VERSION, static_cast<int>(SSL_CTX_get_min_proto_version(ctx)));
  }

  void sniNamesSelectServerProfiles() {
    TlsSettings s = standard();
    s.servers.push_back(serverProfile("wild", "sip2"));
    s.servers.back().match = {"*.example.test", "exact.other.test"};
    s.servers.push_back(serverProfile("exact", "sip2"));
    s.servers.back().match = {"a.example.test"};
    TlsContexts c;
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), load(c, s));
    CPPUNIT_ASSERT_EQUAL(1, c.serverProfileForTest("sip2.test"));
    CPPUNIT_ASSERT_EQUAL(1, c.serverProfileForTest("SIP2.Test"));
    CPPUNIT_ASSERT_EQUAL(2, c.serverProfileForTest("b.example.test"));
    CPPUNIT_ASSERT_EQUAL(2, c.serverProfileForTest("exact.other.test"));
    CPPUNIT_ASSERT_EQUAL(3, c.serverProfileForTest("a.example.test"));     // exact beats wildcard
    CPPUNIT_ASSERT_EQUAL(-1, c.serverProfileForTest("x.b.example.test"));  // one label only
    CPPUNIT_ASSERT_EQUAL(-1, c.serverProfileForTest("example.test"));
    CPPUNIT_ASSERT_EQUAL(-1, c.serverProfileForTest("localhost"));
  }

  void clientProfileByHostThenIpPortThenIp() {
    TlsSettings s = standard();
    s.clients.push_back(clientProfile("by-ip"));
    s.clients.back().match = {"127.0.0.5"};
    s.clients.push_back(clientProfile("by-v6"));
    s.clients.back().match = {"[::1]:5071"};
    TlsContexts c;
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), load(c, s));
    SSL_CTX* deflt = c.clientContext("", addr("127.0.0.9", 5061));
    SSL_CTX* gw = c.clientContext("gw.test", addr("127.0.0.9", 5061));
    SSL_CTX* by_ip = c.clientContext("", addr("127.0.0.5", 5061));
    CPPUNIT_ASSERT(deflt != gw && gw != by_ip && deflt != by_ip);
    CPPUNIT_ASSERT(c.clientContext("GW.TEST", addr("127.0.0.5", 5061)) == gw);     // host first
    CPPUNIT_ASSERT(c.clientContext("other.test", addr("127.0.0.3", 5061)) == gw);  // ip:port
    CPPUNIT_ASSERT(c.clientContext("other.test", addr("127.0.0.3", 5062)) == deflt);
    CPPUNIT_ASSERT(c.clientContext("127.0.0.5", addr("127.0.0.5", 9)) == by_ip);
    CPPUNIT_ASSERT(c.clientContext("", addr("::1", 5071)) != deflt);
    CPPUNIT_ASSERT(c.clientContext("", addr("::1", 5061)) == deflt);
  }

  void missingCertificateNamesProfileAndFile() {
    TlsSettings s = standard();
    s.servers[0].certificate = dir_ + "/none.pem";
    CPPUNIT_ASSERT_EQUAL("tls server profile 'default': certificate " + dir_ +
                             "/none.pem: No such file or directory",
                         errorOf(s));
    s = standard();
    s.clients[1].private_key = dir_ + "/none.key";
    CPPUNIT_ASSERT_EQUAL(
        "tls client profile 'gw': private key " + dir_ + "/none.key: No such file or directory",
        errorOf(s));
  }

  void mismatchedKeyIsRefused() {
    TlsSettings s = standard();
    s.servers[0].private_key = cert("sip2.key");
    CPPUNIT_ASSERT_EQUAL("tls server profile 'default': private key " + cert("sip2.key") +
                             " does not match the certificate " + cert("server.pem"),
                         errorOf(s));
  }

  void unknownCiphersAreRefused() {
    TlsSettings s = standard();
    s.servers[1].ciphers = "FOO";
    CPPUNIT_ASSERT_EQUAL(std::string("tls server profile 'sip2': ciphers 'FOO': no cipher matches"),
                         errorOf(s));
    s.servers[1].ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:HIGH";
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), errorOf(s));
  }

  void caListWithoutCertificateIsRefused() {
    TlsSettings s = standard();
    s.clients[0].ca_list = cert("ca.key");
    CPPUNIT_ASSERT_EQUAL(
        "tls client profile 'default': CA list " + cert("ca.key") + ": no certificate in it",
        errorOf(s));
    write("empty.pem", "");
    s.clients[0].ca_list = dir_ + "/empty.pem";
    CPPUNIT_ASSERT_EQUAL(
        "tls client profile 'default': CA list " + dir_ + "/empty.pem: no certificate in it",
        errorOf(s));
  }

  void otherLoadErrors() {
    TlsSettings s = standard();
    s.servers[0].certificate = cert("server.key");
    CPPUNIT_ASSERT(errorOf(s).starts_with("tls server profile 'default': certificate " +
                                          cert("server.key") + ": not a PEM certificate chain"));
    s = standard();
    s.servers[0].certificate.clear();
    CPPUNIT_ASSERT_EQUAL(std::string("tls server profile 'default': a server profile needs a "
                                     "certificate and a private key"),
                         errorOf(s));
    s = standard();
    s.servers[0].min_version = "TLSv1.1";
    CPPUNIT_ASSERT_EQUAL(std::string("tls server profile 'default': min_version 'TLSv1.1': must "
                                     "be TLSv1.2 or TLSv1.3"),
                         errorOf(s));
    s = standard();
    s.clients[1].match.clear();
    CPPUNIT_ASSERT_EQUAL(
        std::string("tls client profile 'gw': a second default (no match) after 'default'"),
        errorOf(s));
    s = standard();
    s.servers[0].verify_peer = true;
    s.servers[0].ca_list.clear();
    CPPUNIT_ASSERT_EQUAL(std::string("tls server profile 'default': verifying client "
                                     "certificates needs a ca_list"),
                         errorOf(s));
  }

  void encryptedKeyIsRefusedWithoutPrompt() {
    FILE* in = std::fopen(cert("server.key").c_str(), "r");
    CPPUNIT_ASSERT(in != nullptr);
    EVP_PKEY* key = PEM_read_PrivateKey(in, nullptr, nullptr, nullptr);
    std::fclose(in);
    CPPUNIT_ASSERT(key != nullptr);
    FILE* out = std::fopen((dir_ + "/enc.key").c_str(), "w");
    CPPUNIT_ASSERT(out != nullptr);
    char pass[] = "secret";
    CPPUNIT_ASSERT_EQUAL(
        1, PEM_write_PKCS8PrivateKey(out, key, EVP_aes_128_cbc(), pass, 6, nullptr, nullptr));
    std::fclose(out);
    EVP_PKEY_free(key);
    TlsSettings s = standard();
    s.servers[0].private_key = dir_ + "/enc.key";
    const std::string error = errorOf(s);
    CPPUNIT_ASSERT_MESSAGE(error,
                           error.starts_with("tls server profile 'default': private key " + dir_ +
                                             "/enc.key: not a PEM private key, "
                                             "or encrypted"));
    CPPUNIT_ASSERT(error.find("secret") == std::string::npos);
  }

  void handshakeVerifiesServerName() {
    TlsContexts c;
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), load(c, standard()));
    const SockAddr dst = addr("127.0.0.1", 5061);
    Outcome o =
        handshake(c.clientContext("localhost", dst), c.serverContext(), c, "localhost", dst);
    CPPUNIT_ASSERT(o.client_ok && o.server_ok);
    CPPUNIT_ASSERT_EQUAL(std::string("localhost"), o.server_cn);
    CPPUNIT_ASSERT_EQUAL(std::string("'CN=localhost,O=Sipline test' (verified)"), o.server_subject);
    CPPUNIT_ASSERT_EQUAL(std::string("no certificate"), o.client_subject);
  }

  void handshakeVerifiesServerAddress() {
    TlsContexts c;
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), load(c, standard()));
    for (const char* ip : {"127.0.0.1", "::1"}) {
      const SockAddr dst = addr(ip, 5061);
      Outcome o = handshake(c.clientContext(ip, dst), c.serverContext(), c, ip, dst);
      CPPUNIT_ASSERT_MESSAGE(ip, o.client_ok && o.server_ok);
      // No host at all: the destination's address is the identity.
      o = handshake(c.clientContext("", dst), c.serverContext(), c, "", dst);
      CPPUNIT_ASSERT_MESSAGE(ip, o.client_ok && o.server_ok);
    }
  }

  void wrongNameOrUntrustedServerFails() {
    TlsSettings s = standard();
    s.clients.push_back(clientProfile("rogue-trust", "rogue-ca.pem"));
    s.clients.back().match = {"127.0.0.7"};
    TlsContexts c;
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), load(c, s));
    const SockAddr dst = addr("127.0.0.1", 5061);
    Outcome o =
        handshake(c.clientContext("other.test", dst), c.serverContext(), c, "other.test", dst);
    CPPUNIT_ASSERT(!o.client_ok);
    const SockAddr other = addr("127.0.0.7", 5061);
    o = handshake(c.clientContext("", other), c.serverContext(), c, "localhost", other);
    CPPUNIT_ASSERT(!o.client_ok);
    // Not verifying, the same server is accepted.
    s.clients.back().verify_peer = false;
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), load(c, s));
    o = handshake(c.clientContext("", other), c.serverContext(), c, "localhost", other);
    CPPUNIT_ASSERT(o.client_ok && o.server_ok);
    CPPUNIT_ASSERT_EQUAL(std::string("'CN=localhost,O=Sipline test' (not checked)"),
                         o.server_subject);
  }

  void sniPresentsSecondCertificate() {
    TlsSettings s = standard();
    s.clients.push_back(clientProfile("trusting"));
    s.clients.back().match = {"unknown.test"};
    s.clients.back().verify_peer = false;
    TlsContexts c;
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), load(c, s));
    const SockAddr dst = addr("127.0.0.1", 5061);
    Outcome o =
        handshake(c.clientContext("sip2.test", dst), c.serverContext(), c, "sip2.test", dst);
    CPPUNIT_ASSERT(o.client_ok && o.server_ok);
    CPPUNIT_ASSERT_EQUAL(std::string("sip2.test"), o.server_cn);
    o = handshake(c.clientContext("unknown.test", dst), c.serverContext(), c, "unknown.test", dst);
    CPPUNIT_ASSERT(o.client_ok && o.server_ok);
    CPPUNIT_ASSERT_EQUAL(std::string("localhost"), o.server_cn);  // an unknown name: the default
  }

  void requiredClientCertificateFromCaAccepted() {
    TlsSettings s = standard();
    s.servers[0].require_peer_certificate = true;
    withClientCertificate(s, "client");
    TlsContexts c;
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), load(c, s));
    const Outcome o = localhost(c);
    CPPUNIT_ASSERT(o.client_ok && o.server_ok);
    CPPUNIT_ASSERT_EQUAL(std::string("'CN=client.test,O=Sipline test' (verified)"),
                         o.client_subject);
  }

  void rogueClientCertificateRefused() {
    TlsSettings s = standard();
    s.servers[0].require_peer_certificate = true;
    withClientCertificate(s, "rogue-client");
    TlsContexts c;
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), load(c, s));
    CPPUNIT_ASSERT(!localhost(c).server_ok);
  }

  void clientWithoutCertificateRefusedWhenRequired() {
    TlsSettings s = standard();
    s.servers[0].require_peer_certificate = true;
    TlsContexts c;
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), load(c, s));
    CPPUNIT_ASSERT(!localhost(c).server_ok);
  }

  void expiredClientCertificateRefused() {
    TlsSettings s = standard();
    s.servers[0].verify_peer = true;
    withClientCertificate(s, "expired");
    TlsContexts c;
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), load(c, s));
    CPPUNIT_ASSERT(!localhost(c).server_ok);
  }

  void optionalClientCertificateMayBeAbsent() {
    TlsSettings s = standard();
    s.servers[0].verify_peer = true;
    TlsContexts c;
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), load(c, s));
    Outcome o = localhost(c);
    CPPUNIT_ASSERT(o.client_ok && o.server_ok);
    CPPUNIT_ASSERT_EQUAL(std::string("no certificate"), o.client_subject);
    withClientCertificate(s, "client");
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), load(c, s));
    o = localhost(c);
    CPPUNIT_ASSERT(o.client_ok && o.server_ok);
    CPPUNIT_ASSERT_EQUAL(std::string("'CN=client.test,O=Sipline test' (verified)"),
                         o.client_subject);
  }

  // The default asks for nothing; the profile chosen by SNI requires a client certificate.
  void sniProfileBringsItsOwnVerification() {
    TlsSettings s = standard();
    s.servers[1].require_peer_certificate = true;
    TlsContexts c;
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), load(c, s));
    const SockAddr dst = addr("127.0.0.1", 5061);
    CPPUNIT_ASSERT(localhost(c).server_ok);
    Outcome o =
        handshake(c.clientContext("sip2.test", dst), c.serverContext(), c, "sip2.test", dst);
    CPPUNIT_ASSERT_EQUAL(std::string("sip2.test"), o.server_cn);
    CPPUNIT_ASSERT(!o.server_ok);
    withClientCertificate(s, "client");
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), load(c, s));
    o = handshake(c.clientContext("sip2.test", dst), c.serverContext(), c, "sip2.test", dst);
    CPPUNIT_ASSERT(o.client_ok && o.server_ok);
  }

  void sessionsResumeOnlyWithTheirProfile() {
    TlsSettings s = standard();
    s.servers[1].require_peer_certificate = true;
    TlsContexts c;
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), load(c, s));
    const SockAddr dst = addr("127.0.0.1", 5061);
    Outcome first = localhost(c);
    CPPUNIT_ASSERT(first.client_ok && first.server_ok && first.session);
    CPPUNIT_ASSERT(!first.resumed);
    SSL_CTX* client_ctx = c.clientContext("localhost", dst);
    Outcome again =
        handshake(client_ctx, c.serverContext(), c, "localhost", dst, first.session.get());
    CPPUNIT_ASSERT(again.client_ok && again.server_ok);
    CPPUNIT_ASSERT(again.resumed);  // tickets work without a server cache
    // The same session offered to the profile that requires a client certificate: a full
    // handshake, which that client (without a certificate) fails.
    Outcome other =
        handshake(client_ctx, c.serverContext(), c, "sip2.test", dst, first.session.get());
    CPPUNIT_ASSERT(!other.resumed);
    CPPUNIT_ASSERT(!other.server_ok);
  }

  void sniProfileBringsItsOwnMinimumVersion() {
    TlsSettings s = standard();
    s.servers[1].min_version = "TLSv1.3";
    TlsContexts c;
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), load(c, s));
    SSL_CTX* tls12 = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_max_proto_version(tls12, TLS1_2_VERSION);
    const SockAddr dst = addr("127.0.0.1", 5061);
    Outcome o = handshake(tls12, c.serverContext(), c, "localhost", dst);
    CPPUNIT_ASSERT(o.client_ok && o.server_ok);
    o = handshake(tls12, c.serverContext(), c, "sip2.test", dst);
    SSL_CTX_free(tls12);
    CPPUNIT_ASSERT(!o.client_ok && !o.server_ok);
  }

  void tls11ClientRefused() {
    TlsContexts c;
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), load(c, standard()));
    SSL_CTX* old = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_security_level(old, 0);  // OpenSSL 3 would not even offer TLS 1.1 otherwise
    SSL_CTX_set_min_proto_version(old, TLS1_VERSION);
    SSL_CTX_set_max_proto_version(old, TLS1_1_VERSION);
    const SockAddr dst = addr("127.0.0.1", 5061);
    const Outcome o = handshake(old, c.serverContext(), c, "localhost", dst);
    SSL_CTX_free(old);
    CPPUNIT_ASSERT(!o.server_ok && !o.client_ok);
  }

  void tls13MinimumRefusesTls12Client() {
    TlsSettings s = standard();
    s.servers[0].min_version = "TLSv1.3";
    TlsContexts c;
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), load(c, s));
    CPPUNIT_ASSERT(localhost(c).server_ok);
    SSL_CTX* tls12 = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_max_proto_version(tls12, TLS1_2_VERSION);
    const SockAddr dst = addr("127.0.0.1", 5061);
    const Outcome o = handshake(tls12, c.serverContext(), c, "localhost", dst);
    SSL_CTX_free(tls12);
    CPPUNIT_ASSERT(!o.server_ok && !o.client_ok);
  }

  void opensslErrorsDrainsTheQueue() {
    ERR_clear_error();
    CPPUNIT_ASSERT_EQUAL(std::string(), opensslErrors());
    CPPUNIT_ASSERT(BIO_new_file((dir_ + "/none").c_str(), "r") == nullptr);
    const std::string errors = opensslErrors();
    CPPUNIT_ASSERT_MESSAGE(errors, errors.find("error:") == 0);
    CPPUNIT_ASSERT_EQUAL(0ul, ERR_peek_error());
  }

 private:
  // Server: "default" (server.pem, CA list, no client verification) and "sip2" (sip2.test).
  // Client: "default" (trusts the test CA) and "gw" (for gw.test and 127.0.0.3:5061).
  static TlsSettings standard() {
    TlsSettings s;
    s.handshake_timeout_ms = 7000;
    s.servers.push_back(serverProfile("default"));
    s.servers.push_back(serverProfile("sip2", "sip2"));
    s.servers.back().match = {"sip2.test"};
    s.clients.push_back(clientProfile("default"));
    s.clients.push_back(clientProfile("gw"));
    s.clients.back().match = {"gw.test", "127.0.0.3:5061"};
    s.clients.back().certificate = cert("client.pem");
    s.clients.back().private_key = cert("client.key");
    return s;
  }

  static void withClientCertificate(TlsSettings& s, const std::string& pem) {
    s.clients[0].certificate = cert(pem + ".pem");
    s.clients[0].private_key = cert(pem + ".key");
  }

  // A handshake of the default client profile with the server, to "localhost".
  static Outcome localhost(const TlsContexts& c) {
    const SockAddr dst = addr("127.0.0.1", 5061);
    return handshake(c.clientContext("localhost", dst), c.serverContext(), c, "localhost", dst);
  }

  static std::string load(TlsContexts& c, const TlsSettings& s) {
    Status st = c.load(s);
    return st.isOk() ? "<ok>" : st.message();
  }

  void write(const std::string& rel, const std::string& text) {
    std::ofstream(dir_ + "/" + rel) << text;
  }

  std::string dir_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(TlsContextTest);

}  // namespace sipline
