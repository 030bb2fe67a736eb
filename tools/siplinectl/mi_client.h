// JSON-RPC 2.0 clients for the server's MI: the unix socket (core/mi/mi_server.h: one request
// per line, one response per line, the connection stays open) here, HTTP in http_client.h.
// One deadline bounds each call as a whole (connect, send and every read: timed_io.h), so a
// stuck or dripping server cannot hang siplinectl.
// RunContext carries an MiConnect so that the tests can put a fake server behind it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/base/status.h"
#include "core/mi/json.h"

namespace sipline::ctl {

// Access refused: no permission on the unix socket (EACCES, EPERM) or HTTP 401/403. The MI
// clients use this code for nothing else, so the caller can map it to its own exit code.
inline constexpr Code kMiAccessDenied = Code::kInternal;
inline Status miAccessDenied(std::string message) { return Status::internal(std::move(message)); }

// An answer longer than kMaxMiResponse: the server is there, the answer too big to take (not
// "unreachable"). The clients use this code for nothing else.
inline constexpr Code kMiAnswerTooLarge = Code::kNoMemory;
Status miAnswerTooLarge();

class MiClient {
 public:
  virtual ~MiClient() = default;
  // One request and its response: the "result", or
  //   kUnsupported        -32601: the server has no such command (its module is not loaded);
  //                       the message ends in "(did you mean a, b?)" when the server suggests
  //   kInvalidArgument    -32602: the params were refused (the message ends in the usage)
  //   kNotFound           -32000 with data.status "not_found" (no such AOR, statistic, ...)
  //   kFailedPrecondition -32000 and any other error object: the command failed (its message)
  //   kUnavailable        the connection broke, timed out, or the answer was not JSON-RPC
  //   kMiAccessDenied     (HTTP) 401 or 403
  //   kMiAnswerTooLarge   the answer is longer than kMaxMiResponse
  virtual Result<Json> call(const std::string& method, const Json& params) = 0;
  // How long one call may take in all, connecting included (reload_routes waits for the
  // master's check).
  virtual void setTimeout(std::chrono::milliseconds /*timeout*/) {}
};

// `target`: a unix socket path, or an http:// URL (http_client.h) when the connector knows it.
using MiConnect = std::function<Result<std::unique_ptr<MiClient>>(const std::string& target)>;

inline constexpr std::chrono::milliseconds kMiTimeout{3000};
// ul_dump of a big registrar is tens of MiB (about 300 bytes a contact); beyond this limit the
// answer is refused with kMiAnswerTooLarge rather than eating the memory of the operator's shell.
inline constexpr std::size_t kMaxMiResponse = std::size_t{64} << 20;

// kUnavailable when nobody listens on `path` (no such file, connection refused, no room in
// the listen queue within `timeout`);
// kMiAccessDenied for EACCES/EPERM; kIoError for other failures (a path too long for a unix
// socket), naming the path.
Result<std::unique_ptr<MiClient>> connectMiSocket(const std::string& path,
                                                  std::chrono::milliseconds timeout = kMiTimeout);

// The request text (without a line end) and the reading of a response text, shared by the
// unix socket and the HTTP client. parseMiResponse() maps errors as MiClient::call() says.
std::string miRequestText(const std::string& method, const Json& params, std::int64_t id);
Result<Json> parseMiResponse(const std::string& text, std::int64_t id);

}  // namespace sipline::ctl
