#include "core/mi/mi_server.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <memory>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include "core/base/accounts.h"
#include "core/base/log.h"
#include "core/mi/jsonrpc.h"
#include "core/mi/mi_http.h"

namespace sipline {
namespace {

constexpr int kListenBacklog = 64;
constexpr timeval kTick = {0, 100 * 1000};  // stop-flag poll interval
constexpr timeval kAcceptRetry = {1, 0};    // after accept() fails (EMFILE...)

std::string errnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

timeval toTimeval(std::chrono::milliseconds ms) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

// "0660" / "660" -> 0660; nullopt for anything that is not 1-5 octal digits up to 07777.
std::optional<mode_t> parseMode(const std::string& text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  mode_t mode = 0;
  for (char c : text) {
    if (c < '0' || c > '7') return std::nullopt;
    mode = mode * 8 + static_cast<mode_t>(c - '0');
  }
  if (mode > 07777) return std::nullopt;
  return mode;
}

// True when some process still accepts on the socket at `addr` (then it is not stale).
bool socketIsLive(const sockaddr_un& addr) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  bool live = rc == 0 || errno == EAGAIN || errno == EINPROGRESS;
  ::close(fd);
  return live;
}

void ignoreSigpipe() {
  struct sigaction current;
  if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
    signal(SIGPIPE, SIG_IGN);
  }
}

}  // namespace

// The state of one serve() call; its callbacks are static members so they can reach MiServer.
struct MiServer::Loop {
  struct Client {
    Loop* loop = nullptr;
    bufferevent* bev = nullptr;
    bool eof = false;         // the client half-closed (or closed) its side
    bool closing = false;     // no more requests: flush, then lingering close
    bool lingering = false;   // output flushed and SHUT_WR sent; discarding input until EOF
    bool paused = false;      // reading stopped until the pending output drains
    std::size_t scanned = 0;  // input bytes already searched for "\n" (no rescans)
    std::chrono::steady_clock::time_point linger_deadline;
  };

  Loop(MiServer& server_in, const MiRegistry& registry_in, std::function<bool()> should_stop_in)
      : server(server_in), registry(registry_in), should_stop(std::move(should_stop_in)) {}
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;
  ~Loop() {
    if (http != nullptr) http->detach();
    for (auto& client : clients) bufferevent_free(client->bev);
    if (listener != nullptr) evconnlistener_free(listener);
    if (tick != nullptr) event_free(tick);
    if (accept_retry != nullptr) event_free(accept_retry);
    if (base != nullptr) event_base_free(base);
  }

  static void onAccept(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void* arg);
  static void onAcceptError(evconnlistener*, void* arg);
  static void onAcceptRetry(evutil_socket_t, short, void* arg);
  static void onTick(evutil_socket_t, short, void* arg);
  static void onRead(bufferevent*, void* arg);
  static void onWrite(bufferevent*, void* arg);
  static void onEvent(bufferevent*, short events, void* arg);

  // Each of these may free the client; callers touch it no more afterwards.
  void processInput(Client& client);
  void startClosing(Client& client);
  void beginLinger(Client& client);
  void drop(Client& client);

  void respond(Client& client, std::string response);
  std::size_t outputLength(const Client& client) const {
    return evbuffer_get_length(bufferevent_get_output(client.bev));
  }

  MiServer& server;
  const MiRegistry& registry;
  std::function<bool()> should_stop;
  const MiServerLimits& limits = server.limits_;
  event_base* base = nullptr;
  evconnlistener* listener = nullptr;
  event* tick = nullptr;
  event* accept_retry = nullptr;
  MiHttp* http = nullptr;  // attached to `base` while serving
  std::vector<std::unique_ptr<Client>> clients;
};

void MiServer::Loop::onAccept(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void* arg) {
  Loop& loop = *static_cast<Loop*>(arg);
  if (loop.clients.size() >= loop.limits.max_clients) {
    SL_ERR_RATELIMITED("mi: refusing a client on %s: already %zu clients",
                       loop.server.path_.c_str(), loop.clients.size());
    std::string response = jsonRpcErrorResponse(kJsonRpcServerError,
                                                "server busy: too many MI clients (limit " +
                                                    std::to_string(loop.limits.max_clients) + ")") +
                           "\n";
    // Best effort: a fresh socket has room for one short line.
    ssize_t ignored = ::send(fd, response.data(), response.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)ignored;
    ::close(fd);
    return;
  }
  bufferevent* bev = bufferevent_socket_new(loop.base, fd, BEV_OPT_CLOSE_ON_FREE);
  if (bev == nullptr) {
    SL_ERR_RATELIMITED("mi: cannot create a bufferevent for a client on %s",
                       loop.server.path_.c_str());
    ::close(fd);
    return;
  }
  auto client = std::make_unique<Client>();
  client->loop = &loop;
  client->bev = bev;
  bufferevent_setcb(bev, onRead, onWrite, onEvent, client.get());
  // Never buffer more than one over-long line: the read callback then sees it is too long.
  bufferevent_setwatermark(bev, EV_READ, 0, loop.limits.max_request + 1);
  bufferevent_setwatermark(bev, EV_WRITE, loop.limits.output_pause / 4, 0);
  timeval idle = toTimeval(loop.limits.idle_timeout);
  bufferevent_set_timeouts(bev, &idle, &idle);
  bufferevent_enable(bev, EV_READ | EV_WRITE);
  loop.clients.push_back(std::move(client));
  SL_DBG("mi: client connected on %s (%zu now)", loop.server.path_.c_str(), loop.clients.size());
}

