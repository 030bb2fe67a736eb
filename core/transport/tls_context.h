// The TLS contexts of the server (OpenSSL 3): one SSL_CTX per profile of the settings' tls
// group (server and client profiles), built once by load() in the master before the fork and
// then only read, so every process shares them through fork (copy-on-write). load() reads the
// certificates and keys while the master is still root, before privileges are dropped.
//
// Every context: SSL_MODE_RELEASE_BUFFERS (an idle connection keeps no record buffers),
// partial writes with a moving write buffer (the write queue may move between SSL_write
// retries), no renegotiation, the profile's minimum version (TLS 1.2 at least). Server contexts
// keep no session cache (stateless tickets only: no per-session server memory). Encrypted
// private keys are refused (no passphrase prompt). Nothing here logs, and no message names
// anything secret.
//
// Not thread-safe for load(); the const accessors may be called from any process after it.
// Exceptions never leave this unit (it throws none). Private memory only, not shm-safe.
#pragma once

#include <openssl/ssl.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/config/settings.h"
#include "core/transport/sock_addr.h"

namespace sipline {

class TlsContexts {
 public:
  TlsContexts() = default;
  ~TlsContexts();
  TlsContexts(const TlsContexts&) = delete;
  TlsContexts& operator=(const TlsContexts&) = delete;

  // Builds one SSL_CTX per profile (replacing what an earlier load() built) plus a built-in
  // client context. The first error stops: a Status::invalidArgument naming the side, the
  // profile and the file, e.g.
  //   "tls server profile 'default': certificate /x/server.pem: No such file or directory"
  //   "tls server profile 'default': private key /x/sip2.key does not match the certificate
  //    /x/server.pem"
  //   "tls server profile 'default': ciphers 'FOO': no cipher matches"
  //   "tls client profile 'gw': CA list /x/ca.key: no certificate in it"
  // After an error the object is empty (no context at all).
  Status load(const TlsSettings& settings);

  // True before load() and when the last load() failed.
  bool empty() const { return builtin_client_ == nullptr; }

  // The context for accepted connections: the default server profile's (the first profile when
  // every one has a `match`). Its ClientHello callback (SSL_CTX_set_client_hello_cb, which runs
  // before the version, the session and the cipher are chosen) moves the SSL to the profile
  // whose `match` covers the SNI name (exact, case-insensitive, or "*.example.com" for exactly
  // one more label): its certificate, minimum version, verification, CA list and ciphers. An
  // unknown or absent name keeps the default. A session resumes only under the profile that
  // made it. nullptr when there is no server profile.
  SSL_CTX* serverContext() const;

  // The context for a connection to `dst`, whose host part in the URI was `host` (a name, or
  // the numeric address as written; "" = none): the client profile matching, in this order,
  // the host name (case-insensitive), "ip:port" of dst, the ip of dst; else the default client
  // profile; else the built-in one (system CAs, verify the server, TLS 1.2 minimum).
  // Never nullptr after a successful load().
  SSL_CTX* clientContext(std::string_view host, const SockAddr& dst) const;

  // Prepares a new client SSL made from clientContext(host, dst): SNI = host when host is a
  // DNS name (never for an address, RFC 6066 §3), and, when the context verifies the server,
  // the identity to check: the host name (X509_VERIFY_PARAM_set1_host, no partial wildcards),
  // or the address (set1_ip_asc: host when numeric, else dst's address when host is empty).
  // Does not set the connect state. Returns false with *why set on an OpenSSL error.
  bool prepareClient(SSL* ssl, std::string_view host, const SockAddr& dst, std::string* why) const;

  int handshakeTimeoutMs() const { return handshake_timeout_ms_; }

  // For logs, on an established SSL: "'CN=x,O=y' (verified)", "'CN=x' (not verified:
  // certificate has expired)", "'CN=x' (not checked)" when verification is off, or
  // "no certificate".
  static std::string peerSubject(SSL* ssl);

  // The profile a server name selects (its index in the server profiles), or -1 for the
  // default; exposed for tests.
  int serverProfileForTest(std::string_view sni) const { return serverProfileFor(sni); }

 private:
  struct Profile {
    std::string name;
    std::vector<std::string> match;  // lower-case, as in TlsProfile
    SSL_CTX* ctx = nullptr;
  };

  void clear();
  int serverProfileFor(std::string_view sni) const;
  static int onClientHello(SSL* ssl, int* alert, void* arg);

  std::vector<Profile> servers_;
  std::vector<Profile> clients_;
  int default_server_ = -1;  // index in servers_
  int default_client_ = -1;  // index in clients_, -1: builtin_client_
  SSL_CTX* builtin_client_ = nullptr;
  int handshake_timeout_ms_ = 5000;
};

// The process's contexts (the master loads them before the fork).
TlsContexts& tlsContexts();

// The OpenSSL error queue of this thread as one line ("error:...; error:..."), and clears it;
// "" when it is empty. For log messages.
std::string opensslErrors();

}  // namespace sipline
