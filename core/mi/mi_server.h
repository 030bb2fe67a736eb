// The MI transport: JSON-RPC 2.0 over a unix stream socket, one request per line.
//
// Lifecycle across processes: the master calls listen() before fork, so the socket exists (with
// its mode and owner) before any child runs; every process but the MI process then calls
// closeListener(); the MI process calls serve(), which runs its own libevent loop until stop()
// or should_stop() (the HTTP endpoint, MiHttp, shares that loop when passed in); the master calls
// unlinkSocket() at shutdown (the destructor only closes the descriptor, so a child exiting never
// removes the master's socket). Not thread-safe except stop(), which only sets a flag and may be
// called from a signal handler or another thread.
//
// Framing: a client writes requests terminated by "\n" (a "\r" before it and blank lines are
// ignored); a request the client ends by half-closing (shutdown SHUT_WR) without a newline is
// handled too. Every response is written followed by "\n" (notifications get none) and the
// connection stays open. Requests on one connection are answered in order; clients are served
// one request at a time by the single-threaded loop (handlers are synchronous, as in OpenSIPS).
//
// Limits (MiServerLimits): a request line longer than max_request gets a -32600 response and
// the connection is closed (after a short lingering close, so the client can read the error);
// beyond max_clients a new connection gets a -32000 response and is closed; a client idle for
// idle_timeout (no request, or pending output that does not drain) is dropped. A client that
// does not read cannot block the server or grow its memory: once output_pause bytes of
// responses are pending for it, the server stops reading its requests until the output drains
// to a quarter of that, and the idle timeout drops it if it never reads. Pending output is
// therefore bounded by output_pause plus one response; a single large response (a big dump) is
// still delivered whole.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include "core/base/status.h"
#include "core/mi/mi_registry.h"

namespace sipline {

class MiHttp;

// The defaults are the production limits; tests shrink them. MiServer raises a zero size or
// count to 1.
struct MiServerLimits {
  std::size_t max_request = 1 << 20;  // bytes in one request line
  std::size_t max_clients = 64;
  std::chrono::milliseconds idle_timeout{30000};
  std::size_t output_pause = 4 << 20;      // pending response bytes that pause reading a client
  std::chrono::milliseconds linger{2000};  // lingering close after a fatal client error
};

class MiServer {
 public:
  explicit MiServer(MiServerLimits limits = MiServerLimits());
  ~MiServer();  // closes the listening descriptor; never unlinks
  MiServer(const MiServer&) = delete;
  MiServer& operator=(const MiServer&) = delete;

  // Master, before fork: creates the unix stream socket at `path` and listens. A stale socket
  // file (nobody accepting) is removed first; an existing non-socket path, or a socket a live
  // server still accepts on, is refused. `mode` is an octal string ("0660", "660"; empty keeps
  // 0600, the mode the socket is created with); `user`/`group` are names or numeric ids, empty
  // for no change. Errors (invalidArgument, failedPrecondition, alreadyExists, ioError) name
  // the path and carry the errno text; on error nothing is left behind.
  Status listen(const std::string& path, const std::string& mode, const std::string& user,
                const std::string& group);

  // MI process, after fork: serves connections with a libevent loop until stop() or
  // should_stop() (polled every 100 ms; may be empty) returns true, then closes every client
  // connection and returns ok. `http`, when not null and listening, is attached to the same
  // loop and detached before returning, so one process serves both; either may be absent
  // (no unix socket: HTTP only). The listening descriptors stay open. Sets SIGPIPE to ignored
  // if it was at its default. failedPrecondition when there is nothing to serve (no listen()
  // and no listening `http`); ioError if libevent cannot be set up.
  Status serve(const MiRegistry& registry, std::function<bool()> should_stop,
               MiHttp* http = nullptr);

  // Makes serve() return within 100 ms. Async-signal-safe.
  void stop() { stop_requested_.store(true, std::memory_order_relaxed); }

  void closeListener();  // in processes other than MI after fork; idempotent
  const std::string& path() const { return path_; }
  // Master at shutdown: removes the socket file if it is still the one listen() created.
  void unlinkSocket();

 private:
  struct Loop;

  MiServerLimits limits_;
  std::string path_;
  int fd_ = -1;
  dev_t dev_ = 0;  // identity of the socket file we created, checked by unlinkSocket()
  ino_t ino_ = 0;
  std::atomic<bool> stop_requested_{false};
  static_assert(std::atomic<bool>::is_always_lock_free);
};

}  // namespace sipline
