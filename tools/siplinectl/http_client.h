// The MI over HTTP: one JSON-RPC request per POST (core/mi's HTTP endpoint, mi.http), with
// basic authentication from the URL's user:password. A new connection per call ("Connection:
// close"), and one deadline for the whole call (timed_io.h), so a server that never answers
// or drips its answer costs at most the timeout. The host must be an IP address or
// "localhost": a name lookup is not bounded by any timeout, so none is made. https is not
// supported (the endpoint
// is meant for loopback or a management network; say so rather than send a password in clear
// to a TLS port).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/base/status.h"
#include "tools/siplinectl/mi_client.h"

namespace sipline::ctl {

struct HttpUrl {
  std::string host;  // an IP address (IPv6 without brackets) or "localhost"
  int port = 80;
  std::string path = "/mi";    // "" or "/" in the URL mean /mi
  std::string user, password;  // percent-decoded; "" = no authentication
  std::string text;            // for messages: "http://HOST:PORT", never the user info
};

// http://[USER[:PASSWORD]@]HOST[:PORT][/PATH]; the user info ends at the last '@'.
// kInvalidArgument naming the problem (and the URL only as http://HOST:PORT).
Result<HttpUrl> parseHttpUrl(const std::string& url);

// Percent-encodes what may not stand in a URL's user info (for --http-user and the password
// from the environment).
std::string encodeUserInfo(const std::string& text);

bool isHttpUrl(const std::string& target);

// Parses `url` (kInvalidArgument) and returns a client; nothing is sent before the first call.
// call() errors as MiClient says; connection refused, a timeout and an answer that is not
// HTTP are kUnavailable; 401/403 are kMiAccessDenied ("authentication failed"); an answer
// beyond kMaxMiResponse is kMiAnswerTooLarge.
Result<std::unique_ptr<MiClient>> connectMiHttp(const std::string& url,
                                                std::chrono::milliseconds timeout = kMiTimeout);

}  // namespace sipline::ctl