void MiServer::Loop::onAcceptError(evconnlistener* listener, void* arg) {
  Loop& loop = *static_cast<Loop*>(arg);
  int err = EVUTIL_SOCKET_ERROR();
  SL_ERR_RATELIMITED("mi: accept on %s failed: %s; pausing accepts for 1 s",
                     loop.server.path_.c_str(), errnoText(err).c_str());
  // Level-triggered: without a pause, EMFILE would spin the loop.
  evconnlistener_disable(listener);
  evtimer_add(loop.accept_retry, &kAcceptRetry);
}

void MiServer::Loop::onAcceptRetry(evutil_socket_t, short, void* arg) {
  evconnlistener_enable(static_cast<Loop*>(arg)->listener);
}

void MiServer::Loop::onTick(evutil_socket_t, short, void* arg) {
  Loop& loop = *static_cast<Loop*>(arg);
  if (loop.server.stop_requested_.load(std::memory_order_relaxed) ||
      (loop.should_stop && loop.should_stop())) {
    event_base_loopbreak(loop.base);
  }
}

void MiServer::Loop::onRead(bufferevent*, void* arg) {
  Client& client = *static_cast<Client*>(arg);
  Loop& loop = *client.loop;
  if (!client.closing) {
    loop.processInput(client);
    return;
  }
  evbuffer* input = bufferevent_get_input(client.bev);
  evbuffer_drain(input, evbuffer_get_length(input));
  // A client that keeps sending after an error must not hold the lingering close open.
  if (client.lingering && std::chrono::steady_clock::now() > client.linger_deadline) {
    loop.drop(client);
  }
}

void MiServer::Loop::onWrite(bufferevent*, void* arg) {
  Client& client = *static_cast<Client*>(arg);
  Loop& loop = *client.loop;
  std::size_t pending = loop.outputLength(client);
  if (client.closing) {
    if (pending == 0 && !client.lingering) loop.beginLinger(client);
    return;
  }
  if (client.paused && pending <= loop.limits.output_pause / 4) {
    client.paused = false;
    if (!client.eof) bufferevent_enable(client.bev, EV_READ);
    loop.processInput(client);  // complete requests may already be buffered
  }
}

void MiServer::Loop::onEvent(bufferevent*, short events, void* arg) {
  Client& client = *static_cast<Client*>(arg);
  Loop& loop = *client.loop;
  if ((events & BEV_EVENT_EOF) != 0 && (events & BEV_EVENT_ERROR) == 0) {
    client.eof = true;
    if (client.lingering) {
      loop.drop(client);
    } else if (!client.closing) {
      loop.processInput(client);  // answers a last request sent without a newline
    }
    return;  // closing: onWrite finishes once the output is flushed
  }
  if ((events & BEV_EVENT_TIMEOUT) != 0) {
    SL_DBG("mi: dropping a client on %s: %s timeout", loop.server.path_.c_str(),
           client.lingering ? "lingering close" : "idle");
  } else if ((events & BEV_EVENT_ERROR) != 0) {
    SL_DBG("mi: dropping a client on %s: %s", loop.server.path_.c_str(),
           errnoText(EVUTIL_SOCKET_ERROR()).c_str());
  }
  loop.drop(client);
}

