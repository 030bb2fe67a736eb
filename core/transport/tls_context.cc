#include "core/transport/tls_context.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "core/base/strings.h"

namespace sipline {
namespace {

// Passphrase callback: no prompt on the terminal for an encrypted key; the load fails instead.
int refusePassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) { return 0; }

// "" when `path` is a readable regular file, else why not.
std::string unreadable(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::strerror(errno);
  struct stat sb;
  const bool regular = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);
  close(fd);
  return regular ? "" : "not a regular file";
}

// " (openssl errors)" or "".
std::string withErrors() {
  const std::string errors = opensslErrors();
  return errors.empty() ? "" : " (" + errors + ")";
}

// The certificates of a PEM file into the context's trust store, and for a verifying server
// their subjects as the CA names sent in the CertificateRequest. "" or the error.
std::string loadCaList(SSL_CTX* ctx, const std::string& path, bool set_client_ca_names) {
  const std::string why = unreadable(path);
  if (!why.empty()) return "CA list " + path + ": " + why;
  BIO* bio = BIO_new_file(path.c_str(), "r");
  if (bio == nullptr) return "CA list " + path + ": cannot be opened" + withErrors();
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
  int count = 0;
  std::string error;
  for (int i = 0; i < 100000 && error.empty(); ++i) {  // bounded: a CA file has a few hundred
    X509* cert = PEM_read_bio_X509(bio, nullptr, refusePassphrase, nullptr);
    if (cert == nullptr) break;
    X509_NAME* name = X509_NAME_dup(X509_get_subject_name(cert));
    if (X509_STORE_add_cert(store, cert) != 1 || name == nullptr ||
        sk_X509_NAME_push(names, name) == 0) {
      X509_NAME_free(name);
      error = "CA list " + path + ": cannot add a certificate" + withErrors();
    }
    X509_free(cert);
    ++count;
  }
  BIO_free(bio);
  // The loop ends on "no start line" at the end of the file; anything else is a broken file.
  const unsigned long last = ERR_peek_last_error();
  if (error.empty() && last != 0 &&
      !(ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE)) {
    error = "CA list " + path + ": not a PEM certificate file" + withErrors();
  }
  ERR_clear_error();
  if (error.empty() && count == 0) error = "CA list " + path + ": no certificate in it";
  if (error.empty() && set_client_ca_names) {
    SSL_CTX_set_client_CA_list(ctx, names);  // takes ownership
    return "";
  }
  sk_X509_NAME_pop_free(names, X509_NAME_free);
  return error;
}

std::string mismatch(const TlsProfile& p) {
  return "private key " + p.private_key + " does not match the certificate " + p.certificate;
}

// The certificate chain and key of a profile. "" or the error.
std::string loadCertificate(SSL_CTX* ctx, const TlsProfile& p) {
  std::string why = unreadable(p.certificate);
  if (!why.empty()) return "certificate " + p.certificate + ": " + why;
  if (SSL_CTX_use_certificate_chain_file(ctx, p.certificate.c_str()) != 1) {
    return "certificate " + p.certificate + ": not a PEM certificate chain" + withErrors();
  }
  why = unreadable(p.private_key);
  if (!why.empty()) return "private key " + p.private_key + ": " + why;
  if (SSL_CTX_use_PrivateKey_file(ctx, p.private_key.c_str(), SSL_FILETYPE_PEM) != 1) {
    // OpenSSL compares the key with the certificate as it loads it.
    const unsigned long last = ERR_peek_last_error();
    if (ERR_GET_LIB(last) == ERR_LIB_X509 && ERR_GET_REASON(last) == X509_R_KEY_VALUES_MISMATCH) {
      ERR_clear_error();
      return mismatch(p);
    }
    return "private key " + p.private_key +
           ": not a PEM private key, or encrypted (a key must not need a passphrase)" +
           withErrors();
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return mismatch(p);
  }
  return "";
}

