#include "core/mi/mi_http.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <exception>
#include <mutex>
#include <system_error>
#include <utility>
#include <vector>

#include "core/base/base64.h"
#include "core/base/log.h"
#include "core/mi/jsonrpc.h"
#include "core/mi/mi_stats.h"
#include "core/stats/prometheus.h"

namespace sipline {
namespace {

constexpr int kListenBacklog = 64;
constexpr std::size_t kMaxAuthorization = 4096;  // base64 text; credentials are short
constexpr const char* kJsonType = "application/json";
constexpr const char* kTextType = "text/plain; charset=utf-8";
constexpr const char* kChallenge = "Basic realm=\"sipline\"";

timeval toTimeval(std::chrono::milliseconds ms) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

// "application/json", any case, optionally followed by parameters ("; charset=utf-8").
bool isJsonContentType(const char* value) {
  if (value == nullptr) return false;
  std::string_view v = value;
  std::size_t b = v.find_first_not_of(" \t");
  if (b == std::string_view::npos) return false;
  v.remove_prefix(b);
  std::string_view type = v.substr(0, v.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  constexpr std::string_view kJson = "application/json";
  return type.size() == kJson.size() && strncasecmp(type.data(), kJson.data(), kJson.size()) == 0;
}

std::size_t countHeaders(evhttp_request* req, const char* name) {
  std::size_t n = 0;
  for (evkeyval* h = evhttp_request_get_input_headers(req)->tqh_first; h != nullptr;
       h = h->next.tqe_next) {
    if (strcasecmp(h->key, name) == 0) ++n;
  }
  return n;
}

// Attached instances, for the accept error callback (see onAcceptError). Normally one.
std::vector<MiHttp*>& attached() {
  static std::vector<MiHttp*> list;
  return list;
}
std::mutex& attachedMutex() {
  static std::mutex m;
  return m;
}

std::string errnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

std::array<unsigned char, 32> sha256(std::string_view text) {
  std::array<unsigned char, 32> out{};
  unsigned int len = 0;
  // Cannot fail for SHA-256 short of memory exhaustion; a zero digest then matches nothing
  // real, and authorized() also refuses when the digest of the request fails the same way.
  if (EVP_Digest(text.data(), text.size(), out.data(), &len, EVP_sha256(), nullptr) != 1) {
    out.fill(0);
  }
  return out;
}

// "a.b.c.d:port" / "[v6]:port" -> socket address; the port may be 0.
Status parseListenAddress(const std::string& text, sockaddr_storage& addr, socklen_t& len) {
  auto bad = [&text](const std::string& why) {
    return Status::invalidArgument("mi: bad HTTP address '" + text + "': " + why +
                                   " (expected ADDRESS:PORT, e.g. 127.0.0.1:8888 or [::1]:8888)");
  };
  std::string host;
  std::string port_text;
  if (!text.empty() && text.front() == '[') {
    std::size_t close = text.find("]:");
    if (close == std::string::npos) return bad("missing ']:PORT'");
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    std::size_t colon = text.rfind(':');
    if (colon == std::string::npos) return bad("missing port");
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return bad("port '" + port_text + "' is not a number in 0..65535");
  }
  addr = sockaddr_storage{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(port));
    len = sizeof(sockaddr_in);
    return Status::ok();
  }
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(port));
    len = sizeof(sockaddr_in6);
    return Status::ok();
  }
  return bad("'" + host + "' is not a numeric IP address");
}

std::string peerOf(evhttp_request* req) {
  evhttp_connection* conn = evhttp_request_get_connection(req);
  if (conn == nullptr) return "?";
  char* host = nullptr;
  ev_uint16_t port = 0;
  evhttp_connection_get_peer(conn, &host, &port);
  return std::string(host != nullptr ? host : "?") + ":" + std::to_string(port);
}

}  // namespace

bool parseBasicAuth(std::string_view header, std::string& user, std::string& password) {
  constexpr std::string_view kScheme = "basic";
  std::size_t start = header.find_first_not_of(" \t");
  if (start == std::string_view::npos) return false;
  header.remove_prefix(start);
  // RFC 7235 §2.1: the scheme is case-insensitive and followed by at least one space.
  if (header.size() <= kScheme.size() ||
      strncasecmp(header.data(), kScheme.data(), kScheme.size()) != 0 ||
      header[kScheme.size()] != ' ') {
    return false;
  }
  header.remove_prefix(kScheme.size());
  std::size_t b = header.find_first_not_of(' ');
  std::size_t e = header.find_last_not_of(" \t");
  if (b == std::string_view::npos) return false;
  std::string_view token = header.substr(b, e - b + 1);
  if (token.size() > kMaxAuthorization) return false;
  std::string decoded;
  if (!base64Decode(token, decoded)) return false;
  std::size_t colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  user = decoded.substr(0, colon);
  password = decoded.substr(colon + 1);
  return true;
}