void MiServer::Loop::processInput(Client& client) {
  evbuffer* input = bufferevent_get_input(client.bev);
  while (!client.closing) {
    if (outputLength(client) >= limits.output_pause) {
      // The client is not reading its responses: stop reading its requests (onWrite resumes).
      if (!client.paused) {
        client.paused = true;
        bufferevent_disable(client.bev, EV_READ);
      }
      return;
    }
    std::size_t available = evbuffer_get_length(input);
    evbuffer_ptr start;
    evbuffer_ptr_set(input, &start, std::min(client.scanned, available), EVBUFFER_PTR_SET);
    std::size_t eol_len = 0;
    evbuffer_ptr eol = evbuffer_search_eol(input, &start, &eol_len, EVBUFFER_EOL_LF);
    client.scanned = eol.pos >= 0 ? 0 : available;
    std::size_t line_len = eol.pos >= 0 ? static_cast<std::size_t>(eol.pos) : available;
    if (line_len > limits.max_request) {
      SL_ERR_RATELIMITED("mi: request on %s longer than %zu bytes; closing the connection",
                         server.path_.c_str(), limits.max_request);
      respond(client, jsonRpcErrorResponse(kJsonRpcInvalidRequest,
                                           "invalid request: request line longer than " +
                                               std::to_string(limits.max_request) + " bytes"));
      startClosing(client);
      return;
    }
    if (eol.pos < 0 && !client.eof) return;  // wait for the rest of the line
    std::string line(line_len, '\0');
    evbuffer_remove(input, line.data(), line_len);
    if (eol.pos >= 0) evbuffer_drain(input, eol_len);
    std::size_t first = line.find_first_not_of(" \t\r");
    if (first != std::string::npos) {
      std::size_t last = line.find_last_not_of(" \t\r");
      respond(client,
              handleJsonRpc(registry, std::string_view(line).substr(first, last - first + 1)));
    }
    if (eol.pos < 0) {  // EOF and nothing more will come
      startClosing(client);
      return;
    }
  }
}

void MiServer::Loop::respond(Client& client, std::string response) {
  if (response.empty()) return;  // notifications
  response.push_back('\n');
  if (bufferevent_write(client.bev, response.data(), response.size()) != 0) {
    SL_ERR_RATELIMITED("mi: cannot queue a %zu-byte response on %s", response.size(),
                       server.path_.c_str());
  }
}

void MiServer::Loop::startClosing(Client& client) {
  client.closing = true;
  client.paused = false;
  evbuffer* input = bufferevent_get_input(client.bev);
  evbuffer_drain(input, evbuffer_get_length(input));
  bufferevent_setwatermark(client.bev, EV_WRITE, 0, 0);  // onWrite once fully flushed
  if (!client.eof) bufferevent_enable(client.bev, EV_READ);
  if (outputLength(client) == 0) beginLinger(client);
}

// Lingering close (as nginx does): closing a socket with unread input makes the kernel reset
// the connection, and the client could lose the error response. Send FIN, then discard what
// the client still sends until it closes or `limits.linger` passes.
void MiServer::Loop::beginLinger(Client& client) {
  if (client.eof) {
    drop(client);
    return;
  }
  client.lingering = true;
  client.linger_deadline = std::chrono::steady_clock::now() + limits.linger;
  ::shutdown(bufferevent_getfd(client.bev), SHUT_WR);
  timeval linger = toTimeval(limits.linger);
  bufferevent_set_timeouts(client.bev, &linger, nullptr);
  bufferevent_enable(client.bev, EV_READ);
}

void MiServer::Loop::drop(Client& client) {
  bufferevent_free(client.bev);
  auto it =
      std::find_if(clients.begin(), clients.end(),
                   [&client](const std::unique_ptr<Client>& c) { return c.get() == &client; });
  if (it != clients.end()) clients.erase(it);
}

MiServer::MiServer(MiServerLimits limits) : limits_(limits) {
  // Zero would refuse every request or pause every client forever.
  limits_.max_request = std::max<std::size_t>(limits_.max_request, 1);
  limits_.max_clients = std::max<std::size_t>(limits_.max_clients, 1);
  limits_.output_pause = std::max<std::size_t>(limits_.output_pause, 1);
}

MiServer::~MiServer() { closeListener(); }