// One profile's context, or the error (without the "tls ... profile 'x': " prefix).
std::string makeContext(const TlsProfile& p, bool server, SSL_CTX** out) {
  *out = nullptr;
  int min_version = 0;
  if (p.min_version == "TLSv1.2") {
    min_version = TLS1_2_VERSION;
  } else if (p.min_version == "TLSv1.3") {
    min_version = TLS1_3_VERSION;
  } else {
    return "min_version '" + p.min_version + "': must be TLSv1.2 or TLSv1.3";
  }
  if (server && (p.certificate.empty() || p.private_key.empty())) {
    return "a server profile needs a certificate and a private key";
  }
  if (p.certificate.empty() != p.private_key.empty()) {
    return "set the certificate and the private key together, or neither";
  }
  const bool verify = p.verify_peer || p.require_peer_certificate;
  if (server && verify && p.ca_list.empty()) {
    return "verifying client certificates needs a ca_list";
  }
  SSL_CTX* ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (ctx == nullptr) return "cannot create an SSL context" + withErrors();
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                            SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_default_passwd_cb(ctx, refusePassphrase);
  std::string error;
  if (SSL_CTX_set_min_proto_version(ctx, min_version) != 1) {
    error = "min_version " + p.min_version + ": refused by OpenSSL" + withErrors();
  }
  if (server) {
    // Tickets only: a server-side cache would keep memory per session.
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  }
  if (error.empty() && !p.ciphers.empty() && SSL_CTX_set_cipher_list(ctx, p.ciphers.c_str()) != 1) {
    ERR_clear_error();
    error = "ciphers '" + p.ciphers + "': no cipher matches";
  }
  if (error.empty() && !p.certificate.empty()) error = loadCertificate(ctx, p);
  if (error.empty() && !p.ca_list.empty()) error = loadCaList(ctx, p.ca_list, server && verify);
  if (error.empty() && !server && p.ca_list.empty() && p.verify_peer &&
      SSL_CTX_set_default_verify_paths(ctx) != 1) {
    error = "the system CA store cannot be loaded" + withErrors();
  }
  if (!error.empty()) {
    SSL_CTX_free(ctx);
    return error;
  }
  int mode = SSL_VERIFY_NONE;
  if (server && verify) {
    mode = SSL_VERIFY_PEER | (p.require_peer_certificate ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0);
  } else if (!server && p.verify_peer) {
    mode = SSL_VERIFY_PEER;
  }
  SSL_CTX_set_verify(ctx, mode, nullptr);
  *out = ctx;
  return "";
}

// The host_name of the ClientHello's server_name extension (RFC 6066 §3), "" when absent or
// malformed (OpenSSL then judges the extension itself).
std::string_view sniOf(SSL* ssl) {
  const unsigned char* p = nullptr;
  std::size_t len = 0;
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &len) != 1 || len < 2) return {};
  const std::size_t end = 2 + ((std::size_t{p[0]} << 8) | p[1]);
  if (end > len) return {};
  for (std::size_t at = 2; at + 3 <= end;) {  // bounded: `at` grows every round
    const std::size_t n = (std::size_t{p[at + 1]} << 8) | p[at + 2];
    const bool host_name = p[at] == 0;
    at += 3;
    if (at + n > end) return {};
    if (host_name) return {reinterpret_cast<const char*>(p + at), n};
    at += n;
  }
  return {};
}

bool isNumericHost(const std::string& host) {
  in6_addr a6;
  in_addr a4;
  return inet_pton(AF_INET, host.c_str(), &a4) == 1 || inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

// RFC 6125 §6.4.3 style for SNI: "*.example.com" covers exactly one more label.
bool coversName(const std::string& pattern, std::string_view name) {
  if (pattern.rfind("*.", 0) != 0) return iequals(pattern, name);
  const std::string_view suffix = std::string_view(pattern).substr(1);  // ".example.com"
  if (name.size() <= suffix.size()) return false;
  const std::string_view label = name.substr(0, name.size() - suffix.size());
  return iequals(name.substr(label.size()), suffix) && label.find('.') == std::string_view::npos;
}

}  // namespace

TlsContexts::~TlsContexts() { clear(); }

