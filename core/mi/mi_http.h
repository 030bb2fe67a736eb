// The MI over HTTP (mi.http): JSON-RPC 2.0 requests as POST bodies and Prometheus metrics,
// served by libevent's evhttp inside the MI process's event loop (MiServer::serve).
//
// Lifecycle across processes, as for the unix socket: the master calls listen() before fork
// (bind errors reach the terminal); every process but MI calls closeListener(); the MI process
// attaches to its event_base (MiServer::serve does attach()/detach()). Not thread-safe: one
// loop thread calls everything after listen().
//
// Routes (paths are matched exactly; a query string is ignored):
//   POST /  and  POST /mi   body = one JSON-RPC request or a batch (handleJsonRpc): 200 with
//                           application/json, or 204 when nothing is to be answered
//                           (notifications only). A JSON-RPC error, bad JSON included, is a
//                           200 with the error object: HTTP says the transport worked.
//   GET /metrics            200 text/plain; version=0.0.4 (Prometheus) from the renderer;
//                           404 when no renderer is set. HEAD is refused (405, Allow: GET):
//                           evhttp would send a HEAD answer's body without a length.
//   another method          405 with Allow; another path: 404
// Refusals before routing: Content-Length given more than once is a 400 (RFC 7230 §3.3.2;
// evhttp would frame by the first one) and closes the connection. A POST to / or /mi whose
// Content-Type is not application/json gets 415: a browser cannot send that type cross-origin
// without a CORS preflight, which we never grant. Without credentials, a Host that is not a
// loopback literal (127.x.x.x, [::1]) or "localhost", port optional, gets 403: after DNS
// rebinding a browser sends the attacker's name.
// Limits (MiHttpLimits): a body over max_body gets 413 from evhttp, headers over max_headers
// are refused by evhttp, a connection that sends nothing (or stalls) for `timeout` is closed,
// and one request may take at most `request_deadline` from accept (or from the previous
// answer on a kept-alive connection) whatever it sends: evhttp's timeout restarts on every
// read, so a client dripping a byte at a time would otherwise hold a connection for ever.
// libevent 2.1 has no cap on concurrent HTTP connections (evhttp_set_max_connections came
// with 2.2), so each connection's bufferevent is made here (evhttp_set_bevcb) and held with an
// extra reference: a sweep every request_deadline/10 sees which ones evhttp has released.
// At max_connections the listener is paused (further clients wait in the backlog). An accept
// error (EMFILE) pauses it for accept_retry instead of spinning the loop.
// Not doable with libevent 2.1: checking credentials once the headers are in (the server side
// gets no header callback before 2.2's evhttp_set_newreqcb), so an unauthenticated client's
// body (at most max_body) is read before the 401; max_connections and request_deadline bound
// what that costs. evhttp's own 400/413/408 answers have no hook either, so mi:http_errors
// does not count them.
//
// Basic auth (RFC 7617), when credentials are set, guards every path: a request without valid
// credentials gets 401 with WWW-Authenticate: Basic realm="sipline". Only SHA-256 digests of
// the credentials are kept, compared in constant time; the password is never logged.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "core/mi/mi_registry.h"

struct bufferevent;
struct event;
struct event_base;
struct evconnlistener;
struct evhttp;
struct evhttp_request;

namespace sipline {

// The defaults are the production limits; tests shrink them.
struct MiHttpLimits {
  std::size_t max_body = 1 << 20;            // bytes of one request body (413 beyond)
  std::size_t max_headers = 16 << 10;        // bytes of the request line and headers
  std::chrono::milliseconds timeout{30000};  // idle/stalled connection is closed after this
  std::chrono::milliseconds request_deadline{60000};  // whole request, however it trickles in
  std::size_t max_connections = 64;                   // concurrent; the listener pauses at it
  std::chrono::milliseconds accept_retry{1000};       // pause after an accept error (EMFILE)
};

class MiHttp {
 public:
  using MetricsRenderer = std::function<std::string()>;