bool isLoopbackHost(std::string_view host) {
  auto isPort = [](std::string_view p) {
    return !p.empty() && p.size() <= 5 &&
           std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  std::string_view name = host;
  if (!host.empty() && host.front() == '[') {
    std::size_t close = host.find(']');
    if (close == std::string_view::npos) return false;
    name = host.substr(1, close - 1);
    std::string_view rest = host.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || !isPort(rest.substr(1)))) return false;
    in6_addr v6;
    return name.size() < INET6_ADDRSTRLEN &&
           inet_pton(AF_INET6, std::string(name).c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
  }
  std::size_t colon = host.find(':');
  if (colon != std::string_view::npos) {
    if (!isPort(host.substr(colon + 1))) return false;
    name = host.substr(0, colon);
  }
  constexpr std::string_view kLocalhost = "localhost";
  if (name.size() == kLocalhost.size() &&
      strncasecmp(name.data(), kLocalhost.data(), kLocalhost.size()) == 0) {
    return true;
  }
  in_addr v4;
  return name.size() < INET_ADDRSTRLEN && inet_pton(AF_INET, std::string(name).c_str(), &v4) == 1 &&
         (ntohl(v4.s_addr) >> 24) == 127;
}

MiHttp::MiHttp(MiHttpLimits limits) : limits_(limits) {}

MiHttp::~MiHttp() {
  detach();
  closeListener();
}

Status MiHttp::listen(const std::string& address) {
  if (fd_ >= 0) return Status::failedPrecondition("mi: HTTP already listening on " + address_);
  sockaddr_storage addr;
  socklen_t len = 0;
  Status st = parseListenAddress(address, addr, len);
  if (!st.isOk()) return st;
  int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return Status::ioError("mi: cannot create a socket for HTTP on " + address + ": " +
                           errnoText(errno));
  }
  auto fail = [&](const std::string& what) {
    int err = errno;
    ::close(fd);
    return Status::ioError("mi: cannot " + what + " " + address + " for HTTP: " + errnoText(err));
  };
  int one = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
    return fail("set SO_REUSEADDR on");
  }
  // [::]:port must not take the IPv4 port as well: the settings named one family.
  if (addr.ss_family == AF_INET6 &&
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) {
    return fail("set IPV6_V6ONLY on");
  }
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), len) != 0) return fail("bind");
  if (::listen(fd, kListenBacklog) != 0) return fail("listen on");
  sockaddr_storage bound;
  socklen_t bound_len = sizeof(bound);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_len) != 0) {
    return fail("read the port of");
  }
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  fd_ = fd;
  address_ = address;
  SL_INFO("mi: listening for HTTP on %s (port %u)", address.c_str(), static_cast<unsigned>(port_));
  return Status::ok();
}

void MiHttp::setCredentials(std::string_view user, std::string_view password) {
  auth_ = !user.empty() || !password.empty();
  user_digest_ = auth_ ? sha256(user) : Digest{};
  password_digest_ = auth_ ? sha256(password) : Digest{};
}