void TlsContexts::clear() {
  for (Profile& p : servers_) SSL_CTX_free(p.ctx);
  for (Profile& p : clients_) SSL_CTX_free(p.ctx);
  SSL_CTX_free(builtin_client_);
  servers_.clear();
  clients_.clear();
  builtin_client_ = nullptr;
  default_server_ = -1;
  default_client_ = -1;
}

Status TlsContexts::load(const TlsSettings& settings) {
  clear();
  handshake_timeout_ms_ = settings.handshake_timeout_ms;
  for (int side = 0; side < 2; ++side) {
    const bool server = side == 0;
    const std::vector<TlsProfile>& profiles = server ? settings.servers : settings.clients;
    std::vector<Profile>& built = server ? servers_ : clients_;
    int& default_index = server ? default_server_ : default_client_;
    for (const TlsProfile& p : profiles) {
      const std::string what =
          std::string("tls ") + (server ? "server" : "client") + " profile '" + p.name + "': ";
      if (p.isDefault() && default_index >= 0) {
        const std::string first = built[static_cast<std::size_t>(default_index)].name;
        clear();
        return Status::invalidArgument(what + "a second default (no match) after '" + first + "'");
      }
      Profile profile{p.name, {}, nullptr};
      for (const std::string& m : p.match) profile.match.push_back(toLower(m));
      const std::string error = makeContext(p, server, &profile.ctx);
      if (!error.empty()) {
        clear();
        return Status::invalidArgument(what + error);
      }
      if (p.isDefault()) default_index = static_cast<int>(built.size());
      built.push_back(std::move(profile));
    }
  }
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    // A session resumes only with the profile that made it (its verification included).
    const std::string id = "sipline:" + std::to_string(i);
    SSL_CTX_set_session_id_context(servers_[i].ctx,
                                   reinterpret_cast<const unsigned char*>(id.data()), id.size());
  }
  if (!servers_.empty()) {
    if (default_server_ < 0) default_server_ = 0;
    SSL_CTX* ctx = servers_[static_cast<std::size_t>(default_server_)].ctx;
    SSL_CTX_set_client_hello_cb(ctx, onClientHello, this);
  }
  TlsProfile builtin;
  builtin.name = "built-in";
  builtin.verify_peer = true;
  const std::string error = makeContext(builtin, false, &builtin_client_);
  if (!error.empty()) {
    clear();
    return Status::invalidArgument("tls built-in client profile: " + error);
  }
  return Status::ok();
}

SSL_CTX* TlsContexts::serverContext() const {
  return default_server_ < 0 ? nullptr : servers_[static_cast<std::size_t>(default_server_)].ctx;
}

int TlsContexts::serverProfileFor(std::string_view sni) const {
  // Exact names first, so that "a.example.com" beats another profile's "*.example.com".
  for (int wildcard = 0; wildcard < 2; ++wildcard) {
    for (std::size_t i = 0; i < servers_.size(); ++i) {
      for (const std::string& m : servers_[i].match) {
        if ((m.rfind("*.", 0) == 0) == (wildcard == 1) && coversName(m, sni)) {
          return static_cast<int>(i);
        }
      }
    }
  }
  return -1;
}

// RFC 6066 §3: the ClientHello names the host; the SSL moves to that profile's context. This
// runs before OpenSSL reads the rest of the ClientHello, so the version, the session to resume
// (the session id context is the profile's) and the ciphers are chosen under the new profile;
// the servername callback would run after those.
int TlsContexts::onClientHello(SSL* ssl, int* alert, void* arg) {
  const auto* self = static_cast<const TlsContexts*>(arg);
  const std::string_view name = sniOf(ssl);
  if (name.empty()) return SSL_CLIENT_HELLO_SUCCESS;
  const int i = self->serverProfileFor(name);
  if (i < 0 || i == self->default_server_) return SSL_CLIENT_HELLO_SUCCESS;
  SSL_CTX* ctx = self->servers_[static_cast<std::size_t>(i)].ctx;
  if (SSL_set_SSL_CTX(ssl, ctx) == nullptr) {
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_CLIENT_HELLO_ERROR;
  }
  // SSL_set_SSL_CTX moves the certificate, the key and the session id context only.
  SSL_set_min_proto_version(ssl, SSL_CTX_get_min_proto_version(ctx));
  SSL_set_verify(ssl, SSL_CTX_get_verify_mode(ctx), nullptr);
  SSL_set_verify_depth(ssl, SSL_CTX_get_verify_depth(ctx));
  STACK_OF(SSL_CIPHER)* ciphers = SSL_CTX_get_ciphers(ctx);
  if (ciphers != nullptr) {
    std::string list;
    for (int c = 0; c < sk_SSL_CIPHER_num(ciphers); ++c) {
      if (!list.empty()) list += ':';
      list += SSL_CIPHER_get_name(sk_SSL_CIPHER_value(ciphers, c));
    }
    // TLS 1.3 suites are not in this list, and a list of those alone sets nothing.
    if (SSL_set_cipher_list(ssl, list.c_str()) != 1) ERR_clear_error();
  }
  return SSL_CLIENT_HELLO_SUCCESS;
}

