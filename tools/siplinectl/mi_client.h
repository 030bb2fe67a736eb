// A JSON-RPC 2.0 client for the server's MI unix socket (core/mi/mi_server.h: one request per
// line, one response per line, the connection stays open). Blocking, with a timeout on every
// read and write so a stuck server cannot hang siplinectl. RunContext carries an MiConnect so
// that the tests can put a fake server behind it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "core/base/status.h"
#include "core/mi/json.h"

namespace sipline::ctl {

class MiClient {
 public:
  virtual ~MiClient() = default;
  // One request and its response: the "result", or
  //   kUnsupported        -32601: the server has no such command (its module is not loaded)
  //   kInvalidArgument    -32602: the params were refused
  //   kFailedPrecondition -32000 and any other error object: the command failed (its message)
  //   kUnavailable        the connection broke, timed out, or the answer was not JSON-RPC
  virtual Result<Json> call(const std::string& method, const Json& params) = 0;
};

using MiConnect = std::function<Result<std::unique_ptr<MiClient>>(const std::string& path)>;

inline constexpr std::chrono::milliseconds kMiTimeout{3000};
inline constexpr std::size_t kMaxMiResponse = 1 << 20;

// kUnavailable when nobody listens on `path` (no such file, connection refused); kIoError for
// other failures (permission denied, a path too long for a unix socket), naming the path.
Result<std::unique_ptr<MiClient>> connectMiSocket(const std::string& path,
                                                  std::chrono::milliseconds timeout = kMiTimeout);

}  // namespace sipline::ctl