  explicit MiHttp(MiHttpLimits limits = MiHttpLimits());
  ~MiHttp();  // detach(), then closes the listening descriptor
  MiHttp(const MiHttp&) = delete;
  MiHttp& operator=(const MiHttp&) = delete;

  // Master, before fork: binds "ADDR:PORT" ("127.0.0.1:8888", "[::1]:8888"; port 0 picks a
  // free one, see port()) with SO_REUSEADDR, non-blocking, and listens. invalidArgument for a
  // malformed address, ioError naming the address and the errno text (EADDRINUSE, EACCES...)
  // otherwise; on error nothing is left open.
  Status listen(const std::string& address);

  // Both non-empty: every request must carry them (basic auth). Both empty: no auth.
  void setCredentials(std::string_view user, std::string_view password);
  // GET /metrics answers with what this returns; unset: /metrics is 404.
  void setMetricsRenderer(MetricsRenderer renderer) { metrics_ = std::move(renderer); }

  // MI process: serves on `base` until detach(). `registry` must outlive the attachment.
  // failedPrecondition without listen() or when already attached; ioError if evhttp cannot
  // be set up.
  Status attach(event_base* base, const MiRegistry& registry);
  // Frees the evhttp object and with it every open HTTP connection; the listening descriptor
  // stays open (another attach() may follow). Idempotent.
  void detach();

  std::size_t connectionCount() const { return connections_.size(); }  // loop thread only

  void closeListener();  // in processes other than MI after fork; idempotent
  bool listening() const { return fd_ >= 0; }
  const std::string& address() const { return address_; }
  std::uint16_t port() const { return port_; }  // the bound port (useful after port 0)

 private:
  using Digest = std::array<unsigned char, 32>;
  enum class Route { kJsonRpc, kMetrics, kNotFound };
  // One accepted connection: its bufferevent (with our reference) and when its current request
  // began (accept, or the previous answer).
  struct Connection {
    bufferevent* bev;
    std::chrono::steady_clock::time_point started;
  };

  static void onRequest(evhttp_request* req, void* arg);
  static bufferevent* onNewConnection(event_base* base, void* arg);
  static void onAcceptError(evconnlistener* listener, void* arg);
  static void onAcceptRetry(int fd, short what, void* arg);
  static void onSweep(int fd, short what, void* arg);
  void sweep();
  void releaseConnections();
  void restartDeadline(evhttp_request* req);
  bool hostAllowed(evhttp_request* req) const;
  void handle(evhttp_request* req);
  bool authorized(evhttp_request* req) const;
  void serveJsonRpc(evhttp_request* req);
  void serveMetrics(evhttp_request* req);
  // Every reply goes through here so the error counter sees it (unless !count: the 401s have
  // their own counter) and every answer gets Cache-Control: no-store.
  void reply(evhttp_request* req, int code, const char* reason, const char* content_type,
             std::string_view body, bool count = true);

  MiHttpLimits limits_;
  std::string address_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  bool auth_ = false;
  Digest user_digest_{};
  Digest password_digest_{};
  MetricsRenderer metrics_;
  evhttp* http_ = nullptr;
  const MiRegistry* registry_ = nullptr;
  evconnlistener* listener_ = nullptr;  // owned by http_
  event* accept_retry_ = nullptr;
  event* sweep_ = nullptr;
  bool accept_paused_ = false;  // by an accept error: only the retry timer resumes
  bool full_ = false;           // paused at max_connections: the sweep resumes
  std::vector<Connection> connections_;
};

// The user and password of an "Authorization: Basic <base64>" value (scheme case-insensitive).
// False for another scheme, bad base64 (including bad padding) or no ':' in the decoded text.
// Exposed for tests.
bool parseBasicAuth(std::string_view header, std::string& user, std::string& password);

// True for a Host value naming the loopback literally: 127.x.x.x, [::1] or localhost (any
// case), each with an optional :port. Exposed for tests.
bool isLoopbackHost(std::string_view host);

}  // namespace sipline