Status MiHttp::attach(event_base* base, const MiRegistry& registry) {
  if (fd_ < 0) return Status::failedPrecondition("mi: HTTP attach() without listen()");
  if (http_ != nullptr) return Status::failedPrecondition("mi: HTTP already attached");
  // evhttp closes the descriptors it accepts on when it is freed; it gets its own copy so the
  // listening socket survives detach().
  int fd = ::fcntl(fd_, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return Status::ioError("mi: cannot duplicate the HTTP socket: " + errnoText(errno));
  http_ = evhttp_new(base);
  evhttp_bound_socket* bound =
      http_ != nullptr ? evhttp_accept_socket_with_handle(http_, fd) : nullptr;
  if (bound == nullptr) ::close(fd);
  listener_ = bound != nullptr ? evhttp_bound_socket_get_listener(bound) : nullptr;
  accept_retry_ = evtimer_new(base, onAcceptRetry, this);
  sweep_ = event_new(base, -1, EV_PERSIST, onSweep, this);
  // The sweep enforces request_deadline, so it runs ten times per deadline (10 ms .. 1 s).
  timeval sweep_every =
      toTimeval(std::clamp(limits_.request_deadline / 10, std::chrono::milliseconds(10),
                           std::chrono::milliseconds(1000)));
  if (listener_ == nullptr || accept_retry_ == nullptr || sweep_ == nullptr ||
      event_add(sweep_, &sweep_every) != 0) {
    detach();
    return Status::ioError("mi: cannot serve HTTP on " + address_ + " with libevent");
  }
  // Without this callback libevent logs and retries a failing accept (EMFILE) at once, for
  // ever: the loop spins and floods the log.
  evconnlistener_set_error_cb(listener_, onAcceptError);
  {
    std::lock_guard<std::mutex> lock(attachedMutex());
    attached().push_back(this);
  }
  evhttp_set_bevcb(http_, onNewConnection, this);
  registry_ = &registry;
  evhttp_set_max_body_size(http_, static_cast<ev_ssize_t>(limits_.max_body));
  evhttp_set_max_headers_size(http_, static_cast<ev_ssize_t>(limits_.max_headers));
  timeval tv = toTimeval(limits_.timeout);
  evhttp_set_timeout_tv(http_, &tv);
  // Every method reaches onRequest, so a wrong one gets our 405 with Allow (evhttp's own 405
  // has none).
  evhttp_set_allowed_methods(http_, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                        EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                                        EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
  // The client of a refused (413) upload still reads the answer instead of a reset.
  evhttp_set_flags(http_, EVHTTP_SERVER_LINGERING_CLOSE);
  evhttp_set_default_content_type(http_, kTextType);
  evhttp_set_gencb(http_, onRequest, this);
  SL_INFO("mi: serving JSON-RPC over HTTP on %s%s", address_.c_str(), auth_ ? " (basic auth)" : "");
  if (!auth_) {
    SL_NOTICE(
        "mi: HTTP on %s has no credentials: any local user may run every MI command "
        "(set mi.http_user and mi.http_password to require them)",
        address_.c_str());
  }
  return Status::ok();
}

bufferevent* MiHttp::onNewConnection(event_base* base, void* arg) {
  MiHttp& self = *static_cast<MiHttp*>(arg);
  bufferevent* bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
  if (bev == nullptr) return nullptr;  // evhttp makes its own (uncounted) or fails
  // Our reference keeps the bufferevent (not the connection) alive after evhttp frees it, so
  // the sweep can tell: evhttp's bufferevent_free() clears the callbacks.
  bufferevent_incref(bev);
  self.connections_.push_back(Connection{bev, std::chrono::steady_clock::now()});
  if (self.connections_.size() >= self.limits_.max_connections && !self.full_) {
    self.full_ = true;
    evconnlistener_disable(self.listener_);
    SL_ERR_RATELIMITED(
        "mi: %zu HTTP connections on %s (the limit): not accepting more until "
        "one closes",
        self.connections_.size(), self.address_.c_str());
  }
  return bev;
}

void MiHttp::onAcceptError(evconnlistener* listener, void* arg) {
  // The listener's argument is evhttp's (its evhttp object): find whose it is.
  MiHttp* found = nullptr;
  {
    std::lock_guard<std::mutex> lock(attachedMutex());
    for (MiHttp* h : attached()) {
      if (h->http_ == arg) found = h;
    }
  }
  if (found == nullptr) {  // cannot happen; still, never spin
    evconnlistener_disable(listener);
    return;
  }
  MiHttp& self = *found;
  int err = EVUTIL_SOCKET_ERROR();
  SL_ERR_RATELIMITED("mi: accept on HTTP %s failed: %s; pausing accepts for %lld ms",
                     self.address_.c_str(), errnoText(err).c_str(),
                     static_cast<long long>(self.limits_.accept_retry.count()));
  // Level-triggered: without a pause, EMFILE would spin the loop.
  evconnlistener_disable(listener);
  self.accept_paused_ = true;
  timeval tv = toTimeval(self.limits_.accept_retry);
  evtimer_add(self.accept_retry_, &tv);
}

void MiHttp::onAcceptRetry(int, short, void* arg) {
  MiHttp& self = *static_cast<MiHttp*>(arg);
  self.accept_paused_ = false;
  if (!self.full_) evconnlistener_enable(self.listener_);
}

void MiHttp::onSweep(int, short, void* arg) { static_cast<MiHttp*>(arg)->sweep(); }

void MiHttp::sweep() {
  auto now = std::chrono::steady_clock::now();
  std::size_t kept = 0;
  for (Connection& c : connections_) {
    bufferevent_event_cb event_cb = nullptr;
    void* evcon = nullptr;
    bufferevent_getcb(c.bev, nullptr, nullptr, &event_cb, &evcon);
    bool alive = event_cb != nullptr;
    if (alive && now - c.started > limits_.request_deadline) {
      SL_ERR_RATELIMITED(
          "mi: closing an HTTP connection on %s: no complete request within "
          "%lld ms",
          address_.c_str(), static_cast<long long>(limits_.request_deadline.count()));
      // evhttp installed itself as the callback argument (evhttp_connection_base_bufferevent_new).
      evhttp_connection_free(static_cast<evhttp_connection*>(evcon));
      alive = false;
    }
    if (alive) {
      connections_[kept++] = c;
    } else {
      bufferevent_decref(c.bev);  // the last reference: closes the socket
    }
  }
  connections_.resize(kept);
  if (full_ && connections_.size() < limits_.max_connections) {
    full_ = false;
    if (!accept_paused_) evconnlistener_enable(listener_);
  }
}

void MiHttp::releaseConnections() {
  for (Connection& c : connections_) bufferevent_decref(c.bev);
  connections_.clear();
  full_ = false;
  accept_paused_ = false;
}

void MiHttp::restartDeadline(evhttp_request* req) {
  evhttp_connection* conn = evhttp_request_get_connection(req);
  for (Connection& c : connections_) {
    void* evcon = nullptr;
    bufferevent_getcb(c.bev, nullptr, nullptr, nullptr, &evcon);
    if (evcon == conn) {
      c.started = std::chrono::steady_clock::now();
      return;
    }
  }
}

void MiHttp::detach() {
  {
    std::lock_guard<std::mutex> lock(attachedMutex());
    std::vector<MiHttp*>& list = attached();
    list.erase(std::remove(list.begin(), list.end(), this), list.end());
  }
  if (sweep_ != nullptr) event_free(sweep_);
  if (accept_retry_ != nullptr) event_free(accept_retry_);
  sweep_ = nullptr;
  accept_retry_ = nullptr;
  if (http_ != nullptr) evhttp_free(http_);  // frees the connections and the listener
  http_ = nullptr;
  listener_ = nullptr;
  releaseConnections();
  registry_ = nullptr;
}

void MiHttp::closeListener() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void MiHttp::onRequest(evhttp_request* req, void* arg) {
  MiHttp& self = *static_cast<MiHttp*>(arg);
  try {
    self.handle(req);
  } catch (const std::exception& e) {
    // Handlers are noexcept by contract (handleJsonRpc, the renderer); never unwind into C.
    SL_ERR_RATELIMITED("mi: HTTP request failed: %s", e.what());
    self.reply(req, 500, "Internal Server Error", kTextType, "internal error\n");
  } catch (...) {
    SL_ERR_RATELIMITED("mi: HTTP request failed with an unknown exception");
    self.reply(req, 500, "Internal Server Error", kTextType, "internal error\n");
  }
}

void MiHttp::handle(evhttp_request* req) {
  miStats().http_requests.inc();
  // The deadline covers one request; the next one on a kept-alive connection starts afresh.
  restartDeadline(req);
  evkeyvalq* out_headers = evhttp_request_get_output_headers(req);
  evhttp_cmd_type method = evhttp_request_get_command(req);
  if (countHeaders(req, "Content-Length") > 1) {
    // evhttp framed the body by the first one; what follows on the connection is unknowable.
    evhttp_add_header(out_headers, "Connection", "close");
    reply(req, 400, "Bad Request", kTextType, "Content-Length given more than once\n");
    return;
  }
  if (auth_ && !authorized(req)) {
    miStats().http_auth_failures.inc();
    SL_ERR_RATELIMITED("mi: HTTP request from %s refused: missing or wrong credentials",
                       peerOf(req).c_str());
    evhttp_add_header(out_headers, "WWW-Authenticate", kChallenge);
    reply(req, 401, "Unauthorized", kTextType, "authentication required\n", /*count=*/false);
    return;
  }
  if (!auth_ && !hostAllowed(req)) {
    SL_ERR_RATELIMITED("mi: HTTP request from %s refused: Host is not a loopback address",
                       peerOf(req).c_str());
    reply(req, 403, "Forbidden", kTextType,
          "Host must be 127.0.0.1, [::1] or localhost (set credentials to serve other names)\n");
    return;
  }
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
  const char* raw_path = uri != nullptr ? evhttp_uri_get_path(uri) : nullptr;
  std::string_view path = raw_path != nullptr ? raw_path : "";
  Route route = path == "/" || path == "/mi" ? Route::kJsonRpc
                : path == "/metrics"         ? Route::kMetrics
                                             : Route::kNotFound;
  if (route == Route::kMetrics && !metrics_) route = Route::kNotFound;
  if (route == Route::kNotFound) {
    reply(req, 404, "Not Found", kTextType,
          "not found: POST / or /mi for JSON-RPC, GET /metrics for metrics\n");
    return;
  }
  if (route == Route::kJsonRpc) {
    if (method != EVHTTP_REQ_POST) {
      evhttp_add_header(out_headers, "Allow", "POST");
      reply(req, 405, "Method Not Allowed", kTextType, "use POST with a JSON-RPC 2.0 body\n");
      return;
    }
    if (!isJsonContentType(
            evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type"))) {
      reply(req, 415, "Unsupported Media Type", kTextType,
            "use Content-Type: application/json (curl: -H 'Content-Type: application/json')\n");
      return;
    }
    serveJsonRpc(req);
    return;
  }
  if (method != EVHTTP_REQ_GET) {
    evhttp_add_header(out_headers, "Allow", "GET");
    // No body for HEAD: evhttp would send it without a Content-Length.
    reply(req, 405, "Method Not Allowed", kTextType, method == EVHTTP_REQ_HEAD ? "" : "use GET\n");
    return;
  }
  serveMetrics(req);
}

bool MiHttp::hostAllowed(evhttp_request* req) const {
  const char* host = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
  // No Host (HTTP/1.0): not a browser, which always sends one.
  return host == nullptr || isLoopbackHost(host);
}

bool MiHttp::authorized(evhttp_request* req) const {
  const char* header = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
  std::string user;
  std::string password;
  if (header == nullptr || !parseBasicAuth(header, user, password)) return false;
  // Equal-length digests, compared without an early exit: the time taken tells nothing about
  // how much of either credential matched.
  Digest u = sha256(user);
  Digest p = sha256(password);
  int user_diff = CRYPTO_memcmp(u.data(), user_digest_.data(), u.size());
  int password_diff = CRYPTO_memcmp(p.data(), password_digest_.data(), p.size());
  return (user_diff | password_diff) == 0;
}

void MiHttp::serveJsonRpc(evhttp_request* req) {
  evbuffer* input = evhttp_request_get_input_buffer(req);
  std::size_t len = evbuffer_get_length(input);
  std::string body(len, '\0');
  if (len > 0) evbuffer_copyout(input, body.data(), len);
  std::string answer = handleJsonRpc(*registry_, body);
  if (answer.empty()) {
    reply(req, 204, "No Content", nullptr, "");
    return;
  }
  answer.push_back('\n');
  reply(req, 200, "OK", kJsonType, answer);
}

void MiHttp::serveMetrics(evhttp_request* req) {
  // kPrometheusContentType views a string literal, so data() is NUL-terminated.
  reply(req, 200, "OK", kPrometheusContentType.data(), metrics_());
}

void MiHttp::reply(evhttp_request* req, int code, const char* reason, const char* content_type,
                   std::string_view body, bool count) {
  // evhttp's own 400/413/408 answers never come here: libevent 2.1 has no hook for them.
  if (count && code >= 400) miStats().http_errors.inc();
  evkeyvalq* headers = evhttp_request_get_output_headers(req);
  if (content_type != nullptr) evhttp_add_header(headers, "Content-Type", content_type);
  // Management answers are live state; no proxy or browser should keep them.
  evhttp_add_header(headers, "Cache-Control", "no-store");
  evbuffer* out = nullptr;
  if (!body.empty()) {
    out = evbuffer_new();
    if (out == nullptr || evbuffer_add(out, body.data(), body.size()) != 0) {
      SL_ERR_RATELIMITED("mi: cannot queue a %zu-byte HTTP response", body.size());
      if (out != nullptr) evbuffer_free(out);
      evhttp_send_error(req, 500, "Internal Server Error");
      return;
    }
  }
  evhttp_send_reply(req, code, reason, out);
  if (out != nullptr) evbuffer_free(out);
}

}  // namespace sipline