SSL_CTX* TlsContexts::clientContext(std::string_view host, const SockAddr& dst) const {
  const bool has_dst = dst.len != 0;
  const std::string ip_port = has_dst ? dst.toString() : "";
  const std::string ip = has_dst ? dst.ipForUri() : "";
  for (int pass = 0; pass < 3; ++pass) {
    const std::string_view want = pass == 0 ? host : pass == 1 ? ip_port : ip;
    if (want.empty()) continue;
    for (const Profile& p : clients_) {
      for (const std::string& m : p.match) {
        if (iequals(m, want)) return p.ctx;
      }
    }
  }
  if (default_client_ >= 0) return clients_[static_cast<std::size_t>(default_client_)].ctx;
  return builtin_client_;
}

bool TlsContexts::prepareClient(SSL* ssl, std::string_view host, const SockAddr& dst,
                                std::string* why) const {
  std::string name(host);
  if (name.size() >= 2 && name.front() == '[' && name.back() == ']') {
    name = name.substr(1, name.size() - 2);
  }
  if (!name.empty() && name.back() == '.') name.pop_back();  // SNI has no trailing dot
  bool numeric = isNumericHost(name);
  if (name.empty() && dst.len != 0) {
    name = dst.ip();
    numeric = true;
  }
  if (!numeric && !name.empty() && SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) {
    *why = "cannot set the server name '" + name + "'" + withErrors();
    return false;
  }
  if ((SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) == 0) return true;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (name.empty()) {
    *why = "no host name or address to verify the server certificate against";
    return false;
  }
  if (numeric) {
    if (X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) != 1) {
      *why = "cannot verify against address '" + name + "'" + withErrors();
      return false;
    }
    return true;
  }
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (X509_VERIFY_PARAM_set1_host(param, name.data(), name.size()) != 1) {
    *why = "cannot verify against host '" + name + "'" + withErrors();
    return false;
  }
  return true;
}

std::string TlsContexts::peerSubject(SSL* ssl) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr) return "no certificate";
  std::string subject;
  BIO* mem = BIO_new(BIO_s_mem());
  if (mem != nullptr) {
    X509_NAME_print_ex(mem, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
    char* data = nullptr;
    const long n = BIO_get_mem_data(mem, &data);
    if (n > 0 && data != nullptr) subject.assign(data, static_cast<std::size_t>(n));
    BIO_free(mem);
  }
  std::string out = "'" + subject + "'";
  if (SSL_get_verify_mode(ssl) == SSL_VERIFY_NONE) return out + " (not checked)";
  const long result = SSL_get_verify_result(ssl);
  if (result == X509_V_OK) return out + " (verified)";
  return out + " (not verified: " + X509_verify_cert_error_string(result) + ")";
}

TlsContexts& tlsContexts() {
  // OpenSSL first: its exit-time cleanup then runs after this object's destructor.
  static const bool initialised = OPENSSL_init_ssl(0, nullptr) == 1;
  (void)initialised;
  static TlsContexts contexts;
  return contexts;
}

std::string opensslErrors() {
  std::string out;
  for (int i = 0; i < 16; ++i) {
    const unsigned long e = ERR_get_error();
    if (e == 0) break;
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  ERR_clear_error();
  return out;
}

}  // namespace sipline