Status MiServer::listen(const std::string& path, const std::string& mode, const std::string& user,
                        const std::string& group) {
  if (fd_ >= 0) return Status::failedPrecondition("mi: already listening on " + path_);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return Status::invalidArgument("mi: bad socket path '" + path + "' (1 to " +
                                   std::to_string(sizeof(addr.sun_path) - 1) + " bytes)");
  }
  std::copy(path.begin(), path.end(), addr.sun_path);
  std::optional<mode_t> file_mode;
  if (!mode.empty()) {
    file_mode = parseMode(mode);
    if (!file_mode) {
      return Status::invalidArgument("mi: bad mode '" + mode + "' for " + path +
                                     " (want octal like \"0660\")");
    }
  }
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  if (!user.empty()) {
    Result<uid_t> resolved = userId(user);
    if (!resolved.isOk()) {
      return Status::invalidArgument("mi: cannot set the owner of " + path + ": " +
                                     resolved.status().message());
    }
    uid = resolved.value();
  }
  if (!group.empty()) {
    Result<gid_t> resolved = groupId(group);
    if (!resolved.isOk()) {
      return Status::invalidArgument("mi: cannot set the group of " + path + ": " +
                                     resolved.status().message());
    }
    gid = resolved.value();
  }

  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return Status::failedPrecondition("mi: " + path +
                                        " exists and is not a socket; refusing "
                                        "to replace it");
    }
    if (socketIsLive(addr)) {
      return Status::alreadyExists("mi: " + path + " is in use: another process accepts on it");
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return Status::ioError("mi: cannot remove the stale socket " + path + ": " +
                             errnoText(errno));
    }
  } else if (errno != ENOENT) {
    return Status::ioError("mi: cannot stat " + path + ": " + errnoText(errno));
  }

  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::ioError("mi: cannot create a unix socket: " + errnoText(errno));
  // Create the file owner-only, so nobody can connect before the chmod/chown below. umask is
  // process-wide; the master calls this before it starts any thread.
  mode_t old_umask = ::umask(0177);
  int rc = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  int bind_errno = errno;
  ::umask(old_umask);
  if (rc != 0) {
    ::close(fd);
    return Status::ioError("mi: cannot bind " + path + ": " + errnoText(bind_errno));
  }
  auto fail = [&](const std::string& what) {
    int err = errno;
    ::close(fd);
    ::unlink(path.c_str());
    return Status::ioError("mi: cannot " + what + " " + path + ": " + errnoText(err));
  };
  if ((uid != static_cast<uid_t>(-1) || gid != static_cast<gid_t>(-1)) &&
      ::chown(path.c_str(), uid, gid) != 0) {
    return fail("chown (" + user + ":" + group + ")");
  }
  if (file_mode && ::chmod(path.c_str(), *file_mode) != 0) return fail("chmod (" + mode + ")");
  if (::listen(fd, kListenBacklog) != 0) return fail("listen on");
  if (::lstat(path.c_str(), &st) != 0) return fail("stat");
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  fd_ = fd;
  path_ = path;
  SL_INFO("mi: listening on %s (mode %s)", path.c_str(), mode.empty() ? "0600" : mode.c_str());
  return Status::ok();
}

Status MiServer::serve(const MiRegistry& registry, std::function<bool()> should_stop,
                       MiHttp* http) {
  const bool with_http = http != nullptr && http->listening();
  if (fd_ < 0 && !with_http) {
    return Status::failedPrecondition("mi: serve() without a listening socket");
  }
  ignoreSigpipe();
  Loop loop(*this, registry, std::move(should_stop));
  loop.base = event_base_new();
  if (loop.base == nullptr) return Status::ioError("mi: cannot create an event base");
  const std::string where = fd_ >= 0 ? path_ : http->address();
  if (fd_ >= 0) {
    loop.listener = evconnlistener_new(loop.base, Loop::onAccept, &loop, LEV_OPT_CLOSE_ON_EXEC,
                                       /*backlog=0: already listening*/ 0, fd_);
    if (loop.listener == nullptr) {
      return Status::ioError("mi: cannot watch " + path_ + " with libevent");
    }
    evconnlistener_set_error_cb(loop.listener, Loop::onAcceptError);
  }
  loop.tick = event_new(loop.base, -1, EV_PERSIST, Loop::onTick, &loop);
  loop.accept_retry = evtimer_new(loop.base, Loop::onAcceptRetry, &loop);
  if (loop.tick == nullptr || loop.accept_retry == nullptr || event_add(loop.tick, &kTick) != 0) {
    return Status::ioError("mi: cannot set up the event loop for " + where);
  }
  if (with_http) {
    Status st = http->attach(loop.base, registry);
    if (!st.isOk()) return st;
    loop.http = http;  // detached by ~Loop, before the base goes
  }
  if (fd_ >= 0) SL_INFO("mi: serving JSON-RPC on %s", path_.c_str());
  int rc = event_base_dispatch(loop.base);
  stop_requested_.store(false, std::memory_order_relaxed);
  SL_INFO("mi: stopped serving on %s", where.c_str());
  if (rc < 0) return Status::ioError("mi: event loop on " + where + " failed");
  return Status::ok();
}

void MiServer::closeListener() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void MiServer::unlinkSocket() {
  if (path_.empty()) return;
  struct stat st;
  if (::lstat(path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == dev_ &&
      st.st_ino == ino_) {
    if (::unlink(path_.c_str()) != 0) {
      SL_WARN("mi: cannot remove %s: %s", path_.c_str(), errnoText(errno).c_str());
    }
  }
}

}  // namespace sipline
